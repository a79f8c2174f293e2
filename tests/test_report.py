"""``wfm-connector report``: the reconciled tables of the hand-worked day, read without SQL.

The data are those of test_reconcile_hand_worked (2026-11-02, America/New_York, EST = UTC-5,
15-minute intervals), plus one contact (C7) transferred to agent B through B's agent queue, so
agent-queue rows have a direct contact. Times in comments are UTC unless marked local.
"""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from typer.testing import CliRunner

from tests.test_reconcile_hand_worked import (
    AGENT_A,
    AGENT_A_CHANGES,
    AGENT_B,
    AGENT_B_CHANGES,
    CTRS,
    DAY,
    INSTANCE,
    QUEUE,
    cfg,
    ctr,
    records,
    stable_id,
    with_heartbeats,
)
from wfm_connector import pipeline, report
from wfm_connector.cli import ReportName, app
from wfm_connector.ingest import ingest
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.integration

A, B = "0001", "0002"  # the agents' usernames (the events carry the ARN's last 4 characters)
A_ID, B_ID, Q_ID = stable_id(AGENT_A), stable_id(AGENT_B), stable_id(QUEUE)
# C7: a transfer to agent B through B's agent queue (not a queue of the contact center),
# disconnected 15:01:30 = 10:00 local; handle time 66 + 0 + 10 = 76 s.
DIRECT = {
    "ContactId": "C7", "Channel": "VOICE", "InitiationMethod": "TRANSFER",
    "InitiationTimestamp": "2026-11-02T15:00:20Z", "DisconnectTimestamp": "2026-11-02T15:01:30Z",
    "LastUpdateTimestamp": "2026-11-02T15:05:00Z",
    "Queue": {"ARN": f"{INSTANCE}/queue/agent/bbbbbbbb-0000-0000-0000-000000000002",
              "EnqueueTimestamp": "2026-11-02T15:00:20Z", "Duration": 4},
    "Agent": {"ARN": AGENT_B, "ConnectedToAgentTimestamp": "2026-11-02T15:00:24Z",
              "AgentInteractionDuration": 66, "CustomerHoldDuration": 0,
              "AfterContactWorkDuration": 10},
}  # fmt: skip
YAML = """\
connect: {instance_arn: "%s"}
timezone: America/New_York
interval_minutes: 15
sources: {contact_records: {kind: local_folder, path: "%s"}}
"""


@pytest.fixture
def reconciled(db, tmp_path):
    """The hand-worked day (and C7) ingested and reconciled; the configuration used."""
    config = cfg(tmp_path)
    events = with_heartbeats(AGENT_A_CHANGES) + with_heartbeats(AGENT_B_CHANGES)
    ingest(db, Stream.AGENT_EVENTS, records(events, shuffle_seed=3), batch_size=7)
    ingest(db, Stream.CONTACT_RECORDS, records([*CTRS, DIRECT], shuffle_seed=5))
    window = pipeline.window_for(config, DAY)
    pipeline.reconcile_agents(db, config, window)
    pipeline.reconcile_queues(db, config, window)
    return config


@pytest.fixture
def cli(reconciled, tmp_path, monkeypatch):
    """Run ``wfm-connector report ...`` with a YAML config; returns (exit code, output)."""
    path = tmp_path / "wfm.yaml"
    path.write_text(YAML % (INSTANCE, tmp_path))
    monkeypatch.setenv("WFM_CONFIG", str(path))  # the CLI sets it too; undone after the test

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["report", *args, "--config", str(path)])
        return result.exit_code, result.output

    return run


def as_json(run, *args: str) -> list[dict]:
    code, out = run(*args, "--format", "json")
    assert code == 0, out
    return orjson.loads(out)


def as_csv(run, *args: str) -> tuple[list[str], list[dict]]:
    code, out = run(*args, "--format", "csv")
    assert code == 0, out
    reader = csv.DictReader(io.StringIO(out))
    return reader.fieldnames, list(reader)


def subset(row: dict, keys) -> dict:
    return {k: row[k] for k in keys}


# --- the key lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "metrics", "skipped"),
    [
        ("agent_interval_activity", report.AGENT_METRICS, {"day", "agent_arn", "interval_start"}),
        ("queue_interval", report.QUEUE_METRICS,
         {"day", "attribution", "queue_arn", "channel", "interval_start"}),
        ("agent_queue_interval", report.AGENT_QUEUE_METRICS,
         {"day", "attribution", "agent_arn", "queue_arn", "channel", "interval_start"}),
    ],
)  # fmt: skip
def test_metric_columns_are_the_tables_in_table_order(db, table, metrics, skipped):
    found = [
        name
        for (name,) in db.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'wfm' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    ]
    assert list(metrics) == [c for c in found if c not in skipped]


def test_report_names_are_the_clis():
    assert sorted(report.REPORTS) == sorted(n.value for n in ReportName)


# --- agent intervals ----------------------------------------------------------------------

# Agent A, 14:00-14:15 (09:00 local): Available throughout, so online 900. No contact
# 14:00-14:10 = 600 s idle; C1 rings 14:10:00-14:10:05 = 5 s (neither idle nor on contact);
# talk 14:10:05-14:13:00 + 14:14:00-14:15:00 = 175 + 60 = 235; hold 14:13-14:14 = 60.
# on_contact_s = talk + hold = 235 + 60 = 295; occupancy 295 / (295 + 600) = 32.96 %.
# C1 is first listed by an event at 14:10:00: routed 1.
A_0900 = {
    "interval_start": "2026-11-02T09:00:00-05:00", "agent": A, "agent_id": A_ID,
    "online_s": 900, "on_contact_s": 295, "contact_handle_s": 295, "idle_s": 600, "npt_s": 0,
    "npt_by_status": {}, "error_s": 0, "ringing_s": 5, "unknown_s": 0, "talk_wall_s": 235,
    "hold_wall_s": 60, "acw_wall_s": 0, "interaction_s": 235, "hold_s": 60, "acw_s": 0,
    "on_contact_voice_s": 295, "occupancy_pct": 32.96, "contacts_routed": 1,
    "contacts_missed": 0,
}  # fmt: skip
# Agent A, 14:15-14:30 (09:15 local): talk 14:15-14:20 = 300; ACW 14:20:00-14:21:30.5 = 90.5;
# idle 14:21:30.5-14:25 = 209.5; Break 14:25-14:30 = 300 (non-productive, still online).
# online 300 + 90.5 + 209.5 + 300 = 900; on contact 300 + 90.5 = 390.5;
# occupancy 390.5 / (390.5 + 209.5) = 65.08 %.
A_0915 = {
    "interval_start": "2026-11-02T09:15:00-05:00", "agent": A, "agent_id": A_ID,
    "online_s": 900, "on_contact_s": 390.5, "idle_s": 209.5, "npt_s": 300,
    "npt_by_status": {"Break": 300}, "acw_s": 90.5, "hold_s": 0, "unknown_s": 0,
    "interaction_s": 300, "occupancy_pct": 65.08, "contacts_routed": 0,
}  # fmt: skip
# Every agent-interval with data: A logs in at 13:58:00 (Offline 30.25 s, not online), then
# Available 13:58:30.25-14:00 = 89.75 idle (occupancy 0 / 89.75 = 0); 14:30-14:45: Break
# 14:30-14:40 = 600, Offline until the LOGOUT at 14:40:10 (not online): no on-contact or idle
# time, so no occupancy. B: Available 15:00-15:02 = 120, Break 15:02 until one heartbeat
# period (120 s) after its last event = 120.
AGENT_ROWS = [
    ("2026-11-02T08:45:00-05:00", A, 89.75, 89.75, 0, 0),
    ("2026-11-02T09:00:00-05:00", A, 900, 600, 0, 32.96),
    ("2026-11-02T09:15:00-05:00", A, 900, 209.5, 300, 65.08),
    ("2026-11-02T09:30:00-05:00", A, 600, 0, 600, None),
    ("2026-11-02T10:00:00-05:00", B, 240, 120, 120, 0),
]
AGENT_KEYS = ("interval_start", "agent", "online_s", "idle_s", "npt_s", "occupancy_pct")


def test_agent_intervals_rows(reconciled, db):
    rows = report.agent_intervals(db, reconciled, DAY)
    assert [tuple(r[k] for k in AGENT_KEYS) for r in rows] == AGENT_ROWS
    assert all(list(r) == report.columns(report.AGENT_INTERVALS, reconciled) for r in rows)
    assert subset(rows[1], A_0900) == A_0900
    assert subset(rows[2], A_0915) == A_0915
    assert rows[-1]["agent_id"] == B_ID


def test_agent_intervals_json(cli, reconciled, db):
    rows = as_json(cli, "agent-intervals", "--day", "2026-11-02")
    assert rows == report.agent_intervals(db, reconciled, DAY)
    assert {"online_s", "on_contact_s", "acw_s", "hold_s", "idle_s", "unknown_s"} <= set(rows[0])
    assert "agent_arn" not in rows[0] and "day" not in rows[0]
    assert subset(rows[1], A_0900) == A_0900
    assert isinstance(rows[1]["online_s"], int) and isinstance(rows[2]["acw_s"], float)
    only_b = as_json(cli, "agent-intervals", "--day", "2026-11-02", "--agent", B)
    assert [(r["interval_start"], r["agent"], r["online_s"]) for r in only_b] == [
        ("2026-11-02T10:00:00-05:00", B, 240)
    ]


def test_agent_intervals_csv(cli, reconciled):
    header, rows = as_csv(cli, "agent-intervals", "--day", "2026-11-02", "--agent", A)
    assert header == report.columns(report.AGENT_INTERVALS, reconciled)
    assert [r["interval_start"][11:16] for r in rows] == ["08:45", "09:00", "09:15", "09:30"]
    nine = rows[1]
    assert (nine["online_s"], nine["on_contact_s"], nine["idle_s"], nine["ringing_s"]) == (
        "900", "295", "600", "5",
    )  # fmt: skip
    assert (nine["hold_s"], nine["occupancy_pct"], nine["npt_by_status"]) == ("60", "32.96", "{}")
    assert orjson.loads(rows[2]["npt_by_status"]) == {"Break": 300}
    assert (rows[2]["acw_s"], rows[2]["on_contact_s"]) == ("90.5", "390.5")
    assert rows[3]["occupancy_pct"] == ""  # NULL: neither on contact nor idle


def test_agent_intervals_table(cli):
    code, out = cli("agent-intervals", "--day", "2026-11-02")
    assert code == 0, out
    assert max(len(line) for line in out.splitlines()) <= 120 and "…" not in out
    for header in ("time", "agent", "online_s", "on_contact_s", "idle_s", "npt_s", "acw_s"):
        assert header in out
    lines = [line for line in out.splitlines() if "09:15" in line]
    assert len(lines) == 1
    # time, agent, online, on contact, idle, npt, acw, hold, unknown, occupancy
    assert [c.strip() for c in lines[0].split("│")[1:-1]] == [
        "09:15", A, "900", "390.5", "209.5", "300", "90.5", "0", "0", "65.08",
    ]  # fmt: skip


def test_agent_names_are_current(cli, reconciled, db):
    db.execute("UPDATE wfm.agent SET username = 'alice' WHERE agent_arn = %s", (AGENT_A,))
    rows = as_json(cli, "agent-intervals", "--day", "2026-11-02", "--agent", "alice")
    assert [r["agent"] for r in rows] == ["alice"] * 4
    code, out = cli("agent-intervals", "--day", "2026-11-02", "--agent", A)
    assert code == 2
    assert f"no agent is currently named '{A}'" in out
    code, out = cli("agent-intervals", "--day", "2026-11-02", "--agent", "Alice")
    assert code == 2
    assert "did you mean 'alice'?" in out


# --- queue intervals ----------------------------------------------------------------------

# By disconnect (the default), 14:15-14:30 (09:15 local): C1 disconnected 14:20:00 after 30 s
# in queue (answered), C3 disconnected 14:15:02 after 12 s (abandoned). Offered 2, handled 1,
# abandoned 1. Within 20 s only C3 (30 is not < 20): 1 / 2 = 50 %; within 45 s both: 100 %.
# AHT = (235 talk + 60 hold + 90 ACW) / 1 = 385; ASA = 30 / 1.
Q_0915 = {
    "interval_start": "2026-11-02T09:15:00-05:00", "queue": "Q", "queue_id": Q_ID,
    "channel": "VOICE", "attribution": "disconnect", "offered": 2, "contacts_queued": 2,
    "handled": 1, "answered": 1, "abandoned": 1, "abandoned_short": 0, "aht_s": 385,
    "asa_s": 30, "handle_time_s": 385, "agent_available_s": 209.5,
    "service_level_15_pct": 50, "service_level_20_pct": 50, "service_level_30_pct": 50,
    "service_level_45_pct": 100, "removed_within_20": 1, "removed_within_45": 2,
}  # fmt: skip
QUEUE_KEYS = ("offered", "handled", "abandoned", "service_level_20_pct")
# Intervals with contacts. Disconnect: C2 (abandoned after 3 s) at 14:12:03; C1 and C3 as
# above; C5 (abandoned after 400 s) and C6 (flow disconnect, not an abandon) at 14:3x.
# Enqueue: C1 (30 s), C2 (3 s), C3 (12 s) entered 14:05-14:15: 2 of 3 within 20 s = 66.67 %.
# C4 (outbound, never queued) and C7 (agent queue) are not offered.
BUSY = {
    "disconnect": {"09:00": (1, 0, 1, 100), "09:15": (2, 1, 1, 50), "09:30": (2, 0, 1, 0)},
    "enqueue": {"09:00": (3, 1, 2, 66.67), "09:30": (2, 0, 1, 0)},
}


@pytest.mark.parametrize("attribution", ["disconnect", "enqueue"])
def test_queue_intervals_json(cli, reconciled, db, attribution):
    args = ("queue-intervals", "--day", "2026-11-02")
    rows = as_json(
        cli, *args, *(("--attribution", attribution) if attribution == "enqueue" else ())
    )
    assert rows == report.queue_intervals(db, reconciled, DAY, attribution=attribution)
    assert len(rows) == 96  # dense: every interval of the day, one queue, one channel
    assert {r["attribution"] for r in rows} == {attribution}
    busy = {
        r["interval_start"][11:16]: tuple(r[k] for k in QUEUE_KEYS) for r in rows if r["offered"]
    }
    assert busy == BUSY[attribution]
    assert rows[0]["service_level_20_pct"] is None  # nothing queued: no service level
    if attribution == "disconnect":
        assert subset(rows[37], Q_0915) == Q_0915


def test_queue_intervals_keys(reconciled, db):
    rows = report.queue_intervals(db, reconciled, DAY)
    keys = list(rows[0])
    sl = [f"service_level_{x}_pct" for x in reconciled.queue_log.thresholds]
    within = [f"removed_within_{x}" for x in reconciled.queue_log.thresholds]
    assert keys[:6] == ["interval_start", "queue", "queue_id", "channel", "attribution", "offered"]
    assert keys[6:-24] == list(report.QUEUE_METRICS)
    assert keys[-24:] == sl + within
    assert "service_level_20_pct" in sl and len(sl) == 12


def test_queue_intervals_csv_and_filter(cli, reconciled):
    header, rows = as_csv(cli, "queue-intervals", "--day", "2026-11-02", "--queue", "Q")
    assert header == report.columns(report.QUEUE_INTERVALS, reconciled)
    assert len(rows) == 96
    row = rows[37]
    assert subset(row, ["interval_start", "queue", "queue_id", "offered", "handled"]) == {
        "interval_start": "2026-11-02T09:15:00-05:00", "queue": "Q", "queue_id": str(Q_ID),
        "offered": "2", "handled": "1",
    }  # fmt: skip
    assert (row["abandoned"], row["service_level_20_pct"], row["aht_s"]) == ("1", "50", "385")
    assert rows[0]["service_level_20_pct"] == "" and rows[0]["aht_s"] == ""


def test_queue_intervals_table(cli):
    code, out = cli("queue-intervals", "--day", "2026-11-02", "--attribution", "enqueue")
    assert code == 0, out
    assert "enqueue attribution" in out and "sl_20_pct" in out
    line = next(line for line in out.splitlines() if "│ 09:00" in line)
    # time, queue, channel, offered, handled, abandoned, SL 20, AHT, ASA
    assert [c.strip() for c in line.split("│")[1:-1]] == [
        "09:00", "Q", "VOICE", "3", "1", "2", "66.67", "385", "30",
    ]  # fmt: skip
    assert max(len(line) for line in out.splitlines()) <= 120


def test_names_are_not_markup(cli, db):
    db.execute("UPDATE wfm.queue SET queue_name = 'Sales [bold]EN' WHERE queue_arn = %s", (QUEUE,))
    code, out = cli("agent-queue-intervals", "--day", "2026-11-02", "--queue", "Sales [bold]EN")
    assert code == 0, out
    assert "│ Sales [bold]EN │" in out
    code, out = cli("queue-intervals", "--day", "2026-11-02", "--queue", "sales [bold]en")
    assert code == 2
    assert "did you mean 'Sales [bold]EN'?" in out


def test_unknown_queue(cli):
    code, out = cli("queue-intervals", "--day", "2026-11-02", "--queue", "q")
    assert code == 2
    assert "no queue is currently named 'q'" in out and "did you mean 'Q'?" in out
    code, out = cli("queue-intervals", "--day", "2026-11-02", "--queue", "Sales")
    assert code == 2
    assert "no queue is currently named 'Sales'" in out and "did you mean" not in out


# --- agent-queue intervals ----------------------------------------------------------------

# By disconnect: C1 (agent A, queue Q) at 14:20:00 -> 09:15 local: interaction 235, hold 60,
# ACW 90 (the newer copy of the record), handle time 385. C7 (agent B, through its agent
# queue: direct) at 15:01:30 -> 10:00 local: 66 + 0 + 10 = 76, a transfer in.
AQ_KEYS = ("interval_start", "agent", "queue", "handled", "handled_transfer", "interaction_s",
           "hold_s", "acw_s", "handle_time_s")  # fmt: skip
AQ_ROWS = [
    {"interval_start": "2026-11-02T09:15:00-05:00", "agent": A, "queue": "Q", "handled": 1,
     "handled_transfer": 0, "interaction_s": 235, "hold_s": 60, "acw_s": 90, "handle_time_s": 385},
    {"interval_start": "2026-11-02T10:00:00-05:00", "agent": B, "queue": None, "handled": 1,
     "handled_transfer": 1, "interaction_s": 66, "hold_s": 0, "acw_s": 10, "handle_time_s": 76},
]  # fmt: skip


def test_agent_queue_intervals_json(cli, reconciled, db):
    rows = as_json(cli, "agent-queue-intervals", "--day", "2026-11-02")
    assert rows == report.agent_queue_intervals(db, reconciled, DAY)
    assert list(rows[0]) == report.columns(report.AGENT_QUEUE_INTERVALS, reconciled)
    assert [subset(r, AQ_KEYS) for r in rows] == AQ_ROWS
    assert (rows[0]["agent_id"], rows[0]["queue_id"], rows[0]["channel"]) == (A_ID, Q_ID, "VOICE")
    assert (rows[1]["agent_id"], rows[1]["queue_id"]) == (B_ID, None)
    assert {r["attribution"] for r in rows} == {"disconnect"}
    # By enqueue, C1 counts when it entered the queue, 14:05:10 -> 09:00 local.
    by_enqueue = as_json(
        cli, "agent-queue-intervals", "--day", "2026-11-02", "--attribution", "enqueue"
    )
    assert [(r["interval_start"][11:16], r["agent"], r["queue"]) for r in by_enqueue] == [
        ("09:00", A, "Q"), ("10:00", B, None),
    ]  # fmt: skip


def test_agent_queue_intervals_filters(cli):
    only_a = as_json(cli, "agent-queue-intervals", "--day", "2026-11-02", "--agent", A)
    assert [subset(r, AQ_KEYS) for r in only_a] == AQ_ROWS[:1]
    only_q = as_json(cli, "agent-queue-intervals", "--day", "2026-11-02", "--queue", "Q")
    assert [subset(r, AQ_KEYS) for r in only_q] == AQ_ROWS[:1]
    none = as_json(
        cli, "agent-queue-intervals", "--day", "2026-11-02", "--agent", B, "--queue", "Q"
    )
    assert none == []


def test_agent_queue_intervals_csv(cli, reconciled):
    header, rows = as_csv(cli, "agent-queue-intervals", "--day", "2026-11-02")
    assert header == report.columns(report.AGENT_QUEUE_INTERVALS, reconciled)
    assert [(r["agent"], r["queue"], r["queue_id"], r["handle_time_s"]) for r in rows] == [
        (A, "Q", str(Q_ID), "385"), (B, "(direct)", "", "76"),
    ]  # fmt: skip


def test_agent_queue_intervals_table(cli):
    code, out = cli("agent-queue-intervals", "--day", "2026-11-02")
    assert code == 0, out
    assert "xfer_out_int" in out and "xfer_out_ext" in out and "…" not in out
    cells = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in out.splitlines()
        if line.startswith("│ 09:15") or line.startswith("│ 10:00")
    ]
    # time, agent, queue, channel, handled, handle time, ACW, transferred out int./ext.
    assert cells == [
        ["09:15", A, "Q", "VOICE", "1", "385", "90", "0", "0"],
        ["10:00", B, "(direct)", "VOICE", "1", "76", "10", "0", "0"],
    ]


# --- errors and empty days ----------------------------------------------------------------


def test_unknown_agent(cli):
    code, out = cli("agent-queue-intervals", "--day", "2026-11-02", "--agent", "nobody")
    assert code == 2
    assert "error:" in out and "no agent is currently named 'nobody'" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("agent-intervals", "--day", "2026-13-02"), "not a date (YYYY-MM-DD): '2026-13-02'"),
        (("agent-intervals", "--day", "2026-11-02", "--queue", "Q"),
         "--queue does not apply to agent-intervals"),
        (("agent-intervals", "--day", "2026-11-02", "--attribution", "enqueue"),
         "--attribution does not apply to agent-intervals"),
        (("queue-intervals", "--day", "2026-11-02", "--agent", A),
         "--agent does not apply to queue-intervals"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(cli, args, message):
    code, out = cli(*args)
    assert code == 2
    assert message in out


def test_bad_choice_exits_2(cli):
    code, _ = cli("agent-intervals", "--day", "2026-11-02", "--format", "xml")
    assert code == 2
    code, _ = cli("agent-states", "--day", "2026-11-02")
    assert code == 2


@pytest.mark.parametrize("name", report.REPORTS)
def test_a_day_without_rows(cli, reconciled, name):
    args = (name, "--day", "2026-11-03")
    assert as_json(cli, *args) == []
    header, rows = as_csv(cli, *args)
    assert (header, rows) == (report.columns(name, reconciled), [])
    code, out = cli(*args)
    assert code == 0
    assert "no rows for 2026-11-03" in out


def test_the_repeated_hour_of_the_autumn_dst_day(cli, db, tmp_path):
    # 2026-11-01 New York: 01:00-02:00 local happens twice (EDT, then EST); one abandon in each.
    # The table shows the offset on such a day, since two intervals share each local time.
    first = ctr("D1", "2026-11-01T05:20:00Z", "2026-11-01T05:10:00Z", 7, "2026-11-01T05:10:07Z")
    second = ctr("D2", "2026-11-01T06:20:00Z", "2026-11-01T06:10:00Z", 9, "2026-11-01T06:10:09Z")
    for record in (first, second):
        record["DisconnectReason"] = "CUSTOMER_DISCONNECT"
    ingest(db, Stream.CONTACT_RECORDS, records([first, second]))
    config = cfg(tmp_path)
    pipeline.reconcile_queues(db, config, pipeline.window_for(config, DAY.replace(day=1)))
    rows = as_json(cli, "queue-intervals", "--day", "2026-11-01")
    assert len(rows) == 100  # 25 hours
    busy = [(r["interval_start"], r["abandoned"]) for r in rows if r["offered"]]
    assert busy == [("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 1)]
    code, out = cli("queue-intervals", "--day", "2026-11-01")
    assert code == 0, out
    times = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│ ")]
    assert times[4:9] == ["01:00-04:00", "01:15-04:00", "01:30-04:00", "01:45-04:00", "01:00-05:00"]
