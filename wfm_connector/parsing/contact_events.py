"""EventBridge "Amazon Connect Contact Event" records -> rows of ``wfm.contact_event_raw``.

In: an EventBridge envelope (``version, id, detail-type, source, time, detail``) or a bare
``detail`` as some AWS samples and Lambda forwarders deliver it. Key casing varies between
camelCase and PascalCase (``agentInfo`` / ``AgentInfo``, ``instanceARN`` / ``instanceArn``),
``channel`` may be ``Voice`` or ``VOICE``, and some publishers put the timestamps at the
envelope root instead of inside ``detail``. All of that is normalised here.

Out: :class:`ContactEvent`, timed by the event type's own timestamp (``disconnectTimestamp``
for DISCONNECTED...), else the envelope ``time``, else the latest time it names; keyed by
the envelope ``id`` (a bare detail has no id, so its key is ``sha256:`` of its bytes:
identical re-deliveries still collapse); with the enqueue and connected-to-agent times any
event type carries (a DISCONNECTED event repeats them) and the contact it follows
(``previousContactId``). Unknown event types are kept, not rejected: Connect adds new ones
over time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wfm_connector.parsing.values import InvalidRecord, lower_keys, obj, text, timestamp

DETAIL_TYPE = "Amazon Connect Contact Event"
_ROOT_FALLBACK = ("initiationtimestamp", "connectedtosystemtimestamp", "disconnecttimestamp")
_EVENT_TIME = {
    "INITIATED": ("detail", "initiationtimestamp"),
    "CONNECTED_TO_SYSTEM": ("detail", "connectedtosystemtimestamp"),
    "QUEUED": ("queueinfo", "enqueuetimestamp"),
    "CONNECTED_TO_AGENT": ("agentinfo", "connectedtoagenttimestamp"),
    "DISCONNECTED": ("detail", "disconnecttimestamp"),
}


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """The parts of a contact event the connector uses."""

    event_key: str
    event_type: str
    event_ts: datetime | None
    contact_id: str
    channel: str | None
    initiation_method: str | None
    queue_arn: str | None
    agent_arn: str | None
    enqueue_ts: datetime | None = None
    connected_ts: datetime | None = None
    previous_contact_id: str | None = None


def parse_contact_event(value: Any, raw: bytes) -> ContactEvent:
    """Validate and normalise one contact event (envelope or bare detail)."""
    record = lower_keys(obj(value, "record"))
    if "detail" in record:
        detail_type = record.get("detail-type")
        if detail_type is not None and detail_type != DETAIL_TYPE:
            raise InvalidRecord(f"detail-type {detail_type!r} is not {DETAIL_TYPE!r}")
        detail = dict(obj(record["detail"], "detail"))
        for key in _ROOT_FALLBACK:
            if key not in detail and key in record:
                detail[key] = record[key]
        key = text(record.get("id"), "id")
        envelope_ts = timestamp(record.get("time"), "time", required=False)
    else:
        detail = record
        key = "sha256:" + hashlib.sha256(raw).hexdigest()
        envelope_ts = None
    event_type = text(detail.get("eventtype"), "detail.eventType")
    queue = obj(detail.get("queueinfo"), "detail.queueInfo", required=False)
    agent = obj(detail.get("agentinfo"), "detail.agentInfo", required=False)
    scopes = {"detail": detail, "queueinfo": queue, "agentinfo": agent}
    scope, field = _EVENT_TIME.get(event_type, ("detail", ""))
    detail_ts = timestamp(scopes[scope].get(field), f"detail.{field}", required=False)
    channel = text(detail.get("channel"), "detail.channel", required=False)
    enqueue_ts = timestamp(
        queue.get("enqueuetimestamp"), "detail.queueInfo.enqueueTimestamp", required=False
    )
    connected_ts = timestamp(
        agent.get("connectedtoagenttimestamp"), "detail.agentInfo.connectedToAgentTimestamp",
        required=False,
    )  # fmt: skip
    named = [t for t in (enqueue_ts, connected_ts) if t is not None]
    return ContactEvent(
        event_key=key,
        event_type=event_type,
        # a bare detail without its type's own time: the latest time it names (it happened
        # no earlier), so it still has a place in time
        event_ts=detail_ts or envelope_ts or (max(named) if named else None),
        contact_id=text(detail.get("contactid"), "detail.contactId"),
        channel=channel.upper() if channel else None,
        initiation_method=text(
            detail.get("initiationmethod"), "detail.initiationMethod", required=False
        ),
        queue_arn=text(queue.get("queuearn"), "detail.queueInfo.queueArn", required=False),
        agent_arn=text(agent.get("agentarn"), "detail.agentInfo.agentArn", required=False),
        enqueue_ts=enqueue_ts,
        connected_ts=connected_ts,
        previous_contact_id=text(
            detail.get("previouscontactid"), "detail.previousContactId", required=False
        ),
    )
