"""Contact records (CTRs) -> rows of ``wfm.contact_record_raw``.

In: one CTR as Connect publishes it to Kinesis or Firehose (timestamps with or without
milliseconds; ``Agent`` and ``Queue`` null when the contact never reached them; fields added
over time, which are ignored here and kept in the raw payload).

Out: :class:`ContactRecord` keyed by (ContactId, LastUpdateTimestamp): a re-delivery with a
newer LastUpdateTimestamp is a new row, and the reconciliation keeps the newest per contact.
Durations are whole seconds, as Connect reports them. No personal data is among the parsed
fields: of ``TransferredToEndpoint`` (an external phone number) only its presence is kept. (The
raw payload stored beside them is the record as delivered.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wfm_connector.parsing.values import InvalidRecord, integer, obj, text, timestamp


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """The parts of a contact record the connector uses."""

    contact_id: str
    last_update_ts: datetime
    channel: str
    initiation_method: str
    initiation_ts: datetime | None
    disconnect_ts: datetime | None
    disconnect_reason: str | None
    queue_arn: str | None
    queue_name: str | None
    enqueue_ts: datetime | None
    dequeue_ts: datetime | None
    queue_duration_s: int | None
    agent_arn: str | None
    agent_username: str | None
    connected_to_agent_ts: datetime | None
    agent_interaction_s: int | None
    customer_hold_s: int | None
    acw_s: int | None
    number_of_holds: int | None
    longest_hold_s: int | None
    initial_contact_id: str | None
    previous_contact_id: str | None
    next_contact_id: str | None
    transfer_completed_ts: datetime | None
    transferred_to_endpoint: bool


def is_agent_queue(queue_arn: str) -> bool:
    """An agent's personal queue (``.../queue/agent/<id>``): not a queue of the contact center.

    Connect routes quick-connect transfers to an agent through it; its metrics APIs do not
    support agent queues and its historical reports hide them by default (Administrator Guide,
    "Queues: standard and agent").
    """
    return "/queue/agent/" in queue_arn


def _has_address(endpoint: Any) -> bool:
    """True when an endpoint object names an address (its value is not kept)."""
    return isinstance(endpoint, dict) and bool(endpoint.get("Address"))


def parse_contact_record(value: Any) -> ContactRecord:
    """Validate and normalise one CTR."""
    ctr = obj(value, "record")
    queue = obj(ctr.get("Queue"), "Queue", required=False)
    agent = obj(ctr.get("Agent"), "Agent", required=False)
    enqueue = queue.get("EnqueueTimestamp", queue.get("EnqueuedTimestamp"))
    channel = text(ctr.get("Channel"), "Channel")
    record = ContactRecord(
        contact_id=text(ctr.get("ContactId"), "ContactId"),
        last_update_ts=timestamp(ctr.get("LastUpdateTimestamp"), "LastUpdateTimestamp"),
        channel=channel.upper(),
        initiation_method=text(ctr.get("InitiationMethod"), "InitiationMethod"),
        initiation_ts=timestamp(
            ctr.get("InitiationTimestamp"), "InitiationTimestamp", required=False
        ),
        disconnect_ts=timestamp(
            ctr.get("DisconnectTimestamp"), "DisconnectTimestamp", required=False
        ),
        disconnect_reason=text(ctr.get("DisconnectReason"), "DisconnectReason", required=False),
        queue_arn=text(queue.get("ARN"), "Queue.ARN", required=False),
        queue_name=text(queue.get("Name"), "Queue.Name", required=False),
        enqueue_ts=timestamp(enqueue, "Queue.EnqueueTimestamp", required=False),
        dequeue_ts=timestamp(
            queue.get("DequeueTimestamp"), "Queue.DequeueTimestamp", required=False
        ),
        queue_duration_s=integer(queue.get("Duration"), "Queue.Duration"),
        agent_arn=text(agent.get("ARN"), "Agent.ARN", required=False),
        agent_username=text(agent.get("Username"), "Agent.Username", required=False),
        connected_to_agent_ts=timestamp(
            agent.get("ConnectedToAgentTimestamp"),
            "Agent.ConnectedToAgentTimestamp",
            required=False,
        ),
        agent_interaction_s=integer(
            agent.get("AgentInteractionDuration"), "Agent.AgentInteractionDuration"
        ),
        customer_hold_s=integer(agent.get("CustomerHoldDuration"), "Agent.CustomerHoldDuration"),
        acw_s=integer(agent.get("AfterContactWorkDuration"), "Agent.AfterContactWorkDuration"),
        number_of_holds=integer(agent.get("NumberOfHolds"), "Agent.NumberOfHolds"),
        longest_hold_s=integer(agent.get("LongestHoldDuration"), "Agent.LongestHoldDuration"),
        initial_contact_id=text(ctr.get("InitialContactId"), "InitialContactId", required=False),
        previous_contact_id=text(ctr.get("PreviousContactId"), "PreviousContactId", required=False),
        next_contact_id=text(ctr.get("NextContactId"), "NextContactId", required=False),
        transfer_completed_ts=timestamp(
            ctr.get("TransferCompletedTimestamp"), "TransferCompletedTimestamp", required=False
        ),
        # Only whether there was one: the endpoint is an external phone number (personal data).
        transferred_to_endpoint=_has_address(ctr.get("TransferredToEndpoint")),
    )
    if record.enqueue_ts is not None and record.queue_arn is None:
        raise InvalidRecord("Queue.EnqueueTimestamp is set but Queue.ARN is missing")
    return record
