"""Counts of what a simulation run produced and injected.

In: increments from the publisher and the delivery while the run goes. Out: the frozen
:class:`SimulationSummary` returned by ``simulate()`` and written to ``truth/summary.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SimulationSummary:
    """What one ``simulate()`` run wrote (real records exclude duplicates and malformed ones).

    Attributes:
        days: Days simulated.
        agents: Agents in the instance.
        agent_events: Distinct agent events (LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT).
        contact_events: Distinct EventBridge contact events.
        contact_records: CTRs published when contacts ended (one per contact; re-deliveries
            are counted in ``ctr_redeliveries``).
        contacts: Contacts (inbound, transfer and outbound).
        duplicates_injected: Records delivered a second time with identical bytes.
        out_of_order_injected: Records delivered 30 s-20 min late.
        ctr_redeliveries: CTRs delivered again later with a newer LastUpdateTimestamp.
        malformed_agent_events: Malformed lines added to the agent-events stream.
        malformed_contact_events: Malformed objects added to the contact-events stream.
        malformed_contact_records: Malformed objects added to the contact-records stream.
        agent_events_lost: Agent events the stream lost (a long gap during one agent's lunch).
        files_written: Files written (delivered objects, schedule, truth files).
    """

    days: int
    agents: int
    agent_events: int
    contact_events: int
    contact_records: int
    contacts: int
    duplicates_injected: int
    out_of_order_injected: int
    ctr_redeliveries: int
    malformed_agent_events: int
    malformed_contact_events: int
    malformed_contact_records: int
    agent_events_lost: int
    files_written: int

    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict (JSON-ready)."""
        return asdict(self)


@dataclass
class Counters:
    """Mutable tallies behind :class:`SimulationSummary`."""

    agent_events: int = 0
    contact_events: int = 0
    contact_records: int = 0
    contacts: int = 0
    duplicates_injected: int = 0
    out_of_order_injected: int = 0
    ctr_redeliveries: int = 0
    agent_events_lost: int = 0
    files_written: int = 0
    malformed: dict[str, int] = field(default_factory=dict)

    def add_malformed(self, stream: str) -> None:
        """Count one malformed record of ``stream``."""
        self.malformed[stream] = self.malformed.get(stream, 0) + 1

    def freeze(self, days: int, agents: int) -> SimulationSummary:
        """The final summary."""
        return SimulationSummary(
            days=days,
            agents=agents,
            agent_events=self.agent_events,
            contact_events=self.contact_events,
            contact_records=self.contact_records,
            contacts=self.contacts,
            duplicates_injected=self.duplicates_injected,
            out_of_order_injected=self.out_of_order_injected,
            ctr_redeliveries=self.ctr_redeliveries,
            malformed_agent_events=self.malformed.get("agent-events", 0),
            malformed_contact_events=self.malformed.get("contact-events", 0),
            malformed_contact_records=self.malformed.get("contact-records", 0),
            agent_events_lost=self.agent_events_lost,
            files_written=self.files_written,
        )
