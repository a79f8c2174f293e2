"""Run the daily job for one partition through the same definitions the schedules use.

Used by ``wfm-connector run`` and ``make demo``. ``DAGSTER_HOME`` defaults to the project's
``.dagster_home`` with telemetry off, so runs appear in the local Dagster UI (``make dev``).
A run is recorded as a run of the job in the code location ``workspace.yaml`` names, as if
launched from the UI, so the UI lists it with the job, on the timeline and on the job's page
(an in-process run without that origin is left off the timeline); it executes in this process.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml

# Not in dagster's public API: creating a run with the code location's origin (as the UI's
# launch does) and executing it here. Pinned with dagster (pyproject: >=1.13,<1.14).
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.execution.api import execute_run
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.execution.job_execution_result import JobExecutionResult
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.workspace.load import location_origins_from_yaml_paths

from wfm_connector.config import default_config_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Telemetry off; at most one run per partition at a time (a 15-minute refresh that overruns
# queues the next one instead of racing it); run monitoring, so a run whose process was killed
# does not stay STARTED for ever (a day's run takes minutes: two hours means it is dead) and
# its day is requested again by the sensor.
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
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_runtime_seconds: 7200
  poll_interval_seconds: 60
"""


def ensure_dagster_home() -> Path:
    """Create the Dagster home and point ``DAGSTER_HOME`` at it.

    A ``dagster.yaml`` already there keeps its own settings; the sections above that it lacks
    (an older project version wrote fewer) are added.
    """
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings_file = home / "dagster.yaml"
    ours = yaml.safe_load(DAGSTER_YAML)
    if settings_file.exists():
        theirs = yaml.safe_load(settings_file.read_text(encoding="utf-8")) or {}
        missing = {k: v for k, v in ours.items() if k not in theirs}
        if missing:
            merged = {**theirs, **missing}
            _write_atomically(settings_file, yaml.safe_dump(merged, sort_keys=False))
    else:
        _write_atomically(settings_file, DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _write_atomically(path: Path, text: str) -> None:
    """Two processes setting up the same home must never read a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class PartitionBusy(RuntimeError):
    """Another run of the same day is in progress."""


@contextmanager
def _locked(path: Path, blocking: bool = True) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (True), or False at once when busy and not blocking."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def open_instance(home: Path) -> dg.DagsterInstance:
    """The Dagster instance of ``home``, set up by one process at a time.

    A new home's SQLite run, event and schedule storages are created on first open; two
    processes doing that at once collide ("table secondary_indexes already exists").
    """
    with _locked(home / "locks" / "instance.lock"):
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)  # the storages exist once this has returned
        return instance


LAUNCHED_BY = "wfm/launched_by"
CONFIG_TAG = "wfm/config"
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
          dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]  # fmt: skip


def materialize_day(partition_key: str, log_level: str = "WARNING") -> JobExecutionResult:
    """Materialise every asset of ``partition_key`` with the job the schedules run.

    The run is recorded in ``DAGSTER_HOME``, so it shows in the Dagster UI; ``log_level``
    only quiets the console (the UI keeps the full event log). Processes set the instance up
    one at a time (a new home's SQLite storage is created once, not raced), and a second run
    of the same day, from the CLI or queued by the daemon, is refused with
    :class:`PartitionBusy` instead of overlapping the first.
    """
    home = ensure_dagster_home()

    recon_job, remote_origin = _job_in_code_location(JOB)
    # in this process, one step after another, as execute_in_process runs (not a subprocess
    # per step, as the UI's runs do): the same order every time, and no process start-ups
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}},
                  "execution": {"config": {"in_process": {}}}}  # fmt: skip
    with _locked(home / "locks" / f"day-{partition_key}.lock", blocking=False) as mine:
        if not mine:
            raise PartitionBusy(f"a run of {partition_key} is already in progress here; "
                                "try again when it has ended")  # fmt: skip
        instance = open_instance(home)
        active = instance.get_runs(
            filters=dg.RunsFilter(tags={"dagster/partition": partition_key}, statuses=ACTIVE)
        )
        with instance:
            for run in active:
                if run.tags.get(LAUNCHED_BY) == "cli":
                    # we hold this day's lock, so no command is running it: that process died
                    # (kill -9, power cut) and left its run STARTED; say so, and go on
                    instance.report_run_failed(run, "abandoned: the command running it ended "
                                               "without finishing (found by the next run)")
                else:
                    raise PartitionBusy(
                        f"run {run.run_id} of {partition_key} is {run.status.value}; try "
                        "again when it has ended (make dev shows it)"
                    )
            job = recon_job.get_definition()
            # the job's own tags and the partition's (validated), as execute_in_process adds
            # them; and which configuration built the job (the UI's code location loads its
            # own WFM_CONFIG: a run from another configuration says so)
            tags = merge_run_tags(job_def=job, partition_key=partition_key, tags={
                LAUNCHED_BY: "cli", CONFIG_TAG: str(default_config_path().resolve()),
            }, asset_selection=None, instance=instance, run_config=run_config)  # fmt: skip
            run = instance.create_run_for_job(
                job_def=job, run_config=run_config, tags=tags, remote_job_origin=remote_origin,
                job_code_origin=recon_job.get_python_origin(),
            )  # fmt: skip
            return execute_run(recon_job, run, instance)


JOB = "wfm_daily_job"


def _job_in_code_location(name: str) -> tuple[ReconstructableJob, RemoteJobOrigin]:
    """The job as this process runs it, and as the UI's code location knows it."""
    [location] = location_origins_from_yaml_paths([str(PROJECT_ROOT / "workspace.yaml")])
    repository = ReconstructableRepository.for_module(
        "dagster_project.definitions", "defs", working_directory=str(PROJECT_ROOT)
    )
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), name)
    return repository.get_reconstructable_job(name), origin


def materialization_metadata(result: JobExecutionResult) -> dict[str, dict[str, object]]:
    """Asset key -> the metadata values its materialisation reported."""
    out: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out
