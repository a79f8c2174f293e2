"""Golden file of the Calabrio agent log (wfm-formats.md section 2) on a hand-built day.

2026-11-02, America/New_York (UTC-5: 14:00Z is 09:00 local), 15-minute intervals, agent a1:

- events: Available 14:00:00, Break 14:05:00, Available 14:10:00, LOGOUT 14:20:00. So in
  09:00-09:15 online 900 s (Available 300 + Break 300 + Available 300), non-productive 300,
  idle 600 (no contact shows in its events); in 09:15-09:30 online 300, idle 300.
- V1: Sales, inbound, queued 14:01:00, answered: talk 100 + hold 20, ACW 30, transferred to an
  external number -> Sales row 09:00: work 150, talking 120, wrap-up 30, answered 1, transfer 1.
- D1: straight to the agent (quick connect, no queue), initiated 14:12:45, talk 40, ACW 5
  -> default-queue row 09:00: work 45, direct in 1 / 40 s, wrap-up 5.
- O1: outbound from the Outbound queue, initiated 14:17:10 (no queue time), talk 60, ACW 10
  -> Outbound row 09:15: work 70, talking 0, wrap-up 10, direct out 1 / 60 s.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.test_connect_parity import (
    AGENT,
    OUTBOUND_QUEUE,
    QUEUE,
    Agent,
    config,
    ctr,
    reconcile,
    stable_id,
)
from wfm_connector import pipeline

pytestmark = pytest.mark.integration

EVENTS = (Agent().change("14:00:00", "Available").change("14:05:00", "Break")
          .change("14:10:00", "Available").change("14:20:00", "Offline", event_type="LOGOUT")
          ).events()  # fmt: skip
CTRS = [
    ctr("V1", "14:03:10", enqueue="14:01:00", duration=10, agent=AGENT, connected="14:01:10",
        talk=100, hold=20, acw=30, external=True),
    ctr("D1", "14:12:45", queue=None, agent=AGENT, connected="14:12:00", talk=40, acw=5,
        method="TRANSFER"),
    ctr("O1", "14:17:10", queue=OUTBOUND_QUEUE, queue_name="Outbound", agent=AGENT,
        connected="14:16:00", talk=60, acw=10, method="OUTBOUND"),
]  # fmt: skip


def export(db, tmp_path, **profile) -> str:
    cfg = config(tmp_path, export_profiles=[
        {"name": "agents", "format": "calabrio_agent_log", "target": "local", **profile}])  # fmt: skip
    window = reconcile(db, cfg, EVENTS, CTRS)
    [result] = pipeline.export_day(db, cfg, window)
    path = Path(result.location("local"))
    assert path.name == "calabrio_agent_agents_20261102.csv"
    return path.read_text(encoding="utf-8")


def test_agent_log_exact_bytes(db, tmp_path):
    a, sales, outbound = stable_id(AGENT), stable_id(QUEUE), stable_id(OUTBOUND_QUEUE)
    # fields: interval;date;time;queue;agent_id;agent_name;avail;tot_work;talking;pause;wait;
    # wrap_up;answ;out_cnt;out_dur;in_cnt;in_dur;transfer_out;admin
    assert export(db, tmp_path) == (
        f"15;20261102;09:00;0;{a};{a};900;45;0;300;600;5;0;0;0;1;40;0;0\n"
        f"15;20261102;09:00;{sales};{a};{a};0;150;120;0;0;30;1;0;0;0;0;1;0\n"
        f"15;20261102;09:15;0;{a};{a};300;0;0;0;300;0;0;0;0;0;0;0;0\n"
        f"15;20261102;09:15;{outbound};{a};{a};0;70;0;0;0;10;0;1;60;0;0;0;0\n"
    )


def test_names_only_when_asked_and_another_default_queue(db, tmp_path):
    rows = list(csv.reader(io.StringIO(export(db, tmp_path, agent_names=True,
                                              default_queue_id=999, delimiter=","))))  # fmt: skip
    username = db.execute("SELECT username FROM wfm.agent").fetchone()[0]
    assert {r[5] for r in rows} == {username}
    assert [r[3] for r in rows][::2] == ["999", "999"]  # the no-queue rows


def test_the_export_command_writes_one_profile_to_any_target(db, tmp_path, monkeypatch):
    import yaml
    from typer.testing import CliRunner

    from tests.test_connect_parity import INSTANCE
    from wfm_connector.cli import app

    reconcile(db, config(tmp_path), EVENTS, CTRS)
    path = tmp_path / "wfm.yaml"
    path.write_text(yaml.safe_dump({
        "connect": {"instance_arn": INSTANCE}, "timezone": "America/New_York",
        "sources": {"agent_events": {"kind": "local_folder", "path": str(tmp_path)}},
        "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "out")},
                           "backup": {"kind": "local_folder", "path": str(tmp_path / "bak")}},
        "export_profiles": [{"name": "agents", "format": "calabrio_agent_log"}],
    }))  # fmt: skip
    monkeypatch.setenv("WFM_CONFIG", str(path))
    runner = CliRunner()
    ok = runner.invoke(app, ["export", "--profile", "agents", "--day", "2026-11-02", "--to", "backup"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "bak" / "calabrio_agent_agents_20261102.csv").read_text().count("\n") == 4
    assert not (tmp_path / "out").exists()
    bad = runner.invoke(app, ["export", "--profile", "agent", "--day", "2026-11-02"])
    assert bad.exit_code == 2 and "no export profile named 'agent' (configured: ['agents'])" in bad.output
