"""A sensor that starts runs as soon as there is something to do.

It asks each configured source cheaply (an S3/local object not in the ledger, visible SQS
messages, Kinesis records after the checkpoint, a new schedule file) and requests today's
partition; it also
requests every earlier day that late data made stale (``wfm.dirty_day``: events or contact
records for that day ingested after it was reconciled), so its tables and exports are
rebuilt. A partition with a run already queued or running is not requested again, unless
that run has been STARTED for longer than a day's run can take (its process was killed and
nothing marked it failed): then the day is requested again. A day whose last run failed is
requested again once :data:`RETRY_AFTER_S` have passed since, not at every tick.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.jobs import wfm_daily_job
from dagster_project.resources import ConnectSourceResource, DatabaseResource, WfmConfigResource
from dagster_project.settings import settings
from wfm_connector import pipeline, schedule_source

ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]  # fmt: skip
ABANDONED_AFTER_S = 2 * 3600  # = run_monitoring.max_runtime_seconds in the project's instance
RETRY_AFTER_S = 10 * 60
FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def wait_reason(records: list[dg.RunRecord], now: float) -> str | None:
    """Why a day with these runs (newest first) should not be requested now, or None."""
    for record in records:
        status = record.dagster_run.status
        if status in ACTIVE:
            started = record.start_time or record.create_timestamp.timestamp()
            if status != dg.DagsterRunStatus.STARTED or now - started < ABANDONED_AFTER_S:
                return f"run {record.dagster_run.run_id} is {status.value}"
            continue  # STARTED for hours: abandoned, request the day again
        if status in FAILED and record.end_time and now - record.end_time < RETRY_AFTER_S:
            return f"run {record.dagster_run.run_id} failed less than 10 minutes ago"
        return None  # the newest finished run decides
    return None


@dg.sensor(
    job=wfm_daily_job, minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING if settings().automation.new_data_sensor
    else dg.DefaultSensorStatus.STOPPED,
)  # fmt: skip
def new_data_sensor(
    context: dg.SensorEvaluationContext,
    wfm_config: WfmConfigResource,
    database: DatabaseResource,
    connect_source: ConnectSourceResource,
) -> dg.SensorResult:
    """Today's partition when a source has new data; earlier days whose data changed."""
    cfg = wfm_config.get()
    today = datetime.now(UTC).astimezone(ZoneInfo(cfg.timezone)).date()
    with database.get_connection() as conn:
        streams = [
            s.value for s in connect_source.pending_streams(conn, pipeline.window_for(cfg, today))
        ]
        if schedule_source.pending(conn, cfg):
            streams.append("schedules")
        stale = pipeline.stale_days(conn, before=today, timezone=cfg.timezone)
    wanted: dict[date, dict[str, str]] = {
        day: {"wfm/reason": "late data"} for day in stale if day >= cfg.first_partition
    }
    if streams:
        wanted[today] = {
            "wfm/reason": "new data",
            "wfm/new_data": ",".join(streams),
        }
    requests = []
    now = datetime.now(UTC).timestamp()
    for day, tags in sorted(wanted.items()):
        key = day.isoformat()
        records = context.instance.get_run_records(
            filters=dg.RunsFilter(tags={"dagster/partition": key}), limit=20
        )
        if wait_reason(list(records), now) is None:
            requests.append(dg.RunRequest(partition_key=key, tags=tags))
    if not requests:
        return dg.SensorResult(skip_reason=f"nothing new for {today} and no stale days")
    return dg.SensorResult(run_requests=requests)
