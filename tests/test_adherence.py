"""Schedule adherence, one hand-worked case per rule of Amazon Connect's definition.

Rules (shared/reference/metrics.md, "Schedule adherence"; Administrator Guide, schedule
adherence): adherence % = adherent / scheduled over activities with tracking on; adherent = a
routable status during a productive activity, or any custom status during any non-productive
one; everything else during a scheduled activity is non-adherent (Offline and logged out
included); time outside the schedule counts nowhere; handling contacts does not matter.
Day 2026-11-02, America/New_York (UTC-5), 15-minute intervals; times below are UTC.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from tests.test_connect_parity import AGENT, AGENT_2, DAY, Agent, config, records, stable_id
from wfm_connector import pipeline, schedules
from wfm_connector.ingest import ingest
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.integration
HEADER = "agent,start,end,activity,productive,adherence_tracked\n"


def schedule(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def run(db, tmp_path, events, plan: bytes, day=DAY, **cfg_extra):
    cfg = config(tmp_path, **cfg_extra)
    ingest(db, Stream.AGENT_EVENTS, records(events))
    for arn in (AGENT, AGENT_2):  # agents known to Connect, with or without events that day
        db.execute("INSERT INTO wfm.agent (agent_id, agent_arn, username) VALUES "
                   "(wfm.stable_id(%s), %s, %s) ON CONFLICT DO NOTHING", (arn, arn, arn[-2:]))  # fmt: skip
    schedules.import_schedule(db, plan, "plan.csv", cfg.timezone, 30, loaded_by="test", today=day)
    window = pipeline.window_for(cfg, day)
    pipeline.reconcile_agents(db, cfg, window)
    pipeline.reconcile_adherence(db, cfg, window)
    return cfg, window


def day_row(db, agent=AGENT) -> tuple:
    return db.execute(
        "SELECT scheduled_s, adherent_s, non_adherent_s, unknown_s, adherence_pct "
        "FROM wfm.adherence_day WHERE agent_arn = %s", (agent,)
    ).fetchone()  # fmt: skip


def d(*values) -> tuple:
    return tuple(None if v is None else Decimal(str(v)) for v in values)


def test_adherent_by_status_kind_not_by_name_and_time_outside_the_schedule_is_free(db, tmp_path):
    # Scheduled 14:00-15:00 Phone (productive) and 15:00-15:30 "Lunch" flagged productive.
    # Actual: Available from 13:50 (10 min early: not counted), Break 14:40-15:10, Available
    # 15:10-15:40 (10 min late: not counted).
    # 14:00-14:40 Available during Phone: adherent 2400; 14:40-15:00 Break during Phone: not
    # (1200); 15:00-15:10 Break during productive "Lunch": not (600); 15:10-15:30 adherent 1200.
    events = (Agent().change("13:50:00", "Available").change("14:40:00", "Break")
              .change("15:10:00", "Available").change("15:40:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true,",
                    f"{AGENT},2026-11-02T15:00:00Z,2026-11-02T15:30:00Z,Lunch,true,")  # fmt: skip
    run(db, tmp_path, events, plan)
    # 3600 adherent of 5400 scheduled = 66.67 %
    assert day_row(db) == d(5400, 3600, 1800, 0, "66.67")
    per_interval = db.execute(
        "SELECT to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI'), adherent_s, non_adherent_s "
        "FROM wfm.adherence_interval ORDER BY 1"
    ).fetchall()
    assert per_interval == [
        ("14:00", Decimal("900"), Decimal("0")), ("14:15", Decimal("900"), Decimal("0")),
        ("14:30", Decimal("600"), Decimal("300")), ("14:45", Decimal("0"), Decimal("900")),
        ("15:00", Decimal("300"), Decimal("600")), ("15:15", Decimal("900"), Decimal("0")),
    ]  # fmt: skip


def test_any_custom_status_matches_any_non_productive_activity_but_offline_does_not(db, tmp_path):
    # Scheduled Break 16:00-16:30 (non-productive). Actual: Training 16:00-16:10 (a custom
    # status: adherent 600), Offline 16:10-16:20 (non-adherent 600), logged out 16:20-16:30
    # (non-adherent 600). 600 / 1800 = 33.33 %
    # (payloads without Type here: the name mapping says Training is a custom status)
    events = (Agent(typed=False).change("16:00:00", "Training").change("16:10:00", "Offline")
              .change("16:20:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T16:00:00Z,2026-11-02T16:30:00Z,Break,false,")
    run(db, tmp_path, events, plan, status_categories={"Training": "non_productive"})
    assert day_row(db) == d(1800, 600, 1200, 0, "33.33")


def test_contacts_do_not_matter_and_untracked_activities_add_nothing(db, tmp_path):
    # Available all along 17:00-18:00, on a call 17:10-17:40: adherent either way during the
    # tracked Phone 17:00-17:30; the untracked Meeting 17:30-18:00 adds no scheduled time.
    events = (Agent().change("17:00:00", "Available")
              .change("17:10:00", "Available", ("C", "CONNECTED"))
              .change("17:40:00", "Available")
              .change("18:00:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T17:00:00Z,2026-11-02T17:30:00Z,Phone,true,true",
                    f"{AGENT},2026-11-02T17:30:00Z,2026-11-02T18:00:00Z,Meeting,false,false")  # fmt: skip
    run(db, tmp_path, events, plan)
    assert day_row(db) == d(1800, 1800, 0, 0, "100.00")


def test_leaving_early_and_a_schedule_without_any_event(db, tmp_path):
    # Agent 1 logs out at 19:20 of a 19:00-20:00 Phone shift: 1200 adherent, 2400 not (33.33 %).
    # Agent 2 has a shift and no event at all that day: all 3600 s non-adherent, 0.00 %.
    events = (Agent().change("19:00:00", "Available")
              .change("19:20:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T19:00:00Z,2026-11-02T20:00:00Z,Phone,true,",
                    f"{AGENT_2},2026-11-02T19:00:00Z,2026-11-02T20:00:00Z,Phone,true,")  # fmt: skip
    run(db, tmp_path, events, plan)
    assert day_row(db) == d(3600, 1200, 2400, 0, "33.33")
    assert day_row(db, AGENT_2) == d(3600, 0, 3600, 0, "0.00")


def test_unknown_time_is_its_own_column_and_a_new_schedule_recomputes_the_day(db, tmp_path):
    # Available 21:00 with heartbeats lost 21:06-21:18 (as in the parity test): the 21:04 state
    # holds to 21:09, then unknown to 21:20, Break from 21:20. Scheduled Phone 21:00-21:30:
    # adherent 21:00-21:09 (540) and nothing after 21:20 (Break during Phone: 600 not);
    # unknown 660. Percentage over known time: 540 / (1800 - 660) = 47.37 %
    events = (Agent().change("21:00:00", "Available").change("21:20:00", "Break")
              .change("21:30:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    delivered = [e for e in events if not ("21:05:00" < e["EventTimestamp"][11:19] < "21:19:00")]
    plan = schedule(f"{AGENT},2026-11-02T21:00:00Z,2026-11-02T21:30:00Z,Phone,true,")
    cfg, window = run(db, tmp_path, delivered, plan)
    assert day_row(db) == d(1800, 540, 600, 660, "47.37")
    # The WFM system republishes: 21:20-21:30 becomes a Break. The day is marked for a rebuild
    # and the rebuild counts the Break as adherent: 540 + 600 = 1140 / 1140 = 100.00 %
    schedules.import_schedule(db, schedule(
        f"{AGENT},2026-11-02T21:00:00Z,2026-11-02T21:20:00Z,Phone,true,",
        f"{AGENT},2026-11-02T21:20:00Z,2026-11-02T21:30:00Z,Break,false,"),
        "plan-v2.csv", cfg.timezone, 30, today=DAY)  # fmt: skip
    assert db.execute("SELECT day FROM wfm.dirty_day").fetchall() == [(DAY,)]
    pipeline.reconcile_adherence(db, cfg, window)  # the new version alone, the timeline as it was
    assert day_row(db) == d(1800, 1140, 0, 660, "100.00")


def test_a_shift_crossing_midnight_counts_in_each_day_for_its_own_part(db, tmp_path):
    # 23:00-01:00 EST = 2026-11-03 04:00Z-06:00Z; the day 11-02 ends at 05:00Z. Available
    # 03:55Z-06:00Z on 11-03: 3600 s scheduled and adherent on 11-02, the rest is 11-03's.
    events = (Agent().change("03:55:00", "Available")
              .change("06:00:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    moved = [orjson.loads(orjson.dumps(e).replace(b"2026-11-02", b"2026-11-03")) for e in events]
    plan = schedule(f"{AGENT},2026-11-02T23:00:00-05:00,2026-11-03T01:00:00-05:00,Night,true,")
    run(db, tmp_path, moved, plan)
    assert day_row(db) == d(3600, 3600, 0, 0, "100.00")


def test_adherence_reports_in_every_format(db, tmp_path, database_url):
    import csv
    import io
    import json

    import yaml
    from typer.testing import CliRunner

    from wfm_connector import report
    from wfm_connector.cli import app

    # the leaving-early case: agent 1 ("user-a1", its username from its events) 1200 s
    # adherent of a 3600 s Phone shift; agent 2 ("a2", no events) 0 of 3600
    test_leaving_early_and_a_schedule_without_any_event(db, tmp_path)
    cfg = config(tmp_path)
    days = report.build(db, cfg, "adherence", DAY)
    assert [(r["day"], r["agent"], r["scheduled_s"], r["adherent_s"], r["adherence_pct"],
             r["conformance_pct"]) for r in days] == [
        ("2026-11-02", "a2", 3600, 0, 0, 0),
        ("2026-11-02", "user-a1", 3600, 1200, 33.33, 33.33),  # productive 1200 / planned 3600
    ]  # fmt: skip
    intervals = report.build(db, cfg, "adherence-intervals", DAY, agent="user-a1")
    # 19:00Z is 14:00 EST: 900 adherent in 14:00, 300 of 900 in 14:15, none after
    assert [(r["interval_start"], r["adherent_s"], r["non_adherent_s"]) for r in intervals] == [
        ("2026-11-02T14:00:00-05:00", 900, 0), ("2026-11-02T14:15:00-05:00", 300, 600),
        ("2026-11-02T14:30:00-05:00", 0, 900), ("2026-11-02T14:45:00-05:00", 0, 900),
    ]  # fmt: skip
    with pytest.raises(report.ReportError):
        report.build(db, cfg, "adherence", DAY, queue="Sales")
    config_path = tmp_path / "wfm.yaml"
    config_path.write_text(yaml.safe_dump({
        "connect": {"instance_arn": cfg.connect.instance_arn}, "timezone": cfg.timezone,
        "sources": {"agent_events": {"kind": "local_folder", "path": str(tmp_path)}},
    }))  # fmt: skip
    runner = CliRunner()

    def cli(*args):
        result = runner.invoke(app, ["report", *args, "--day", "2026-11-02", "--config",
                                     str(config_path)])  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.output

    assert json.loads(cli("adherence", "--format", "json"))[1]["adherence_pct"] == 33.33
    rows = list(csv.DictReader(io.StringIO(cli("adherence-intervals", "--format", "csv"))))
    assert len(rows) == 8
    assert (rows[1]["agent"], rows[1]["adherent_s"]) == ("user-a1", "900")
    table = cli("adherence")
    assert "33.33" in table and "a2" in table


def exceptions(db) -> list[tuple]:
    return db.execute(
        "SELECT to_char(start_ts AT TIME ZONE 'UTC', 'HH24:MI:SS'), "
        "to_char(end_ts AT TIME ZONE 'UTC', 'HH24:MI:SS'), activity, actual_status, "
        "actual_category, seconds FROM wfm.adherence_exception ORDER BY start_ts"
    ).fetchall()


def test_exceptions_are_the_non_adherent_spans_of_at_least_the_minimum(db, tmp_path):
    # Phone 14:00-15:00 and Break 15:00-15:15. Actual: Available 14:00; a 30 s Break blip at
    # 14:10:00 (under the 60 s minimum: no exception); Break 14:20-14:25 with a call from
    # 14:21 to 14:23 inside it (one span, not three); Available to 14:40; logged out until
    # 15:05 (spans the end of Phone and the start of the Break: two exceptions, one per
    # activity); Break 15:05-15:15 (adherent).
    events = (
        Agent().change("14:00:00", "Available").change("14:10:00", "Break")
        .change("14:10:30", "Available").change("14:20:00", "Break")
        .change("14:21:00", "Break", ("O", "CONNECTED", "VOICE", "OUTBOUND"))
        .change("14:23:00", "Break").change("14:25:00", "Available")
        .change("14:40:00", "Offline", event_type="LOGOUT")
    ).events() + (Agent().change("15:05:00", "Break")
                  .change("15:15:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true,",
                    f"{AGENT},2026-11-02T15:00:00Z,2026-11-02T15:15:00Z,Break,false,")  # fmt: skip
    run(db, tmp_path, events, plan)
    assert exceptions(db) == [
        ("14:20:00", "14:25:00", "Phone", "Break", "non_productive", Decimal("300")),
        ("14:40:00", "15:00:00", "Phone", "logged out", "logged_out", Decimal("1200")),
        ("15:00:00", "15:05:00", "Break", "logged out", "logged_out", Decimal("300")),
    ]
    # the blip is still non-adherent time, just not an exception: 30 + 300 + 1200 + 300
    assert day_row(db)[2] == Decimal("1830")
    # with no minimum, the blip is an exception too
    pipeline.reconcile_adherence(db, config(tmp_path, schedules={"exception_min_seconds": 0}),
                                 pipeline.window_for(config(tmp_path), DAY))  # fmt: skip
    assert len(exceptions(db)) == 4


def test_the_exceptions_report(db, tmp_path):
    from wfm_connector import report

    test_exceptions_are_the_non_adherent_spans_of_at_least_the_minimum(db, tmp_path)
    rows = report.build(db, config(tmp_path), "exceptions", DAY, agent="user-a1")
    assert [tuple(r.values()) for r in rows][:2] == [
        ("2026-11-02T09:10:00-05:00", "2026-11-02T09:10:30-05:00", "user-a1", stable(AGENT),
         "Phone", True, "Break", "non_productive", 30),
        ("2026-11-02T09:20:00-05:00", "2026-11-02T09:25:00-05:00", "user-a1", stable(AGENT),
         "Phone", True, "Break", "non_productive", 300),
    ]  # fmt: skip
    assert report.columns("exceptions", config(tmp_path)) == [
        "start", "end", "agent", "agent_id", "activity", "productive", "actual_status",
        "actual_category", "seconds",
    ]  # fmt: skip


def stable(arn: str) -> int:
    return stable_id(arn)


def intervals(db) -> list[tuple]:
    return db.execute(
        "SELECT to_char(interval_start AT TIME ZONE 'UTC', 'MM-DD HH24:MI'), scheduled_s, "
        "adherent_s, non_adherent_s FROM wfm.adherence_interval ORDER BY interval_start"
    ).fetchall()


def test_the_repeated_hour_of_the_autumn_dst_day(db, tmp_path):
    # 2026-11-01 in New York has 25 hours: 01:00-02:00 happens twice (05:00Z-06:00Z EDT, then
    # 06:00Z-07:00Z EST). Phone 05:30Z-06:30Z spans both; Available 05:20Z-06:40Z: four
    # quarter hours, 3600 s scheduled and adherent, each interval by its own UTC start.
    events = (Agent().change("05:20:00", "Available")
              .change("06:40:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    moved = [orjson.loads(orjson.dumps(e).replace(b"2026-11-02", b"2026-11-01")) for e in events]
    plan = schedule(f"{AGENT},2026-11-01T05:30:00Z,2026-11-01T06:30:00Z,Phone,true,")
    run(db, tmp_path, moved, plan, day=DAY.replace(day=1))
    quarter = (Decimal("900"), Decimal("900"), Decimal("0"))
    assert intervals(db) == [(f"11-01 {t}", *quarter) for t in ("05:30", "05:45", "06:00", "06:15")]


def test_thirty_minute_intervals(db, tmp_path):
    # The leaving-early case with 30-minute intervals: 19:00-19:30 holds 1200 adherent and
    # 600 not; 19:30-20:00 is all 1800 non-adherent.
    events = (Agent().change("19:00:00", "Available")
              .change("19:20:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T19:00:00Z,2026-11-02T20:00:00Z,Phone,true,")
    run(db, tmp_path, events, plan, interval_minutes=30)
    d18, d0, d6, d12 = (Decimal(x) for x in ("1800", "0", "600", "1200"))
    assert intervals(db) == [("11-02 19:00", d18, d12, d6), ("11-02 19:30", d18, d0, d18)]


def test_the_intraday_view_says_who_is_adherent_now(db, tmp_path):
    from datetime import UTC, datetime

    from wfm_connector.reconcile import run as reconcile_run

    # At 14:30Z: agent 1 is scheduled for Phone and has been on Break since 14:20 (not
    # adherent); agent 2 is scheduled for Phone, logged out (not adherent). At 14:10Z agent 1
    # was Available (adherent, since 14:00).
    events = (Agent().change("14:00:00", "Available").change("14:20:00", "Break")
              .change("14:40:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true,",
                    f"{AGENT_2},2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true,")  # fmt: skip
    cfg, window = run(db, tmp_path, events, plan)

    def now_at(hms: str) -> list[tuple]:
        h, m, s = (int(x) for x in hms.split(":"))
        as_of = datetime(2026, 11, 2, h, m, s, tzinfo=UTC)
        reconcile_run.adherence_now(db, window, cfg, as_of=as_of)
        return db.execute(
            "SELECT agent_arn, activity, status_name, status_category, "
            "to_char(since AT TIME ZONE 'UTC', 'HH24:MI'), adherent FROM wfm.adherence_now "
            "ORDER BY agent_arn"
        ).fetchall()

    assert now_at("14:30:00") == [
        (AGENT, "Phone", "Break", "non_productive", "14:20", False),
        (AGENT_2, "Phone", None, "logged_out", None, False),
    ]
    assert now_at("14:10:00")[0] == (AGENT, "Phone", "Available", "productive", "14:00", True)


@pytest.mark.parametrize("names", [False, True])
def test_the_heatmap_lists_the_worst_agents_by_id_unless_names_are_asked_for(db, tmp_path, names):
    # As in the leaving-early test: agent 1 (user-a1, from its events) 33.33 %, agent 2 (no
    # events, username "a2" as inserted by run()) 0.00 %, worst first.
    events = (Agent().change("19:00:00", "Available")
              .change("19:20:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    plan = schedule(f"{AGENT},2026-11-02T19:00:00Z,2026-11-02T20:00:00Z,Phone,true,",
                    f"{AGENT_2},2026-11-02T19:00:00Z,2026-11-02T20:00:00Z,Phone,true,")  # fmt: skip
    cfg, window = run(db, tmp_path, events, plan,
                      schedules={"agent_names_in_dagster": names})  # fmt: skip
    png, text = pipeline.adherence_heatmap(db, cfg, window)
    assert png.startswith(b"\x89PNG")
    first, second = (("a2", "user-a1") if names
                     else (f"agent {stable_id(AGENT_2)}", f"agent {stable_id(AGENT)}"))  # fmt: skip
    assert f"| {first} | 0.00 |\n| {second} | 33.33 |" in text
    assert ("user-a1" in text) is names
