"""The Dagster definitions load, and the asset graph matches the committed snapshot.

Regenerate the snapshot after an intended change with ``UPDATE_SNAPSHOTS=1 make test``.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import defs

pytestmark = pytest.mark.unit
SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def
        assert isinstance(partitions, dg.DailyPartitionsDefinition)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": {
                "kind": "daily",
                "timezone": partitions.timezone,
                "start": partitions.start.strftime("%Y-%m-%d"),
                "end_offset": partitions.end_offset,
            },
        }
    schedules = {
        s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name}
        for s in defs.schedules
    }
    sensors = {
        s.name: {"job": s.job_name, "minimum_interval_seconds": s.minimum_interval_seconds}
        for s in defs.sensors
    }
    return {
        "assets": assets,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(defs.resources),
    }


def test_asset_graph_matches_snapshot():
    current = graph_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_daily_job_covers_every_asset():
    job = defs.resolve_job_def("wfm_daily_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert selected == set(graph_snapshot()["assets"])


def test_schedules_request_today_and_yesterday_in_local_time():
    from dagster_project.schedules import finalise_yesterday_schedule, refresh_today_schedule

    # 2026-11-02 03:30Z is still 2026-11-01 (22:30 EST) in New York.
    when = datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
    ctx = dg.build_schedule_context(scheduled_execution_time=when)
    assert refresh_today_schedule(ctx).partition_key == "2026-11-01"
    assert finalise_yesterday_schedule(ctx).partition_key == "2026-10-31"


def test_dst_partition_lasts_23_hours():
    from dagster_project.partitions import daily_partitions

    window = daily_partitions.time_window_for_partition_key("2026-03-08")
    assert (window.end.astimezone(UTC) - window.start.astimezone(UTC)).total_seconds() == 23 * 3600


def test_automation_in_the_config_sets_what_starts_on(tmp_path):
    # definitions read the config once per process: load them in a fresh one for each config
    import json
    import subprocess
    import sys

    import yaml

    from tests.conftest import PROJECT_ROOT

    script = ("import json; from dagster_project.definitions import defs; print(json.dumps("
              "{s.name: s.default_status.value for s in [*defs.schedules, *defs.sensors]}))")
    raw = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())

    def statuses(automation: dict) -> dict[str, str]:
        (tmp_path / "wfm.yaml").write_text(yaml.safe_dump({**raw, "automation": automation}))
        env = {**os.environ, "WFM_CONFIG": str(tmp_path / "wfm.yaml")}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, timeout=120, cwd=PROJECT_ROOT, check=True)  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert set(statuses({}).values()) == {"STOPPED"}  # nothing runs unless asked
    on = statuses({"refresh_today": True, "new_data_sensor": True})
    assert on == {"refresh_today_schedule": "RUNNING", "finalise_yesterday_schedule": "STOPPED",
                  "reexport_yesterday_schedule": "STOPPED", "purge_job_schedule": "STOPPED",
                  "new_data_sensor": "RUNNING"}  # fmt: skip
