"""The job that refreshes a whole day: every asset of one partition."""

import dagster as dg

from dagster_project.partitions import daily_partitions

wfm_daily_job = dg.define_asset_job(
    "wfm_daily_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Ingest, reconcile and export one contact-center day.",
)
