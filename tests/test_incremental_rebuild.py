"""The intraday refresh rebuilds only what changed, and gives what a whole-day rebuild gives.

A simulated day with faults (duplicates, out-of-order and late deliveries, re-delivered
contact records) arrives file by file, as Firehose delivered it, into two databases. At each
step both ingest what arrived; one rebuilds the agent and queue tables incrementally (from
what changed since its last build), the other the whole day, both as of the step's instant
("now": the timeline stops there). Their tables must be equal at every step, and the
incremental one must really have rebuilt only part of the day.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import psycopg
import pytest

from tests import test_reconcile_hand_worked as hand
from tests.conftest import demo_config_reading, empty_wfm_tables
from wfm_connector import pipeline
from wfm_connector.config import StatusCategory
from wfm_connector.db import migrate
from wfm_connector.db.connection import libpq_url
from wfm_connector.ingest import Loader
from wfm_connector.parsing.framing import parse_one
from wfm_connector.reconcile import run
from wfm_connector.simulator import simulate
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAY = date(2026, 11, 3)
# local instants the refresh runs at (None: the day's end, with every later delivery too),
# and deliveries held back then: at 16:30 the agent events delivered 14:15-15:45 are still
# missing (the stream was down: the first new event comes more than an hour after 14:15,
# where the 14:15 build stopped the timeline, its last segments cut at that "now"), and
# they arrive by 18:40
OUTAGE = ("agent-events", time(14, 15), time(15, 45))
STEPS = ((time(9, 0), None), (time(12, 7, 30), None), (time(14, 0), None),
         (time(14, 15), None), (time(16, 30), OUTAGE), (time(18, 40), None), (None, None))
TABLES = {  # table -> its columns in a stable order
    "agent_state_timeline": "agent_arn, start_ts",
    "agent_interval_states": "agent_arn, interval_start, status_category, status_name, activity",
    "agent_interval_activity": "agent_arn, interval_start",
    "queue_interval": "attribution, queue_arn, channel, interval_start",
    "queue_interval_service_level": "attribution, queue_arn, channel, interval_start, threshold_s",
    "agent_queue_interval": "attribution, agent_arn, queue_arn, channel, interval_start",
}
_DELIVERED = re.compile(r"-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f]+$")


def local(t: time, cfg) -> datetime:
    return datetime.combine(DAY, t, ZoneInfo(cfg.timezone)).astimezone(UTC)


def delivered_files(root: Path) -> list[tuple[datetime, Path]]:
    """Every simulated object with the UTC start of its delivery window (in its name)."""
    out = []
    for path in root.rglob("*"):
        match = _DELIVERED.search(path.name)
        if path.is_file() and match:
            out.append((datetime(*map(int, match.groups()), tzinfo=UTC), path))
    return sorted(out)


def day_rows(conn: psycopg.Connection, day: date = DAY) -> dict[str, list[tuple]]:
    return {
        table: conn.execute(
            f"SELECT * FROM wfm.{table} WHERE day = %s ORDER BY {order}", (day,)
        ).fetchall()
        for table, order in TABLES.items()
    }


@pytest.fixture(scope="module")
def setup(tmp_path_factory, database_url, fresh_database):
    root = tmp_path_factory.mktemp("incremental")
    sim, feed = root / "sim", root / "feed"
    cfg = demo_config_reading(root, feed)
    simulate(out_dir=sim, agents=10, start=DAY, days=1, seed=23, timezone=cfg.timezone,
             interval_minutes=cfg.interval_minutes,
             instance_arn=cfg.connect.instance_arn)  # fmt: skip
    whole = fresh_database()
    migrate.upgrade(whole)
    urls = {"incremental": libpq_url(database_url), "whole": libpq_url(whole)}
    with psycopg.connect(urls["incremental"], autocommit=True) as conn:
        empty_wfm_tables(conn)
    return cfg, sim, feed, urls


def test_each_refresh_equals_a_whole_day_rebuild_and_rebuilds_less(setup):
    cfg, sim, feed, urls = setup
    window = pipeline.window_for(cfg, DAY)
    files = delivered_files(sim)
    shown: set[Path] = set()
    starts: list[tuple[datetime | None, datetime | None]] = []
    with (psycopg.connect(urls["incremental"], autocommit=True) as inc,
          psycopg.connect(urls["whole"], autocommit=True) as whole):  # fmt: skip
        for step, held in STEPS:
            now = window.end if step is None else local(step, cfg)
            for delivered, path in files:  # what Firehose had delivered by then
                if held and path.relative_to(sim).parts[0] == held[0] and (
                    local(held[1], cfg) <= delivered < local(held[2], cfg)
                ):
                    continue
                if (step is None or delivered < now) and path not in shown:
                    target = feed / path.relative_to(sim)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, target)
                    shown.add(path)
            for conn in (inc, whole):
                for stream in Stream:
                    pipeline.ingest_day(conn, cfg, stream, window)
            # the queue step runs a little after the agents' (its own "now", later)
            later = min(now + timedelta(minutes=7), window.end)
            agents = run.reconcile_agent_states(inc, window, cfg, incremental=True, now=now)
            queues = run.reconcile_queue_statistics(inc, window, cfg, incremental=True,
                                                    now=later)  # fmt: skip
            starts.append((agents.rebuilt_from, queues.rebuilt_from))
            run.reconcile_agent_states(whole, window, cfg, now=now)
            run.reconcile_queue_statistics(whole, window, cfg, now=later)
            expected, got = day_rows(whole), day_rows(inc)
            for table in TABLES:
                assert got[table] == expected[table], f"{table} differs at {step}"
            assert expected["agent_state_timeline"] and expected["queue_interval"]
        # a contact record re-delivered after the day (a new version of its last contact):
        # only the queues change, from that contact's times on
        last = inc.execute(
            "SELECT payload FROM wfm.contact_record_raw WHERE disconnect_ts < %s AND agent_arn IS NOT NULL "
            "ORDER BY disconnect_ts DESC LIMIT 1", (window.end,)
        ).fetchone()[0]  # fmt: skip
        record = orjson.loads(last)
        record["LastUpdateTimestamp"] = "2026-11-04T09:00:00Z"
        record["Agent"]["AfterContactWorkDuration"] = 1234  # its ACW corrected
        for conn in (inc, whole):
            loader = Loader(conn, Stream.CONTACT_RECORDS, timezone=cfg.timezone)
            loader.load([SourceRecord("redelivered:0", parse_one(orjson.dumps(record)))])
        agents = run.reconcile_agent_states(inc, window, cfg, incremental=True)
        queues = run.reconcile_queue_statistics(inc, window, cfg, incremental=True)
        run.reconcile_agent_states(whole, window, cfg)
        run.reconcile_queue_statistics(whole, window, cfg)
        assert day_rows(inc) == day_rows(whole)
        assert agents.rebuilt_from is None
        assert queues.rebuilt_from > window.start
        assert inc.execute(
            "SELECT count(DISTINCT (queue_arn, channel)) FROM wfm.queue_interval WHERE day = %s "
            "AND interval_start >= %s", (DAY, queues.rebuilt_from)
        ).fetchone()[0] > 1  # pairs with nothing new got their rows again too
    # The first build is the whole day. Later ones start at an interval boundary, nearly all
    # after the day's start: the hour before the first new agent event, or where the last
    # build stopped ("now" then); a queue and channel new to the day rebuild it whole (here
    # once, at 12:07, for the queues).
    assert starts[0] == (window.start, window.start)
    assert starts[4][0] == local(time(14, 15), cfg)  # after the outage: where 14:15 stopped
    later = [s for pair in starts[1:] for s in pair]
    assert None not in later  # every step brought something new
    assert sum(s > window.start for s in later) == len(later) - 1
    assert all((s - window.start) % window.interval == timedelta(0) for s in later)


def test_nothing_new_rebuilds_nothing_and_a_new_configuration_the_whole_day(setup):
    cfg, sim, feed, urls = setup
    window = pipeline.window_for(cfg, DAY)
    for _, path in delivered_files(sim):  # the whole day (what another test left is kept)
        target = feed / path.relative_to(sim)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(path, target)
    with psycopg.connect(urls["incremental"], autocommit=True) as conn:
        for stream in Stream:
            pipeline.ingest_day(conn, cfg, stream, window)
        run.reconcile_agent_states(conn, window, cfg)  # a whole-day build, as of now
        before = day_rows(conn)
        again = run.reconcile_agent_states(conn, window, cfg, incremental=True)
        assert again.rebuilt_from is None and day_rows(conn) == before
        assert again.timeline_segments == len(before["agent_state_timeline"])
        # a status mapped differently: every segment may change, so the whole day is rebuilt
        name = conn.execute(
            "SELECT status_name FROM wfm.agent_state_timeline WHERE day = %s "
            "AND status_category = 'non_productive' LIMIT 1", (DAY,)
        ).fetchone()[0]  # fmt: skip
        remapped = cfg.model_copy(
            update={"status_overrides": {**cfg.status_overrides, name: StatusCategory("productive")}}
        )
        changed = run.reconcile_agent_states(conn, window, remapped, incremental=True)
        assert changed.rebuilt_from == window.start
        assert day_rows(conn)["agent_state_timeline"] != before["agent_state_timeline"]


def test_a_refresh_after_a_silence_continues_where_the_last_build_stopped(db, tmp_path):
    """By hand (UTC; heartbeat 120 s, lookback 1 h): agent A is Available from 14:00 with a
    heartbeat every 2 min, the last at 14:14. Built at 14:15, its segment stops at that
    "now" (the last heartbeat would hold until 14:16). Then nothing for 76 min, a change to
    Break at 15:30 (beyond the hour: the 14:14 heartbeat holds its 2 min, no unknown time),
    and a refresh at 15:40. The new event reaches back only to 14:30 (15:30 less the hour);
    the refresh must start at 14:15, where the last build stopped: Available 14:00-14:16
    (900 s in 14:00-14:15 and 60 s in 14:15-14:30), Break 15:30-15:32 (the last event holds
    one heartbeat: 120 s)."""
    config = hand.cfg(tmp_path)
    window = pipeline.window_for(config, hand.DAY)
    first = hand.with_heartbeats([(hand.AGENT_A, "LOGIN", hand.ts("14:00:00"), "Available", ()),
                                  (hand.AGENT_A, "HEART_BEAT", hand.ts("14:14:00"), "Available",
                                   ())])  # fmt: skip
    later = [hand.agent_event(hand.AGENT_A, 99, "STATE_CHANGE", hand.ts("15:30:00"), "Break")]
    loader = Loader(db, Stream.AGENT_EVENTS, timezone=config.timezone)
    loader.load(list(hand.records(first)))
    run.reconcile_agent_states(db, window, config, incremental=True, now=hand.ts("14:15:00"))
    loader.load(list(hand.records(later)))
    stats = run.reconcile_agent_states(db, window, config, incremental=True,
                                       now=hand.ts("15:40:00"))  # fmt: skip
    assert stats.rebuilt_from == hand.ts("14:15:00")
    timeline = db.execute(
        "SELECT start_ts, end_ts, status_name FROM wfm.agent_state_timeline ORDER BY start_ts"
    ).fetchall()
    assert timeline == [(hand.ts("14:00:00"), hand.ts("14:16:00"), "Available"),
                        (hand.ts("15:30:00"), hand.ts("15:32:00"), "Break")]  # fmt: skip
    seconds = db.execute(
        "SELECT interval_start, status_name, seconds FROM wfm.agent_interval_states "
        "ORDER BY interval_start"
    ).fetchall()
    assert seconds == [(hand.ts("14:00:00"), "Available", 900),
                       (hand.ts("14:15:00"), "Available", 60),
                       (hand.ts("15:30:00"), "Break", 120)]  # fmt: skip


QUEUE_2 = f"{hand.INSTANCE}/queue/qqqqqqqq-0000-0000-0000-000000000002"


def test_queue_rows_follow_a_new_routing_profile_queue_and_a_contact_moved_away(db, tmp_path):
    """Agent A, Available 13:00-15:00 in a profile serving queue Q, idle; contacts C7 in Q
    at 13:10 and C8 in Q2 at 16:00. Built incrementally, then:

    - a late agent event puts A on Break at 13:30 (until the next heartbeat, 13:32): the
      queues are rebuilt from where the agents were (12:30), and Q's available time loses
      those 120 s (7,200 s = 8 intervals of 900 s before);
    - at 15:00 an event says A's profile also serves Q2: the queues are rebuilt whole, so
      Q2's agent-available time counts A's idle time from 13:00, as a whole rebuild does
      (7,080 s, as Q);
    - C8 is re-delivered in Q (moved there): Q2 has no contact left in the day, and its rows
      go, as in a whole rebuild.
    """
    config = hand.cfg(tmp_path)
    window = pipeline.window_for(config, hand.DAY)
    events = hand.with_heartbeats([
        (hand.AGENT_A, "LOGIN", hand.ts("13:00:00"), "Available", ()),
        (hand.AGENT_A, "STATE_CHANGE", hand.ts("15:00:00"), "Offline", ()),
    ])  # fmt: skip
    agents = Loader(db, Stream.AGENT_EVENTS, timezone=config.timezone)
    records = Loader(db, Stream.CONTACT_RECORDS, timezone=config.timezone)
    c7 = hand.ctr("C7", "2026-11-02T13:20:00Z", "2026-11-02T13:10:00Z", 5, "2026-11-02T13:10:05Z")
    c8 = hand.ctr("C8", "2026-11-02T16:01:00Z", "2026-11-02T16:00:00Z", 5, "2026-11-02T16:00:05Z")
    c8["Queue"]["ARN"] = QUEUE_2
    agents.load(list(hand.records(events[:-1])))
    records.load(list(hand.records([c7, c8])))

    def refresh_and_compare() -> tuple[datetime | None, dict]:
        run.reconcile_agent_states(db, window, config, incremental=True)
        stats = run.reconcile_queue_statistics(db, window, config, incremental=True)
        got = day_rows(db, hand.DAY)
        db.execute("DELETE FROM wfm.day_build")  # the same data, rebuilt whole
        run.reconcile_agent_states(db, window, config)
        run.reconcile_queue_statistics(db, window, config)
        assert got == day_rows(db, hand.DAY)
        assert got["queue_interval"]
        return stats.rebuilt_from, got

    def available(rows, queue):
        return sum(r[-1] for r in rows["queue_interval"] if r[2] == queue and r[1] == "enqueue")

    refresh_and_compare()
    # a late agent event (no contact record with it): A went on Break at 13:30; the
    # heartbeat at 13:32 still says Available, so 120 s of Break. Only the agents' rebuild
    # can tell the queues their available time changed (120 s less in Q)
    late = [hand.agent_event(hand.AGENT_A, 90, "STATE_CHANGE", hand.ts("13:30:00"), "Break")]
    agents.load(list(hand.records(late)))
    start, rows = refresh_and_compare()
    assert start == hand.ts("12:30:00")  # the agents' start: the Break less the hour
    assert available(rows, hand.QUEUE) == 7200 - 120
    serving_q2 = dict(events[-1])
    serving_q2["CurrentAgentSnapshot"] = {
        **events[-1]["CurrentAgentSnapshot"],
        "Configuration": {"Username": "0001", "RoutingProfile": {
            "ARN": hand.PROFILE, "Name": "P",
            "InboundQueues": [{"ARN": hand.QUEUE, "Name": "Q"}, {"ARN": QUEUE_2, "Name": "Q2"}]}},
    }  # fmt: skip
    agents.load(list(hand.records([serving_q2])))
    start, rows = refresh_and_compare()
    assert start == window.start  # the whole day
    assert available(rows, QUEUE_2) == 7200 - 120 == available(rows, hand.QUEUE)

    moved = {**c8, "LastUpdateTimestamp": "2026-11-02T17:00:00Z",
             "Queue": {**c8["Queue"], "ARN": hand.QUEUE}}  # fmt: skip
    records.load(list(hand.records([moved])))
    start, rows = refresh_and_compare()
    assert start == window.start
    assert {r[2] for r in rows["queue_interval"]} == {hand.QUEUE}
