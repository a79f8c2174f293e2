"""Runs that die are noticed: a killed command's run does not block its day for ever, the
sensor asks again for a day whose run was abandoned or failed (not at every tick), two runs
of one day do not overlap, and a new Dagster home is set up once, with run monitoring on."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import yaml
from dagster._core.storage.dagster_run import DagsterRun, RunRecord

from dagster_project import run as runs
from dagster_project.sensors import wait_reason

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def record(status: dg.DagsterRunStatus, started_min_ago: float | None = None,
           ended_min_ago: float | None = None) -> RunRecord:  # fmt: skip
    def ago(minutes: float | None) -> float | None:
        return None if minutes is None else (NOW - timedelta(minutes=minutes)).timestamp()

    return RunRecord(
        storage_id=1,
        dagster_run=DagsterRun(job_name="wfm_daily_job", run_id=str(uuid.uuid4()), status=status),
        create_timestamp=NOW - timedelta(minutes=started_min_ago or 0),
        update_timestamp=NOW,
        start_time=ago(started_min_ago),
        end_time=ago(ended_min_ago),
    )


S = dg.DagsterRunStatus


@pytest.mark.parametrize(("records", "waits"), [
    ([], False),                                   # never run
    ([record(S.STARTING)], True),                  # starting: wait for it
    ([record(S.STARTED, 30)], True),               # running for 30 minutes: wait
    ([record(S.STARTED, 150)], False),             # STARTED 2.5 h ago: abandoned, ask again
    ([record(S.FAILURE, 20, 5)], True),            # failed 5 minutes ago: not at every tick
    ([record(S.FAILURE, 40, 15)], False),          # failed 15 minutes ago: ask again
    ([record(S.SUCCESS, 40, 30), record(S.FAILURE, 90, 80)], False),
    ([record(S.STARTED, 300), record(S.FAILURE, 20, 2)], True),  # abandoned, then the older failure counts
])  # fmt: skip
def test_when_the_sensor_asks_again_for_a_day(records, waits):
    assert (wait_reason(records, NOW.timestamp()) is not None) is waits


def test_a_new_home_gets_run_monitoring_and_an_old_one_keeps_its_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "new"))
    home = runs.ensure_dagster_home()
    settings = yaml.safe_load((home / "dagster.yaml").read_text())
    assert settings["run_monitoring"]["enabled"] is True
    assert settings["run_monitoring"]["max_runtime_seconds"] == 7200
    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    monkeypatch.setenv("DAGSTER_HOME", str(old))
    settings = yaml.safe_load((runs.ensure_dagster_home() / "dagster.yaml").read_text())
    assert settings["telemetry"] == {"enabled": True}  # theirs, untouched
    assert settings["run_monitoring"]["enabled"] is True  # ours, added


def _started_run(tags: dict[str, str]) -> str:
    with dg.DagsterInstance.get() as instance:
        run = instance.add_run(DagsterRun(job_name="wfm_daily_job", run_id=str(uuid.uuid4()),
                                          status=S.STARTED, tags=tags))  # fmt: skip
        return run.run_id


def test_a_killed_commands_run_is_marked_failed_and_the_day_runs(database_url, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    # the configuration the definitions were built from (one export asset per its profiles)
    monkeypatch.setenv("WFM_CONFIG", str(runs.PROJECT_ROOT / "config" / "demo.yaml"))
    runs.ensure_dagster_home()
    dead = _started_run({"dagster/partition": "2026-11-02", runs.LAUNCHED_BY: "cli"})
    result = runs.materialize_day("2026-11-02")
    assert result.success
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(dead).status == S.FAILURE
        logs = instance.all_logs(dead)
        # recorded as a run of the job in the workspace's code location, as the UI launches
        # it: the UI's run list links it to the job, and the timeline shows it (a run without
        # this origin is left off the timeline)
        run = instance.get_run_by_id(result.run_id)
    assert any("abandoned" in (e.message or "") for e in logs)
    assert (run.job_name, run.tags["dagster/partition"], run.tags[runs.LAUNCHED_BY]) == (
        "wfm_daily_job", "2026-11-02", "cli")  # fmt: skip
    # the partition's own tags too, as execute_in_process adds them, and the configuration
    assert run.tags["dagster/partition_set"] == "wfm_daily_job_partition_set"
    assert run.tags["wfm/config"] == str(runs.PROJECT_ROOT / "config" / "demo.yaml")
    origin = run.remote_job_origin.repository_origin
    assert (origin.code_location_origin.location_name, origin.repository_name) == (
        "dagster_project.definitions:defs", "__repository__")  # fmt: skip


def test_a_second_run_of_a_day_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = runs.ensure_dagster_home()
    # a run the daemon launched (not a command of ours) is in progress
    live = _started_run({"dagster/partition": "2026-11-02"})
    with pytest.raises(runs.PartitionBusy, match=f"run {live} of 2026-11-02 is STARTED"):
        runs.materialize_day("2026-11-02")
    # another command of ours holds the day
    with runs._locked(home / "locks" / "day-2026-11-03.lock"):  # noqa: SLF001
        pid = os.fork()
        if pid == 0:  # the second process: refused at once
            try:
                runs.materialize_day("2026-11-03")
            except runs.PartitionBusy:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_processes_setting_up_a_new_home_at_once_do_not_collide(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "fresh"))
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            try:
                home = runs.ensure_dagster_home()
                with runs.open_instance(home) as instance:
                    instance.get_runs(limit=1)
            except BaseException:  # noqa: BLE001 - the exit status says it
                os._exit(1)
            os._exit(0)
        children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    assert codes == [0, 0, 0, 0]
