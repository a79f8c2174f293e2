"""When the jobs run: refresh and re-export for the WFM systems' imports.

Refresh today every 15 minutes; finalise yesterday at night (late data lands by then);
re-deliver yesterday's exports in the early morning, so a target that was down gets them.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.export_assets import reexport_job
from dagster_project.jobs import wfm_daily_job
from dagster_project.settings import settings

TIMEZONE = settings().timezone


def status(on: bool) -> dg.DefaultScheduleStatus:
    """The state a schedule starts in (``automation`` in wfm.yaml)."""
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def local_day(context: dg.ScheduleEvaluationContext, days_back: int) -> str:
    """The contact-center date ``days_back`` days before the tick, as a partition key."""
    when = context.scheduled_execution_time or datetime.now(UTC)
    return (when.astimezone(ZoneInfo(TIMEZONE)).date() - timedelta(days=days_back)).isoformat()


@dg.schedule(job=wfm_daily_job, cron_schedule="*/15 * * * *", execution_timezone=TIMEZONE,
             default_status=status(settings().automation.refresh_today))  # fmt: skip
def refresh_today_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Today's partition, every quarter hour."""
    return dg.RunRequest(partition_key=local_day(context, 0))


@dg.schedule(job=wfm_daily_job, cron_schedule="30 2 * * *", execution_timezone=TIMEZONE,
             default_status=status(settings().automation.finalise_yesterday))  # fmt: skip
def finalise_yesterday_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's partition, re-run after midnight so late events and CTRs are included."""
    return dg.RunRequest(partition_key=local_day(context, 1))


@dg.schedule(job=reexport_job, cron_schedule="30 5 * * *", execution_timezone=TIMEZONE,
             default_status=status(settings().automation.reexport_yesterday))  # fmt: skip
def reexport_yesterday_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's export files again, for the WFM systems' morning imports."""
    return dg.RunRequest(partition_key=local_day(context, 1))
