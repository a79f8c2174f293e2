"""Ground truth of a simulated day, computed from the simulation's own timeline.

In: the model's :class:`~wfm_connector.simulator.model.DayTimeline` (each agent's status
changes and the phase intervals of the contacts it held; every contact with its queue times)
and the instance. Never the emitted events or records.

Out (appended per day under ``truth/``, each day's rows sorted by their key columns):

- ``agent_interval_states.csv`` (``agent_arn,interval_start,status_name,activity,seconds``):
  each agent's logged-in, non-Offline time split by status, by activity (any CONNECTED ->
  ON_CONTACT, else CONNECTED_ONHOLD -> ON_HOLD, else ENDED -> ACW, else CONNECTING ->
  CONNECTING, else IDLE) and by interval, in seconds with three decimals; zero rows omitted.
- ``queue_interval_handle_time.csv``: per attribution (``enqueue``/``disconnect``), queue,
  channel of the queue and interval, the counts and whole-second durations of the contacts
  that entered a queue, plus ``agent_available_s`` (Available and IDLE time of the agents
  whose routing profile lists the queue, by actual time); rows that are all zero omitted.
- ``intervals.csv`` (``day,interval_start,interval_end``): the day's interval grid.

Intervals step in absolute time from local midnight, so DST days have 92/100 quarter hours.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from wfm_connector.simulator.clock import Day, format_ms_as_seconds, iso_s
from wfm_connector.simulator.model import AgentState, Contact, DayTimeline
from wfm_connector.simulator.population import AVAILABLE, OFFLINE, Instance

AGENT_HEADER = ("agent_arn", "interval_start", "status_name", "activity", "seconds")
QUEUE_COUNT_COLUMNS = (
    "contacts_queued", "offered_direct", "transferred_in", "transferred_out", "overflow_out",
    "handled", "abandoned", "abandoned_short", "abandoned_within_sl", "answered_within_sl",
    "queue_answer_time_s", "queue_abandon_time_s", "longest_answer_s", "longest_abandon_s",
    "interaction_s", "hold_s", "acw_s",
)  # fmt: skip
QUEUE_HEADER = (
    "attribution", "queue_arn", "channel", "interval_start", *QUEUE_COUNT_COLUMNS,
    "agent_available_s",
)  # fmt: skip
INTERVALS_HEADER = ("day", "interval_start", "interval_end")
ATTRIBUTIONS = ("enqueue", "disconnect")
TRANSFER_METHODS = ("TRANSFER", "QUEUE_TRANSFER")
IDLE = "IDLE"
# Contact state -> activity, in priority order.
ACTIVITY_BY_STATE = (
    ("CONNECTED", "ON_CONTACT"),
    ("CONNECTED_ONHOLD", "ON_HOLD"),
    ("ENDED", "ACW"),
    ("CONNECTING", "CONNECTING"),
)


def _activity(counts: dict[str, int]) -> str:
    for state, activity in ACTIVITY_BY_STATE:
        if counts[state]:
            return activity
    return IDLE


def agent_segments(a: AgentState) -> list[tuple[int, int, str, str]]:
    """(start, end, status, activity) of the agent's online time (Offline left out)."""
    points: list[tuple[int, int, str | None]] = []
    for t, name in a.status_log:
        points.append((t, 0, name))
    for contact in a.handled:
        phases = contact.phases
        for (start, state), (end, _) in zip(phases, phases[1:], strict=False):
            if end > start:
                points.append((start, 1, state))
                points.append((end, -1, state))
    points.sort(key=lambda p: p[0])  # stable: same-instant status changes keep their order
    counts = {state: 0 for state, _ in ACTIVITY_BY_STATE}
    status: str | None = None
    segments: list[tuple[int, int, str, str]] = []
    i, n = 0, len(points)
    while i < n:
        t = points[i][0]
        while i < n and points[i][0] == t:
            _, delta, value = points[i]
            if delta == 0:
                status = value
            elif value is not None:
                counts[value] += delta
            i += 1
        if i < n and status is not None and status != OFFLINE:
            segments.append((t, points[i][0], status, _activity(counts)))
    return segments


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


def agent_truth(
    timeline: DayTimeline,
) -> tuple[list[tuple[str, ...]], dict[int, dict[int, int]]]:
    """Agent rows, and Available+IDLE milliseconds per agent index per interval."""
    day = timeline.day
    rows = []
    available: dict[int, dict[int, int]] = {}
    for a in timeline.agents:
        totals: dict[tuple[int, str, str], int] = defaultdict(int)
        idle: dict[int, int] = defaultdict(int)
        for start, end, status, activity in agent_segments(a):
            for index, ms in _split(day, start, end):
                totals[(index, status, activity)] += ms
                if status == AVAILABLE and activity == IDLE:
                    idle[index] += ms
        available[a.agent.index] = idle
        for (index, status, activity), ms in totals.items():
            if ms > 0:
                start_text = iso_s(day.start_ms + index * day.interval_ms)
                rows.append((a.agent.arn, start_text, status, activity, format_ms_as_seconds(ms)))
    rows.sort()
    return rows, available


def _contact_seconds(contact: Contact) -> tuple[int, int, int]:
    """Talk (excluding hold), hold and ACW seconds from the contact's phases."""
    talk = hold = acw = 0
    phases = contact.phases
    for (start, state), (end, _) in zip(phases, phases[1:], strict=False):
        if state == "CONNECTED":
            talk += end - start
        elif state == "CONNECTED_ONHOLD":
            hold += end - start
        elif state == "ENDED":
            acw += end - start
    return talk // 1000, hold // 1000, acw // 1000


def queue_truth(
    timeline: DayTimeline,
    instance: Instance,
    available: dict[int, dict[int, int]],
    service_level_seconds: int,
    short_abandon_seconds: int,
) -> list[tuple[str, ...]]:
    """Queue rows of the day (see module docstring)."""
    day = timeline.day
    width = len(QUEUE_COUNT_COLUMNS)
    cells: dict[tuple[str, str, str, int], list[int]] = {}
    for contact in timeline.contacts:
        if contact.enqueue is None or contact.method == "OUTBOUND":
            continue
        assert contact.disconnect is not None, "every contact ends within its day"
        handled = contact.connected is not None
        left_queue = contact.connected if contact.connected is not None else contact.disconnect
        queue_s = (left_queue - contact.enqueue) // 1000
        moved_on = contact.next_id is not None
        abandoned = not handled and not moved_on
        transferred_in = contact.method in TRANSFER_METHODS
        talk, hold, acw = _contact_seconds(contact) if handled else (0, 0, 0)
        for attribution, ts in (("enqueue", contact.enqueue), ("disconnect", contact.disconnect)):
            if not day.start_ms <= ts < day.end_ms:
                continue
            index = (ts - day.start_ms) // day.interval_ms
            key = (attribution, contact.queue.name, contact.channel, index)
            cell = cells.setdefault(key, [0] * width)
            cell[0] += 1
            cell[1] += not transferred_in
            cell[2] += transferred_in
            cell[3] += handled and moved_on
            cell[4] += not handled and moved_on
            cell[5] += handled
            cell[6] += abandoned
            cell[7] += abandoned and queue_s < short_abandon_seconds
            cell[8] += abandoned and short_abandon_seconds <= queue_s <= service_level_seconds
            cell[9] += handled and queue_s <= service_level_seconds
            if handled:
                cell[10] += queue_s
                cell[12] = max(cell[12], queue_s)
                cell[14] += talk
                cell[15] += hold
                cell[16] += acw
            if abandoned:
                cell[11] += queue_s
                cell[13] = max(cell[13], queue_s)
    serving: dict[str, list[int]] = defaultdict(list)
    for agent in instance.agents:
        for queue_name, _ in agent.profile.queue_channels:
            serving[queue_name].append(agent.index)
    rows = []
    for queue in instance.queues.values():
        idle_ms = [0] * day.interval_count
        for agent_index in serving[queue.name]:
            for index, ms in available.get(agent_index, {}).items():
                idle_ms[index] += ms
        for attribution in ATTRIBUTIONS:
            for channel in queue.channels:
                for index in range(day.interval_count):
                    cell = cells.get((attribution, queue.name, channel, index), [0] * width)
                    if not any(cell) and not idle_ms[index]:
                        continue
                    rows.append(
                        (
                            attribution,
                            queue.arn,
                            channel,
                            iso_s(day.start_ms + index * day.interval_ms),
                            *(str(int(v)) for v in cell),
                            format_ms_as_seconds(idle_ms[index]),
                        )
                    )
    rows.sort()
    return rows


class TruthWriter:
    """Appends each day's truth to the files under ``truth/``."""

    def __init__(
        self,
        folder: Path,
        instance: Instance,
        service_level_seconds: int,
        short_abandon_seconds: int,
    ) -> None:
        self.folder = folder
        self.instance = instance
        self.service_level_seconds = service_level_seconds
        self.short_abandon_seconds = short_abandon_seconds
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {
            "agent_interval_states.csv": AGENT_HEADER,
            "queue_interval_handle_time.csv": QUEUE_HEADER,
            "intervals.csv": INTERVALS_HEADER,
        }
        for name, header in self.files.items():
            self._write(name, [header], mode="w")

    def _write(self, name: str, rows: list[tuple[str, ...]], mode: str = "a") -> None:
        with (self.folder / name).open(mode, newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    def write_day(self, timeline: DayTimeline) -> None:
        """Compute and append one day's truth."""
        day = timeline.day
        agent_rows, available = agent_truth(timeline)
        queue_rows = queue_truth(
            timeline,
            self.instance,
            available,
            self.service_level_seconds,
            self.short_abandon_seconds,
        )
        intervals = [
            (day.day.isoformat(), iso_s(start), iso_s(start + day.interval_ms))
            for start in day.interval_starts()
        ]
        self._write("agent_interval_states.csv", agent_rows)
        self._write("queue_interval_handle_time.csv", queue_rows)
        self._write("intervals.csv", intervals)
