"""Amazon Connect wire formats: agent events, EventBridge contact events and contact records.

In: the instance, agents and the model's contacts (with their phase timeline), plus values
the caller drew (ids, casing variants, timestamps). Out: compact JSON bytes shaped like the AWS
samples in ``shared/reference/aws-samples`` (agent event stream ``Version 2019-05-25`` with full
snapshots; EventBridge envelopes with camelCase ``detail``; CTRs with second-precision
timestamps and whole-second durations that equal the differences of the printed timestamps).

Nothing here draws random numbers or keeps state: the publisher decides, this module spells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from wfm_connector.simulator.clock import iso_ms, iso_s
from wfm_connector.simulator.population import TASK, VOICE, Agent, Instance

if TYPE_CHECKING:
    from wfm_connector.simulator.model import Contact

AGENT_EVENT_VERSION = "2019-05-25"
CTR_FORMAT_VERSION = "2017-03-10"
DETAIL_TYPE = "Amazon Connect Contact Event"
CONNECTED = "CONNECTED"
ON_HOLD = "CONNECTED_ONHOLD"
PAUSED = "PAUSED"
EXTERNAL_NUMBER = "+18005550199"  # where agents transfer callers outside Connect
ENDED = "ENDED"
INITIATED = "INITIATED"
QUEUED = "QUEUED"
CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
DISCONNECTED = "DISCONNECTED"
OUTBOUND = "OUTBOUND"
LOGIN = "LOGIN"
LOGOUT = "LOGOUT"
STATE_CHANGE = "STATE_CHANGE"
HEART_BEAT = "HEART_BEAT"


def configuration_bytes(instance: Instance, agent: Agent, used: dict[str, int]) -> bytes:
    """``Configuration`` of an agent snapshot; ``used`` = slots taken per channel."""
    profile = agent.profile
    channels = list(profile.channels)
    inbound: list[dict[str, Any]] = [
        {"ARN": agent.agent_queue_arn, "Channels": channels, "Name": None}
    ]
    inbound += [
        {"ARN": instance.queues[name].arn, "Channels": list(served), "Name": name}
        for name, served in profile.queue_channels
    ]
    return orjson.dumps(
        {
            "AgentHierarchyGroups": None,
            "FirstName": agent.first_name,
            "LastName": agent.last_name,
            "RoutingProfile": {
                "ARN": profile.arn,
                "Concurrency": [
                    {
                        "AvailableSlots": maximum - used.get(channel, 0),
                        "Channel": channel,
                        "MaximumSlots": maximum,
                    }
                    for channel, maximum in profile.slots
                ],
                "DefaultOutboundQueue": {
                    "ARN": instance.outbound.arn,
                    "Channels": list(instance.outbound.channels),
                    "Name": instance.outbound.name,
                },
                "InboundQueues": inbound,
                "Name": profile.name,
            },
            "Username": agent.username,
        }
    )


def snapshot_contact(contact: Contact) -> dict[str, Any]:
    """One ``Contacts[]`` item of an agent snapshot, in the contact's current state."""
    return {
        "Channel": contact.channel,
        "ConnectedToAgentTimestamp": (
            iso_ms(contact.connected) if contact.connected is not None else None
        ),
        "ContactId": contact.id,
        "InitialContactId": contact.initial_id,
        "InitiationMethod": contact.method,
        "Queue": {"ARN": contact.queue.arn, "Name": contact.queue.name or None},
        "QueueTimestamp": iso_ms(contact.enqueue) if contact.enqueue is not None else None,
        "State": contact.state,
        "StateStartTimestamp": iso_ms(contact.state_start),
    }


def snapshot_bytes(
    status: tuple[str, str, str, int],
    next_status: tuple[str, str, int] | None,
    configuration: bytes,
    contacts: list[dict[str, Any]],
) -> bytes:
    """An agent snapshot; status is (name, ARN, Type, start ms), next (name, ARN, asked ms)."""
    name, arn, status_type, start = status
    snapshot: dict[str, Any] = {
        "AgentStatus": {
            "ARN": arn, "Name": name, "StartTimestamp": iso_ms(start), "Type": status_type,
        }
    }  # fmt: skip
    if next_status is not None:
        next_name, next_arn, asked = next_status
        snapshot["NextAgentStatus"] = {
            "Name": next_name,
            "ARN": next_arn,
            "EnqueuedTimestamp": iso_ms(asked),
        }
    snapshot["Configuration"] = orjson.Fragment(configuration)
    snapshot["Contacts"] = contacts
    return orjson.dumps(snapshot)


def agent_event_bytes(
    instance: Instance,
    agent: Agent,
    event_id: str,
    event_ms: int,
    event_type: str,
    current: bytes,
    previous: bytes,
) -> bytes:
    """One agent event stream record (keys in the order of the AWS samples)."""
    return orjson.dumps(
        {
            "AWSAccountId": instance.account,
            "AgentARN": agent.arn,
            "CurrentAgentSnapshot": orjson.Fragment(current),
            "EventId": event_id,
            "EventTimestamp": iso_ms(event_ms),
            "EventType": event_type,
            "InstanceARN": instance.arn,
            "PreviousAgentSnapshot": orjson.Fragment(previous),
            "Version": AGENT_EVENT_VERSION,
        }
    )


def contact_event_bytes(
    instance: Instance,
    contact: Contact,
    event_type: str,
    event_ms: int,
    event_id: str,
    *,
    title_case_channel: bool,
    pascal_agent_info: bool,
) -> bytes:
    """An EventBridge envelope around a camelCase ``detail`` (2022 sample shape).

    ``title_case_channel`` spells a voice channel ``Voice``; ``pascal_agent_info`` spells
    ``AgentInfo``/``AgentArn`` as some published samples do.
    """
    detail: dict[str, Any] = {"eventType": event_type, "contactId": contact.id}
    if contact.initial_id is not None:
        detail["initialContactId"] = contact.initial_id
    if contact.previous_id is not None:
        detail["previousContactId"] = contact.previous_id
    channel = contact.channel
    detail["channel"] = "Voice" if title_case_channel and channel == VOICE else channel
    detail["instanceArn"] = instance.arn
    detail["initiationMethod"] = contact.method
    detail["initiationTimestamp"] = iso_ms(contact.initiation)
    if event_type == DISCONNECTED:
        detail["disconnectTimestamp"] = iso_ms(contact.disconnect)
    if event_type != INITIATED and contact.enqueue is not None:
        detail["queueInfo"] = {
            "queueArn": contact.queue.arn,
            "queueType": "STANDARD",
            "enqueueTimestamp": iso_ms(contact.enqueue),
        }
    if event_type in (CONNECTED_TO_AGENT, DISCONNECTED) and contact.connected is not None:
        agent_key, arn_key = (
            ("AgentInfo", "AgentArn") if pascal_agent_info else ("agentInfo", "agentArn")
        )
        detail[agent_key] = {
            arn_key: contact.agent.arn,
            "connectedToAgentTimestamp": iso_ms(contact.connected),
        }
    return orjson.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": DETAIL_TYPE,
            "source": "aws.connect",
            "account": instance.account,
            "time": iso_s(event_ms),
            "region": instance.region,
            "resources": [f"{instance.arn}/contact/{contact.id}", instance.arn],
            "detail": detail,
        }
    )


def _phase_seconds(contact: Contact) -> tuple[int, int, int, int, int, int, int]:
    """(interaction, hold, holds, longest hold, ACW, pause, ACW start ms) from the phases."""
    interaction = hold = holds = longest = acw = pause = 0
    acw_start = contact.disconnect
    phases = contact.phases
    for (start, state), (end, _) in zip(phases, phases[1:], strict=False):
        seconds = (end - start) // 1000
        if state == CONNECTED:
            interaction += seconds
        elif state == ON_HOLD:
            hold += seconds
            holds += 1
            longest = max(longest, seconds)
        elif state == PAUSED:
            pause += seconds
        elif state == ENDED:
            acw += seconds
            acw_start = start
    return interaction, hold, holds, longest, acw, pause, acw_start


def contact_record(
    instance: Instance,
    contact: Contact,
    last_update_ms: int,
    attributes: dict[str, str],
    phone: str,
) -> dict[str, Any]:
    """A contact record (CTR) of an ended contact, keys in the order of the public sample."""
    agent_part: dict[str, Any] | None = None
    if contact.connected is not None:
        agent = contact.agent
        interaction, hold, holds, longest, acw, pause, acw_start = _phase_seconds(contact)
        agent_part = {
            "ARN": agent.arn,
            "AfterContactWorkDuration": acw,
            "AfterContactWorkEndTimestamp": iso_s(contact.end),
            "AfterContactWorkStartTimestamp": iso_s(acw_start),
            "AgentInteractionDuration": interaction,
            "ConnectedToAgentTimestamp": iso_s(contact.connected),
            "CustomerHoldDuration": hold,
            "HierarchyGroups": None,
            "LongestHoldDuration": longest,
            "NumberOfHolds": holds,
            "RoutingProfile": {"ARN": agent.profile.arn, "Name": agent.profile.name},
            "Username": agent.username,
        }
        if contact.channel == TASK:
            agent_part["AgentPauseDuration"] = pause
    if contact.enqueue is not None:
        dequeue = contact.connected if contact.connected is not None else contact.disconnect
        queue = {
            "ARN": contact.queue.arn,
            "DequeueTimestamp": iso_s(dequeue),
            "Duration": (dequeue - contact.enqueue) // 1000,
            "EnqueueTimestamp": iso_s(contact.enqueue),
            "Name": contact.queue.name or None,  # an agent queue has no name
        }
    else:
        queue = {
            "ARN": contact.queue.arn,
            "DequeueTimestamp": None,
            "Duration": 0,
            "EnqueueTimestamp": None,
            "Name": contact.queue.name,
        }
    voice = contact.channel == VOICE
    customer = {"Address": phone, "Type": "TELEPHONE_NUMBER"} if voice else None
    system = {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"} if voice else None
    external = None
    if contact.external:
        external = {"Address": EXTERNAL_NUMBER, "Type": "TELEPHONE_NUMBER"}
    media = {VOICE: [{"Type": "AUDIO"}], TASK: []}.get(contact.channel, [{"Type": "CHAT"}])
    return {
        "AWSAccountId": instance.account,
        "AWSContactTraceRecordFormatVersion": CTR_FORMAT_VERSION,
        "Agent": agent_part,
        "AgentConnectionAttempts": 1 if contact.connected is not None else 0,
        "AnsweringMachineDetectionStatus": None,
        "Attributes": attributes,
        "Campaign": {"CampaignId": None},
        "Channel": contact.channel,
        "ConnectedToSystemTimestamp": iso_s(contact.initiation),
        "ContactDetails": {},
        "ContactId": contact.id,
        "CustomerEndpoint": customer,
        "DisconnectReason": contact.disconnect_reason,
        "DisconnectTimestamp": iso_s(contact.disconnect),
        "InitialContactId": contact.initial_id,
        "InitiationMethod": contact.method,
        "InitiationTimestamp": iso_s(contact.initiation),
        "InstanceARN": instance.arn,
        "LastUpdateTimestamp": iso_s(last_update_ms),
        "MediaStreams": media,
        "NextContactId": contact.next_id,
        "PreviousContactId": contact.previous_id,
        "Queue": queue,
        "Recording": None,
        "Recordings": [],
        "References": [],
        "ScheduledTimestamp": None,
        "SystemEndpoint": system,
        "TransferCompletedTimestamp": (
            iso_s(contact.transfer) if contact.transfer is not None else None
        ),
        "TransferredToEndpoint": external,
        "VoiceIdResult": None,
    }


def contact_record_bytes(record: dict[str, Any]) -> bytes:
    """Compact JSON of a CTR (concatenated with no delimiter by the delivery)."""
    return orjson.dumps(record)
