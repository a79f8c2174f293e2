"""A sensor that starts today's run as soon as a source has something new.

It asks each configured source cheaply (an S3/local object not in the ledger, visible SQS
messages, Kinesis records after the checkpoint) and requests the daily job for today's
partition, unless a run of that partition is already queued or running.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.jobs import wfm_daily_job
from dagster_project.resources import ConnectSourceResource, DatabaseResource, WfmConfigResource
from wfm_connector import pipeline

ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]  # fmt: skip


@dg.sensor(job=wfm_daily_job, minimum_interval_seconds=60)
def new_data_sensor(
    context: dg.SensorEvaluationContext,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.RunRequest | dg.SkipReason:
    """Today's partition when any source has new data."""
    cfg = wfm_config.get()
    today = datetime.now(UTC).astimezone(ZoneInfo(cfg.timezone)).date()
    key = today.isoformat()
    active = context.instance.get_runs(
        filters=dg.RunsFilter(tags={"dagster/partition": key}, statuses=ACTIVE), limit=1
    )
    if active:
        return dg.SkipReason(f"a run for {key} is already queued or running")
    with database.get_connection() as conn:
        streams = connect_source.pending_streams(conn, pipeline.window_for(cfg, today))
    if not streams:
        return dg.SkipReason(f"no new data for {key}")
    names = ",".join(s.value for s in streams)
    return dg.RunRequest(partition_key=key, tags={"wfm/new_data": names})
