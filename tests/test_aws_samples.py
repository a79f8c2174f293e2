"""The payloads AWS published parse, with the quirks listed in aws-samples/SOURCES.md."""

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from wfm_connector import pipeline
from wfm_connector.config import parse_config
from wfm_connector.ingest import ingest
from wfm_connector.parsing.agent_events import parse_agent_event, parse_contacts
from wfm_connector.parsing.contact_events import parse_contact_event
from wfm_connector.parsing.contact_records import parse_contact_record
from wfm_connector.parsing.framing import Framed
from wfm_connector.parsing.values import InvalidRecord
from wfm_connector.sources.base import SourceRecord, Stream

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "aws-samples"


def raw(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def load(name: str):
    return orjson.loads(raw(name))


AGENT_EVENTS = {
    # file: (EventType, the contacts' states, EventId)
    "agent_event__heart_beat__sample_agent_event_stream.json": ("HEART_BEAT", [], "EventId-1"),
    "agent_event__heart_beat__sample_agent_event_stream__2021_enqueue_timestamp.json": ("HEART_BEAT", [], "EventId-1"),
    "agent_event__heart_beat__sample_agent_event_stream__2019_offline.json": ("HEART_BEAT", [], "EventId-1"),
    "agent_event__state_change_enter_acw__determine_acw_time.json": ("STATE_CHANGE", ["ENDED"], "EventId-1"),
    "agent_event__state_change_leave_acw__determine_acw_time.json": ("STATE_CHANGE", [], "477f2c4f-cd1a-4785-b1a8-97023dc1229d"),
    "agent_event__state_change_enter_acw__agent_event_streams_2018.json": ("STATE_CHANGE", ["ENDED"], None),
    "agent_event__state_change_leave_acw__agent_event_streams_2018.json": ("STATE_CHANGE", [], None),
}  # fmt: skip


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(AGENT_EVENTS))
def test_agent_events_parse(name):
    event_type, states, event_id = AGENT_EVENTS[name]
    event = parse_agent_event(load(name))
    assert (event.event_type, [c["state"] for c in event.contacts]) == (event_type, states)
    if event_id:
        assert event.event_id == event_id
    assert event.agent_arn.startswith("arn:aws:connect:")
    assert event.event_ts.tzinfo is not None and event.event_ts.microsecond % 1000 == 0


@pytest.mark.unit
def test_acw_is_timed_from_the_ended_contact_to_its_removal():
    enter = parse_agent_event(load("agent_event__state_change_enter_acw__determine_acw_time.json"))
    leave = parse_agent_event(load("agent_event__state_change_leave_acw__determine_acw_time.json"))
    # ACW runs 18:55:27.017 -> 18:55:32.022, i.e. 5.005 s (the docs' "determine ACW time" example)
    assert (leave.event_ts - enter.event_ts).total_seconds() == 5.005
    assert enter.contacts[0]["state"] == "ENDED" and leave.contacts == []


@pytest.mark.unit
def test_heartbeat_quirks():
    # NextAgentStatus spelled EnqueueTimestamp (2021) or EnqueuedTimestamp: both ignored safely.
    new = parse_agent_event(load("agent_event__heart_beat__sample_agent_event_stream.json"))
    old = parse_agent_event(
        load("agent_event__heart_beat__sample_agent_event_stream__2021_enqueue_timestamp.json")
    )
    assert new.status_name == old.status_name == "Available"
    # The agent's own queue (/queue/agent/..., Name null) is listed in the snapshot but is not
    # one of the routing profile's queues.
    assert new.inbound_queue_arns == (
        "arn:aws:connect:us-west-2:012345678901:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111/queue/queue-ARN",
    )


@pytest.mark.unit
def test_fragments_are_not_events_but_their_contacts_parse():
    contacts = parse_contacts(
        load("agent_event__fragment_contacts__about_contact_states.json"), "fragment"
    )
    assert contacts[0]["queue_arn"].endswith("queue-ARN-for-BasicQueue")
    assert "CONNECTED" in [c["state"] for c in contacts]
    for name in (
        "agent_event__fragment_agent_status__metrics_agent_status.json",
        "agent_event__fragment_empty_contacts__transfer_to_agent.json",
    ):
        with pytest.raises(InvalidRecord, match="EventType is missing"):
            parse_agent_event(load(name))


CONTACT_EVENTS = {
    # file: (event type, event time, agent arn, key is the envelope id)
    "contact_event__connected_to_agent__contact_events.json": (
        "CONNECTED_TO_AGENT", datetime(2021, 8, 4, 17, 29, 9, tzinfo=UTC),
        "arn:aws::connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012/agent/12345678-1234-1234-1234-123456789012",
        False),
    "contact_event__connected_to_agent__contact_events__2021_05_pascalcase_reconstructed.json": (
        "CONNECTED_TO_AGENT", datetime(2021, 5, 1, 18, 43, 48, tzinfo=UTC), "arn", True),
    "contact_event__connected_to_agent__contact_events__2021_09a.json": (
        "CONNECTED_TO_AGENT", datetime(2021, 5, 1, 18, 43, 48, tzinfo=UTC), "arn", True),
    "contact_event__connected_to_agent__contact_events__2021_09b.json": (
        "CONNECTED_TO_AGENT", datetime(2021, 5, 1, 18, 43, 48, tzinfo=UTC), "arn", True),
    "contact_event__disconnected__contact_events.json": (
        "DISCONNECTED", datetime(2021, 8, 4, 17, 18, 37, tzinfo=UTC), "arn", True),
    # timestamps at the envelope root, outside detail
    "contact_event__disconnected__contact_events__2021_09.json": (
        "DISCONNECTED", datetime(2021, 8, 4, 17, 18, 37, tzinfo=UTC), "arn", True),
}  # fmt: skip


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(CONTACT_EVENTS))
def test_contact_events_normalise_casing_and_placement(name):
    event_type, event_ts, agent_arn, enveloped = CONTACT_EVENTS[name]
    event = parse_contact_event(load(name), raw(name))
    assert event.event_type == event_type
    assert event.event_ts == event_ts
    assert event.contact_id == "11111111-1111-1111-1111-111111111111"
    assert event.channel == "VOICE"  # "Voice" and "VOICE" both appear
    assert event.agent_arn == agent_arn  # agentInfo/agentArn and AgentInfo/AgentArn
    if enveloped:
        assert event.event_key == "abcabcab-abca-abca-abca-abcabcabcabc"
    else:
        assert event.event_key.startswith("sha256:") and len(event.event_key) == 7 + 64


CTR_1 = "ctr__redelivery_1_of_3__public_ctr_samples.json"
CTR_2 = "ctr__redelivery_2_of_3__public_ctr_samples.json"


@pytest.mark.unit
def test_contact_record_fields():
    r = parse_contact_record(load(CTR_1))
    assert (r.queue_duration_s, r.agent_interaction_s, r.customer_hold_s, r.acw_s) == (
        346,
        239,
        221,
        5,
    )
    assert (r.number_of_holds, r.longest_hold_s) == (2, 204)
    assert r.enqueue_ts == datetime(2022, 1, 5, 17, 14, 46, tzinfo=UTC)  # no milliseconds
    assert r.initial_contact_id is None and r.next_contact_id is None
    assert r.transfer_completed_ts == datetime(2022, 1, 5, 17, 28, 12, tzinfo=UTC)


@pytest.mark.integration
def test_redelivered_record_counts_once(db, tmp_path):
    records = [
        SourceRecord(f"sample:{i}", Framed(0, raw(n), load(n)))
        for i, n in enumerate([CTR_1, CTR_2, CTR_1])  # the first copy arrives twice
    ]
    stats = ingest(db, Stream.CONTACT_RECORDS, records)
    assert (stats.read, stats.new, stats.duplicates) == (3, 2, 1)
    cfg = parse_config(
        {
            "connect": {"instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/x"},
            "timezone": "America/New_York",
            "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
        }
    )
    window = pipeline.window_for(cfg, date(2022, 1, 5))
    pipeline.reconcile_queues(db, cfg, window)
    rows = db.execute(
        "SELECT attribution, to_char(interval_start AT TIME ZONE 'America/New_York', 'HH24:MI'), "
        "contacts_queued, handled, queue_answer_time_s, interaction_s, hold_s, acw_s, aht_s, "
        "holds, contacts_put_on_hold, longest_hold_s, transferred_out, transferred_out_external, "
        "transferred_out_internal, abandoned "
        "FROM wfm.queue_interval WHERE contacts_queued > 0 ORDER BY 1"
    ).fetchall()
    # enqueued 17:14:46Z = 12:14 EST; disconnected 17:47:28Z = 12:47 EST; AHT = 239 + 221 + 5.
    # The agent sent the caller to an outside number (TransferCompletedTimestamp and
    # TransferredToEndpoint, no NextContactId): Connect's "Contacts transferred out external".
    # DisconnectReason CUSTOMER_DISCONNECT, but it was answered: not an abandon.
    assert [r[:8] for r in rows] == [
        ("disconnect", "12:45", 1, 1, 346, 239, 221, 5),
        ("enqueue", "12:00", 1, 1, 346, 239, 221, 5),
    ]
    assert rows[0][8:] == (465, 2, 1, 204, 1, 1, 0, 0)
    # Only that there was an endpoint is kept, never the number.
    assert db.execute("SELECT transferred_to_endpoint FROM wfm.contact_record_raw").fetchall() == [
        (True,), (True,)
    ]
