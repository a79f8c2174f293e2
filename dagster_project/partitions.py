"""Daily partitions in the contact center's time zone (DST days have 23 or 25 hours)."""

import dagster as dg

from dagster_project.settings import settings

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=settings().first_partition.isoformat(),
    timezone=settings().timezone,
    end_offset=1,  # today is a partition too: it is refreshed every 15 minutes
)
