"""The intraday queue view from a few hand-written contact events, worked out by hand.

Day 2026-11-02 in America/New_York (EST, UTC-5), intervals of 15 minutes; all times below are
UTC. The view is taken at AS_OF = 14:20:00.250: a fact timed after it does not count yet.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from typer.testing import CliRunner

from tests.test_reconcile_hand_worked import stable_id
from wfm_connector import checks, pipeline, queue_intraday
from wfm_connector.cli import app
from wfm_connector.config import parse_config
from wfm_connector.ingest import ingest
from wfm_connector.parsing.framing import Framed
from wfm_connector.reconcile import run
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = pytest.mark.integration

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
AGENT = f"{INSTANCE}/agent/aaaaaaaa-0000-0000-0000-000000000001"
Q = f"{INSTANCE}/queue/qqqqqqqq-0000-0000-0000-000000000001"
Q2 = f"{INSTANCE}/queue/qqqqqqqq-0000-0000-0000-000000000002"
AGENT_QUEUE = f"{INSTANCE}/queue/agent/aaaaaaaa-0000-0000-0000-000000000001"
DAY = date(2026, 11, 2)
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


def at(hms: str) -> str:
    return f"2026-11-02T{hms}Z" if "." in hms else f"2026-11-02T{hms}.000Z"


class Contact:
    """Builds the EventBridge events of one contact."""

    def __init__(self, cid, queue=Q, channel="VOICE", method="INBOUND", previous=None):
        self.cid, self.queue, self.channel, self.method = cid, queue, channel, method
        self.previous = previous
        self.enqueue = self.connected = None
        self.n = 0

    def event(self, kind, when, *, event_id=None):
        self.n += 1
        detail = {"eventType": kind, "contactId": self.cid, "channel": self.channel,
                  "initiationMethod": self.method, "initiationTimestamp": at("13:00:00")}  # fmt: skip
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
    records = [{
        "ContactId": "A8", "Channel": "VOICE", "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-02T14:16:50Z", "DisconnectTimestamp": "2026-11-02T14:18:00Z",
        "LastUpdateTimestamp": "2026-11-02T14:18:30Z",
        "Queue": {"ARN": Q, "EnqueueTimestamp": "2026-11-02T14:17:00Z", "Duration": 60},
        "DisconnectReason": "CUSTOMER_DISCONNECT",
    }]  # fmt: skip
    return out, records


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
        # 14:00 Q voice: A1 answered; A2 abandoned (its second QUEUED is the same contact);
        # A3 callback; A4 moved on to Q2; C3 waiting since 14:10:00 (600.25 s -> 600) and A5
        # since 14:14:59.500 (300.75 s -> 300). A6 queued to an agent's queue: left out.
        (Q, "CHAT", "14:00", 1, 0, 1, 0, 0, 0, 0),  # A12
        (Q, "VOICE", "14:00", 6, 1, 1, 1, 1, 2, 600),
        (Q2, "VOICE", "14:00", 1, 1, 0, 0, 0, 0, 0),  # T4, answered at 14:12:00
        # 14:15 Q voice: A7 (enqueue from its CONNECTED_TO_AGENT event) and A9 answered; A8
        # waiting as far as the events tell (since 14:17:00: 180 s); A10 waiting 30.25 s.
        # A11 (14:21) is after the instant.
        (Q, "VOICE", "14:15", 4, 2, 0, 0, 0, 2, 180),
    ]


def test_contact_records_fill_in_a_lost_disconnect(loaded, db):
    config, window = loaded
    run.queue_intraday(db, window, config, AS_OF, with_records=True)
    # A8's record: disconnected at 14:18:00 unanswered, nothing after it -> abandoned; A10
    # is left waiting (30 s).
    assert view(db)[-1] == (Q, "VOICE", "14:15", 4, 2, 1, 0, 0, 1, 30)


def test_a_later_instant_and_the_day_by_queue(loaded, db):
    config, window = loaded
    later = AS_OF + timedelta(minutes=10)  # 14:30:00.250
    as_of, _ = queue_intraday.build(db, config, window, later)
    # A10 was answered at 14:20:01; A11 queued at 14:21:00 and waits 540.25 s; C3 1200.25 s
    assert view(db)[-1] == (Q, "VOICE", "14:15", 5, 3, 1, 0, 0, 1, 540)
    db.execute("INSERT INTO wfm.queue (queue_id, queue_arn, queue_name) "
               "SELECT wfm.stable_id(a), a, n FROM (VALUES (%s, 'Sales'), (%s, 'Billing')) v(a, n) "
               "ON CONFLICT (queue_arn) DO UPDATE SET queue_name = excluded.queue_name",
               (Q, Q2))  # fmt: skip
    queues = queue_intraday.by_queue(db, window)
    assert [(q["queue"], q["channel"], q["in_queue"], q["longest_wait_s"], q["queued"],
             q["answered"], q["abandoned"], q["callback_requested"]) for q in queues] == [
        ("Sales", "VOICE", 3, 1200, 11, 4, 2, 1),  # C3, A5, A11 wait; 6 + 5 queued
        ("Billing", "VOICE", 0, 0, 1, 1, 0, 0),
        ("Sales", "CHAT", 0, 0, 1, 0, 1, 0),
    ]  # fmt: skip
    text = queue_intraday.markdown(queues, as_of, "America/New_York")
    assert text.splitlines()[0] == "As of 2026-11-02 09:30:00 EST:"
    assert "| Sales | VOICE | 3 | 1200 | 11 | 4 | 2 | 1 |" in text.splitlines()


def test_a_past_day_is_viewed_at_its_end(loaded, db):
    config, window = loaded
    as_of, _ = queue_intraday.build(db, config, window)  # now is days after 2026-11-02
    assert as_of == window.end - timedelta(microseconds=1)
    # at the end of the day C3, A5 and A11 still have no connection or disconnect: in queue
    assert sum(r[8] for r in view(db)) == 3


def test_the_check_compares_settled_intervals_with_the_contact_records(db, tmp_path):
    config = cfg(tmp_path, contact_records_settle_minutes=30)
    window = pipeline.window_for(config, DAY)
    c1, c2 = Contact("C1"), Contact("C2")
    events = [c1.event("QUEUED", "14:05:00"), c1.event("CONNECTED_TO_AGENT", "14:05:20"),
              c2.event("QUEUED", "14:20:00"), c2.event("CONNECTED_TO_AGENT", "14:20:20")]  # fmt: skip

    def ctr(cid, enqueue, connected):
        return {"ContactId": cid, "Channel": "VOICE", "InitiationMethod": "INBOUND",
                "InitiationTimestamp": enqueue, "DisconnectTimestamp": "2026-11-02T14:40:00Z",
                "LastUpdateTimestamp": "2026-11-02T14:41:00Z",
                "Queue": {"ARN": Q, "EnqueueTimestamp": enqueue, "Duration": 20},
                "Agent": {"ARN": AGENT, "ConnectedToAgentTimestamp": connected,
                          "AgentInteractionDuration": 60}}  # fmt: skip

    ingest(db, Stream.CONTACT_EVENTS, records(events))
    # C1's record agrees with its events; C3 queued at 14:06 has a record and no event at all
    ingest(db, Stream.CONTACT_RECORDS, records([
        ctr("C1", "2026-11-02T14:05:00Z", "2026-11-02T14:05:20Z"),
        ctr("C3", "2026-11-02T14:06:00Z", "2026-11-02T14:06:30Z"),
    ]))  # fmt: skip
    pipeline.reconcile_agents(db, config, window)
    pipeline.reconcile_queues(db, config, window)
    # At 14:50 only the 14:00 interval ended 30 minutes ago: events 1 queued, records 2
    outcome = checks.contact_events_agree(db, config, window, now=datetime(2026, 11, 2, 14, 50,
                                                                           tzinfo=UTC))  # fmt: skip
    assert not outcome.passed
    assert outcome.metadata == {"compared": 1, "differing": 1}
    assert ("contact events queued 1 answered 1, contact records queued 2 answered 2"
            in outcome.description)  # fmt: skip
    # Once C3's events arrive the settled intervals agree; the 14:15 interval (C2, no record
    # yet) is compared once it has settled, and then differs.
    c3 = Contact("C3")
    ingest(db, Stream.CONTACT_EVENTS, records([c3.event("QUEUED", "14:06:00"),
                                               c3.event("CONNECTED_TO_AGENT", "14:06:30")]))
    now = datetime(2026, 11, 2, 14, 50, tzinfo=UTC)
    assert checks.contact_events_agree(db, config, window, now=now).passed
    later = checks.contact_events_agree(db, config, window, now=now + timedelta(minutes=15))
    assert not later.passed and later.metadata == {"compared": 2, "differing": 1}
    assert "contact events queued 1 answered 1, contact records queued 0 answered 0" in (
        later.description
    )


def test_the_check_has_nothing_to_compare_without_contact_events(db, tmp_path):
    config = cfg(tmp_path)
    window = pipeline.window_for(config, DAY)
    outcome = checks.contact_events_agree(db, config, window)
    assert outcome.passed and "nothing to compare" in outcome.description


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
        "channel": "VOICE", "as_of": "2026-11-02T09:20:00.250000-05:00", "queued": 4,
        "answered": 2, "abandoned": 1, "callback_requested": 0, "transferred_out_from_queue": 0,
        "in_queue": 1, "longest_wait_s": 30,
    }  # fmt: skip
    code, out = report()
    assert code == 0 and "as of 09:20:00" in out and "longest_wait_now_s" in out
    code, out = report("--attribution", "enqueue")
    assert code == 2 and "--attribution does not apply to queue-intraday" in out
