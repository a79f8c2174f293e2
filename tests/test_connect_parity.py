"""One hand-worked case per rule of issue 7, each checked against Amazon Connect's definition.

Sources (quoted in the README's "Definitions"): Administrator Guide, "Historical metrics
definitions" (HMD, https://docs.aws.amazon.com/connect/latest/adminguide/metrics-definitions.html),
the GetMetricDataV2 API reference (V2), the contact record data model (CTR) and the agent event
stream data model (AES). Day 2026-11-02 in America/New_York (UTC-5): intervals of 15 minutes;
all times below are UTC, and every expected number is worked out in the comment above it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import psycopg
import pytest

from wfm_connector import pipeline
from wfm_connector.config import parse_config
from wfm_connector.db import migrate
from wfm_connector.db.connection import libpq_url
from wfm_connector.exports import calabrio_queue_log
from wfm_connector.ingest import Loader, ingest
from wfm_connector.parsing.framing import Framed
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = pytest.mark.integration

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
PROFILE = f"{INSTANCE}/routing-profile/p1"
QUEUE = f"{INSTANCE}/queue/q-sales"
QUEUE_2 = f"{INSTANCE}/queue/q-support"
OUTBOUND_QUEUE = f"{INSTANCE}/queue/q-outbound"
AGENT = f"{INSTANCE}/agent/a1"
AGENT_2 = f"{INSTANCE}/agent/a2"
AGENT_2_QUEUE = f"{INSTANCE}/queue/agent/a2"
STATUS_ARN = {"Available": f"{INSTANCE}/agent-state/s-routable", "Break": f"{INSTANCE}/agent-state/s-break",
              "Offline": f"{INSTANCE}/agent-state/s-offline"}  # fmt: skip
TYPES = {"Available": "ROUTABLE", "Ready": "ROUTABLE", "Break": "CUSTOM", "Offline": "OFFLINE"}
DAY = date(2026, 11, 2)


def config(tmp_path, **extra: Any):
    return parse_config(
        {
            "connect": {"instance_arn": INSTANCE},
            "timezone": "America/New_York",
            "interval_minutes": 15,
            "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
            "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "out")}},
            "export_profiles": [{"name": "q", "format": "calabrio_queue_log", "target": "local"}],
            **extra,
        }
    )


def at(hms: str) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2026, 11, 2, h, m, s, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Agent:
    """Builds one agent's events: a change list, heartbeats every 120 s between changes."""

    def __init__(self, arn: str = AGENT, typed: bool = True):
        self.arn, self.typed, self.changes = arn, typed, []

    def change(self, hms: str, status: str, *contacts, event_type: str = "STATE_CHANGE",
               status_arn: str | None = None) -> Agent:  # fmt: skip
        """contacts: (contact id, state) or (contact id, state, channel, initiation method)."""
        self.changes.append((at(hms), event_type, status, status_arn, contacts))
        return self

    def events(self, heartbeats: bool = True) -> list[dict]:
        out = []
        since, previous = None, None  # AgentStatus.StartTimestamp: when the status began
        for (t, etype, status, status_arn, contacts), nxt in zip(
            self.changes, [*self.changes[1:], None], strict=True
        ):
            since = t if status != previous else since
            previous = status
            out.append(self._event(t, etype, status, status_arn, contacts, since))
            beat = t + timedelta(seconds=120)
            while heartbeats and nxt is not None and etype != "LOGOUT" and beat < nxt[0]:
                out.append(self._event(beat, "HEART_BEAT", status, status_arn, contacts, since))
                beat += timedelta(seconds=120)
        return out

    def _event(self, t, etype, status, status_arn, contacts, since) -> dict:
        agent_status = {"ARN": status_arn or STATUS_ARN.get(status, f"{INSTANCE}/agent-state/x"),
                        "Name": status, "StartTimestamp": iso(since)}  # fmt: skip
        if self.typed:
            agent_status["Type"] = TYPES[status]
        items = []
        for c in contacts:
            cid, state, channel, method = (*c, "VOICE", "INBOUND")[:4] if len(c) == 2 else c
            items.append({"ContactId": cid, "Channel": channel, "State": state,
                          "StateStartTimestamp": iso(t), "InitiationMethod": method,
                          "Queue": {"ARN": QUEUE}})  # fmt: skip
        return {
            "AgentARN": self.arn,
            "EventId": f"{self.arn[-2:]}-{etype}-{iso(t)}",
            "EventType": etype,
            "EventTimestamp": iso(t),
            "CurrentAgentSnapshot": {
                "AgentStatus": agent_status,
                "Configuration": {
                    "Username": f"user-{self.arn[-2:]}",
                    "RoutingProfile": {"ARN": PROFILE, "InboundQueues": [{"ARN": QUEUE}]},
                },
                "Contacts": items,
            },
            "Version": "2019-05-25",
        }


def ctr(cid: str, disconnect: str, *, queue: str | None = QUEUE, enqueue: str | None = None,
        duration: int | None = None, agent: str | None = None, connected: str | None = None,
        talk: int = 0, hold: int = 0, acw: int = 0, holds: int | None = None,
        longest: int | None = None, method: str = "INBOUND", reason: str | None = None,
        channel: str = "VOICE", next_id: str | None = None, previous: str | None = None,
        external: bool = False, queue_name: str | None = "Sales",
        updated: str | None = None) -> dict:  # fmt: skip
    record: dict[str, Any] = {
        "ContactId": cid,
        "Channel": channel,
        "InitiationMethod": method,
        "InitiationTimestamp": f"2026-11-02T{enqueue or disconnect}Z",
        "DisconnectTimestamp": f"2026-11-02T{disconnect}Z",
        "DisconnectReason": reason,
        "LastUpdateTimestamp": f"2026-11-02T{updated or disconnect}Z",
        "NextContactId": next_id,
        "PreviousContactId": previous,
        "Queue": None if queue is None else {
            "ARN": queue, "Name": queue_name,
            "EnqueueTimestamp": f"2026-11-02T{enqueue}Z" if enqueue else None,
            "Duration": duration,
        },
        "Agent": None if agent is None else {
            "ARN": agent, "ConnectedToAgentTimestamp": f"2026-11-02T{connected}Z",
            "AgentInteractionDuration": talk, "CustomerHoldDuration": hold,
            "AfterContactWorkDuration": acw, "NumberOfHolds": holds, "LongestHoldDuration": longest,
        },
    }  # fmt: skip
    if external:
        record["TransferCompletedTimestamp"] = record["DisconnectTimestamp"]
        record["TransferredToEndpoint"] = {"Address": "+18005550199", "Type": "TELEPHONE_NUMBER"}
    return record


def records(values: list[dict]):
    for i, value in enumerate(values):
        raw = orjson.dumps(value)
        yield SourceRecord(f"test:{i}", Framed(i, raw, orjson.loads(raw)))


def reconcile(db, cfg, events: list[dict] = (), ctrs: list[dict] = ()):
    ingest(db, Stream.AGENT_EVENTS, records(list(events)))
    ingest(db, Stream.CONTACT_RECORDS, records(list(ctrs)))
    window = pipeline.window_for(cfg, DAY)
    pipeline.reconcile_agents(db, cfg, window)
    pipeline.reconcile_queues(db, cfg, window)
    return window


def activity(db, interval: str, agent: str = AGENT) -> dict[str, Any]:
    """The agent_interval_activity row of an interval (UTC HH:MM) as a dict."""
    cur = db.execute(
        "SELECT * FROM wfm.agent_interval_activity WHERE agent_arn = %s "
        "AND to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI') = %s",
        (agent, interval),
    )
    row = cur.fetchone()
    assert row is not None, f"no activity row at {interval}"
    return dict(zip([d.name for d in cur.description], row, strict=True))


def queue_row(db, interval: str, queue: str = QUEUE, attribution: str = "disconnect",
              channel: str = "VOICE") -> dict[str, Any]:  # fmt: skip
    cur = db.execute(
        "SELECT * FROM wfm.queue_interval WHERE queue_arn = %s AND attribution = %s "
        "AND channel = %s AND to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI') = %s",
        (queue, attribution, channel, interval),
    )
    row = cur.fetchone()
    assert row is not None, f"no queue row at {interval}"
    return dict(zip([d.name for d in cur.description], row, strict=True))


def d(text: str) -> Decimal:
    return Decimal(text)


# -- 1. statuses by Type --------------------------------------------------------------------


def test_renamed_available_still_counts_as_available_by_its_type(db, tmp_path):
    # AES: AgentStatus.Type is ROUTABLE / CUSTOM / OFFLINE; HMD idle time: "after the agent sets
    # their status to Available ... the time they weren't handling contacts". The routable
    # status renamed "Ready" (same ARN, Type ROUTABLE) is Available by its type, although the
    # configured name mapping lists only "Available".
    cfg = config(tmp_path)
    agent = (Agent().change("15:00:00", "Offline", event_type="LOGIN")
             .change("15:01:00", "Ready").change("15:11:00", "Break")
             .change("15:14:00", "Offline").change("15:14:30", "Offline", event_type="LOGOUT"))  # fmt: skip
    reconcile(db, cfg, agent.events(), [ctr("C1", "15:05:00", enqueue="15:04:50", duration=10,
                                            reason="CUSTOMER_DISCONNECT")])  # fmt: skip
    row = activity(db, "15:00")
    # Ready 15:01-15:11 = 600 s idle; Break 15:11-15:14 = 180 s NPT; online 780 s
    assert (row["online_s"], row["idle_s"], row["npt_s"]) == (d("780"), d("600"), d("180"))
    assert row["npt_by_status"] == {"Break": 180}
    # ... and the queue's agent availability sees the 600 s (the agent serves QUEUE)
    assert queue_row(db, "15:00")["agent_available_s"] == d("600")


def test_without_type_the_name_mapping_decides_and_an_override_beats_the_type(db, tmp_path):
    # Old payloads carry no Type: the configured name mapping stands in (here "Ready" is
    # mapped to productive). An override by status ARN wins over the Type: the CUSTOM
    # "Break" status counted as productive for this customer.
    cfg = config(tmp_path, status_categories={"Ready": "productive"},
                 status_overrides={STATUS_ARN["Break"]: "productive"})  # fmt: skip
    untyped = Agent(typed=False).change("15:00:00", "Ready").change("15:05:00", "Offline",
                                                                     event_type="LOGOUT")  # fmt: skip
    typed = Agent(AGENT_2).change("15:00:00", "Break").change("15:05:00", "Offline",
                                                              event_type="LOGOUT")  # fmt: skip
    reconcile(db, cfg, untyped.events() + typed.events())
    assert activity(db, "15:00")["idle_s"] == d("300")  # 15:00-15:05 Ready, by name
    second = activity(db, "15:00", AGENT_2)
    assert (second["idle_s"], second["npt_s"]) == (d("300"), d("0"))  # Break, overridden


# -- 2. service level ------------------------------------------------------------------------


def service_level_day(answered_at: int = 25) -> list[dict]:
    """100 queued contacts disconnecting in 16:00-16:15: 70 answered and 10 abandoned within
    20 s of queueing, 10 answered after ``answered_at`` s, 10 abandoned after 40 s."""
    out = []
    for i in range(100):
        if i < 70:
            queued, agent = 5 + i % 15, AGENT  # 5..19 s
        elif i < 80:
            queued, agent = 3 + i % 15, None  # abandoned after 3..17 s
        elif i < 90:
            queued, agent = answered_at, AGENT
        else:
            queued, agent = 40, None
        enqueue = at("16:00:00") + timedelta(seconds=i)
        dequeue = enqueue + timedelta(seconds=queued)
        out.append(ctr(f"S{i:03d}", (dequeue + timedelta(seconds=60)).strftime("%H:%M:%S"),
                       enqueue=enqueue.strftime("%H:%M:%S"), duration=queued, agent=agent,
                       connected=dequeue.strftime("%H:%M:%S"), talk=50, acw=10,
                       reason="CUSTOMER_DISCONNECT"))  # fmt: skip
    return out


def levels(db, interval: str = "16:00", channel: str = "VOICE") -> dict[int, tuple]:
    return {
        x: (removed, answered, abandoned, pct)
        for x, removed, answered, abandoned, pct in db.execute(
            "SELECT threshold_s, removed_within, answered_within, abandoned_within, "
            "service_level_pct FROM wfm.queue_interval_service_level WHERE attribution = "
            "'disconnect' AND channel = %s "
            "AND to_char(interval_start AT TIME ZONE 'UTC', 'HH24:MI') = %s",
            (channel, interval),
        )
    }


def test_service_level_counts_every_contact_removed_within_x(db, tmp_path):
    # HMD, Service level X: "(Contacts removed from queue in X seconds / Contacts queued) * 100";
    # removed = answered, abandoned or callback requested. V2: the comparison is LT by default.
    reconcile(db, config(tmp_path), ctrs=service_level_day(answered_at=25))
    sl = levels(db)
    # SL20: 70 answered + 10 abandoned within 20 s of 100 queued = 80.00 %
    assert sl[20] == (80, 70, 10, d("80.00"))
    # answered after 25 s is outside SL20 and, with LT, outside SL25 too; inside SL30:
    # (80 + 10) / 100 = 90.00 %. The 40 s abandons enter at SL45: 100 %.
    assert sl[25] == (80, 70, 10, d("80.00"))
    assert sl[30] == (90, 80, 10, d("90.00"))
    assert sl[45][3] == d("100.00")
    # SL15: answered after 5..14 s (i % 15 < 10: i = 0..9, 15..24, 30..39, 45..54, 60..69 =
    # 50 contacts); abandoned after 3 + i % 15 s for i = 70..79: 13, 14, 15, 16, 17, 3, 4, 5,
    # 6, 7 s, of which 7 are under 15. (50 + 7) / 100 = 57.00 %
    assert sl[15] == (57, 50, 7, d("57.00"))
    assert sorted(sl) == [15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600]


def test_a_contact_removed_after_exactly_x_seconds_is_within_only_with_lte(db, tmp_path):
    # V2 offers LT ("less than", the default) and LTE: 10 contacts answered after exactly 20 s.
    values = service_level_day(answered_at=20)
    reconcile(db, config(tmp_path), ctrs=values)
    assert levels(db)[20][0] == 80  # LT: 20 < 20 is false
    cfg = config(tmp_path, queue_log={"service_level_comparison": "LTE"})
    pipeline.reconcile_queues(db, cfg, pipeline.window_for(cfg, DAY))
    assert levels(db)[20] == (90, 80, 10, d("90.00"))  # LTE: 70 + 10 + 10 within


# -- 3. abandons -------------------------------------------------------------------------------


def test_abandoned_means_the_customer_hung_up_in_queue_and_no_callback(db, tmp_path):
    # HMD, Contacts abandoned: "disconnected by the customer while in the queue. Contacts queued
    # for callback are not counted as abandoned." CTR: no ConnectedToAgentTimestamp.
    values = [
        # A1: the caller hung up in queue after 30 s: abandoned
        ctr("A1", "17:00:30", enqueue="17:00:00", duration=30, reason="CUSTOMER_DISCONNECT"),
        # A2: a chat the flow ended after 60 s, no DisconnectReason: not the customer
        ctr("A2", "17:01:00", enqueue="17:00:00", duration=60, channel="CHAT"),
        # A3: asked for a callback, then hung up; only the callback (PreviousContactId = A3)
        # names the link, A3 has no NextContactId yet: callback requested, not abandoned
        ctr("A3", "17:02:00", enqueue="17:01:00", duration=60, reason="CUSTOMER_DISCONNECT"),
        ctr("A3-cb", "17:20:00", enqueue="17:03:00", duration=300, method="CALLBACK",
            previous="A3", agent=AGENT, connected="17:08:00", talk=600, acw=60,
            reason="AGENT_DISCONNECT"),
        # A4: the API ended it in queue (DisconnectReason API): not abandoned
        ctr("A4", "17:03:00", enqueue="17:02:00", duration=60, reason="API"),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ctrs=values)
    voice = queue_row(db, "17:00")
    assert (voice["contacts_queued"], voice["abandoned"], voice["callback_requested"]) == (3, 1, 1)
    assert (voice["queue_abandon_time_s"], voice["longest_abandon_s"]) == (30, 30)
    chat = queue_row(db, "17:00", channel="CHAT")
    assert (chat["contacts_queued"], chat["abandoned"]) == (1, 0)
    # The callback is its own contact: a callback contact, handled, but not "incoming" (V2:
    # Contacts handled incoming = INBOUND, TRANSFER, QUEUE_TRANSFER)
    cb = queue_row(db, "17:15")
    assert (cb["callback_contacts"], cb["handled"], cb["handled_callback"],
            cb["handled_incoming"]) == (1, 1, 1, 0)  # fmt: skip
    # Removed from the queue: A1 (abandoned after 30 s) and A3 (callback after 60 s); A4 was
    # neither answered, abandoned nor a callback. SL60 = 1/3 (60 < 60 is false) = 33.33 %,
    # SL90 = 2/3 = 66.67 %
    sl = levels(db, "17:00")
    assert (sl[60], sl[90]) == ((1, 0, 1, d("33.33")), (2, 0, 1, d("66.67")))


def test_service_level_counts_a_callback_request_as_removed(db, tmp_path):
    # The same callback rule from the other side: A3 removed by a callback after 10 s and
    # A1 abandoned after 30 s; 2 queued. SL15 = 1/2 = 50.00 %, SL30 = 1/2 (30 < 30 false),
    # SL45 = 2/2 = 100.00 %.
    values = [
        ctr("A1", "17:00:30", enqueue="17:00:00", duration=30, reason="CUSTOMER_DISCONNECT"),
        ctr("A3", "17:01:10", enqueue="17:01:00", duration=10, reason="CUSTOMER_DISCONNECT",
            next_id="A3-cb"),
        ctr("A3-cb", "17:20:00", enqueue="17:03:00", duration=300, method="CALLBACK",
            previous="A3", agent=AGENT, connected="17:08:00", talk=600, acw=60),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ctrs=values)
    sl = levels(db, "17:00")
    assert (sl[15], sl[30][3], sl[45][3]) == ((1, 0, 0, d("50.00")), d("50.00"), d("100.00"))


# -- 4 and 5. agent queues and transfers -------------------------------------------------------


def test_a_quick_connect_to_an_agent_creates_no_queue(db, tmp_path):
    # Admin Guide, "Queues: standard and agent": agent queues (.../queue/agent/<id>, no name) are
    # hidden from historical queue reports and not supported by the metrics APIs. T1 is
    # answered in Sales and handed by quick connect to agent 2, whose leg T2 runs through its
    # agent queue: no WFM queue, no queue row; T2 is a direct contact of agent 2.
    values = [
        ctr("T1", "18:05:00", enqueue="18:00:00", duration=20, agent=AGENT, connected="18:00:20",
            talk=280, acw=15, next_id="T2", reason="TRANSFER"),
        ctr("T2", "18:07:03", queue=AGENT_2_QUEUE, queue_name=None, enqueue="18:05:00",
            duration=3, agent=AGENT_2, connected="18:05:03", talk=120, acw=20, method="TRANSFER",
            previous="T1", reason="CUSTOMER_DISCONNECT"),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ctrs=values)
    assert db.execute("SELECT queue_arn FROM wfm.queue").fetchall() == [(QUEUE,)]
    assert db.execute("SELECT DISTINCT queue_arn FROM wfm.queue_interval").fetchall() == [(QUEUE,)]
    sales = queue_row(db, "18:00")
    assert (sales["handled"], sales["transferred_out"], sales["transferred_out_internal"]) == (1, 1, 1)
    rows = db.execute(
        "SELECT agent_arn, queue_arn, handled, handled_transfer, handle_time_s, "
        "transferred_out_internal FROM wfm.agent_queue_interval WHERE attribution = 'disconnect' "
        "ORDER BY agent_arn"
    ).fetchall()
    # agent 1: T1 in Sales, 280 + 15 s, transferred on; agent 2: T2 direct, 120 + 20 s
    assert rows == [(AGENT, QUEUE, 1, 0, 295, 1), (AGENT_2, None, 1, 1, 140, 0)]


def test_every_kind_of_transfer_has_its_own_column(db, tmp_path):
    # HMD: transferred out = by agent (internal: to a queue or agent; external: to a number
    # outside) + from queue (a flow's Transfer to queue); transferred in = by agent + from queue.
    values = [
        # X1 answered, then the agent transfers it to Support: internal (NextContactId)
        ctr("X1", "18:20:00", enqueue="18:15:00", duration=10, agent=AGENT, connected="18:15:10",
            talk=200, next_id="X1b", reason="TRANSFER"),
        ctr("X1b", "18:25:00", queue=QUEUE_2, queue_name="Support", enqueue="18:20:02",
            duration=8, agent=AGENT_2, connected="18:20:10", talk=250, method="TRANSFER",
            previous="X1"),
        # X2 answered, then sent to an outside number: external (no next contact)
        ctr("X2", "18:29:00", enqueue="18:15:30", duration=5, agent=AGENT, connected="18:15:35",
            talk=100, external=True, reason="CUSTOMER_DISCONNECT"),
        # X3 unanswered, moved to Support by the flow: out from queue / in from queue
        ctr("X3", "18:17:00", enqueue="18:16:00", duration=60, next_id="X3b",
            reason="CONTACT_FLOW_DISCONNECT"),
        ctr("X3b", "18:28:00", queue=QUEUE_2, queue_name="Support", enqueue="18:17:00",
            duration=30, agent=AGENT_2, connected="18:17:30", talk=500, method="QUEUE_TRANSFER",
            previous="X3"),
        # X4 asked for a callback: neither a transfer nor an abandon
        ctr("X4", "18:18:00", enqueue="18:16:30", duration=90, next_id="X4b",
            reason="CUSTOMER_DISCONNECT"),
        ctr("X4b", "18:40:00", enqueue="18:20:00", duration=600, method="CALLBACK",
            previous="X4", agent=AGENT, connected="18:30:00", talk=500),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ctrs=values)
    sales = queue_row(db, "18:15")
    assert {k: sales[k] for k in ("contacts_queued", "transferred_out", "transferred_out_internal",
                                  "transferred_out_external", "transferred_out_from_queue",
                                  "callback_requested", "abandoned", "handled")} == {
        "contacts_queued": 4, "transferred_out": 3, "transferred_out_internal": 1,
        "transferred_out_external": 1, "transferred_out_from_queue": 1, "callback_requested": 1,
        "abandoned": 0, "handled": 2,
    }  # fmt: skip
    support = queue_row(db, "18:15", queue=QUEUE_2)
    assert (support["transferred_in"], support["transferred_in_by_agent"],
            support["transferred_in_from_queue"], support["offered_direct"]) == (2, 1, 1, 0)  # fmt: skip
    # X4b: a callback contact handled in 18:30-18:45
    assert queue_row(db, "18:30")["handled_callback"] == 1


# -- 6. handled, outbound and handle times -------------------------------------------------------


def test_outbound_contacts_are_handled_with_handle_time_and_averages_follow_connect(db, tmp_path):
    values = [
        # O1: agent-initiated outbound from the Outbound queue: never queued
        ctr("O1", "19:04:10", queue=OUTBOUND_QUEUE, queue_name="Outbound", agent=AGENT,
            connected="19:00:10", talk=200, hold=40, holds=2, longest=30, acw=30,
            method="OUTBOUND", reason="AGENT_DISCONNECT"),
        ctr("I1", "19:06:00", enqueue="19:00:00", duration=12, agent=AGENT_2,
            connected="19:00:12", talk=300, acw=60),
        ctr("I2", "19:05:00", enqueue="19:01:00", duration=8, agent=AGENT_2,
            connected="19:01:08", talk=100, hold=60, holds=1, longest=60, acw=20),
        ctr("CB1", "19:10:00", enqueue="19:02:00", duration=200, method="CALLBACK",
            agent=AGENT, connected="19:05:20", talk=150, acw=10),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ctrs=values)
    sales = queue_row(db, "19:00")
    # HMD, Contacts handled: any contact connected to an agent (3); V2, Contacts handled
    # incoming: INBOUND, TRANSFER, QUEUE_TRANSFER (2: the callback is not one of them)
    assert (sales["handled"], sales["handled_incoming"], sales["handled_callback"]) == (3, 2, 1)
    # AHT = (300 + 60 + 100 + 60 + 20 + 150 + 10) / 3 = 700 / 3; average interaction
    # (300 + 100 + 150) / 3; average hold only over contacts put on hold: 60 / 1 (HMD)
    assert (sales["aht_s"], sales["avg_interaction_s"], sales["avg_hold_s"]) == (
        d("233.333"), d("183.333"), d("60.000"))  # fmt: skip
    assert (sales["holds"], sales["contacts_put_on_hold"], sales["longest_hold_s"]) == (1, 1, 60)
    # ASA: Queue.Duration of the answered, queued contacts: (12 + 8 + 200) / 3
    assert sales["asa_s"] == d("73.333")
    out = queue_row(db, "19:00", queue=OUTBOUND_QUEUE)
    # Outbound: handled with its handle time (200 + 40 + 30), no queue time
    assert {k: out[k] for k in ("contacts_queued", "handled", "handled_outbound", "handle_time_s",
                                "aht_s", "asa_s", "holds", "longest_hold_s", "avg_hold_s")} == {
        "contacts_queued": 0, "handled": 1, "handled_outbound": 1, "handle_time_s": 270,
        "aht_s": d("270.000"), "asa_s": None, "holds": 2, "longest_hold_s": 30,
        "avg_hold_s": d("40.000"),
    }  # fmt: skip
    agent_rows = db.execute(
        "SELECT queue_arn, handled, handled_outbound, handled_callback, handle_time_s "
        "FROM wfm.agent_queue_interval WHERE agent_arn = %s AND attribution = 'disconnect' "
        "ORDER BY queue_arn", (AGENT,),
    ).fetchall()  # fmt: skip
    # agent 1: O1 (outbound, 270 s) and CB1 (callback, 160 s in Sales)
    assert agent_rows == [(OUTBOUND_QUEUE, 1, 1, 0, 270), (QUEUE, 1, 0, 1, 160)]


# -- 7. where agent activity falls ---------------------------------------------------------------


def busy_evening() -> Agent:
    """Paused tasks, missed calls, ringing, a call from Break and one from Offline (20:00Z)."""
    return (
        Agent().change("20:00:00", "Offline", event_type="LOGIN")
        .change("20:00:10", "Available")
        .change("20:01:00", "Available", ("T", "CONNECTING", "TASK", "API"))
        .change("20:01:05", "Available", ("T", "CONNECTED", "TASK", "API"))
        .change("20:03:05", "Available", ("T", "PAUSED", "TASK", "API"))
        .change("20:05:05", "Available", ("T", "CONNECTED", "TASK", "API"))
        .change("20:06:05", "Available", ("T", "ENDED", "TASK", "API"))
        .change("20:06:35", "Available")
        .change("20:07:00", "Available", ("V", "CONNECTING"))
        .change("20:07:20", "Available", ("V", "MISSED"))
        .change("20:07:30", "Available")
        .change("20:07:40", "Available", ("W", "CONNECTING"))  # the caller hangs up as it rings
        .change("20:07:50", "Available")
        .change("20:08:00", "Break")
        .change("20:09:00", "Break", ("O", "CONNECTING", "VOICE", "OUTBOUND"))
        .change("20:09:10", "Break", ("O", "CONNECTED", "VOICE", "OUTBOUND"))
        .change("20:11:10", "Break", ("O", "ENDED", "VOICE", "OUTBOUND"))
        .change("20:11:40", "Break")
        .change("20:12:00", "Offline")
        .change("20:12:10", "Offline", ("O2", "CONNECTING", "VOICE", "OUTBOUND"))
        .change("20:12:20", "Offline", ("O2", "CONNECTED", "VOICE", "OUTBOUND"))
        .change("20:13:20", "Offline", ("O2", "ENDED", "VOICE", "OUTBOUND"))
        .change("20:13:30", "Offline")
        .change("20:14:00", "Offline", event_type="LOGOUT")
    )  # fmt: skip


def test_paused_tasks_missed_calls_ringing_break_and_offline_calls(db, tmp_path):
    reconcile(db, config(tmp_path), busy_evening().events())
    row = activity(db, "20:00")
    expected = {
        # Available 20:00:10-20:08:00 (470 s) + Break 20:08-20:12 (240 s); Offline is not online
        "online_s": d("710"),
        # on contact, not in a custom status (HMD): task connected 120 + 60, paused 120 (a
        # paused task keeps its slot), ACW 30
        "on_contact_s": d("330"),
        # Contact handle time includes custom and Offline statuses: 330 + the call from Break
        # (120 + 30) + the call from Offline (60 + 10)
        "contact_handle_s": d("550"),
        # idle: Available with no contact 50 + 25 + 10 + 10, plus the missed call in error 10
        # (HMD: "+ any time their contacts were in an Error state"); ringing is not idle
        "idle_s": d("105"),
        "error_s": d("10"), "error_wall_s": d("10"),
        # ringing (SUM_CONNECTING_TIME_AGENT, per contact): 5 (task) + 20 (missed call) + 10
        # (hung up) + 10 (from Break) + 10 (from Offline); none overlap, so the wall clock agrees
        "ringing_s": d("55"), "ringing_wall_s": d("55"),
        "npt_s": d("240"),
        "npt_by_status": {"Break": 240},
        # the call placed from Offline: 10 ringing + 60 talk + 10 ACW
        "offline_contact_s": d("80"),
        "talk_wall_s": d("360"), "hold_wall_s": d("0"), "paused_wall_s": d("120"),
        "acw_wall_s": d("70"), "no_contact_s": d("175"),
        "on_contact_task_s": d("330"), "on_contact_voice_s": d("0"),
        "interaction_s": d("360"), "interaction_task_s": d("180"), "interaction_voice_s": d("180"),
        "paused_s": d("120"), "acw_s": d("70"), "acw_task_s": d("30"), "acw_voice_s": d("40"),
        # 330 / (330 + 105) = 75.862...
        "occupancy_pct": d("75.86"),
        # routed: the task, the missed call and the call that rang out (the agent's own outbound
        # calls are not routed); not answered (Agent non-response): the last two
        "contacts_routed": 3, "contacts_missed": 2,
    }  # fmt: skip
    assert {k: row[k] for k in expected} == expected
    # the wall-clock columns add up to online time plus contact time under Offline:
    # 360 + 0 + 120 + 70 + 55 + 10 + 175 = 790 = 710 + 80
    wall = ("talk_wall_s", "hold_wall_s", "paused_wall_s", "acw_wall_s", "ringing_wall_s",
            "error_wall_s", "no_contact_s")  # fmt: skip
    assert sum(row[k] for k in wall) == row["online_s"] + row["offline_contact_s"]
    # LOGOUT at 20:14 ends the session: nothing in the next interval
    assert db.execute(
        "SELECT count(*) FROM wfm.agent_interval_states WHERE interval_start >= %s", (at("20:14:00"),)
    ).fetchone()[0] == 0


# -- 8. the event-gap rule ---------------------------------------------------------------------


def gap_agent() -> tuple[list[dict], list[dict]]:
    """Delivered events and the heartbeats 21:06-21:18 the stream lost."""
    events = (Agent().change("21:00:00", "Available").change("21:20:00", "Break")
              .change("21:25:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
    lost = [e for e in events if at("21:05:00") < datetime.fromisoformat(e["EventTimestamp"])
            < at("21:19:00")]  # fmt: skip
    return [e for e in events if e not in lost], lost


def test_a_long_silence_is_unknown_time_and_a_late_event_fills_it(db, tmp_path):
    delivered, lost = gap_agent()
    assert len(lost) == 7  # heartbeats 21:06, 21:08, ..., 21:18
    cfg = config(tmp_path)
    reconcile(db, cfg, delivered)
    # the last delivered event (21:04) holds 300 s to 21:09; 21:09-21:20 is unknown
    first, second = activity(db, "21:00"), activity(db, "21:15")
    assert (first["idle_s"], first["unknown_s"], first["online_s"]) == (d("540"), d("360"), d("540"))
    assert (second["unknown_s"], second["npt_s"]) == (d("300"), d("300"))
    # the limit is configurable: 600 s holds the 21:04 state to 21:14
    wide = config(tmp_path, max_event_gap_seconds=600)
    pipeline.reconcile_agents(db, wide, pipeline.window_for(wide, DAY))
    assert (activity(db, "21:00")["idle_s"], activity(db, "21:00")["unknown_s"]) == (d("840"), d("60"))
    # the lost heartbeats arrive late: a re-run has no unknown time left
    ingest(db, Stream.AGENT_EVENTS, records(lost))
    pipeline.reconcile_agents(db, cfg, pipeline.window_for(cfg, DAY))
    first, second = activity(db, "21:00"), activity(db, "21:15")
    assert (first["idle_s"], first["unknown_s"]) == (d("900"), d("0"))
    assert (second["idle_s"], second["unknown_s"], second["npt_s"]) == (d("300"), d("0"), d("300"))


# -- 9. concurrent chats -------------------------------------------------------------------------


def test_acw_on_one_chat_while_another_is_connected(db, tmp_path):
    agent = (
        Agent().change("22:00:00", "Available")
        .change("22:01:00", "Available", ("A", "CONNECTED", "CHAT", "INBOUND"))
        .change("22:03:00", "Available", ("A", "CONNECTED", "CHAT", "INBOUND"),
                ("B", "CONNECTED", "CHAT", "INBOUND"))
        .change("22:06:00", "Available", ("A", "ENDED", "CHAT", "INBOUND"),
                ("B", "CONNECTED", "CHAT", "INBOUND"))
        .change("22:07:00", "Available", ("B", "CONNECTED", "CHAT", "INBOUND"))
        .change("22:08:00", "Available", ("B", "ENDED", "CHAT", "INBOUND"))
        .change("22:08:30", "Available")
        .change("22:10:00", "Offline", event_type="LOGOUT")
    )  # fmt: skip
    reconcile(db, config(tmp_path), agent.events())
    row = activity(db, "22:00")
    # Wall clock: connected 22:01-22:08 = 420 s (A's ACW 22:06-22:07 lies under B's chat);
    # ACW 22:08-22:08:30 = 30 s; no contact 60 + 90 = 150 s; online 600 s
    assert (row["talk_wall_s"], row["acw_wall_s"], row["no_contact_s"], row["online_s"]) == (
        d("420"), d("30"), d("150"), d("600"))  # fmt: skip
    # Per contact (SUM_INTERACTION_TIME, SUM_AFTER_CONTACT_WORK_TIME): interaction A 300 + B
    # 300 = 600 s and ACW A 60 + B 30 = 90 s: more than the wall clock
    assert (row["interaction_s"], row["interaction_chat_s"], row["acw_s"], row["acw_chat_s"]) == (
        d("600"), d("600"), d("90"), d("90"))  # fmt: skip
    # Occupancy does not count concurrency twice: 450 / (450 + 150) = 75.00 %
    assert (row["on_contact_s"], row["on_contact_chat_s"], row["occupancy_pct"]) == (
        d("450"), d("450"), d("75.00"))  # fmt: skip


# -- 10 and 11. stable ids, current names, rebuilds ----------------------------------------------


def stable_id(arn: str) -> int:
    """The documented id rule, computed here on its own: 1 + first 32 bits of md5 mod 2^31-2."""
    return 1 + int(hashlib.md5(arn.encode()).hexdigest()[:8], 16) % 2147483646


RENAMED = [
    ctr("R1", "14:00:00", enqueue="13:59:00", duration=10, agent=AGENT, connected="13:59:10",
        talk=40, queue_name="Sales"),
    ctr("R2", "15:00:00", enqueue="14:59:00", duration=5, agent=AGENT_2, connected="14:59:05",
        talk=50, queue_name="Sales & Renewals"),
    ctr("R3", "15:30:00", enqueue="15:29:00", duration=30, reason="CUSTOMER_DISCONNECT",
        queue=QUEUE_2, queue_name="Support"),
]  # fmt: skip


def build(url: str, cfg, values: list[dict], rollback_first: bool = False) -> bytes:
    """A database built from ``values``; optionally after a load that died before committing."""
    migrate.upgrade(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        if rollback_first:
            def die():
                raise RuntimeError("killed")

            loader = Loader(conn, Stream.CONTACT_RECORDS, before_commit=die)
            with pytest.raises(RuntimeError):
                loader.load(list(records(values[::-1])))
        ingest(conn, Stream.CONTACT_RECORDS, records(values))
        window = pipeline.window_for(cfg, DAY)
        pipeline.reconcile_agents(conn, cfg, window)
        pipeline.reconcile_queues(conn, cfg, window)
        data, _ = calabrio_queue_log.render(conn, window, cfg.export_profiles[0], cfg)
        return data


def test_a_rebuilt_database_writes_byte_identical_exports(fresh_database, tmp_path):
    cfg = config(tmp_path)
    first = build(fresh_database(), cfg, RENAMED)
    # reversed delivery, after a killed load rolled back: the same ids and names, same bytes
    again = build(fresh_database(), cfg, RENAMED[::-1], rollback_first=True)
    assert again == first
    lines = first.decode().splitlines()
    ids = {line.split(";")[3] for line in lines}
    assert ids == {str(stable_id(QUEUE)), str(stable_id(QUEUE_2))}
    # queue ids pinned in the configuration win
    pinned = config(tmp_path, queue_ids={QUEUE: 101})
    data = build(fresh_database(), pinned, RENAMED)
    assert {line.split(";")[3] for line in data.decode().splitlines()} == {"101", str(stable_id(QUEUE_2))}


def test_a_renamed_queue_shows_its_newest_name_and_keeps_its_history(db, tmp_path):
    cfg = config(tmp_path)
    for order in (RENAMED, RENAMED[::-1]):
        db.execute("TRUNCATE wfm.queue, wfm.queue_name, wfm.contact_record_raw")
        window = reconcile(db, cfg, ctrs=order)
        assert db.execute("SELECT queue_name FROM wfm.queue WHERE queue_arn = %s",
                          (QUEUE,)).fetchone() == ("Sales & Renewals",)  # fmt: skip
        history = db.execute(
            "SELECT queue_name, first_seen_ts, last_seen_ts FROM wfm.queue_name "
            "WHERE queue_arn = %s ORDER BY first_seen_ts", (QUEUE,)
        ).fetchall()  # fmt: skip
        assert history == [("Sales", at("14:00:00"), at("14:00:00")),
                           ("Sales & Renewals", at("15:00:00"), at("15:00:00"))]  # fmt: skip
        data, _ = calabrio_queue_log.render(db, window, cfg.export_profiles[0], cfg)
        names = {line.split(";")[4] for line in data.decode().splitlines()}
        assert names == {"Sales & Renewals", "Support"}


# -- 12. a lost last event ----------------------------------------------------------------------


def test_a_lost_logout_holds_the_last_state_one_heartbeat(db, tmp_path):
    # The change to Offline at 23:04:30 (and the LOGOUT after it) never arrived: the last
    # event is the 23:04 heartbeat (after 23:00 and 23:02). Its state holds one heartbeat
    # period (120 s), to 23:06, not the 300 s gap limit (23:09): 360 s online in all.
    events = Agent().change("23:00:00", "Available").change("23:04:30", "Offline").events()
    assert [e["EventTimestamp"][11:19] for e in events[:-1]] == ["23:00:00", "23:02:00", "23:04:00"]
    reconcile(db, config(tmp_path), events[:-1])
    row = activity(db, "23:00")
    assert (row["online_s"], row["idle_s"], row["unknown_s"]) == (d("360"), d("360"), d("0"))


def test_a_renamed_agent_shows_its_newest_username(db, tmp_path):
    events = (Agent().change("13:00:00", "Available").change("13:10:00", "Offline",
                                                              event_type="LOGOUT")).events()  # fmt: skip
    for event in events[3:]:  # from the 13:06 heartbeat on, the username changed
        event["CurrentAgentSnapshot"]["Configuration"]["Username"] = "ada.lovelace"
    reconcile(db, config(tmp_path), events[::-1])  # delivered newest first
    assert db.execute("SELECT agent_id, username FROM wfm.agent").fetchall() == [
        (stable_id(AGENT), "ada.lovelace")
    ]
    assert db.execute(
        "SELECT username, first_seen_ts, last_seen_ts FROM wfm.agent_name ORDER BY 2"
    ).fetchall() == [("user-a1", at("13:00:00"), at("13:04:00")),
                     ("ada.lovelace", at("13:06:00"), at("13:10:00"))]  # fmt: skip


def test_a_configured_id_that_another_queue_already_has_stops_the_export(db, tmp_path):
    reconcile(db, config(tmp_path), ctrs=RENAMED)
    clash = config(tmp_path, queue_ids={QUEUE: stable_id(QUEUE_2)})
    window = pipeline.window_for(clash, DAY)
    with pytest.raises(ValueError, match="two queues would share an id"):
        calabrio_queue_log.render(db, window, clash.export_profiles[0], clash)


def test_the_export_keeps_its_rows_for_a_threshold_the_day_was_not_reconciled_with(db, tmp_path):
    window = reconcile(db, config(tmp_path), ctrs=RENAMED)
    later = config(tmp_path, queue_log={"service_level_seconds": 17})  # not stored for the day
    data, rows = calabrio_queue_log.render(db, window, later.export_profiles[0], later)
    assert rows == 2 * 96  # two queues, every quarter hour, answered-within counts 0


def test_a_call_routed_before_midnight_and_answered_after_is_not_missed(db, tmp_path):
    # Day 2026-11-02 ends at 2026-11-03 05:00Z. Routed at 04:59:50Z, answered at 05:00:10Z.
    ringing = Agent().change("04:50:00", "Available")
    ringing.changes += [
        (datetime(2026, 11, 3, 4, 59, 50, tzinfo=UTC), "STATE_CHANGE", "Available", None, (("M", "CONNECTING"),)),
        (datetime(2026, 11, 3, 5, 0, 10, tzinfo=UTC), "STATE_CHANGE", "Available", None, (("M", "CONNECTED"),)),
        (datetime(2026, 11, 3, 5, 5, 0, tzinfo=UTC), "LOGOUT", "Offline", None, ()),
    ]  # fmt: skip
    reconcile(db, config(tmp_path), ringing.events())
    row = db.execute(
        "SELECT contacts_routed, contacts_missed, ringing_s FROM wfm.agent_interval_activity "
        "WHERE interval_start = '2026-11-03T04:45:00Z'"
    ).fetchone()
    assert row == (1, 0, d("10"))  # routed in the last interval, 10 s ringing before midnight
