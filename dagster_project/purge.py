"""The nightly purge of what is older than ``retention_days``: a job of one op, and its schedule.

A thin call into ``wfm_connector.purge``; the rows removed per table are the op's output
metadata (and in the run log), so the Dagster UI shows what each night removed.
"""

import dagster as dg

from dagster_project.resources import DatabaseResource, WfmConfigResource
from dagster_project.settings import settings
from wfm_connector import purge


@dg.op(description="Delete rows older than retention_days and report them per table.")
def purge_old_rows(
    context: dg.OpExecutionContext, wfm_config: WfmConfigResource, database: DatabaseResource
) -> dg.Output[int]:
    """Delete what is older than the retention."""
    with database.get_connection() as conn:
        report = purge.purge(conn, wfm_config.get())
    for family, cut in report.cutoffs.items():
        context.log.info(f"{family}: " + (f"before {cut.isoformat()}" if cut else "kept for ever"))
    meta = {f"removed {table}": dg.MetadataValue.int(n) for table, n in report.removed.items()}
    meta.update({
        f"cutoff {family}": dg.MetadataValue.text(cut.isoformat() if cut else "kept for ever")
        for family, cut in report.cutoffs.items()
    })  # fmt: skip
    return dg.Output(report.total, metadata={"rows removed": report.total, **meta})


@dg.job(description="Delete rows older than retention_days (raw, quarantine, reconciled).")
def purge_job() -> None:
    """One op: the purge."""
    purge_old_rows()


purge_schedule = dg.ScheduleDefinition(
    job=purge_job,
    cron_schedule="45 3 * * *",
    execution_timezone=settings().timezone,
    description="Every night at 03:45 local, after yesterday was finalised.",
    default_status=dg.DefaultScheduleStatus.RUNNING if settings().automation.purge
    else dg.DefaultScheduleStatus.STOPPED,
)
