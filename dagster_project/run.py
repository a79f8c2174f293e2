"""Run the daily job for one partition through the same definitions the schedules use.

Used by ``wfm-connector run`` and ``make demo``. ``DAGSTER_HOME`` defaults to the project's
``.dagster_home`` with telemetry off, so runs appear in the local Dagster UI (``make dev``).
"""

import os
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Telemetry off; at most one run per partition at a time (a 15-minute refresh that overruns
# queues the next one instead of racing it).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


def ensure_dagster_home() -> Path:
    """Create the Dagster home (telemetry off) and point ``DAGSTER_HOME`` at it."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings_file = home / "dagster.yaml"
    if not settings_file.exists():
        settings_file.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def materialize_day(partition_key: str, log_level: str = "WARNING") -> dg.ExecuteInProcessResult:
    """Materialise every asset of ``partition_key`` with the job the schedules run.

    The run is recorded in ``DAGSTER_HOME``, so it shows in the Dagster UI; ``log_level``
    only quiets the console (the UI keeps the full event log).
    """
    ensure_dagster_home()
    from dagster_project.definitions import defs  # after WFM_CONFIG / DAGSTER_HOME are set

    job = defs.resolve_job_def("wfm_daily_job")
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(
            partition_key=partition_key, instance=instance, run_config=run_config
        )


def materialization_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    """Asset key -> the metadata values its materialisation reported."""
    out: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out
