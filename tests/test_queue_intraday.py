"""The intraday queue view from a few hand-written contact events, worked out by hand.

Day 2026-11-02 in America/New_York (EST, UTC-5), intervals of 15 minutes; all times below are
UTC. The view is taken at AS_OF = 14:20:00.250: a fact timed after it does not count yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from typer.testing import CliRunner

from tests.test_reconcile_hand_worked import (
    AGENT_A,
    DAY,
    INSTANCE,
    QUEUE,
    records,
    stable_id,
)
from wfm_connector import checks, pipeline, queue_intraday
from wfm_connector.cli import app
from wfm_connector.config import parse_config
from wfm_connector.ingest import ingest
from wfm_connector.reconcile import run
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.integration

# the hand-worked day's instance, agent and queue
AGENT, Q = AGENT_A, QUEUE
Q2 = f"{INSTANCE}/queue/qqqqqqqq-0000-0000-0000-000000000002"
AGENT_QUEUE = f"{INSTANCE}/queue/agent/aaaaaaaa-0000-0000-0000-000000000001"
AS_OF = datetime(2026, 11, 2, 14, 20, 0, 250_000, tzinfo=UTC)


def cfg(tmp_path, **checks_options):
    return parse_config({
        "connect": {"instance_arn": INSTANCE},
        "timezone": "America/New_York",
        "interval_minutes": 15,
        "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
        "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "out")}},
        "export_profiles": [{"name": "q", "format": "calabrio_queue_log", "target": "local"}],
        "checks": checks_options,
    })  # fmt: skip


def ts(hms: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-02T{hms}+00:00")


def at(hms: str) -> str:
    """A time of 2026-11-02 (UTC) in the events' spelling; a full timestamp passes as is."""
    if "T" in hms:
        return hms
    return f"2026-11-02T{hms}Z" if "." in hms else f"2026-11-02T{hms}.000Z"


class Contact:
    """Builds the EventBridge events of one contact."""

    def __init__(self, cid, queue=Q, channel="VOICE", method="INBOUND", previous=None):
        self.cid, self.queue, self.channel, self.method = cid, queue, channel, method
        self.previous = previous
        self.enqueue = self.connected = None
        self.initiated = "13:00:00"
        self.n = 0

    def event(self, kind, when, *, event_id=None):
        self.n += 1
        if kind == "INITIATED":
            self.initiated = when
        detail = {"eventType": kind, "contactId": self.cid, "channel": self.channel,
                  "initiationTimestamp": at(self.initiated)}  # fmt: skip
        if self.method:
            detail["initiationMethod"] = self.method
        if self.previous:
            detail["previousContactId"] = self.previous
        if kind == "QUEUED":
            self.enqueue = when
        if kind == "CONNECTED_TO_AGENT":
            self.connected = when
        if kind == "DISCONNECTED":
            detail["disconnectTimestamp"] = at(when)
        if kind != "INITIATED" and self.enqueue:
            detail["queueInfo"] = {"queueArn": self.queue, "enqueueTimestamp": at(self.enqueue)}
        if kind in ("CONNECTED_TO_AGENT", "DISCONNECTED") and self.connected:
            detail["agentInfo"] = {"agentArn": AGENT, "connectedToAgentTimestamp": at(self.connected)}
        return {"version": "0", "id": event_id or f"{self.cid}-{self.n}",
                "detail-type": "Amazon Connect Contact Event", "source": "aws.connect",
                "time": at(when)[:19] + "Z", "detail": detail}  # fmt: skip


def events_and_records():
    """The contacts, what was delivered of their events, and two contact records."""
    out = []
    a1 = Contact("A1")  # answered
    out += [a1.event("QUEUED", "14:05:10"), a1.event("CONNECTED_TO_AGENT", "14:05:40"),
            a1.event("DISCONNECTED", "14:19:00")]  # fmt: skip
    out.append(dict(out[0]))  # the same event delivered twice
    a2 = Contact("A2")  # abandoned; its QUEUED event comes again under another id
    out += [a2.event("QUEUED", "14:06:00"), a2.event("QUEUED", "14:06:00", event_id="A2-again"),
            a2.event("DISCONNECTED", "14:06:03")]  # fmt: skip
    a3 = Contact("A3")  # asked for a callback: C3 follows it, queued and still waiting
    c3 = Contact("C3", method="CALLBACK", previous="A3")
    out += [a3.event("QUEUED", "14:07:00"), a3.event("DISCONNECTED", "14:08:00"),
            c3.event("INITIATED", "14:08:00"), c3.event("QUEUED", "14:10:00")]  # fmt: skip
    a4 = Contact("A4")  # a flow moved it to Q2 (a QUEUE_TRANSFER contact T4, answered there)
    t4 = Contact("T4", queue=Q2, method="QUEUE_TRANSFER", previous="A4")
    out += [a4.event("QUEUED", "14:09:00"), a4.event("DISCONNECTED", "14:09:30"),
            t4.event("INITIATED", "14:09:30"), t4.event("QUEUED", "14:09:31"),
            t4.event("CONNECTED_TO_AGENT", "14:12:00")]  # fmt: skip
    a5 = Contact("A5")  # waiting since 14:14:59.500
    out += [a5.event("QUEUED", "14:14:59.500")]
    a6 = Contact("A6", queue=AGENT_QUEUE, method="TRANSFER")  # an agent's queue: not a queue
    out += [a6.event("QUEUED", "14:03:00")]
    a7 = Contact("A7")  # its QUEUED event was lost; CONNECTED_TO_AGENT repeats the enqueue
    a7.event("QUEUED", "14:16:00")
    out += [a7.event("CONNECTED_TO_AGENT", "14:16:20")]
    a8 = Contact("A8")  # its DISCONNECTED event was lost; its contact record says it ended
    out += [a8.event("QUEUED", "14:17:00")]
    a9 = Contact("A9")  # answered at the very instant of the view: it counts
    out += [a9.event("QUEUED", "14:19:00"), a9.event("CONNECTED_TO_AGENT", "14:20:00.250")]
    a10 = Contact("A10")  # answered 0.75 s after the view: still waiting then
    out += [a10.event("QUEUED", "14:19:30"), a10.event("CONNECTED_TO_AGENT", "14:20:01"),
            a10.event("DISCONNECTED", "14:25:00")]  # fmt: skip
    a11 = Contact("A11")  # queued after the view: not there yet
    out += [a11.event("QUEUED", "14:21:00")]
    a12 = Contact("A12", channel="CHAT")  # a chat that left unanswered
    out += [a12.event("QUEUED", "14:02:00"), a12.event("DISCONNECTED", "14:03:00")]
    a13 = Contact("A13")  # queued at the very instant of the view: it counts, waiting 0 s
    out += [a13.event("QUEUED", "14:20:00.250")]
    # A14 asked for a callback, K14; K14's INITIATED event (naming A14) was lost, so only A14's
    # contact record (NextContactId) links them; K14's QUEUED event says CALLBACK.
    a14, k14 = Contact("A14"), Contact("K14", method="CALLBACK")
    out += [a14.event("QUEUED", "14:11:00"), a14.event("DISCONNECTED", "14:11:30"),
            k14.event("QUEUED", "14:13:00")]  # fmt: skip
    # A15 moved on to F15, whose event does not say how it was initiated: a transfer
    a15, f15 = Contact("A15"), Contact("F15", method=None, previous="A15")
    out += [a15.event("QUEUED", "14:12:00"), a15.event("DISCONNECTED", "14:12:30"),
            f15.event("INITIATED", "14:12:30")]  # fmt: skip
    # A16 asked for a callback, C16, whose INITIATED event is timed 14:25: after the instant
    a16, c16 = Contact("A16"), Contact("C16", method="CALLBACK", previous="A16")
    out += [a16.event("QUEUED", "14:16:10"), a16.event("DISCONNECTED", "14:16:40"),
            c16.event("INITIATED", "14:25:00"), c16.event("QUEUED", "14:27:00")]  # fmt: skip
    # R1 queued in Q, then again in Q2 (same contact), answered there: counted once, in Q2
    r1 = Contact("R1")
    out += [r1.event("QUEUED", "14:01:00")]
    r1.queue = Q2
    out += [r1.event("QUEUED", "14:03:00"), r1.event("CONNECTED_TO_AGENT", "14:04:00")]
    records = [{
        "ContactId": "A8", "Channel": "VOICE", "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-02T14:16:50Z", "DisconnectTimestamp": "2026-11-02T14:18:00Z",
        "LastUpdateTimestamp": "2026-11-02T14:18:30Z",
        "Queue": {"ARN": Q, "EnqueueTimestamp": "2026-11-02T14:17:00Z", "Duration": 60},
        "DisconnectReason": "CUSTOMER_DISCONNECT",
    }, {
        "ContactId": "A14", "Channel": "VOICE", "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-02T14:10:40Z", "DisconnectTimestamp": "2026-11-02T14:11:30Z",
        "LastUpdateTimestamp": "2026-11-02T14:12:00Z", "NextContactId": "K14",
        "Queue": {"ARN": Q, "EnqueueTimestamp": "2026-11-02T14:11:00Z", "Duration": 30},
    }]  # fmt: skip
    return out, records


@pytest.fixture
def loaded(db, tmp_path):
    config = cfg(tmp_path)
    events, ctrs = events_and_records()
    stats = ingest(db, Stream.CONTACT_EVENTS, records(events, shuffle_seed=7), batch_size=5)
    assert stats.duplicates == 1 and stats.quarantined == 0
    ingest(db, Stream.CONTACT_RECORDS, records(ctrs))
    return config, pipeline.window_for(config, DAY)


def view(db):
    return db.execute(
        "SELECT queue_arn, channel, to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI'), "
        "queued, answered, abandoned, callback_requested, transferred_out_from_queue, "
        "in_queue, longest_wait_s FROM wfm.queue_intraday ORDER BY 3, 1, 2"
    ).fetchall()


def test_each_contact_counts_by_what_is_known_at_the_instant(loaded, db):
    config, window = loaded
    as_of, rows = run.queue_intraday(db, window, config, AS_OF, with_records=False)
    assert as_of == AS_OF and rows == 4
    # columns: queued, answered, abandoned, callback, transferred from queue, in queue, longest
    assert view(db) == [
        (Q, "CHAT", "14:00", 1, 0, 1, 0, 0, 0, 0),  # A12
        # 14:00 Q voice, 9 queued: A1 answered; A2 abandoned (its second QUEUED is the same
        # contact) and so is A14 as far as the events tell; A3 callback; A4 and A15 moved on;
        # C3 waiting since 14:10:00 (600.25 s -> 600), A5 since 14:14:59.500 (300.75 s ->
        # 300), K14 since 14:13:00. A6 queued to an agent's queue: left out.
        (Q, "VOICE", "14:00", 9, 1, 2, 1, 2, 3, 600),
        (Q2, "VOICE", "14:00", 2, 2, 0, 0, 0, 0, 0),  # T4 (answered 14:12:00) and R1
        # 14:15 Q voice: A7 (enqueue from its CONNECTED_TO_AGENT event) and A9 answered; A16
        # abandoned (its callback comes after the instant); A8 waiting as far as the events
        # tell (since 14:17:00: 180 s); A10 waiting 30.25 s; A13 0 s. A11 (14:21) is after
        # the instant.
        (Q, "VOICE", "14:15", 6, 2, 1, 0, 0, 3, 180),
    ]


def test_contact_records_fill_in_lost_events(loaded, db):
    config, window = loaded
    run.queue_intraday(db, window, config, AS_OF, with_records=True)
    rows = view(db)
    # A14's record names K14 next, and K14 is a callback: callback requested, not abandoned
    assert rows[1] == (Q, "VOICE", "14:00", 9, 1, 1, 2, 2, 3, 600)
    # A8's record: disconnected at 14:18:00 unanswered, nothing after it -> abandoned, with
    # A16; A10 (30 s) and A13 are left waiting.
    assert rows[-1] == (Q, "VOICE", "14:15", 6, 2, 2, 0, 0, 2, 30)
    # At 14:18:00 sharp, A8's record (disconnected then) already counts: 14:15 has A7
    # (answered 14:16:20), A8 and A16 (abandoned) only.
    run.queue_intraday(db, window, config, ts("14:18:00"), with_records=True)
    assert view(db)[-1] == (Q, "VOICE", "14:15", 3, 1, 2, 0, 0, 0, 0)


def test_a_later_instant_and_the_day_by_queue(loaded, db):
    config, window = loaded
    later = AS_OF + timedelta(minutes=10)  # 14:30:00.250
    as_of, _ = queue_intraday.build(db, config, window, later)
    # A10 was answered at 14:20:01; A16's callback C16 came at 14:25 and queued at 14:27
    # (waiting 180 s); A11 queued at 14:21:00 waits 540.25 s, A13 600 s
    assert view(db)[-1] == (Q, "VOICE", "14:15", 8, 3, 1, 1, 0, 3, 600)
    db.execute("INSERT INTO wfm.queue (queue_id, queue_arn, queue_name) "
               "SELECT wfm.stable_id(a), a, n FROM (VALUES (%s, 'Sales'), (%s, 'Billing')) v(a, n) "
               "ON CONFLICT (queue_arn) DO UPDATE SET queue_name = excluded.queue_name",
               (Q, Q2))  # fmt: skip
    queues = queue_intraday.by_queue(db, window)
    assert [(q["queue"], q["channel"], q["in_queue"], q["longest_wait_s"], q["queued"],
             q["answered"], q["abandoned"], q["callback_requested"]) for q in queues] == [
        ("Sales", "VOICE", 6, 1200, 17, 4, 2, 3),  # C3, A5, K14, A11, A13, C16 wait; 9 + 8
        ("Billing", "VOICE", 0, 0, 2, 2, 0, 0),
        ("Sales", "CHAT", 0, 0, 1, 0, 1, 0),
    ]  # fmt: skip
    text = queue_intraday.markdown(queues, as_of, "America/New_York")
    assert text.splitlines()[0] == "As of 2026-11-02 09:30:00 EST:"
    assert "| Sales | VOICE | 6 | 1200 | 17 | 4 | 2 | 3 |" in text.splitlines()


def test_a_past_day_is_viewed_at_its_end(loaded, db):
    config, window = loaded
    as_of, _ = queue_intraday.build(db, config, window)  # now is days after 2026-11-02
    assert as_of == window.end - timedelta(microseconds=1)
    # at the day's end C3, A5, K14, A11, A13 and C16 have no connection or disconnect
    assert sum(r[8] for r in view(db)) == 6


def test_the_check_tells_which_contacts_events_and_records_disagree_on(db, tmp_path):
    config = cfg(tmp_path, contact_records_settle_minutes=30)
    window = pipeline.window_for(config, DAY)
    c1, c2, c4, c5, c6, c7 = (Contact(c) for c in ("C1", "C2", "C4", "C5", "C6", "C7"))
    events = [
        # C1: answered; its record agrees
        c1.event("QUEUED", "14:05:00"), c1.event("CONNECTED_TO_AGENT", "14:05:20"),
        c1.event("DISCONNECTED", "14:10:00"),
        # C2: queued 14:20, answered, still open: no record is due
        c2.event("QUEUED", "14:20:00"), c2.event("CONNECTED_TO_AGENT", "14:20:20"),
        # C4: abandoned at 14:08, and no record ever came
        c4.event("QUEUED", "14:07:00"), c4.event("DISCONNECTED", "14:08:00"),
        # C5: ended at 14:45; no record yet
        c5.event("QUEUED", "14:09:00"), c5.event("CONNECTED_TO_AGENT", "14:09:30"),
        c5.event("DISCONNECTED", "14:45:00"),
        # C6: the events say unanswered, its record says answered
        c6.event("QUEUED", "14:11:00"), c6.event("DISCONNECTED", "14:12:00"),
        # C7: queued 23:50 local, answered 00:05 the next day; its record agrees
        c7.event("QUEUED", "2026-11-03T04:50:00.000Z"),
        c7.event("CONNECTED_TO_AGENT", "2026-11-03T05:05:00.000Z"),
    ]  # fmt: skip

    def ctr(cid, enqueue, connected, disconnect="2026-11-02T14:40:00Z"):
        agent = {"ARN": AGENT, "ConnectedToAgentTimestamp": connected,
                 "AgentInteractionDuration": 60} if connected else None  # fmt: skip
        return {"ContactId": cid, "Channel": "VOICE", "InitiationMethod": "INBOUND",
                "InitiationTimestamp": enqueue, "DisconnectTimestamp": disconnect,
                "LastUpdateTimestamp": disconnect,
                "Queue": {"ARN": Q, "EnqueueTimestamp": enqueue, "Duration": 20},
                "Agent": agent}  # fmt: skip

    ingest(db, Stream.CONTACT_EVENTS, records(events))
    ingest(db, Stream.CONTACT_RECORDS, records([
        ctr("C1", "2026-11-02T14:05:00Z", "2026-11-02T14:05:20Z"),
        ctr("C3", "2026-11-02T14:06:00Z", "2026-11-02T14:06:30Z"),  # C3: no event at all
        ctr("C6", "2026-11-02T14:11:00Z", "2026-11-02T14:11:40Z"),
        ctr("C7", "2026-11-03T04:50:00Z", "2026-11-03T05:05:00Z", "2026-11-03T05:20:00Z"),
    ]))  # fmt: skip
    # At 14:50 only the 14:00 interval ended 30 minutes ago. C1 agrees, C3 has no event, C4
    # no record though it ended at 14:08 (over 30 min before), C6 is counted differently; C5
    # ended 5 minutes ago and needs no record yet.
    outcome = checks.contact_events_agree(db, config, window, now=ts("14:50:00"))
    assert not outcome.passed
    assert outcome.metadata == {"compared": 4, "differing": 3, "no_contact_record": 1,
                                "no_contact_event": 1, "counted_differently": 1}  # fmt: skip
    assert outcome.description == (
        "3 of 4 contacts queued in queue-intervals that ended at or before 2026-11-02 09:20 EST "
        "differ between the contact events and the contact records: 1 no contact record, "
        f"1 no contact event, 1 counted differently (e.g. C3 (no contact event): events "
        f"nothing, record {Q} VOICE 09:00 answered; C4 (no contact record): events {Q} VOICE "
        f"09:00 unanswered, record nothing; C6 (counted differently): events {Q} VOICE 09:00 "
        f"unanswered, record {Q} VOICE 09:00 answered); a contact that ended under 30 min ago "
        "needs no record yet"
    )  # fmt: skip
    # The next day every interval has settled: C5's record is overdue now; C2 is still open;
    # C7, answered after midnight, agrees.
    later = checks.contact_events_agree(db, config, window, now=ts("14:50:00") + timedelta(days=1))
    assert later.metadata == {"compared": 6, "differing": 4, "no_contact_record": 2,
                              "no_contact_event": 1, "counted_differently": 1}  # fmt: skip


def test_the_check_needs_contact_events_and_misses_absent_records(db, tmp_path):
    config = cfg(tmp_path)
    window = pipeline.window_for(config, DAY)
    outcome = checks.contact_events_agree(db, config, window)
    assert outcome.passed and outcome.description == (
        "no contact events of 2026-11-02 are stored: nothing to compare")
    # events and not one record: a contact that ended long ago has no record, one still
    # waiting needs none
    c1, c2 = Contact("C1"), Contact("C2")
    ingest(db, Stream.CONTACT_EVENTS, records([
        c1.event("QUEUED", "14:05:00"), c1.event("DISCONNECTED", "14:06:00"),
        c2.event("QUEUED", "14:07:00")]))  # fmt: skip
    outcome = checks.contact_events_agree(db, config, window)
    assert not outcome.passed
    assert outcome.metadata == {"compared": 1, "differing": 1, "no_contact_record": 1,
                                "no_contact_event": 0, "counted_differently": 0}  # fmt: skip


def test_the_check_counts_every_kind_of_difference_beyond_the_five_it_names(db, tmp_path):
    config = cfg(tmp_path)
    window = pipeline.window_for(config, DAY)
    # six contacts abandoned by 14:01 with no record, then one the record says was answered
    events = []
    for n in range(6):
        c = Contact(f"N{n}")
        events += [c.event("QUEUED", f"14:00:{n:02d}"), c.event("DISCONNECTED", "14:01:00")]
    late = Contact("Z9")
    events += [late.event("QUEUED", "14:10:00"), late.event("DISCONNECTED", "14:11:00")]
    ingest(db, Stream.CONTACT_EVENTS, records(events))
    ingest(db, Stream.CONTACT_RECORDS, records([{
        "ContactId": "Z9", "Channel": "VOICE", "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-02T14:10:00Z", "DisconnectTimestamp": "2026-11-02T14:30:00Z",
        "LastUpdateTimestamp": "2026-11-02T14:31:00Z",
        "Queue": {"ARN": Q, "EnqueueTimestamp": "2026-11-02T14:10:00Z", "Duration": 20},
        "Agent": {"ARN": AGENT, "ConnectedToAgentTimestamp": "2026-11-02T14:10:20Z"}}]))  # fmt: skip
    outcome = checks.contact_events_agree(db, config, window)  # now: the day is long past
    assert outcome.metadata == {"compared": 7, "differing": 7, "no_contact_record": 6,
                                "no_contact_event": 0, "counted_differently": 1}  # fmt: skip
    assert "6 no contact record, 1 counted differently (e.g. N0 " in outcome.description


def test_an_event_without_a_time_of_its_own_is_timed_by_the_latest_time_it_names():
    from wfm_connector.parsing.contact_events import parse_contact_event

    detail = {"eventType": "DISCONNECTED", "contactId": "U1",
              "queueInfo": {"queueArn": Q, "enqueueTimestamp": at("14:05:00")},
              "agentInfo": {"agentArn": AGENT, "connectedToAgentTimestamp": at("14:05:30")}}  # fmt: skip
    event = parse_contact_event(detail, orjson.dumps(detail))
    assert event.event_ts == ts("14:05:30") == event.connected_ts


def test_the_report_command_reads_the_view(loaded, db, tmp_path, monkeypatch):
    config, window = loaded
    run.queue_intraday(db, window, config, AS_OF)  # contact records fill in A8's disconnect
    path = tmp_path / "wfm.yaml"
    path.write_text(f'connect: {{instance_arn: "{INSTANCE}"}}\ntimezone: America/New_York\n'
                    f"interval_minutes: 15\nsources: {{contact_records: {{kind: local_folder, "
                    f'path: "{tmp_path}"}}}}\n')  # fmt: skip
    monkeypatch.setenv("WFM_CONFIG", str(path))

    def report(*args):
        result = CliRunner().invoke(app, ["report", "queue-intraday", "--day", "2026-11-02",
                                          *args, "--config", str(path)])  # fmt: skip
        return result.exit_code, result.output

    code, out = report("--format", "json")
    assert code == 0, out
    rows = orjson.loads(out)
    assert len(rows) == 4
    assert rows[-1] == {  # the 14:15 UTC interval is 09:15 local
        "interval_start": "2026-11-02T09:15:00-05:00", "queue": Q, "queue_id": stable_id(Q),
        "channel": "VOICE", "as_of": "2026-11-02T09:20:00.250000-05:00", "queued": 6,
        "answered": 2, "abandoned": 2, "callback_requested": 0, "transferred_out_from_queue": 0,
        "in_queue": 2, "longest_wait_s": 30,
    }  # fmt: skip
    code, out = report()
    assert code == 0 and "as of 09:20:00" in out and "longest_wait_now_s" in out
    code, out = report("--attribution", "enqueue")
    assert code == 2 and "--attribution does not apply to queue-intraday" in out
