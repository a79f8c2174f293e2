"""Reconciliation of a few hand-written events, against numbers worked out by hand.

Day 2026-11-02 in America/New_York (EST, UTC-5): the day runs 05:00Z..05:00Z, intervals of
15 minutes. All times below are UTC.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson
import pytest

from wfm_connector import pipeline
from wfm_connector.config import parse_config
from wfm_connector.exports import calabrio_queue_log
from wfm_connector.ingest import ingest
from wfm_connector.parsing.framing import Framed
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = pytest.mark.integration

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
AGENT_A = f"{INSTANCE}/agent/aaaaaaaa-0000-0000-0000-000000000001"
AGENT_B = f"{INSTANCE}/agent/bbbbbbbb-0000-0000-0000-000000000002"
PROFILE = f"{INSTANCE}/routing-profile/pppppppp-0000-0000-0000-000000000001"
QUEUE = f"{INSTANCE}/queue/qqqqqqqq-0000-0000-0000-000000000001"
DAY = date(2026, 11, 2)


def cfg(tmp_path):
    return parse_config(
        {
            "connect": {"instance_arn": INSTANCE},
            "timezone": "America/New_York",
            "interval_minutes": 15,
            "status_categories": {
                "Available": "productive",
                "Offline": "offline",
                "Break": "non_productive",
            },
            "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
            "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "out")}},
            "export_profiles": [{"name": "q", "format": "calabrio_queue_log", "target": "local"}],
        }
    )


def ts(hms: str) -> datetime:
    h, m, s = hms.split(":")
    sec = float(s)
    return datetime(2026, 11, 2, int(h), int(m), int(sec), round((sec % 1) * 1e6), tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def agent_event(agent, n, event_type, at, status, contacts=()):
    snapshot = {
        "AgentStatus": {"ARN": f"{INSTANCE}/agent-state/x", "Name": status, "StartTimestamp": iso(at)},
        "Configuration": {
            "Username": agent[-4:],
            "RoutingProfile": {"ARN": PROFILE, "Name": "P", "InboundQueues": [{"ARN": QUEUE, "Name": "Q"}]},
        },
        "Contacts": [
            {"ContactId": cid, "Channel": "VOICE", "State": state, "StateStartTimestamp": iso(at),
             "InitiationMethod": "INBOUND", "Queue": {"ARN": QUEUE}}
            for cid, state in contacts
        ],
    }  # fmt: skip
    return {
        "AgentARN": agent,
        "EventId": f"{agent[-4:]}-{n:03d}",
        "EventType": event_type,
        "EventTimestamp": iso(at),
        "CurrentAgentSnapshot": snapshot,
        "Version": "2019-05-25",
    }


def with_heartbeats(changes):
    """Add a HEART_BEAT after every 120 s without an event, like Connect."""
    events = []
    for (agent, etype, at, status, contacts), nxt in zip(
        changes, changes[1:] + [None], strict=True
    ):
        events.append((agent, etype, at, status, contacts))
        if nxt is None or etype == "LOGOUT":
            continue
        beat = at + timedelta(seconds=120)
        while beat < nxt[2]:
            events.append((agent, "HEART_BEAT", beat, status, contacts))
            beat += timedelta(seconds=120)
    return [agent_event(a, i, e, t, s, c) for i, (a, e, t, s, c) in enumerate(events)]


AGENT_A_CHANGES = [
    (AGENT_A, "LOGIN", ts("13:58:00"), "Offline", ()),
    (AGENT_A, "STATE_CHANGE", ts("13:58:30.250"), "Available", ()),
    (AGENT_A, "STATE_CHANGE", ts("14:10:00"), "Available", (("C1", "CONNECTING"),)),
    (AGENT_A, "STATE_CHANGE", ts("14:10:05"), "Available", (("C1", "CONNECTED"),)),
    (AGENT_A, "STATE_CHANGE", ts("14:13:00"), "Available", (("C1", "CONNECTED_ONHOLD"),)),
    (AGENT_A, "STATE_CHANGE", ts("14:14:00"), "Available", (("C1", "CONNECTED"),)),
    (AGENT_A, "STATE_CHANGE", ts("14:20:00"), "Available", (("C1", "ENDED"),)),
    (AGENT_A, "STATE_CHANGE", ts("14:21:30.500"), "Available", ()),
    (AGENT_A, "STATE_CHANGE", ts("14:25:00"), "Break", ()),
    (AGENT_A, "STATE_CHANGE", ts("14:40:00"), "Offline", ()),
    (AGENT_A, "LOGOUT", ts("14:40:10"), "Offline", ()),
]
# Agent B goes silent after one event: only max_event_gap_seconds (300 s) are trusted.
# At 15:02:00 a heartbeat (still saying Available) and the change to Break share one
# millisecond: the change wins, so 15:02-15:07 is Break.
AGENT_B_CHANGES = [
    (AGENT_B, "STATE_CHANGE", ts("15:00:00"), "Available", ()),
    (AGENT_B, "HEART_BEAT", ts("15:02:00"), "Available", ()),
    (AGENT_B, "STATE_CHANGE", ts("15:02:00"), "Break", ()),
]


def ctr(cid, last_update, enqueue, queue_s, disconnect, *, agent=None, next_contact=None):
    record = {
        "ContactId": cid,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": enqueue,
        "DisconnectTimestamp": disconnect,
        "LastUpdateTimestamp": last_update,
        "NextContactId": next_contact,
        "Queue": {"ARN": QUEUE, "Name": "Q", "EnqueueTimestamp": enqueue, "Duration": queue_s},
        "Agent": agent,
    }
    return record


CTRS = [
    # C1: answered after 30 s in queue; delivered twice, the newer copy says ACW 90 s.
    ctr("C1", "2026-11-02T14:22:00Z", "2026-11-02T14:05:10Z", 30, "2026-11-02T14:20:00Z",
        agent={"ARN": AGENT_A, "ConnectedToAgentTimestamp": "2026-11-02T14:05:40Z",
               "AgentInteractionDuration": 235, "CustomerHoldDuration": 60,
               "AfterContactWorkDuration": 80}),
    ctr("C1", "2026-11-02T16:00:00Z", "2026-11-02T14:05:10Z", 30, "2026-11-02T14:20:00Z",
        agent={"ARN": AGENT_A, "ConnectedToAgentTimestamp": "2026-11-02T14:05:40Z",
               "AgentInteractionDuration": 235, "CustomerHoldDuration": 60,
               "AfterContactWorkDuration": 90}),
    # C2: abandoned after 3 s (a short abandon); C3 after 12 s (within the 20 s service level).
    {**ctr("C2", "2026-11-02T14:13:00Z", "2026-11-02T14:12:00Z", 3, "2026-11-02T14:12:03Z"),
     "DisconnectReason": "CUSTOMER_DISCONNECT"},
    {**ctr("C3", "2026-11-02T14:16:00Z", "2026-11-02T14:14:50Z", 12, "2026-11-02T14:15:02Z"),
     "DisconnectReason": "CUSTOMER_DISCONNECT"},
    # C5: no Queue.Duration and no DequeueTimestamp: queue time is disconnect - enqueue = 400 s.
    {"ContactId": "C5", "Channel": "VOICE", "InitiationMethod": "INBOUND",
     "LastUpdateTimestamp": "2026-11-02T14:37:00Z", "DisconnectTimestamp": "2026-11-02T14:36:40Z",
     "DisconnectReason": "CUSTOMER_DISCONNECT",
     "Queue": {"ARN": QUEUE, "Name": "Q", "EnqueueTimestamp": "2026-11-02T14:30:00Z"}},
    # C6: the flow hung up on the caller in queue: queued, but not an abandon.
    {"ContactId": "C6", "Channel": "VOICE", "InitiationMethod": "INBOUND",
     "LastUpdateTimestamp": "2026-11-02T14:32:00Z", "DisconnectTimestamp": "2026-11-02T14:31:10Z",
     "DisconnectReason": "CONTACT_FLOW_DISCONNECT",
     "Queue": {"ARN": QUEUE, "Name": "Q", "EnqueueTimestamp": "2026-11-02T14:31:00Z", "Duration": 10}},
    # An outbound call never entered a queue: not in queue statistics.
    {"ContactId": "C4", "Channel": "VOICE", "InitiationMethod": "OUTBOUND",
     "LastUpdateTimestamp": "2026-11-02T14:30:00Z", "DisconnectTimestamp": "2026-11-02T14:29:00Z",
     "Queue": {"ARN": QUEUE, "Name": "Q", "EnqueueTimestamp": None, "Duration": 0}},
]  # fmt: skip


def records(values, shuffle_seed=None):
    values = list(values)
    if shuffle_seed is not None:  # out-of-order delivery
        random.Random(shuffle_seed).shuffle(values)
    for i, value in enumerate(values):
        raw = orjson.dumps(value)
        yield SourceRecord(f"test:{i}", Framed(i, raw, orjson.loads(raw)))


@pytest.fixture
def loaded(db, tmp_path):
    config = cfg(tmp_path)
    events = with_heartbeats(AGENT_A_CHANGES) + with_heartbeats(AGENT_B_CHANGES)
    events.append(events[4])  # a duplicate delivery
    stats = ingest(db, Stream.AGENT_EVENTS, records(events, shuffle_seed=3), batch_size=7)
    ingest(db, Stream.CONTACT_RECORDS, records(CTRS, shuffle_seed=5))
    window = pipeline.window_for(config, DAY)
    pipeline.reconcile_agents(db, config, window)
    pipeline.reconcile_queues(db, config, window)
    return config, window, stats


def test_agent_interval_seconds_split_at_boundaries(loaded, db):
    config, window, stats = loaded
    assert stats.duplicates == 1
    rows = db.execute(
        "SELECT agent_arn, to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI'), status_name, "
        "status_category, activity, seconds FROM wfm.agent_interval_states ORDER BY 1, 2, 3, 5"
    ).fetchall()
    a = [(t, s, c, act, sec) for agent, t, s, c, act, sec in rows if agent == AGENT_A]
    assert a == [
        # logged in at 13:58:00 in Offline (not online, but logged in) until 13:58:30.250
        ("13:45", "Available", "productive", "NO_CONTACT", Decimal("89.750")),
        ("13:45", "Offline", "offline", "NO_CONTACT", Decimal("30.250")),
        # 14:00 -> 14:10 no contact; 5 s ringing; talk 14:10:05-14:13 + 14:14-14:15; hold 14:13-14:14
        ("14:00", "Available", "productive", "CONNECTED", Decimal("235.000")),
        ("14:00", "Available", "productive", "NO_CONTACT", Decimal("600.000")),
        ("14:00", "Available", "productive", "ON_HOLD", Decimal("60.000")),
        ("14:00", "Available", "productive", "RINGING", Decimal("5.000")),
        # talk to 14:20, ACW to 14:21:30.5, no contact to 14:25, then Break
        ("14:15", "Available", "productive", "ACW", Decimal("90.500")),
        ("14:15", "Available", "productive", "CONNECTED", Decimal("300.000")),
        ("14:15", "Available", "productive", "NO_CONTACT", Decimal("209.500")),
        ("14:15", "Break", "non_productive", "NO_CONTACT", Decimal("300.000")),
        # Break to 14:40, then Offline until the LOGOUT at 14:40:10 ends the session
        ("14:30", "Break", "non_productive", "NO_CONTACT", Decimal("600.000")),
        ("14:30", "Offline", "offline", "NO_CONTACT", Decimal("10.000")),
    ]
    b = [(t, s, act, sec) for agent, t, s, _, act, sec in rows if agent == AGENT_B]
    # Nothing after 15:02: the last state holds one heartbeat period (120 s), not the 300 s gap.
    assert b == [
        ("15:00", "Available", "NO_CONTACT", Decimal("120.000")),
        ("15:00", "Break", "NO_CONTACT", Decimal("120.000")),
    ]


def test_queue_interval_both_attributions(loaded, db):
    rows = db.execute(
        "SELECT q.attribution, to_char(q.interval_start AT TIME ZONE 'UTC', 'HH24:MI'), "
        "q.contacts_queued, q.offered_direct, q.handled, q.abandoned, q.abandoned_short, "
        "s.answered_within, s.abandoned_within, s.service_level_pct, "
        "q.queue_answer_time_s, q.queue_abandon_time_s, q.longest_answer_s, q.longest_abandon_s, "
        "q.interaction_s, q.hold_s, q.acw_s, q.aht_s, q.asa_s, q.agent_available_s "
        "FROM wfm.queue_interval q JOIN wfm.queue_interval_service_level s "
        "USING (attribution, queue_arn, channel, interval_start) "
        "WHERE s.threshold_s = 20 AND (q.contacts_queued > 0 OR q.agent_available_s > 0) "
        "ORDER BY 1, 2"
    ).fetchall()
    d = Decimal
    assert rows == [
        # by disconnect: C2 at 14:12:03 (abandoned after 3 s: short, and removed within 20 s)
        ("disconnect", "13:45", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, None, None, d("89.750")),
        ("disconnect", "14:00", 1, 1, 0, 1, 1, 0, 1, d("100.00"), 0, 3, 0, 3, 0, 0, 0, None, None, d("600.000")),
        # C1 (answered after 30 s: outside SL20) at 14:20:00, C3 (abandoned after 12 s) at
        # 14:15:02: 1 of 2 removed within 20 s = 50.00 %
        ("disconnect", "14:15", 2, 2, 1, 1, 0, 0, 1, d("50.00"), 30, 12, 30, 12, 235, 60, 90, d("385.000"), d("30.000"), d("209.500")),
        # C5 (abandoned after 400 s) and C6 (flow disconnect, not abandoned): 0 of 2 within
        ("disconnect", "14:30", 2, 2, 0, 1, 0, 0, 0, d("0.00"), 0, 400, 0, 400, 0, 0, 0, None, None, d("0.000")),
        ("disconnect", "15:00", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, None, None, d("120.000")),
        # by enqueue: C1, C2, C3 entered the queue between 14:05 and 14:15; 2 of 3 within 20 s
        ("enqueue", "13:45", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, None, None, d("89.750")),
        ("enqueue", "14:00", 3, 3, 1, 2, 1, 0, 2, d("66.67"), 30, 15, 30, 12, 235, 60, 90, d("385.000"), d("30.000"), d("600.000")),
        ("enqueue", "14:15", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, None, None, d("209.500")),
        ("enqueue", "14:30", 2, 2, 0, 1, 0, 0, 0, d("0.00"), 0, 400, 0, 400, 0, 0, 0, None, None, d("0.000")),
        ("enqueue", "15:00", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, None, None, d("120.000")),
    ]  # fmt: skip


def stable_id(arn: str) -> int:
    """The documented id rule, computed here on its own: 1 + first 32 bits of md5 mod 2^31-2."""
    return 1 + int(hashlib.md5(arn.encode()).hexdigest()[:8], 16) % 2147483646


def test_calabrio_queue_log_rows(loaded, db):
    config, window, _ = loaded
    data, count = calabrio_queue_log.render(db, window, config.export_profiles[0], config)
    lines = data.decode().splitlines()
    q = stable_id(QUEUE)
    assert count == len(lines) == 96  # one queue, every quarter hour of a 24 h day
    assert lines[0] == f"15;20261102;00:00;{q};Q;0;0;0;0;0;0;0;0;0;0;0;0.00;0;0;0;0"
    # 14:00Z is 09:00 EST. talk = 235 + 60 hold; avg available = 600 s / 900 s = 0.67;
    # answered within 20 s: none (C1 waited 30 s); abandoned within 20 s but not short: C3
    assert lines[36] == f"15;20261102;09:00;{q};Q;3;0;2;0;1;30;15;295;90;30;12;0.67;0;600;1;1"
    assert lines[37] == f"15;20261102;09:15;{q};Q;0;0;0;0;0;0;0;0;0;0;0;0.23;0;210;0;0"


def test_rerun_changes_nothing(loaded, db, tmp_path):
    config, window, _ = loaded
    before = db.execute("SELECT * FROM wfm.agent_interval_states ORDER BY 2, 3, 4, 6").fetchall()
    again = ingest(db, Stream.AGENT_EVENTS, records(with_heartbeats(AGENT_A_CHANGES)))
    assert again.new == 0
    pipeline.reconcile_agents(db, config, window)
    after = db.execute("SELECT * FROM wfm.agent_interval_states ORDER BY 2, 3, 4, 6").fetchall()
    assert after == before


def test_calabrio_merges_the_repeated_hour_of_the_autumn_dst_day(db, tmp_path):
    config = cfg(tmp_path)
    # 2026-11-01 New York: 01:00-02:00 happens twice (EDT, then EST). One abandon in each.
    first = ctr("D1", "2026-11-01T05:20:00Z", "2026-11-01T05:10:00Z", 7, "2026-11-01T05:10:07Z")
    second = ctr("D2", "2026-11-01T06:20:00Z", "2026-11-01T06:10:00Z", 9, "2026-11-01T06:10:09Z")
    for record in (first, second):
        record["DisconnectReason"] = "CUSTOMER_DISCONNECT"
    ingest(db, Stream.CONTACT_RECORDS, records([first, second]))
    window = pipeline.window_for(config, date(2026, 11, 1))
    pipeline.reconcile_queues(db, config, window)
    data, count = calabrio_queue_log.render(db, window, config.export_profiles[0], config)
    lines = data.decode().splitlines()
    assert count == len(lines) == 96  # 100 quarter hours, 4 of them merged into their twins
    assert len({line.split(";")[2] for line in lines}) == 96
    # 01:00 local: both abandons, 7 + 9 s of queue time, longest 9 s
    assert lines[4] == f"15;20261101;01:00;{stable_id(QUEUE)};Q;2;0;2;0;0;0;16;0;0;0;9;0.00;0;0;0;2"


def test_late_data_marks_the_days_it_changes(db, tmp_path):
    from wfm_connector.ingest import Loader

    config = cfg(tmp_path)

    def dirty():
        return [r[0].isoformat() for r in db.execute("SELECT day FROM wfm.dirty_day ORDER BY day")]

    def load(stream, values):
        Loader(db, stream, timezone="America/New_York").load(list(records(values)))

    load(Stream.AGENT_EVENTS, with_heartbeats(AGENT_B_CHANGES))  # 15:00Z = 10:00 EST on 11-02
    assert dirty() == ["2026-11-02"]
    # 04:30Z = 23:30 EST on 11-01: its snapshot may hold past midnight, into 11-02 as well.
    late_night = agent_event(AGENT_B, 900, "HEART_BEAT", ts("04:30:00"), "Available")
    load(Stream.AGENT_EVENTS, [late_night])
    assert dirty() == ["2026-11-01", "2026-11-02"]
    db.execute("DELETE FROM wfm.dirty_day WHERE day = '2026-11-01'")
    # Enqueued 23:50 EST on 11-01, disconnected 00:10 EST on 11-02: both days change.
    v1 = ctr("L1", "2026-11-02T06:00:00Z", "2026-11-02T04:50:00Z", 9, "2026-11-02T05:10:00Z")
    load(Stream.CONTACT_RECORDS, [v1])
    assert dirty() == ["2026-11-01", "2026-11-02"]
    window = pipeline.window_for(config, date(2026, 11, 2))
    pipeline.reconcile_agents(db, config, window)
    assert dirty() == ["2026-11-01", "2026-11-02"]  # clean only once the queue step is rebuilt
    pipeline.reconcile_queues(db, config, window)
    assert dirty() == ["2026-11-01"]
    # A re-delivery days later moves the contact to 11-03: its old days change as well.
    db.execute("DELETE FROM wfm.dirty_day")
    v2 = ctr("L1", "2026-11-05T00:00:00Z", "2026-11-03T16:00:00Z", 9, "2026-11-03T16:10:00Z")
    load(Stream.CONTACT_RECORDS, [v2])
    assert dirty() == ["2026-11-01", "2026-11-02", "2026-11-03"]
    # The same delivery again adds no row and marks nothing.
    db.execute("DELETE FROM wfm.dirty_day")
    load(Stream.CONTACT_RECORDS, [v2])
    assert dirty() == []


def test_a_late_callback_marks_the_day_of_the_contact_it_replaces(db):
    from wfm_connector.ingest import Loader

    def dirty():
        return [r[0].isoformat() for r in db.execute("SELECT day FROM wfm.dirty_day ORDER BY day")]

    # A caller hung up in queue on 11-02 (10:00 EST), having asked for a callback
    first = ctr("K1", "2026-11-02T15:02:00Z", "2026-11-02T15:00:00Z", 60, "2026-11-02T15:01:00Z")
    Loader(db, Stream.CONTACT_RECORDS, timezone="America/New_York").load(list(records([first])))
    db.execute("DELETE FROM wfm.dirty_day")
    # The callback, on 11-03, names K1 as its previous contact: K1 is no longer an abandon,
    # so 11-02 must be reconciled again (and 11-03, where the callback itself counts)
    callback = {**ctr("K1-cb", "2026-11-03T15:10:00Z", "2026-11-03T15:00:00Z", 300,
                      "2026-11-03T15:09:00Z"), "InitiationMethod": "CALLBACK",
                "PreviousContactId": "K1"}  # fmt: skip
    Loader(db, Stream.CONTACT_RECORDS, timezone="America/New_York").load(list(records([callback])))
    assert dirty() == ["2026-11-02", "2026-11-03"]
