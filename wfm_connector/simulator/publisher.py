"""What the simulated instance publishes: model changes -> records of the three streams.

In: calls from the model (an agent changed at an instant, a contact event happened, a contact
ended, a malformed record is due). Out: wire-format bytes handed to the delivery, with:

- agent events: one per change with the full current snapshot and, as previous snapshot, the
  current snapshot of the agent's previous event; a HEART_BEAT with the unchanged snapshot
  whenever 120 s pass without another event, from LOGIN to LOGOUT (never at the instant of the
  next event, never after LOGOUT);
- contact events with the casing variants of the AWS samples (~10 % ``Voice``, ~10 %
  ``AgentInfo``/``AgentArn``);
- CTRs when a contact ends (``LastUpdateTimestamp`` 3-60 s later), ~3 % re-delivered 5 min to
  6 h later with a newer ``LastUpdateTimestamp`` and one more attribute;
- malformed records (extra, never replacing a real one), built from the stream's latest real
  record.

Also tracks the delivery watermark: no record produced later can arrive before it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from wfm_connector.simulator.clock import SECOND, iso_s
from wfm_connector.simulator.delivery import (
    AGENT_EVENTS,
    CONTACT_EVENTS,
    CONTACT_RECORDS,
    Delivery,
)
from wfm_connector.simulator.malformed import build_malformed
from wfm_connector.simulator.population import (
    CHAT,
    LUNCH,
    STATUS_TYPES,
    TASK,
    VOICE,
    Instance,
    display_name,
    new_uuid,
)
from wfm_connector.simulator.summary import Counters
from wfm_connector.simulator.wire import (
    HEART_BEAT,
    LOGIN,
    LOGOUT,
    STATE_CHANGE,
    agent_event_bytes,
    configuration_bytes,
    contact_event_bytes,
    contact_record,
    contact_record_bytes,
    snapshot_bytes,
    snapshot_contact,
)

if TYPE_CHECKING:
    from wfm_connector.simulator.model import AgentState, Contact

HEARTBEAT_MS = 120 * SECOND
# A stream gap: the heartbeats of agent #1 during its lunch, from 2 minutes in, are lost, so
# the connector sees a silence far longer than its event-gap limit while the agent is logged in.
LOST_AGENT_INDEX = 1
LOST_AFTER_MS = 2 * 60 * SECOND
CASING_VARIANT_SHARE = 0.10
REDELIVERY_SHARE = 0.03
ATTRIBUTE_VALUES = {
    "customerTier": ("gold", "silver", "bronze"),
    "language": ("en-US", "es-US", "fr-CA"),
    "intent": ("new_order", "invoice", "outage", "password", "cancel"),
}


class Publisher:
    """Spells model changes as records and hands them to the delivery."""

    def __init__(
        self, instance: Instance, rng: random.Random, delivery: Delivery, counters: Counters
    ) -> None:
        self.instance = instance
        self.rng = rng
        self.delivery = delivery
        self.counters = counters
        n = len(instance.agents)
        # Time of the agent's latest event while logged in (None when logged out).
        self._last_ms: list[int | None] = [None] * n
        self._last_snapshot: list[bytes | None] = [None] * n
        self._configurations: dict[tuple[int, int, int, int], bytes] = {}
        self._latest: dict[str, bytes] = {}
        self._lunch_since: list[int | None] = [None] * n
        self._last_delivered: list[int | None] = [None] * n
        self._gap_from: int | None = None
        self.lost: list[tuple[int, int, int]] = []

    # -- agent events ---------------------------------------------------------------------------

    def _configuration(self, a: AgentState) -> bytes:
        key = (a.agent.index, a.n_voice, a.n_chat, a.n_task)
        cached = self._configurations.get(key)
        if cached is None:
            used = {VOICE: a.n_voice, CHAT: a.n_chat, TASK: a.n_task}
            cached = configuration_bytes(self.instance, a.agent, used)
            self._configurations[key] = cached
        return cached

    def _snapshot(self, a: AgentState) -> bytes:
        arns = self.instance.status_arns
        next_status = None
        if a.next_status is not None:
            name, asked = a.next_status
            next_status = (display_name(name), arns[name], asked)
        return snapshot_bytes(
            (display_name(a.status), arns[a.status], STATUS_TYPES[a.status], a.status_start),
            next_status,
            self._configuration(a),
            [snapshot_contact(c) for c in a.contacts],
        )

    def _send_agent_event(
        self, a_index: int, event_ms: int, event_type: str, current: bytes, previous: bytes
    ) -> None:
        if self._lose(a_index, event_ms, event_type):
            return
        agent = self.instance.agents[a_index]
        data = agent_event_bytes(
            self.instance, agent, new_uuid(self.rng), event_ms, event_type, current, previous
        )
        self.counters.agent_events += 1
        self._latest[AGENT_EVENTS] = data
        self.delivery.deliver(AGENT_EVENTS, event_ms, data)

    def _lose(self, index: int, event_ms: int, event_type: str) -> bool:
        """True for an event the stream loses; records each gap (last and next delivered)."""
        if index != LOST_AGENT_INDEX:
            return False
        since = self._lunch_since[index]
        if event_type == HEART_BEAT and since is not None and event_ms - since >= LOST_AFTER_MS:
            if self._gap_from is None:
                self._gap_from = self._last_delivered[index]
            self.counters.agent_events_lost += 1
            return True
        if self._gap_from is not None:
            self.lost.append((index, self._gap_from, event_ms))
            self._gap_from = None
        self._last_delivered[index] = event_ms
        return False

    def take_lost(self) -> list[tuple[int, int, int]]:
        """The gaps recorded so far (agent index, last delivered ms, next delivered ms)."""
        lost, self.lost = self.lost, []
        return lost

    def _heartbeats(self, index: int, until_ms: int) -> None:
        """HEART_BEATs for every 120 s of silence strictly before ``until_ms``."""
        last = self._last_ms[index]
        if last is None:
            return
        snapshot = self._last_snapshot[index]
        assert snapshot is not None
        beat = last + HEARTBEAT_MS
        while beat < until_ms:
            self._send_agent_event(index, beat, HEART_BEAT, snapshot, snapshot)
            last = beat
            beat += HEARTBEAT_MS
        self._last_ms[index] = last

    def agent_event(self, a: AgentState, t: int, event_type: str) -> None:
        """The agent changed at ``t`` (all of the instant's changes are applied)."""
        index = a.agent.index
        current = self._snapshot(a)
        if event_type == LOGIN:
            previous = current
        else:
            previous = self._last_snapshot[index]
            if previous is None:
                return
            if event_type == STATE_CHANGE and current == previous:
                return  # the instant's changes cancelled out: nothing visible changed
            self._heartbeats(index, t)
        self._send_agent_event(index, t, event_type, current, previous)
        self._lunch_since[index] = a.status_start if a.status == LUNCH else None
        self._last_snapshot[index] = current
        self._last_ms[index] = None if event_type == LOGOUT else t

    def catch_up(self, agents: list[AgentState], t: int) -> None:
        """Emit the heartbeats due before ``t`` and release the delivery windows now complete.

        Called by the model when its clock reaches ``t`` with every earlier instant processed.
        """
        for a in agents:
            self._heartbeats(a.agent.index, t)
        self.delivery.flush(self.watermark(t))

    def watermark(self, t: int) -> int:
        """No record produced from now on has an event time before this instant."""
        pending = [ms for ms in self._last_ms if ms is not None]
        return min(t, min(pending)) if pending else t

    # -- contacts -------------------------------------------------------------------------------

    def contact_event(self, contact: Contact, event_type: str, t: int) -> None:
        """A contact event (INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED) at ``t``."""
        rng = self.rng
        data = contact_event_bytes(
            self.instance,
            contact,
            event_type,
            t,
            new_uuid(rng),
            title_case_channel=rng.random() < CASING_VARIANT_SHARE,
            pascal_agent_info=rng.random() < CASING_VARIANT_SHARE,
        )
        self.counters.contact_events += 1
        self._latest[CONTACT_EVENTS] = data
        self.delivery.deliver(CONTACT_EVENTS, t, data)

    def contact_record(self, contact: Contact, t: int) -> None:
        """The contact ended at ``t`` (ACW end, or disconnect when never connected)."""
        rng = self.rng
        updated = t + rng.randint(3, 60) * SECOND
        attributes = {key: rng.choice(values) for key, values in ATTRIBUTE_VALUES.items()}
        phone = f"+1555{rng.randrange(10**7):07d}"
        record = contact_record(self.instance, contact, updated, attributes, phone)
        data = contact_record_bytes(record)
        self.counters.contacts += 1
        self.counters.contact_records += 1
        self._latest[CONTACT_RECORDS] = data
        self.delivery.deliver(CONTACT_RECORDS, updated, data)
        if rng.random() < REDELIVERY_SHARE:
            later = updated + rng.randint(5 * 60, 6 * 3600) * SECOND
            again = dict(record)
            again["Attributes"] = {**attributes, "surveyScore": str(rng.randint(1, 5))}
            again["LastUpdateTimestamp"] = iso_s(later)
            self.counters.ctr_redeliveries += 1
            self.delivery.deliver_at(
                CONTACT_RECORDS,
                later + rng.randint(10 * SECOND, 90 * SECOND),
                contact_record_bytes(again),
            )

    # -- malformed records ----------------------------------------------------------------------

    def malformed(self, stream: str, kind: str, t: int) -> None:
        """Deliver one malformed record of ``kind`` (extra to the real records)."""
        data = build_malformed(stream, kind, self._latest.get(stream), self.rng)
        self.counters.add_malformed(stream)
        self.delivery.deliver_at(
            stream, t + self.rng.randint(200, 5 * SECOND), data, malformed_kind=kind
        )
