"""The simulated Amazon Connect instance: queues, routing profiles, agent statuses and agents.

In: the instance ARN, the number of agents and the run's random generator. Out: an
:class:`Instance` whose ARNs and names are stable for the whole run (every UUID is drawn from
the generator, so the same seed gives the same instance).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

VOICE = "VOICE"
CHAT = "CHAT"
TASK = "TASK"
AVAILABLE = "Available"
OFFLINE = "Offline"
BREAK = "Break"
LUNCH = "Lunch"
TRAINING = "Training"
STATUS_NAMES = (AVAILABLE, OFFLINE, BREAK, LUNCH, TRAINING)
# AgentStatus.Type of each status (Connect: ROUTABLE, CUSTOM or OFFLINE).
STATUS_TYPES = {
    AVAILABLE: "ROUTABLE", OFFLINE: "OFFLINE", BREAK: "CUSTOM", LUNCH: "CUSTOM", TRAINING: "CUSTOM",
}  # fmt: skip
# The routable status as this instance spells it: its administrator renamed "Available" to
# "Ready" (same ARN, Type ROUTABLE), as customers do; a reading by name would call it custom.
DISPLAY_NAMES = {AVAILABLE: "Ready"}
OUTBOUND_QUEUE = "Outbound"

# Queue name -> channels it takes contacts on.
QUEUE_SPECS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sales", (VOICE,)),
    ("Support", (VOICE, CHAT, TASK)),
    ("Billing", (VOICE,)),
)
# Profile name, (queue name, channels served) pairs, (channel, maximum slots) pairs.
PROFILE_SPECS: tuple[
    tuple[str, tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, int], ...]], ...
] = (
    ("Sales+Support Voice", (("Sales", (VOICE,)), ("Support", (VOICE,))), ((VOICE, 1),)),
    ("Support+Billing Voice", (("Support", (VOICE,)), ("Billing", (VOICE,))), ((VOICE, 1),)),
    ("Support Omni", (("Support", (VOICE, CHAT, TASK)),), ((CHAT, 3), (TASK, 1), (VOICE, 1))),
)
# Agent i gets profile PROFILE_PATTERN[i % 10]: 40 % / 30 % / 30 %, interleaved so that
# even a handful of agents covers every profile.
PROFILE_PATTERN = (0, 1, 2, 0, 1, 2, 0, 0, 1, 2)

FIRST_NAMES = (
    "Ada", "Ben", "Carla", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jamal", "Kira",
    "Luis", "Mona", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
    "Wes", "Xena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi",
    "Singh", "Tanaka", "Usman", "Varga", "Weber", "Young", "Zhang",
)  # fmt: skip


def display_name(status: str) -> str:
    """The status name as the instance publishes it."""
    return DISPLAY_NAMES.get(status, status)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the run's generator."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Queue:
    """A standard queue (or the default outbound queue)."""

    name: str
    arn: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class RoutingProfile:
    """A routing profile: which queues it serves on which channels, and its slots."""

    name: str
    arn: str
    queue_channels: tuple[tuple[str, tuple[str, ...]], ...]
    slots: tuple[tuple[str, int], ...]

    @property
    def channels(self) -> tuple[str, ...]:
        """Channels with slots, as listed in ``Concurrency`` (alphabetical)."""
        return tuple(channel for channel, _ in self.slots)

    def max_slots(self, channel: str) -> int:
        """MaximumSlots of a channel (0 when the profile has none)."""
        return dict(self.slots).get(channel, 0)

    def serves(self) -> tuple[tuple[str, str], ...]:
        """Every (queue name, channel) pair the profile takes contacts from."""
        return tuple((q, ch) for q, channels in self.queue_channels for ch in channels)


@dataclass(frozen=True)
class Agent:
    """An agent of the instance."""

    index: int
    arn: str
    username: str
    first_name: str
    last_name: str
    profile: RoutingProfile
    agent_queue_arn: str


@dataclass(frozen=True)
class Instance:
    """Everything static about the simulated instance."""

    arn: str
    account: str
    region: str
    queues: dict[str, Queue]
    outbound: Queue
    profiles: tuple[RoutingProfile, ...]
    status_arns: dict[str, str]
    agents: tuple[Agent, ...]


def build_instance(rng: random.Random, agent_count: int, instance_arn: str) -> Instance:
    """Create queues, profiles, statuses and ``agent_count`` agents.

    Raises:
        ValueError: when the ARN is not ``arn:aws:connect:<region>:<account>:instance/<id>``.
    """
    parts = instance_arn.split(":")
    if len(parts) < 6 or parts[2] != "connect" or not parts[5].startswith("instance/"):
        raise ValueError(f"not an Amazon Connect instance ARN: {instance_arn!r}")
    if agent_count < 1:
        raise ValueError(f"agents must be at least 1, got {agent_count}")
    region, account = parts[3], parts[4]
    queues = {
        name: Queue(name, f"{instance_arn}/queue/{new_uuid(rng)}", channels)
        for name, channels in QUEUE_SPECS
    }
    outbound = Queue(OUTBOUND_QUEUE, f"{instance_arn}/queue/{new_uuid(rng)}", (VOICE,))
    profiles = tuple(
        RoutingProfile(name, f"{instance_arn}/routing-profile/{new_uuid(rng)}", served, slots)
        for name, served, slots in PROFILE_SPECS
    )
    status_arns = {name: f"{instance_arn}/agent-state/{new_uuid(rng)}" for name in STATUS_NAMES}
    agents = []
    for index in range(agent_count):
        agent_id = new_uuid(rng)
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        agents.append(
            Agent(
                index=index,
                arn=f"{instance_arn}/agent/{agent_id}",
                username=f"{first.lower()}.{last.lower()}{index + 1:04d}",
                first_name=first,
                last_name=last,
                profile=profiles[PROFILE_PATTERN[index % len(PROFILE_PATTERN)]],
                agent_queue_arn=f"{instance_arn}/queue/agent/{agent_id}",
            )
        )
    return Instance(
        arn=instance_arn,
        account=account,
        region=region,
        queues=queues,
        outbound=outbound,
        profiles=profiles,
        status_arns=status_arns,
        agents=tuple(agents),
    )
