"""The discrete-event simulation of one contact-center day.

In: the instance, the day, every agent's :class:`~wfm_connector.simulator.schedule.AgentDayPlan`,
the run's random generator and a publisher (which turns changes into wire records). Out: the
day's own timeline, kept on the returned :class:`DayTimeline`: per agent the status changes
(``status_log``) and the contacts it held with their phase intervals (``Contact.phases``), and
every contact of the day with its queue times. The ground truth is computed from that timeline.

Time is integer milliseconds since the epoch (UTC). Status changes happen at random
milliseconds; everything about contacts (arrival, queue, routing, connect, hold, disconnect,
ACW end) happens on whole seconds, so an agent freed at a random millisecond takes waiting work
at the next whole second.

Every change of an agent (status, next status, a contact's state, a contact added or removed)
marks the agent; when the clock moves on, each marked agent gets exactly one event with its
snapshot at that instant, so changes at the same instant share one event.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from itertools import count
from typing import TYPE_CHECKING, Any

from wfm_connector.simulator.clock import MINUTE, SECOND, Day, ceil_second
from wfm_connector.simulator.population import (
    AVAILABLE,
    BREAK,
    CHAT,
    OFFLINE,
    QUEUE_SPECS,
    TASK,
    VOICE,
    Agent,
    Instance,
    Queue,
    new_uuid,
)
from wfm_connector.simulator.schedule import AgentDayPlan, StatusRequest
from wfm_connector.simulator.wire import (
    CONNECTED,
    CONNECTED_TO_AGENT,
    DISCONNECTED,
    ENDED,
    INITIATED,
    LOGIN,
    LOGOUT,
    ON_HOLD,
    OUTBOUND,
    PAUSED,
    QUEUED,
    STATE_CHANGE,
)

if TYPE_CHECKING:
    from wfm_connector.simulator.publisher import Publisher

CONNECTING = "CONNECTING"
MISSED = "MISSED"
INBOUND = "INBOUND"
TRANSFER = "TRANSFER"
CALLBACK = "CALLBACK"
CUSTOMER_DISCONNECT = "CUSTOMER_DISCONNECT"

FLUSH_EVERY_MS = 5 * MINUTE
OVERRUN_MS = 12 * 60 * MINUTE
# Demand: offered load per productive (scheduled "Phone") agent, by local hour, peaking in the
# early afternoon; split over the queues by which profile's agents can take it.
LOAD_BASE = 0.48
LOAD_PEAK = 0.18
LOAD_PEAK_HOUR = 12.5
LOAD_PEAK_WIDTH_H = 3.2
VOICE_AHT_S = 400.0
CHAT_AHT_S = 570.0
CHAT_CONCURRENCY = 1.8
# (queue, channel) -> load share of each profile's productive agents (profile order).
LOAD_SPLIT: dict[tuple[str, str], tuple[float, float, float]] = {
    ("Sales", VOICE): (0.85, 0.0, 0.0),
    ("Support", VOICE): (0.15, 0.15, 0.35),
    ("Billing", VOICE): (0.0, 0.85, 0.0),
    ("Support", CHAT): (0.0, 0.0, 0.65 * CHAT_CONCURRENCY),
    ("Support", TASK): (0.0, 0.0, 0.25),
}
TASK_AHT_S = 600.0
BLOCK_NOISE_SIGMA = 0.12
SURGE_FIRST_HOUR = 9
SURGE_LAST_HOUR = 17
SURGE_MINUTES = (20, 50)
SURGE_FACTOR = (1.35, 1.7)
PATIENCE_MEAN_S = {VOICE: 90.0, CHAT: 180.0, TASK: 1200.0}
PATIENCE_MAX_S = 1800
CALLBACK_PATIENCE_S = 1800  # a queued callback not reached by then expires
TRANSFER_SHARE = 0.06
# How an agent transfers a call on: to another queue, to an outside number, or straight to an
# agent (quick connect, through the agent's own queue).
TRANSFER_KINDS = (("queue", 0.4), ("external", 0.3), ("agent", 0.3))
CALLBACK_SHARE = 0.25  # of voice callers out of patience, who ask to be called back instead
FLOW_ENDED_CHAT_SHARE = 0.3  # of chats out of patience, ended by the flow with no reason
MISS_SHARE = 0.03  # of routed inbound voice contacts the agent does not answer
PAUSE_SHARE = 0.5  # of tasks the agent pauses once
OUTBOUND_INTENTS_PER_HOUR = 3.0
OUTBOUND_FROM_BREAK_SHARE = 0.25

# Event kinds of the simulation's agenda.
(_LOGIN, _LOGOUT, _STATUS, _ARRIVAL, _ENQUEUE, _ABANDON, _PHASE, _PULL, _INTENT, _MALFORMED) = (
    range(10)
)
RELOGIN = "relogin"  # a _LOGIN after going Offline mid-shift: then Available again


class Contact:
    """A contact and its timeline (all times whole seconds, in ms)."""

    __slots__ = (
        "id", "seq", "channel", "method", "queue", "initiation", "enqueue", "waiting",
        "agent", "holder", "phases", "state", "state_start", "connected", "disconnect", "end",
        "previous_id", "initial_id", "next_id", "transfer", "transfer_queue",
        "disconnect_reason", "transfer_kind", "external", "patience_end",
    )  # fmt: skip

    def __init__(
        self, contact_id: str, seq: int, channel: str, method: str, queue: Queue, initiation: int
    ) -> None:
        self.id = contact_id
        self.seq = seq
        self.channel = channel
        self.method = method
        self.queue = queue
        self.initiation = initiation
        self.enqueue: int | None = None
        self.waiting = False
        self.agent: Agent | None = None
        self.holder: AgentState | None = None
        # (start ms, state) of every phase on the agent; the last item is (end ms, None).
        self.phases: list[tuple[int, str | None]] = []
        self.state: str | None = None
        self.state_start = initiation
        self.connected: int | None = None
        self.disconnect: int | None = None
        self.end: int | None = None
        self.previous_id: str | None = None
        self.initial_id: str | None = None
        self.next_id: str | None = None
        self.transfer: int | None = None
        self.transfer_queue: Queue | None = None
        self.transfer_kind: str | None = None
        self.external = False  # transferred out to a number outside Connect
        self.patience_end: int | None = None
        self.disconnect_reason: str | None = CUSTOMER_DISCONNECT


class AgentState:
    """An agent during one day."""

    __slots__ = (
        "agent", "plan", "serves", "max_chat", "max_task", "status", "status_start",
        "next_status", "contacts", "n_voice", "n_chat", "n_task", "logged_in", "version",
        "dirty", "event_type", "status_log", "handled", "returns",
    )  # fmt: skip

    def __init__(self, plan: AgentDayPlan) -> None:
        self.agent = plan.agent
        self.plan = plan
        self.serves = plan.agent.profile.serves()
        self.max_chat = plan.agent.profile.max_slots(CHAT)
        self.max_task = plan.agent.profile.max_slots(TASK)
        self.status = OFFLINE
        self.status_start = plan.login_ms
        self.next_status: tuple[str, int] | None = None
        self.contacts: list[Contact] = []
        self.n_voice = 0
        self.n_chat = 0
        self.n_task = 0
        self.logged_in = False
        self.version = 0
        self.dirty = False
        self.event_type: str | None = None
        # (start ms, status name) at every status change; (logout ms, None) at LOGOUT.
        self.status_log: list[tuple[int, str | None]] = []
        # Every contact routed to the agent, with that assignment's phases (a contact the
        # agent missed goes back to the queue and may be routed to another agent).
        self.handled: list[tuple[Contact, list[tuple[int, str | None]]]] = []
        self.returns: dict[str, tuple[int, int]] = {}


@dataclass
class DayTimeline:
    """What happened during the day, as the simulation saw it."""

    day: Day
    agents: list[AgentState]
    contacts: list[Contact]
    # (agent index, last delivered event ms, next delivered event ms): events lost in between
    lost: list[tuple[int, int, int]] = field(default_factory=list)


class _ArrivalStream:
    """Non-homogeneous Poisson arrivals of one (queue, channel), by thinning."""

    __slots__ = ("key", "queue", "channel", "rates", "peak", "cursor", "start", "end")

    def __init__(
        self, key: tuple[str, str], queue: Queue, rates: list[float], start: int, end: int
    ) -> None:
        self.key = key
        self.queue = queue
        self.channel = key[1]
        self.rates = rates  # arrivals per ms, per minute of the day
        self.peak = max(rates) if rates else 0.0
        self.cursor = float(start)
        self.start = start
        self.end = end

    def next_arrival(self, rng: random.Random) -> int | None:
        """The next arrival (whole second, ms), or None when the day has no more."""
        if self.peak <= 0:
            return None
        while True:
            self.cursor += rng.expovariate(self.peak)
            if self.cursor >= self.end:
                return None
            minute = int((self.cursor - self.start) // MINUTE)
            if rng.random() * self.peak < self.rates[minute]:
                return int(self.cursor) // SECOND * SECOND


class DaySimulation:
    """Runs one day; see the module docstring."""

    def __init__(
        self,
        instance: Instance,
        day: Day,
        plans: list[AgentDayPlan],
        rng: random.Random,
        publisher: Publisher,
        malformed: list[tuple[int, str, str]],
    ) -> None:
        self.instance = instance
        self.day = day
        self.rng = rng
        self.publisher = publisher
        self.agents = [AgentState(plan) for plan in plans]
        self._agenda: list[tuple[int, int, int, Any, Any]] = []
        self._seq = count()
        self._contact_seq = count()
        self._dirty: list[AgentState] = []
        self.contacts: list[Contact] = []
        keys = [(name, ch) for name, channels in QUEUE_SPECS for ch in channels]
        self._waiting: dict[tuple[str, str], deque[Contact]] = {k: deque() for k in keys}
        self._pools: dict[tuple[str, str], list[tuple[int, int, int, int, AgentState]]] = {
            k: [] for k in keys
        }
        self._pool_limit = 8 * len(self.agents) + 64
        self._handlers = (
            self._on_login, self._on_logout, self._on_status, self._on_arrival,
            self._on_enqueue, self._on_abandon, self._on_phase, self._on_pull,
            self._on_intent, self._on_malformed,
        )  # fmt: skip
        for a in self.agents:
            self._push(a.plan.login_ms, _LOGIN, a)
            for at in a.plan.relogins:
                self._push(at, _LOGIN, a, RELOGIN)
            for request in a.plan.requests:
                self._push(request.at_ms, _STATUS, a, request)
        for stream in self._arrival_streams():
            first = stream.next_arrival(rng)
            if first is not None:
                self._push(first, _ARRIVAL, stream)
        for at, stream_name, kind in malformed:
            self._push(at, _MALFORMED, stream_name, kind)

    # -- agenda -------------------------------------------------------------------------------

    def _push(self, t: int, kind: int, obj: Any, arg: Any = None) -> None:
        heappush(self._agenda, (t, next(self._seq), kind, obj, arg))

    def run(self) -> DayTimeline:
        """Process the agenda to its end; returns the day's timeline."""
        agenda = self._agenda
        handlers = self._handlers
        publisher = self.publisher
        now: int | None = None
        next_flush = 0
        while agenda:
            t, _, kind, obj, arg = heappop(agenda)
            if t > self.day.end_ms + OVERRUN_MS:
                # Every agent logs out and every contact ends within hours of the day's end;
                # anything still scheduled later is a bug, not a long day.
                raise RuntimeError(f"the simulation of {self.day.day} runs past its day")
            if t != now:
                if now is not None:
                    self._emit_marked(now)
                if t >= next_flush:
                    publisher.catch_up(self.agents, t)
                    next_flush = (t // FLUSH_EVERY_MS + 1) * FLUSH_EVERY_MS
                now = t
            handlers[kind](t, obj, arg)
        if now is not None:
            self._emit_marked(now)
        publisher.catch_up(self.agents, now if now is not None else self.day.end_ms)
        return DayTimeline(self.day, self.agents, self.contacts)

    def _mark(self, a: AgentState) -> None:
        if not a.dirty:
            a.dirty = True
            self._dirty.append(a)

    def _emit_marked(self, t: int) -> None:
        for a in self._dirty:
            a.dirty = False
            event_type = a.event_type or STATE_CHANGE
            a.event_type = None
            self.publisher.agent_event(a, t, event_type)
        self._dirty.clear()

    # -- demand -------------------------------------------------------------------------------

    def _arrival_streams(self) -> Iterator[_ArrivalStream]:
        day = self.day
        minutes = (day.end_ms - day.start_ms) // MINUTE
        profile_index = {p.name: i for i, p in enumerate(self.instance.profiles)}
        staffed = [[0] * (minutes + 1) for _ in self.instance.profiles]
        for a in self.agents:
            row = staffed[profile_index[a.agent.profile.name]]
            for act in a.plan.activities:
                if act.productive:
                    first = min(minutes, max(0, (act.start_ms - day.start_ms) // MINUTE))
                    last = min(minutes, (act.end_ms - day.start_ms) // MINUTE)
                    row[first] += 1
                    row[last] -= 1
        for row in staffed:
            running = 0
            for m in range(minutes + 1):
                running += row[m]
                row[m] = running
        load = []
        for m in range(minutes):
            hour = day.local_hour(day.start_ms + m * MINUTE + MINUTE // 2)
            load.append(
                LOAD_BASE
                + LOAD_PEAK * math.exp(-(((hour - LOAD_PEAK_HOUR) / LOAD_PEAK_WIDTH_H) ** 2))
            )
        rng = self.rng
        # A surge or two per day (an outage, a campaign) lifts every queue past its staffing,
        # so even a large center sees waits and abandons; on top, each queue's half hours
        # are a little off the forecast.
        surge = [1.0] * minutes
        surge_first = (day.local_ms(SURGE_FIRST_HOUR) - day.start_ms) // MINUTE
        surge_last = (day.local_ms(SURGE_LAST_HOUR) - day.start_ms) // MINUTE
        for _ in range(rng.randint(1, 2)):
            begin = rng.randint(surge_first, surge_last)
            boost = rng.uniform(*SURGE_FACTOR)
            for m in range(begin, min(minutes, begin + rng.randint(*SURGE_MINUTES))):
                surge[m] = max(surge[m], boost)
        for key, split in LOAD_SPLIT.items():
            aht_ms = {CHAT: CHAT_AHT_S, TASK: TASK_AHT_S}.get(key[1], VOICE_AHT_S) * SECOND
            factor = []
            for block in range(0, minutes, 30):
                noise = rng.lognormvariate(0.0, BLOCK_NOISE_SIGMA)
                factor.extend(noise * surge[m] for m in range(block, min(minutes, block + 30)))
            rates = [
                factor[m]
                * load[m]
                * sum(share * staffed[p][m] for p, share in enumerate(split))
                / aht_ms
                for m in range(minutes)
            ]
            yield _ArrivalStream(key, self.instance.queues[key[0]], rates, day.start_ms, day.end_ms)

    # -- routing ------------------------------------------------------------------------------

    @staticmethod
    def _eligible(a: AgentState, channel: str) -> bool:
        if not a.logged_in or a.status != AVAILABLE or a.next_status is not None:
            return False
        if channel == VOICE:
            return not a.contacts
        if channel == TASK:
            return a.n_voice == 0 and a.n_task < a.max_task
        return a.n_voice == 0 and a.n_chat < a.max_chat

    def _refresh(self, a: AgentState, t: int) -> bool:
        """Re-index the agent after a change; True when it can take some work now."""
        a.version += 1
        can_work = False
        for key in a.serves:
            if self._eligible(a, key[1]):
                can_work = True
                pool = self._pools[key]
                rank = {CHAT: a.n_chat, TASK: a.n_task}.get(key[1], 0)
                heappush(pool, (rank, t, next(self._seq), a.version, a))
                if len(pool) > self._pool_limit:
                    self._compact(key)
        return can_work

    def _compact(self, key: tuple[str, str]) -> None:
        pool = [
            e for e in self._pools[key] if e[3] == e[4].version and self._eligible(e[4], key[1])
        ]
        heapify(pool)
        self._pools[key] = pool

    def _take_agent(self, key: tuple[str, str]) -> AgentState | None:
        """The eligible agent idle the longest (fewest chats first for chat)."""
        pool = self._pools[key]
        while pool:
            entry = heappop(pool)
            a = entry[4]
            if entry[3] == a.version and self._eligible(a, key[1]):
                return a
        return None

    def _dispatch(self, key: tuple[str, str], t: int) -> None:
        waiting = self._waiting[key]
        while waiting:
            contact = waiting[0]
            if not contact.waiting:
                waiting.popleft()
                continue
            a = self._take_agent(key)
            if a is None:
                return
            waiting.popleft()
            self._route(contact, a, t)

    def _pull(self, a: AgentState, t: int) -> None:
        """A freed agent takes the oldest waiting contact of its queues, repeatedly."""
        while True:
            best: Contact | None = None
            best_key: tuple[str, str] | None = None
            for key in a.serves:
                if not self._eligible(a, key[1]):
                    continue
                waiting = self._waiting[key]
                while waiting and not waiting[0].waiting:
                    waiting.popleft()
                if waiting:
                    head = waiting[0]
                    if best is None or (head.enqueue, head.seq) < (best.enqueue, best.seq):
                        best, best_key = head, key
            if best is None or best_key is None:
                return
            self._waiting[best_key].popleft()
            self._route(best, a, t)

    def _became_free(self, a: AgentState, t: int) -> None:
        if self._refresh(a, t):
            if t % SECOND == 0:
                self._pull(a, t)
            else:
                self._push(ceil_second(t), _PULL, a)

    def _count(self, a: AgentState, contact: Contact, delta: int) -> None:
        if contact.channel == VOICE:
            a.n_voice += delta
        elif contact.channel == TASK:
            a.n_task += delta
        else:
            a.n_chat += delta

    def _route(self, contact: Contact, a: AgentState, t: int, may_miss: bool = True) -> None:
        """Give the contact to the agent at ``t`` (CONNECTING) and plan its phases."""
        contact.waiting = False
        contact.agent = a.agent
        contact.holder = a
        miss = (
            may_miss
            and contact.channel == VOICE
            and contact.method != OUTBOUND
            and self.rng.random() < MISS_SHARE
        )
        phases = self._missed_phases(t) if miss else self._plan_phases(contact, t)
        contact.phases = phases
        contact.state = CONNECTING
        contact.state_start = t
        a.contacts.append(contact)
        a.handled.append((contact, phases))
        self._count(a, contact, +1)
        for index in range(1, len(phases)):
            self._push(phases[index][0], _PHASE, contact, index)
        self._mark(a)
        self._refresh(a, t)

    def _missed_phases(self, t: int) -> list[tuple[int, str | None]]:
        """Rings unanswered (MISSED), then the agent clears it and it goes back to the queue."""
        missed = t + self.rng.randint(10, 20) * SECOND
        cleared = missed + self.rng.randint(3, 15) * SECOND
        return [(t, CONNECTING), (missed, MISSED), (cleared, None)]

    def _plan_phases(self, contact: Contact, t: int) -> list[tuple[int, str | None]]:
        rng = self.rng
        if contact.method == OUTBOUND:
            connecting = rng.randint(5, 15)
            segments = [(CONNECTED, rng.randint(60, 360))]
            acw = rng.randint(10, 60)
        elif contact.channel == CHAT:
            connecting = rng.randint(1, 3)
            segments = [(CONNECTED, rng.randint(180, 900))]
            acw = rng.randint(5, 30)
        elif contact.channel == TASK:
            connecting = rng.randint(1, 3)
            segments = [(CONNECTED, rng.randint(120, 600))]
            if rng.random() < PAUSE_SHARE:
                segments += [(PAUSED, rng.randint(60, 300)), (CONNECTED, rng.randint(60, 300))]
            acw = rng.randint(5, 30)
        else:
            connecting = rng.randint(2, 6)
            segments = self._voice_segments(contact)
            acw = rng.randint(10, 90)
        phases: list[tuple[int, str | None]] = [(t, CONNECTING)]
        at = t + connecting * SECOND
        for state, seconds in segments:
            phases.append((at, state))
            at += seconds * SECOND
        phases.append((at, ENDED))
        phases.append((at + acw * SECOND, None))
        return phases

    def _voice_segments(self, contact: Contact) -> list[tuple[str, int]]:
        """Talk of 2-10 min with 0-2 holds in the middle; maybe cut short by a transfer."""
        rng = self.rng
        talk = int(min(600, max(120, rng.lognormvariate(math.log(270), 0.45))))
        holds = rng.choices((0, 1, 2), weights=(50, 33, 17))[0]
        cuts = sorted({rng.randint(talk // 4, 3 * talk // 4) for _ in range(holds)})
        bounds = [0, *cuts, talk]
        parts = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
        transfer_at: int | None = None
        if contact.method != OUTBOUND and rng.random() < TRANSFER_SHARE:
            transfer_at = rng.randint(30, talk - 1)
            kinds, weights = zip(*TRANSFER_KINDS, strict=True)
            contact.transfer_kind = rng.choices(kinds, weights=weights)[0]
            others = [q for q in self.instance.queues.values() if q is not contact.queue]
            contact.transfer_queue = rng.choice(others)
        segments: list[tuple[str, int]] = []
        done = 0
        for i, part in enumerate(parts):
            if transfer_at is not None and done + part >= transfer_at:
                segments.append((CONNECTED, transfer_at - done))
                break
            segments.append((CONNECTED, part))
            done += part
            if i < len(parts) - 1:
                segments.append((ON_HOLD, rng.randint(20, 120)))
        return segments

    # -- statuses -----------------------------------------------------------------------------

    def _set_status(self, a: AgentState, name: str, t: int) -> None:
        a.status = name
        a.status_start = t
        a.status_log.append((t, name))
        self._mark(a)
        planned = a.returns.pop(name, None)
        if planned is not None:
            back, shortest = planned
            self._push(max(back, t + shortest), _STATUS, a, StatusRequest(0, AVAILABLE))
        if name == OFFLINE:
            self._push(t + self.rng.randint(5 * SECOND, 60 * SECOND), _LOGOUT, a)
        self._became_free(a, t)

    def _on_status(self, t: int, a: AgentState, request: StatusRequest) -> None:
        if not a.logged_in:
            return
        if request.return_at_ms is not None:
            a.returns[request.status] = (request.return_at_ms, request.min_duration_ms)
        name = request.status
        if a.contacts:
            if name == a.status:
                if a.next_status is not None:
                    a.next_status = None
                    self._mark(a)
                    self._became_free(a, t)
            elif a.next_status is None or a.next_status[0] != name:
                a.next_status = (name, t)
                self._mark(a)
                self._refresh(a, t)
        else:
            if a.next_status is not None:
                a.next_status = None
                self._mark(a)
            if name != a.status:
                self._set_status(a, name, t)

    def _on_login(self, t: int, a: AgentState, kind: Any) -> None:
        if kind == RELOGIN:
            if a.logged_in:  # still finishing contacts before the logout: try again later
                self._push(t + MINUTE, _LOGIN, a, RELOGIN)
                return
            self._push(t + self.rng.randint(5 * SECOND, 30 * SECOND), _STATUS, a,
                       StatusRequest(0, AVAILABLE))  # fmt: skip
        a.logged_in = True
        a.status = OFFLINE
        a.status_start = t
        a.status_log.append((t, OFFLINE))
        a.event_type = LOGIN
        self._mark(a)
        self._push(self._next_intent(ceil_second(t)), _INTENT, a)

    def _on_logout(self, t: int, a: AgentState, _: Any) -> None:
        a.logged_in = False
        a.status_log.append((t, None))
        a.event_type = LOGOUT
        self._mark(a)
        self._refresh(a, t)

    # -- contacts -----------------------------------------------------------------------------

    def _new_contact(self, channel: str, method: str, queue: Queue, t: int) -> Contact:
        contact = Contact(new_uuid(self.rng), next(self._contact_seq), channel, method, queue, t)
        self.contacts.append(contact)
        return contact

    def _on_arrival(self, t: int, stream: _ArrivalStream, _: Any) -> None:
        contact = self._new_contact(stream.channel, INBOUND, stream.queue, t)
        self.publisher.contact_event(contact, INITIATED, t)
        self._push(t + self.rng.randint(5, 40) * SECOND, _ENQUEUE, contact)
        following = stream.next_arrival(self.rng)
        if following is not None:
            self._push(following, _ARRIVAL, stream)

    def _on_enqueue(self, t: int, contact: Contact, _: Any) -> None:
        contact.enqueue = t
        contact.waiting = True
        self.publisher.contact_event(contact, QUEUED, t)
        if contact.method == CALLBACK:
            patience_s = CALLBACK_PATIENCE_S
        else:
            patience = self.rng.expovariate(1.0 / PATIENCE_MEAN_S[contact.channel])
            patience_s = min(PATIENCE_MAX_S, max(1, round(patience)))
        contact.patience_end = t + patience_s * SECOND
        self._push(contact.patience_end, _ABANDON, contact)
        key = (contact.queue.name, contact.channel)
        self._waiting[key].append(contact)
        self._dispatch(key, t)

    def _on_abandon(self, t: int, contact: Contact, _: Any) -> None:
        """Patience is out: the caller hangs up, asks for a callback, or the flow ends it."""
        if not contact.waiting:
            return
        contact.waiting = False
        contact.disconnect = t
        contact.end = t
        rng = self.rng
        if contact.method == CALLBACK or contact.channel == TASK:
            contact.disconnect_reason = "EXPIRED"  # nobody on the line: not an abandon
        elif contact.channel == VOICE and rng.random() < CALLBACK_SHARE:
            # The caller keeps their place by asking for a callback, then hangs up.
            callback = self._new_contact(VOICE, CALLBACK, contact.queue, t)
            callback.previous_id = contact.id
            callback.initial_id = contact.initial_id or contact.id
            contact.next_id = callback.id
            self.publisher.contact_event(callback, INITIATED, t)
            self._push(t + rng.randint(30, 120) * SECOND, _ENQUEUE, callback)
        elif contact.channel == CHAT and rng.random() < FLOW_ENDED_CHAT_SHARE:
            contact.disconnect_reason = None  # ended by the flow (e.g. a chat timeout)
        self.publisher.contact_event(contact, DISCONNECTED, t)
        self.publisher.contact_record(contact, t)

    def _on_phase(self, t: int, contact: Contact, index: int) -> None:
        a = contact.holder
        assert a is not None
        state = contact.phases[index][1]
        if state is None:
            if contact.phases[index - 1][1] == MISSED:
                self._requeue(contact, a, t)
            else:
                self._leave(contact, a, t)
            return
        contact.state = state
        contact.state_start = t
        self._mark(a)
        if state == CONNECTED and contact.connected is None:
            contact.connected = t
            self.publisher.contact_event(contact, CONNECTED_TO_AGENT, t)
        if state == ENDED:
            contact.disconnect = t
            kind = contact.transfer_kind
            if kind == "agent" and self._transfer_to_agent(contact, a, t):
                pass
            elif kind in ("agent", "queue"):  # nobody free for a quick connect: to a queue
                self._transfer(contact, t)
            elif kind == "external":
                # The caller goes on talking to the outside number after the agent drops off.
                contact.external = True
                contact.transfer = t
                contact.disconnect = t + self.rng.randint(60, 900) * SECOND
            elif contact.method == OUTBOUND or self.rng.random() < 0.5:
                contact.disconnect_reason = "AGENT_DISCONNECT"
            self.publisher.contact_event(contact, DISCONNECTED, contact.disconnect)

    def _transfer(self, first: Contact, t: int) -> None:
        target = first.transfer_queue
        assert target is not None
        contact = self._linked_transfer(first, target, t)
        self._push(t + self.rng.randint(1, 3) * SECOND, _ENQUEUE, contact)

    def _linked_transfer(self, first: Contact, queue: Queue, t: int) -> Contact:
        contact = self._new_contact(VOICE, TRANSFER, queue, t)
        contact.previous_id = first.id
        contact.initial_id = first.initial_id or first.id
        first.next_id = contact.id
        first.transfer = t
        first.disconnect_reason = "TRANSFER"
        self.publisher.contact_event(contact, INITIATED, t)
        return contact

    def _transfer_to_agent(self, first: Contact, holder: AgentState, t: int) -> bool:
        """Quick connect to an idle agent through its agent queue; False when nobody is free."""
        free = [x for x in self.agents if x is not holder and self._eligible(x, VOICE)]
        if not free:
            return False
        target = self.rng.choice(free)
        queue = Queue("", target.agent.agent_queue_arn, (VOICE,))
        contact = self._linked_transfer(first, queue, t)
        contact.enqueue = t
        self.publisher.contact_event(contact, QUEUED, t)
        self._route(contact, target, t, may_miss=False)
        return True

    def _detach(self, contact: Contact, a: AgentState) -> None:
        a.contacts.remove(contact)
        self._count(a, contact, -1)
        contact.state = None

    def _requeue(self, contact: Contact, a: AgentState, t: int) -> None:
        """A missed contact leaves the agent and waits again at the head of its queue."""
        self._detach(contact, a)
        contact.agent = None
        contact.holder = None
        contact.phases = []
        self._mark(a)
        contact.waiting = True
        key = (contact.queue.name, contact.channel)
        self._waiting[key].appendleft(contact)
        if contact.patience_end is not None and contact.patience_end <= t:
            self._on_abandon(t, contact, None)
        else:
            self._dispatch(key, t)
        self._release(a, t)

    def _leave(self, contact: Contact, a: AgentState, t: int) -> None:
        """After ACW the contact leaves the agent's snapshot; a pending status applies."""
        self._detach(contact, a)
        contact.end = t
        self._mark(a)
        # An external transfer ends when the caller hangs up, possibly after the agent's ACW.
        self.publisher.contact_record(contact, max(t, contact.disconnect or t))
        self._release(a, t)

    def _release(self, a: AgentState, t: int) -> None:
        """A contact left the agent: a status it asked for meanwhile applies once it has none."""
        if a.next_status is not None and not a.contacts:
            name = a.next_status[0]
            a.next_status = None
            self._set_status(a, name, t)
        else:
            self._became_free(a, t)

    def _on_pull(self, t: int, a: AgentState, _: Any) -> None:
        if any(self._eligible(a, key[1]) for key in a.serves):
            self._pull(a, t)

    def _next_intent(self, t: int) -> int:
        gap = self.rng.expovariate(OUTBOUND_INTENTS_PER_HOUR / 3600.0)
        return t + max(1, round(gap)) * SECOND

    def _on_intent(self, t: int, a: AgentState, _: Any) -> None:
        if not a.logged_in:
            return
        idle = not a.contacts and a.next_status is None
        if idle and (
            a.status == AVAILABLE
            or (a.status == BREAK and self.rng.random() < OUTBOUND_FROM_BREAK_SHARE)
        ):
            contact = self._new_contact(VOICE, OUTBOUND, self.instance.outbound, t)
            self.publisher.contact_event(contact, INITIATED, t)
            self._route(contact, a, t)
        self._push(self._next_intent(t), _INTENT, a)

    def _on_malformed(self, t: int, stream: str, kind: str) -> None:
        self.publisher.malformed(stream, kind, t)
