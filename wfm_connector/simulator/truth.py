"""Ground truth of a simulated day, computed from the simulation's own timeline.

In: the model's :class:`~wfm_connector.simulator.model.DayTimeline` (each agent's status
changes and the phases of every contact routed to it; every contact with its queue times and
links; the spans where the stream lost an agent's events) and the instance. Never the emitted
events or records, and no code of the reconciliation: every rule below is written from Amazon
Connect's published definitions (Administrator Guide, "Historical metrics definitions";
GetMetricDataV2 API reference) a second time, so a misreading in one place shows up as a
difference.

Out (appended per day under ``truth/``, each day's rows sorted; seconds with 3 decimals for
agent activity, whole seconds for contact-record durations):

- ``agent_interval_states.csv``: logged-in time per agent, interval, status (as published),
  status category (from the status Type: ROUTABLE productive, CUSTOM non_productive, OFFLINE
  offline; ``unknown`` where the stream lost events) and wall-clock activity (CONNECTED >
  ON_HOLD > PAUSED > ACW > RINGING > ERROR > NO_CONTACT over the agent's contacts).
- ``agent_interval_activity.csv``: per agent and interval, Connect's agent metrics (online,
  on contact, contact handle, idle, non-productive, ..., per-contact interaction/hold/ACW,
  occupancy, contacts routed and missed).
- ``queue_interval.csv``, ``queue_interval_service_level.csv``, ``agent_queue_interval.csv``:
  contact-record metrics per attribution (``enqueue``: EnqueueTimestamp, or the initiation of
  a contact that never queued; ``disconnect``: DisconnectTimestamp), rows that are all zero
  omitted.
- ``adherence_interval.csv``, ``adherence_day.csv``, ``adherence_exception.csv``: schedule
  adherence to the simulated schedule (every planned activity is tracked), per agent and
  interval and per agent and day, and the non-adherent spans of at least
  ``exception_min_seconds`` (Administrator Guide, schedule adherence; the README's rules).
- ``queue_intraday.csv``: the intraday queue view as it stood at a few instants of the day
  (``INTRADAY_AS_OF``, local wall-clock times; half a second into the busiest second of the
  day's queues; the instant of the first enqueue after noon): per queue, channel and
  interval of enqueue, the contacts queued by then, answered (connected to an agent by
  then), left unanswered (disconnected by then without an agent; split by what followed
  them: nothing, a callback, another contact), still in queue and the longest wait in queue
  then (Connect's real-time CONTACTS_IN_QUEUE and OLDEST_CONTACT_AGE, measured from the
  enqueue time). What contact events can tell, so no disconnect reason: "abandoned" is
  every contact that left the queue unanswered with nothing after it.
- ``intervals.csv`` (``day,interval_start,interval_end``): the day's interval grid.

The connector only sees what the stream delivered: where an agent's events were lost for
longer than ``max_event_gap_seconds``, the last delivered state holds that long and the rest
is ``unknown`` (the simulator loses events only while the agent's state does not change).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from wfm_connector.simulator.clock import SECOND, Day, format_ms_as_seconds, iso_ms, iso_s
from wfm_connector.simulator.model import AgentState, Contact, DayTimeline
from wfm_connector.simulator.population import STATUS_TYPES, Instance, display_name

ATTRIBUTIONS = ("enqueue", "disconnect")
CATEGORY_OF_TYPE = {"ROUTABLE": "productive", "CUSTOM": "non_productive", "OFFLINE": "offline"}
# Wall-clock activity of an instant: the first of these any of the agent's contacts is in.
ACTIVITY_BY_STATE = (
    ("CONNECTED", "CONNECTED"),
    ("CONNECTED_ONHOLD", "ON_HOLD"),
    ("PAUSED", "PAUSED"),
    ("ENDED", "ACW"),
    ("CONNECTING", "RINGING"),
    ("MISSED", "ERROR"),
)
WORKING_STATES = frozenset({"CONNECTED", "CONNECTED_ONHOLD", "PAUSED", "ENDED"})
# Per-contact sums: each contact's own time in a state (concurrent contacts add up)
PER_CONTACT = {
    "CONNECTED": "interaction", "CONNECTED_ONHOLD": "hold", "ENDED": "acw", "PAUSED": "paused",
    "CONNECTING": "ringing", "MISSED": "error",
}  # fmt: skip
ON_CONTACT = frozenset({"CONNECTED", "ON_HOLD", "PAUSED", "ACW"})
CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
# "Contacts handled incoming": INBOUND, TRANSFER, QUEUE_TRANSFER (GetMetricDataV2)
INCOMING_METHODS = ("INBOUND", "TRANSFER", "QUEUE_TRANSFER")
UNKNOWN = ("", "unknown", "UNKNOWN")

AGENT_STATES_HEADER = (
    "agent_arn", "interval_start", "status_name", "status_category", "activity", "seconds",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "online_s", "on_contact_s", "contact_handle_s", "idle_s", "npt_s", "npt_by_status",
    "error_s", "ringing_s", "unknown_s", "offline_contact_s", "talk_wall_s", "hold_wall_s",
    "paused_wall_s", "acw_wall_s", "ringing_wall_s", "error_wall_s", "no_contact_s",
    *(f"on_contact_{c.lower()}_s" for c in CHANNELS),
    "interaction_s", "hold_s", "acw_s", "paused_s",
    *(f"{m}_{c.lower()}_s" for m in ("interaction", "hold", "acw") for c in CHANNELS),
    "occupancy_pct", "contacts_routed", "contacts_missed",
)  # fmt: skip
AGENT_ACTIVITY_HEADER = ("agent_arn", "interval_start", *ACTIVITY_COLUMNS)
QUEUE_COLUMNS = (
    "contacts_queued", "offered_direct", "transferred_in", "transferred_in_by_agent",
    "transferred_in_from_queue", "callback_contacts", "handled", "handled_incoming",
    "handled_outbound", "handled_callback", "handled_api", "answered", "abandoned",
    "abandoned_short", "callback_requested", "transferred_out", "transferred_out_internal",
    "transferred_out_external", "transferred_out_from_queue", "queue_answer_time_s",
    "queue_abandon_time_s", "longest_answer_s", "longest_abandon_s", "interaction_s", "hold_s",
    "holds", "contacts_put_on_hold", "longest_hold_s", "acw_s", "handle_time_s",
)  # fmt: skip
MAX_COLUMNS = frozenset({"longest_answer_s", "longest_abandon_s", "longest_hold_s"})
QUEUE_AVERAGES = ("aht_s", "asa_s", "avg_interaction_s", "avg_hold_s")
QUEUE_HEADER = (
    "attribution", "queue_arn", "channel", "interval_start", *QUEUE_COLUMNS, *QUEUE_AVERAGES,
    "agent_available_s",
)  # fmt: skip
SERVICE_LEVEL_HEADER = (
    "attribution", "queue_arn", "channel", "interval_start", "threshold_s", "removed_within",
    "answered_within", "abandoned_within", "service_level_pct",
)  # fmt: skip
AGENT_QUEUE_COLUMNS = (
    "handled", "handled_incoming", "handled_outbound", "handled_callback", "handled_transfer",
    "interaction_s", "hold_s", "holds", "contacts_put_on_hold", "longest_hold_s", "acw_s",
    "handle_time_s", "transferred_out_internal", "transferred_out_external", "outbound_talk_s",
)  # fmt: skip
AGENT_QUEUE_HEADER = (
    "attribution", "agent_arn", "queue_arn", "channel", "interval_start", *AGENT_QUEUE_COLUMNS,
)  # fmt: skip
INTERVALS_HEADER = ("day", "interval_start", "interval_end")
INTRADAY_COLUMNS = (
    "queued", "answered", "abandoned", "callback_requested", "transferred_out_from_queue",
    "in_queue", "longest_wait_s",
)  # fmt: skip
INTRADAY_HEADER = ("as_of", "queue_arn", "channel", "interval_start", *INTRADAY_COLUMNS)
# Local wall-clock instants (hour, minute, second, millisecond) the intraday truth is taken at:
# mid-morning and late afternoon, not on a whole second, and the last instant of the day.
INTRADAY_AS_OF = ((10, 7, 30, 500), (16, 52, 5, 0), (23, 59, 59, 999))
ADHERENCE_INTERVAL_HEADER = (
    "agent_arn", "interval_start", "scheduled_s", "adherent_s", "non_adherent_s", "unknown_s",
    "adherence_pct",
)  # fmt: skip
ADHERENCE_EXCEPTION_HEADER = (
    "day", "agent_arn", "start_ts", "end_ts", "activity", "productive", "actual_status",
    "actual_category", "seconds",
)  # fmt: skip
ADHERENCE_DAY_HEADER = (
    "day", "agent_arn", "scheduled_s", "adherent_s", "non_adherent_s", "unknown_s",
    "adherence_pct", "scheduled_productive_s", "productive_s", "conformance_pct",
)  # fmt: skip


def _two_decimals(numerator: int, denominator: int) -> str:
    if not denominator:
        return ""
    value = Decimal(numerator) / Decimal(denominator)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _three_decimals(numerator: int, denominator: int) -> str:
    if not denominator:
        return ""
    value = Decimal(numerator) / Decimal(denominator)
    return str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


# -- agents -----------------------------------------------------------------------------------


def _split(day: Day, start: int, end: int) -> list[tuple[int, int]]:
    """(interval index, milliseconds) of a time span clipped to the day."""
    start, end = max(start, day.start_ms), min(end, day.end_ms)
    pieces = []
    step = day.interval_ms
    index = (start - day.start_ms) // step if end > start else 0
    while start < end:
        boundary = min(end, day.start_ms + (index + 1) * step)
        pieces.append((index, boundary - start))
        start = boundary
        index += 1
    return pieces


class _Segment:
    """One stretch of an agent's logged-in time with nothing changing."""

    __slots__ = ("start", "end", "status", "category", "contacts")

    def __init__(
        self, start: int, end: int, status: str, category: str, contacts: list[tuple[str, str]]
    ) -> None:
        self.start = start
        self.end = end
        self.status = status
        self.category = category
        self.contacts = contacts  # (channel, state) of every contact the agent holds

    @property
    def activity(self) -> str:
        if self.category == "unknown":
            return "UNKNOWN"
        states = {state for _, state in self.contacts}
        for state, activity in ACTIVITY_BY_STATE:
            if state in states:
                return activity
        return "NO_CONTACT"


def agent_segments(a: AgentState, lost: list[tuple[int, int]], max_gap_ms: int) -> list[_Segment]:
    """The agent's logged-in time as segments, as the delivered events let anyone see it."""
    # (time, order, change): at one instant statuses first, then phases that end, then phases
    # that begin (a contact's next phase begins as its last one ends). Status changes keep
    # their order (a LOGIN's Offline and the next status can share an instant).
    changes: list[tuple[int, int, tuple]] = []
    for t, name in a.status_log:
        changes.append((t, 0, ("status", name)))
    for contact, phases in a.handled:
        for (start, state), (end, _) in zip(phases, phases[1:], strict=False):
            if end > start:
                changes.append((end, 1, ("leave", contact.id)))
                changes.append((start, 2, ("enter", contact.id, contact.channel, state)))
    changes.sort(key=lambda c: (c[0], c[1]))
    held: dict[str, tuple[str, str]] = {}
    status: str | None = None
    segments: list[_Segment] = []
    i, n = 0, len(changes)
    while i < n:
        t = changes[i][0]
        while i < n and changes[i][0] == t:
            change = changes[i][2]
            if change[0] == "status":
                status = change[1]
            elif change[0] == "leave":
                held.pop(change[1], None)
            else:
                held[change[1]] = (change[2], change[3])
            i += 1
        if i < n and status is not None:
            category = CATEGORY_OF_TYPE[STATUS_TYPES[status]]
            contacts = [held[k] for k in sorted(held)]
            segments.append(_Segment(t, changes[i][0], display_name(status), category, contacts))
    return _apply_lost(segments, lost, max_gap_ms)


def _apply_lost(
    segments: list[_Segment], lost: list[tuple[int, int]], max_gap_ms: int
) -> list[_Segment]:
    """Beyond the event-gap limit after the last delivered event, a silence is unknown."""
    for gap_from, gap_to in lost:
        cut = gap_from + max_gap_ms
        if gap_to <= cut:
            continue
        out = []
        for seg in segments:
            if seg.end <= cut or seg.start >= gap_to:
                out.append(seg)
                continue
            if seg.start < cut:
                out.append(_Segment(seg.start, cut, seg.status, seg.category, seg.contacts))
            if seg.end > gap_to:
                out.append(_Segment(gap_to, seg.end, seg.status, seg.category, seg.contacts))
        out.append(_Segment(cut, gap_to, UNKNOWN[0], UNKNOWN[1], []))
        segments = sorted(out, key=lambda s: s.start)
    return segments


def _ms(value: int) -> str:
    return format_ms_as_seconds(value)


def agent_truth(
    timeline: DayTimeline, max_gap_ms: int
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], dict[int, dict[int, int]]]:
    """Agent interval states rows, agent activity rows, and idle ms per agent per interval."""
    day = timeline.day
    lost: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, gap_from, gap_to in timeline.lost:
        lost[index].append((gap_from, gap_to))
    state_rows: list[tuple[str, ...]] = []
    activity_rows: list[tuple[str, ...]] = []
    idle_by_agent: dict[int, dict[int, int]] = {}
    for a in timeline.agents:
        states: dict[tuple[int, str, str, str], int] = defaultdict(int)
        sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        npt: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for seg in agent_segments(a, lost[a.agent.index], max_gap_ms):
            activity = seg.activity
            working = {ch for ch, st in seg.contacts if st in WORKING_STATES}
            for index, ms in _split(day, seg.start, seg.end):
                states[(index, seg.status, seg.category, activity)] += ms
                _accumulate(sums[index], npt[index], seg, activity, working, ms)
        for (index, status, category, activity), ms in states.items():
            start = iso_s(day.start_ms + index * day.interval_ms)
            state_rows.append((a.agent.arn, start, status, category, activity, _ms(ms)))
        routed, missed = _routed_and_missed(a, day)
        idle_by_agent[a.agent.index] = {i: s["idle_s"] for i, s in sums.items()}
        for index in sorted(set(sums) | set(routed) | set(missed)):
            activity_rows.append(
                _activity_row(a, day, index, sums.get(index, {}), npt.get(index, {}),
                              routed.get(index, 0), missed.get(index, 0))
            )  # fmt: skip
    state_rows.sort()
    activity_rows.sort()
    return state_rows, activity_rows, idle_by_agent


def _accumulate(
    s: dict[str, int],
    npt: dict[str, int],
    seg: _Segment,
    activity: str,
    working: set[str],
    ms: int,
) -> None:
    """Add ``ms`` of a segment to the interval's metric sums (Connect's definitions)."""
    category = seg.category
    online = category in ("productive", "non_productive")  # any status but Offline
    on_a_contact = activity in ON_CONTACT
    s["online_s"] += ms if online else 0
    # Agent on contact time: not while in a custom or Offline status
    s["on_contact_s"] += ms if category == "productive" and on_a_contact else 0
    s["contact_handle_s"] += ms if on_a_contact else 0
    # Idle: Available, not handling contacts, plus time a contact was in error
    s["idle_s"] += ms if category == "productive" and activity in ("NO_CONTACT", "ERROR") else 0
    if category == "non_productive":
        s["npt_s"] += ms
        npt[seg.status] += ms
    s["unknown_s"] += ms if category == "unknown" else 0
    s["offline_contact_s"] += ms if category == "offline" and activity != "NO_CONTACT" else 0
    for column, wall in (
        ("talk_wall_s", "CONNECTED"), ("hold_wall_s", "ON_HOLD"), ("paused_wall_s", "PAUSED"),
        ("acw_wall_s", "ACW"), ("ringing_wall_s", "RINGING"), ("error_wall_s", "ERROR"),
    ):  # fmt: skip
        s[column] += ms if activity == wall else 0
    s["no_contact_s"] += ms if online and activity == "NO_CONTACT" else 0
    if category == "productive":
        for channel in working:
            s[f"on_contact_{channel.lower()}_s"] += ms
    # Per contact: every contact's own time in each state counts (concurrency adds up)
    for channel, state in seg.contacts:
        metric = PER_CONTACT.get(state)
        if metric is None:
            continue
        s[f"{metric}_s"] += ms
        if metric in ("interaction", "hold", "acw"):
            s[f"{metric}_{channel.lower()}_s"] += ms


def _routed_and_missed(a: AgentState, day: Day) -> tuple[dict[int, int], dict[int, int]]:
    """Contacts routed to the agent, and of those the ones it never answered, per interval.

    Routed: not the agent's own outbound calls; not answered (Agent non-response): no phase of
    working on it; both counted in the interval the contact was first routed to the agent.
    """
    first_routed: dict[str, int] = {}
    answered: set[str] = set()
    for contact, phases in a.handled:
        if contact.method != "OUTBOUND":
            first_routed[contact.id] = min(first_routed.get(contact.id, phases[0][0]), phases[0][0])
        if any(state in WORKING_STATES for _, state in phases):
            answered.add(contact.id)
    missed = {cid: t for cid, t in first_routed.items() if cid not in answered}
    out = []
    for firsts in (first_routed, missed):
        counts: dict[int, int] = defaultdict(int)
        for t in firsts.values():
            if day.start_ms <= t < day.end_ms:
                counts[(t - day.start_ms) // day.interval_ms] += 1
        out.append(counts)
    return out[0], out[1]


def _activity_row(
    a: AgentState,
    day: Day,
    index: int,
    sums: dict[str, int],
    npt: dict[str, int],
    routed: int,
    missed: int,
) -> tuple[str, ...]:
    values: list[str] = []
    for column in ACTIVITY_COLUMNS:
        if column == "npt_by_status":
            values.append(json.dumps({k: _ms(v) for k, v in sorted(npt.items())}))
        elif column == "occupancy_pct":
            on, idle = sums.get("on_contact_s", 0), sums.get("idle_s", 0)
            values.append(_two_decimals(100 * on, on + idle))
        elif column == "contacts_routed":
            values.append(str(routed))
        elif column == "contacts_missed":
            values.append(str(missed))
        else:
            values.append(_ms(sums.get(column, 0)))
    return (a.agent.arn, iso_s(day.start_ms + index * day.interval_ms), *values)


# -- schedule adherence -----------------------------------------------------------------------


def adherence_truth(
    timeline: DayTimeline, max_gap_ms: int
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Adherence per agent-interval and per agent-day, by Connect's rules, from the plans.

    Every planned activity is tracked. Adherent: a routable status during a productive
    activity, a custom one during a non-productive activity; unknown: lost-event time; the
    rest of the scheduled time (Offline, logged out, the other kind of status) is not.
    Conformance: productive-status time of the day / scheduled productive time.
    """
    day = timeline.day
    lost: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, gap_from, gap_to in timeline.lost:
        lost[index].append((gap_from, gap_to))
    interval_rows, day_rows = [], []
    for a in timeline.agents:
        segments = agent_segments(a, lost[a.agent.index], max_gap_ms)
        cells: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # scheduled, adherent, unknown
        planned = 0
        for act in a.plan.activities:
            for index, ms in _split(day, act.start_ms, act.end_ms):
                cells[index][0] += ms
                planned += ms if act.productive else 0
            for seg in segments:
                start, end = max(act.start_ms, seg.start), min(act.end_ms, seg.end)
                if end <= start:
                    continue
                kind = 2 if seg.category == "unknown" else 1 if (
                    seg.category == ("productive" if act.productive else "non_productive")
                ) else None
                if kind is not None:
                    for index, ms in _split(day, start, end):
                        cells[index][kind] += ms
        worked = sum(
            ms for seg in segments if seg.category == "productive"
            for _, ms in _split(day, seg.start, seg.end)
        )  # fmt: skip
        totals = [0, 0, 0]
        for index, (scheduled, adherent, unknown) in sorted(cells.items()):
            if not scheduled:
                continue
            totals = [totals[0] + scheduled, totals[1] + adherent, totals[2] + unknown]
            interval_rows.append(
                (a.agent.arn, iso_s(day.start_ms + index * day.interval_ms), _ms(scheduled),
                 _ms(adherent), _ms(scheduled - adherent - unknown), _ms(unknown),
                 _two_decimals(100 * adherent, scheduled - unknown))
            )  # fmt: skip
        scheduled, adherent, unknown = totals
        if scheduled:
            day_rows.append(
                (day.day.isoformat(), a.agent.arn, _ms(scheduled), _ms(adherent),
                 _ms(scheduled - adherent - unknown), _ms(unknown),
                 _two_decimals(100 * adherent, scheduled - unknown), _ms(planned), _ms(worked),
                 _two_decimals(100 * worked, planned))
            )  # fmt: skip
    return sorted(interval_rows), sorted(day_rows)


def exception_truth(
    timeline: DayTimeline, max_gap_ms: int, min_seconds: int
) -> list[tuple[str, ...]]:
    """The day's adherence exceptions, by the README's rule, from the plans and the timeline.

    Within each planned activity (clipped to the day), every stretch that is not adherent and
    not unknown -- a status of the other kind, Offline, or logged out (no segment) -- is a
    piece; touching pieces with the same status are one span; a span of at least
    ``min_seconds`` is an exception. A stretch of unknown time ends a span.
    """
    day = timeline.day
    lost: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, gap_from, gap_to in timeline.lost:
        lost[index].append((gap_from, gap_to))
    rows = []
    for a in timeline.agents:
        segments = agent_segments(a, lost[a.agent.index], max_gap_ms)
        for act in a.plan.activities:
            start, end = max(act.start_ms, day.start_ms), min(act.end_ms, day.end_ms)
            if end <= start:
                continue
            wanted = "productive" if act.productive else "non_productive"
            # (from, to, status, category) of the activity's time, gaps as "logged out"
            pieces, cursor = [], start
            for seg in segments:
                s, e = max(start, seg.start), min(end, seg.end)
                if e <= s:
                    continue
                if s > cursor:
                    pieces.append((cursor, s, "logged out", "logged_out"))
                pieces.append((s, e, seg.status, seg.category))
                cursor = e
            if cursor < end:
                pieces.append((cursor, end, "logged out", "logged_out"))
            spans: list[list] = []
            for s, e, status, category in pieces:
                if category in (wanted, "unknown"):
                    spans.append([])  # adherent or unknown time closes the span
                    continue
                if spans and spans[-1] and spans[-1][1] == s and spans[-1][2] == status:
                    spans[-1][1] = e
                else:
                    spans.append([s, e, status, category])
            for span in spans:
                if span and span[1] - span[0] >= min_seconds * SECOND:
                    rows.append(
                        (day.day.isoformat(), a.agent.arn, iso_ms(span[0]), iso_ms(span[1]),
                         act.name, "true" if act.productive else "false", span[2], span[3],
                         _ms(span[1] - span[0]))
                    )  # fmt: skip
    return sorted(rows)


# -- contacts ---------------------------------------------------------------------------------


def _phase_seconds(phases: list[tuple[int, str | None]]) -> dict[str, int]:
    """Interaction, hold (total, count, longest) and ACW in whole seconds, per the phases."""
    out = {"interaction_s": 0, "hold_s": 0, "holds": 0, "longest_hold_s": 0, "acw_s": 0}
    for (start, state), (end, _) in zip(phases, phases[1:], strict=False):
        seconds = (end - start) // 1000
        if state == "CONNECTED":
            out["interaction_s"] += seconds
        elif state == "CONNECTED_ONHOLD":
            out["hold_s"] += seconds
            out["holds"] += 1
            out["longest_hold_s"] = max(out["longest_hold_s"], seconds)
        elif state == "ENDED":
            out["acw_s"] += seconds
    return out


class _Facts:
    """What one contact counts as, by Connect's contact-record definitions."""

    def __init__(self, contact: Contact, by_id: dict[str, Contact], short_abandon_s: int):
        c = contact
        self.contact = c
        self.queue_arn = c.queue.arn if c.queue.name else ""  # "" = an agent queue: no queue
        self.queued = c.enqueue is not None and bool(self.queue_arn)
        self.handled = c.connected is not None
        left = c.connected if c.connected is not None else c.disconnect
        self.queue_s = (left - c.enqueue) // 1000 if c.enqueue is not None else None
        nxt = by_id.get(c.next_id) if c.next_id else None
        callback_next = nxt is not None and nxt.method == "CALLBACK"
        # Removed from the queue by a callback request: neither an abandon nor a transfer
        self.callback_requested = self.queued and not self.handled and callback_next
        # Contacts abandoned: disconnected by the customer while in queue, not connected to
        # an agent, not queued for callback
        self.abandoned = (
            self.queued
            and not self.handled
            and c.next_id is None
            and c.disconnect_reason == "CUSTOMER_DISCONNECT"
        )
        self.short = self.abandoned and self.queue_s < short_abandon_s
        self.out_internal = self.handled and c.next_id is not None and not callback_next
        self.out_external = self.handled and c.external and c.next_id is None
        self.out_from_queue = self.queued and not self.handled and c.next_id is not None and (
            not callback_next
        )
        method = c.method
        self.counts = {
            "contacts_queued": self.queued,
            "offered_direct": self.queued and method not in ("TRANSFER", "QUEUE_TRANSFER"),
            "transferred_in": method in ("TRANSFER", "QUEUE_TRANSFER"),
            "transferred_in_by_agent": method == "TRANSFER",
            "transferred_in_from_queue": method == "QUEUE_TRANSFER",
            "callback_contacts": method == "CALLBACK",
            "handled": self.handled,
            "handled_incoming": self.handled and method in INCOMING_METHODS,
            "handled_outbound": self.handled and method == "OUTBOUND",
            "handled_callback": self.handled and method == "CALLBACK",
            "handled_api": self.handled and method == "API",
            "answered": self.handled and self.queued,
            "abandoned": self.abandoned,
            "abandoned_short": self.short,
            "callback_requested": self.callback_requested,
            "transferred_out": self.out_internal or self.out_external or self.out_from_queue,
            "transferred_out_internal": self.out_internal,
            "transferred_out_external": self.out_external,
            "transferred_out_from_queue": self.out_from_queue,
        }
        work = _phase_seconds(c.phases) if self.handled else _phase_seconds([])
        self.work = work
        self.put_on_hold = self.handled and work["holds"] > 0
        self.arrival = c.enqueue if c.enqueue is not None else c.initiation

    def durations(self) -> dict[str, int]:
        answered = self.handled and self.queued
        w = self.work
        return {
            "queue_answer_time_s": self.queue_s if answered else 0,
            "queue_abandon_time_s": self.queue_s if self.abandoned else 0,
            "longest_answer_s": self.queue_s if answered else 0,
            "longest_abandon_s": self.queue_s if self.abandoned else 0,
            "interaction_s": w["interaction_s"],
            "hold_s": w["hold_s"],
            "holds": w["holds"],
            "contacts_put_on_hold": int(self.put_on_hold),
            "longest_hold_s": w["longest_hold_s"],
            "acw_s": w["acw_s"],
            "handle_time_s": w["interaction_s"] + w["hold_s"] + w["acw_s"],
        }


def _intervals(day: Day, facts: _Facts) -> Iterable[tuple[str, int]]:
    for attribution, ts in (("enqueue", facts.arrival), ("disconnect", facts.contact.disconnect)):
        if day.start_ms <= ts < day.end_ms:
            yield attribution, (ts - day.start_ms) // day.interval_ms


def queue_truth(
    timeline: DayTimeline,
    instance: Instance,
    idle: dict[int, dict[int, int]],
    thresholds: tuple[int, ...],
    inclusive: bool,
    short_abandon_seconds: int,
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Queue rows, service-level rows and agent-queue rows of the day."""
    day = timeline.day
    by_id = {c.id: c for c in timeline.contacts}
    queue_cells: dict[tuple[str, str, str, int], dict[str, int]] = {}
    sl_cells: dict[tuple[str, str, str, int, int], list[int]] = {}
    agent_cells: dict[tuple[str, str, str, str, int], dict[str, int]] = {}
    for contact in timeline.contacts:
        assert contact.disconnect is not None, "every contact ends within its day"
        f = _Facts(contact, by_id, short_abandon_seconds)
        for attribution, index in _intervals(day, f):
            if f.queue_arn:
                key = (attribution, f.queue_arn, contact.channel, index)
                cell = queue_cells.setdefault(key, defaultdict(int))
                for column, flag in f.counts.items():
                    cell[column] += int(flag)
                _add(cell, f.durations())
                if f.queued:
                    _service_level(sl_cells, key, f, thresholds, inclusive)
            if f.handled:
                akey = (attribution, contact.agent.arn, f.queue_arn, contact.channel, index)
                acell = agent_cells.setdefault(akey, defaultdict(int))
                acell["handled"] += 1
                acell["handled_incoming"] += f.counts["handled_incoming"]
                acell["handled_outbound"] += f.counts["handled_outbound"]
                acell["handled_callback"] += f.counts["handled_callback"]
                acell["handled_transfer"] += contact.method in ("TRANSFER", "QUEUE_TRANSFER")
                _add(acell, {k: v for k, v in f.durations().items() if k in AGENT_QUEUE_COLUMNS})
                acell["transferred_out_internal"] += f.out_internal
                acell["transferred_out_external"] += f.out_external
                if f.counts["handled_outbound"]:  # talk = interaction + customer hold
                    acell["outbound_talk_s"] += f.work["interaction_s"] + f.work["hold_s"]
    return (
        _queue_rows(day, instance, queue_cells, idle),
        _service_level_rows(day, queue_cells, sl_cells, thresholds),
        sorted(
            (a, agent, queue, ch, iso_s(day.start_ms + i * day.interval_ms),
             *(str(cell[c]) for c in AGENT_QUEUE_COLUMNS))
            for (a, agent, queue, ch, i), cell in agent_cells.items()
        ),  # fmt: skip
    )


def _add(cell: dict[str, int], values: dict[str, int]) -> None:
    """Sums, except the longest-of columns, which take the maximum."""
    for column, value in values.items():
        cell[column] = max(cell[column], value) if column in MAX_COLUMNS else cell[column] + value


def _service_level(
    cells: dict[tuple[str, str, str, int, int], list[int]],
    key: tuple[str, str, str, int],
    f: _Facts,
    thresholds: tuple[int, ...],
    inclusive: bool,
) -> None:
    """Service level X: removed from queue (answered, abandoned, callback) within X seconds."""
    removed = f.handled or f.abandoned or f.callback_requested
    for x in thresholds:
        within = f.queue_s < x or (inclusive and f.queue_s == x)
        cell = cells.setdefault((*key, x), [0, 0, 0])
        if removed and within:
            cell[0] += 1
            cell[1] += f.handled
            cell[2] += f.abandoned


def _queue_rows(
    day: Day,
    instance: Instance,
    cells: dict[tuple[str, str, str, int], dict[str, int]],
    idle: dict[int, dict[int, int]],
) -> list[tuple[str, ...]]:
    serving: dict[str, list[int]] = defaultdict(list)
    for agent in instance.agents:
        for queue_name, _ in agent.profile.queue_channels:
            serving[instance.queues[queue_name].arn].append(agent.index)
    queue_channels = {(q, ch) for _, q, ch, _ in cells}
    rows = []
    for attribution in ATTRIBUTIONS:
        for queue_arn, channel in sorted(queue_channels):
            for index in range(day.interval_count):
                cell = cells.get((attribution, queue_arn, channel, index), {})
                available = sum(idle.get(i, {}).get(index, 0) for i in serving[queue_arn])
                if not any(cell.values()) and not available:
                    continue
                v = {c: cell.get(c, 0) for c in QUEUE_COLUMNS}
                averages = (
                    _three_decimals(v["handle_time_s"], v["handled"]),
                    _three_decimals(v["queue_answer_time_s"], v["answered"]),
                    _three_decimals(v["interaction_s"], v["handled"]),
                    _three_decimals(v["hold_s"], v["contacts_put_on_hold"]),
                )
                rows.append(
                    (attribution, queue_arn, channel, iso_s(day.start_ms + index * day.interval_ms),
                     *(str(v[c]) for c in QUEUE_COLUMNS), *averages, _ms(available))
                )  # fmt: skip
    rows.sort()
    return rows


def _service_level_rows(
    day: Day,
    queue_cells: dict[tuple[str, str, str, int], dict[str, int]],
    sl_cells: dict[tuple[str, str, str, int, int], list[int]],
    thresholds: tuple[int, ...],
) -> list[tuple[str, ...]]:
    rows = []
    for (attribution, queue_arn, channel, index), cell in queue_cells.items():
        queued = cell.get("contacts_queued", 0)
        if not queued:
            continue
        for x in thresholds:
            removed, answered, abandoned = sl_cells.get((attribution, queue_arn, channel, index, x),
                                                        [0, 0, 0])  # fmt: skip
            rows.append(
                (attribution, queue_arn, channel, iso_s(day.start_ms + index * day.interval_ms),
                 str(x), str(removed), str(answered), str(abandoned),
                 _two_decimals(100 * removed, queued))
            )  # fmt: skip
    rows.sort()
    return rows


def _as_of_ms(day: Day, hour: int, minute: int, second: int, millisecond: int) -> int:
    return day.local_ms(hour, minute) + second * SECOND + millisecond


def _waits(timeline: DayTimeline) -> Iterable[tuple[int, int, Contact]]:
    """(enqueue ms, ms it left the queue, contact) of every contact queued in the day."""
    day = timeline.day
    for c in timeline.contacts:
        if c.enqueue is not None and c.queue.name and day.start_ms <= c.enqueue < day.end_ms:
            left = c.connected if c.connected is not None else c.disconnect
            yield c.enqueue, left if left is not None else day.end_ms, c


def busiest_instant(timeline: DayTimeline) -> int:
    """Half a second into the (first) second when most contacts were waiting in queues."""
    changes: dict[int, int] = defaultdict(int)
    for enqueue, left, _ in _waits(timeline):
        changes[enqueue] += 1
        changes[left] -= 1
    waiting, best, when = 0, 0, timeline.day.start_ms
    for t in sorted(changes):  # contact times are whole seconds
        waiting += changes[t]
        if waiting > best:
            best, when = waiting, t
    return when + 500


def intraday_instants(timeline: DayTimeline) -> list[int]:
    """The instants (ms) the intraday truth is taken at.

    The fixed wall-clock ones, the busiest, and the very instant of the first enqueue after
    local noon (a contact queued at the instant of the view counts in it).
    """
    fixed = [_as_of_ms(timeline.day, *moment) for moment in INTRADAY_AS_OF]
    noon = timeline.day.local_ms(12)
    exact = min((enqueue for enqueue, _, _ in _waits(timeline) if enqueue >= noon), default=noon)
    return sorted({*fixed, busiest_instant(timeline), exact})


def intraday_truth(timeline: DayTimeline, as_of: int) -> list[tuple[str, ...]]:
    """The intraday queue rows as known at the instant ``as_of`` (ms).

    A contact counts when it queued in the day (a contact-center queue, not an agent's own
    queue) at or before ``as_of``; what happened to it counts only if it happened at or
    before ``as_of``: its connection to an agent, its disconnect, and the contact that
    followed it (a callback, or a transfer) being initiated.
    """
    day = timeline.day
    by_id = {c.id: c for c in timeline.contacts}
    cells: dict[tuple[str, str, int], dict[str, int]] = {}
    for enqueue, _, c in _waits(timeline):
        if enqueue > as_of:
            continue
        answered = c.connected is not None and c.connected <= as_of
        left = not answered and c.disconnect is not None and c.disconnect <= as_of
        after = by_id.get(c.next_id) if c.next_id else None
        if after is not None and after.initiation > as_of:
            after = None
        index = (c.enqueue - day.start_ms) // day.interval_ms
        cell = cells.setdefault((c.queue.arn, c.channel, index), defaultdict(int))
        cell["queued"] += 1
        cell["answered"] += answered
        cell["abandoned"] += left and after is None
        cell["callback_requested"] += left and after is not None and after.method == "CALLBACK"
        cell["transferred_out_from_queue"] += (
            left and after is not None and after.method != "CALLBACK"
        )
        if not answered and not left:
            cell["in_queue"] += 1
            cell["longest_wait_s"] = max(cell["longest_wait_s"], (as_of - c.enqueue) // SECOND)
    stamp = iso_ms(as_of)
    return sorted(
        (stamp, queue_arn, channel, iso_s(day.start_ms + index * day.interval_ms),
         *(str(cell[column]) for column in INTRADAY_COLUMNS))
        for (queue_arn, channel, index), cell in cells.items()
    )  # fmt: skip


class TruthWriter:
    """Appends each day's truth to the files under ``truth/``."""

    def __init__(
        self,
        folder: Path,
        instance: Instance,
        thresholds: tuple[int, ...],
        short_abandon_seconds: int,
        max_event_gap_seconds: int = 300,
        inclusive: bool = False,
        exception_min_seconds: int = 60,
    ) -> None:
        self.folder = folder
        self.exception_min_seconds = exception_min_seconds
        self.instance = instance
        self.thresholds = thresholds
        self.short_abandon_seconds = short_abandon_seconds
        self.max_gap_ms = max_event_gap_seconds * 1000
        self.inclusive = inclusive
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {
            "agent_interval_states.csv": AGENT_STATES_HEADER,
            "agent_interval_activity.csv": AGENT_ACTIVITY_HEADER,
            "queue_interval.csv": QUEUE_HEADER,
            "queue_interval_service_level.csv": SERVICE_LEVEL_HEADER,
            "agent_queue_interval.csv": AGENT_QUEUE_HEADER,
            "adherence_interval.csv": ADHERENCE_INTERVAL_HEADER,
            "adherence_day.csv": ADHERENCE_DAY_HEADER,
            "adherence_exception.csv": ADHERENCE_EXCEPTION_HEADER,
            "intervals.csv": INTERVALS_HEADER,
            "queue_intraday.csv": INTRADAY_HEADER,
        }
        for name, header in self.files.items():
            self._write(name, [header], mode="w")

    def _write(self, name: str, rows: list[tuple[str, ...]], mode: str = "a") -> None:
        with (self.folder / name).open(mode, newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    def write_day(self, timeline: DayTimeline) -> None:
        """Compute and append one day's truth."""
        day = timeline.day
        states, activity, idle = agent_truth(timeline, self.max_gap_ms)
        queues, levels, agent_queues = queue_truth(
            timeline, self.instance, idle, self.thresholds, self.inclusive,
            self.short_abandon_seconds,
        )  # fmt: skip
        intervals = [
            (day.day.isoformat(), iso_s(start), iso_s(start + day.interval_ms))
            for start in day.interval_starts()
        ]
        self._write("agent_interval_states.csv", states)
        self._write("agent_interval_activity.csv", activity)
        self._write("queue_interval.csv", queues)
        self._write("queue_interval_service_level.csv", levels)
        self._write("agent_queue_interval.csv", agent_queues)
        adherence_intervals, adherence_days = adherence_truth(timeline, self.max_gap_ms)
        self._write("adherence_interval.csv", adherence_intervals)
        self._write("adherence_day.csv", adherence_days)
        exceptions = exception_truth(timeline, self.max_gap_ms, self.exception_min_seconds)
        self._write("adherence_exception.csv", exceptions)
        self._write("intervals.csv", intervals)
        for as_of in intraday_instants(timeline):
            self._write("queue_intraday.csv", intraday_truth(timeline, as_of))

