"""Agent events from the Kinesis agent event stream -> rows of ``wfm.agent_event_raw``.

In: one decoded record (a JSON object: LOGIN, LOGOUT, STATE_CHANGE or HEART_BEAT with the full
CurrentAgentSnapshot). Out: :class:`AgentEvent` with the fields the reconciliation needs
(status name, Type and ARN, status start, routing profile) plus the
normalised contact list; or :class:`InvalidRecord` naming the field and the problem.

The contacts' states are kept as they are: what they mean for the agent's activity is the
reconciliation's business (``reconcile/agent_state_timeline.sql``), so it can change without
touching stored rows. Unknown fields are ignored here and kept in the raw payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wfm_connector.parsing.contact_records import is_agent_queue
from wfm_connector.parsing.values import InvalidRecord, obj, text, timestamp

EVENT_TYPES = frozenset({"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"})
@dataclass(frozen=True, slots=True)
class AgentEvent:
    """The parts of an agent event the connector uses."""

    event_id: str
    event_type: str
    event_ts: datetime
    agent_arn: str
    status_name: str | None
    status_type: str | None
    status_arn: str | None
    status_start_ts: datetime | None
    routing_profile_arn: str | None
    inbound_queue_arns: tuple[str, ...]
    username: str | None
    contacts: list[dict[str, Any]]


def parse_contacts(snapshot: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Normalise ``Contacts[]`` of a snapshot."""
    raw = snapshot.get("Contacts") or []
    if not isinstance(raw, list):
        raise InvalidRecord(f"{where}.Contacts is not a list")
    contacts = []
    for i, item in enumerate(raw):
        c = obj(item, f"{where}.Contacts[{i}]")
        state = text(c.get("State"), f"{where}.Contacts[{i}].State")
        start = timestamp(
            c.get("StateStartTimestamp"),
            f"{where}.Contacts[{i}].StateStartTimestamp",
            required=False,
        )
        queue = obj(c.get("Queue"), f"{where}.Contacts[{i}].Queue", required=False)
        channel = text(c.get("Channel"), f"{where}.Contacts[{i}].Channel", required=False)
        contacts.append(
            {
                "contact_id": text(c.get("ContactId"), f"{where}.Contacts[{i}].ContactId"),
                "channel": channel.upper() if channel else None,
                "state": state,
                "state_start": start.isoformat() if start else None,
                "initiation_method": text(
                    c.get("InitiationMethod"),
                    f"{where}.Contacts[{i}].InitiationMethod",
                    required=False,
                ),
                "queue_arn": text(
                    queue.get("ARN"), f"{where}.Contacts[{i}].Queue.ARN", required=False
                ),
            }
        )
    return contacts


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


def parse_agent_event(value: Any) -> AgentEvent:
    """Validate and normalise one agent event."""
    event = obj(value, "record")
    event_type = text(event.get("EventType"), "EventType")
    if event_type not in EVENT_TYPES:
        raise InvalidRecord(f"EventType {event_type!r} is not one of {sorted(EVENT_TYPES)}")
    snapshot = obj(event.get("CurrentAgentSnapshot"), "CurrentAgentSnapshot")
    status = obj(snapshot.get("AgentStatus"), "CurrentAgentSnapshot.AgentStatus")
    config = obj(
        snapshot.get("Configuration"), "CurrentAgentSnapshot.Configuration", required=False
    )
    profile = obj(config.get("RoutingProfile"), "Configuration.RoutingProfile", required=False)
    queues = profile.get("InboundQueues") or []
    if not isinstance(queues, list):
        raise InvalidRecord("Configuration.RoutingProfile.InboundQueues is not a list")
    contacts = parse_contacts(snapshot, "CurrentAgentSnapshot")
    return AgentEvent(
        event_id=text(event.get("EventId"), "EventId"),
        event_type=event_type,
        event_ts=timestamp(event.get("EventTimestamp"), "EventTimestamp"),
        agent_arn=text(event.get("AgentARN") or event.get("AgentArn"), "AgentARN"),
        status_name=text(status.get("Name"), "CurrentAgentSnapshot.AgentStatus.Name"),
        # ROUTABLE / CUSTOM / OFFLINE: the status's identity survives a rename (absent in old
        # samples, where the configured name mapping stands in).
        status_type=_upper(
            text(status.get("Type"), "CurrentAgentSnapshot.AgentStatus.Type", required=False)
        ),
        status_arn=text(status.get("ARN"), "CurrentAgentSnapshot.AgentStatus.ARN", required=False),
        status_start_ts=timestamp(
            status.get("StartTimestamp"),
            "CurrentAgentSnapshot.AgentStatus.StartTimestamp",
            required=False,
        ),
        routing_profile_arn=text(
            profile.get("ARN"), "Configuration.RoutingProfile.ARN", required=False
        ),
        # The agent's own queue (.../queue/agent/<id>) is listed too; it is not the profile's.
        inbound_queue_arns=tuple(
            arn
            for i, q in enumerate(queues)
            if isinstance(q, dict) and isinstance(q.get("ARN"), str)
            for arn in [text(q["ARN"], f"Configuration.RoutingProfile.InboundQueues[{i}].ARN",
                             required=False)]
            if arn and not is_agent_queue(arn)
        ),
        username=text(config.get("Username"), "Configuration.Username", required=False),
        contacts=contacts,
    )
