"""Shift schedules and each agent's intended status changes for one simulated day.

In: the instance's agents, a :class:`~wfm_connector.simulator.clock.Day` and the run's random
generator. Out: one :class:`AgentDayPlan` per agent (the published schedule activities plus
when the agent logs in and asks for each status, with jitter, lateness and overstays) and the
``schedule.csv`` rows (``agent_arn,username,activity,productive,adherence_tracked,start_utc,
end_utc``).

The plan only says what the agent *wants*; the model decides when a change really happens
(an agent on a contact gets the new status as ``NextAgentStatus`` until its last contact ends).

Besides lateness, overstays and unscheduled Training (a custom status during work), some agents
do what adherence exists to catch: leave before their shift ends, take a much longer break, or
go Offline (logging out) for lunch and log in again after it. On the last simulated day a few
agents work a night shift that crosses local midnight (only then, so no simulated day's truth
lacks the part of a shift that spills into it).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wfm_connector.simulator.clock import MINUTE, SECOND, Day, iso_s
from wfm_connector.simulator.population import (
    AVAILABLE,
    BREAK,
    LUNCH,
    OFFLINE,
    TRAINING,
    Agent,
    Instance,
)

SCHEDULE_HEADER = (
    "agent_arn", "username", "activity", "productive", "adherence_tracked", "start_utc", "end_utc",
)  # fmt: skip
PHONE = "Phone"
# Activity, minutes after shift start it begins, minutes it ends (shift of 8 h 30).
SHIFT_BLOCKS = (
    (PHONE, 0, 120), (BREAK, 120, 135), (PHONE, 135, 240), (LUNCH, 240, 270),
    (PHONE, 270, 390), (BREAK, 390, 405), (PHONE, 405, 510),
)  # fmt: skip
FIRST_SHIFT_HOUR = 6
SHIFT_START_SLOTS = 29  # 06:00, 06:15, ... 13:00
LATE_SHARE = 0.10
TRAINING_SHARE = 0.10
OVERSTAY_SHARE = 0.20
LEAVE_EARLY_SHARE = 0.06
LONG_BREAK_SHARE = 0.06
OFFLINE_LUNCH_SHARE = 0.06
NIGHT_SHARE = 0.05
FIRST_NIGHT_HOUR = 17
NIGHT_START_SLOTS = 7  # 17:00, 17:15, ... 18:30: the shift ends 01:30 to 03:00 the next day


@dataclass(frozen=True)
class Activity:
    """One scheduled activity of a shift."""

    name: str
    productive: bool
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class StatusRequest:
    """The agent asks for ``status`` at ``at_ms``.

    For a non-productive status, the agent asks to be ``Available`` again at ``return_at_ms``,
    but never sooner than ``min_duration_ms`` after the status really began.
    """

    at_ms: int
    status: str
    return_at_ms: int | None = None
    min_duration_ms: int = 0


@dataclass(frozen=True)
class AgentDayPlan:
    """An agent's day: schedule, login and intended status changes (sorted by time)."""

    agent: Agent
    activities: tuple[Activity, ...]
    login_ms: int
    requests: tuple[StatusRequest, ...]
    relogins: tuple[int, ...] = ()  # logging in again (then Available) after going Offline


def _jitter(rng: random.Random, low_minutes: float, high_minutes: float) -> int:
    """A random offset in milliseconds (so status changes fall on random milliseconds)."""
    return rng.randint(int(low_minutes * MINUTE), int(high_minutes * MINUTE))


def plan_agent_day(
    rng: random.Random, agent: Agent, day: Day, night_shifts: bool = False
) -> AgentDayPlan:
    """Draw one agent's shift and behaviour for the day (a night shift only if allowed)."""
    if night_shifts and rng.random() < NIGHT_SHARE:
        slot = rng.randrange(NIGHT_START_SLOTS)
        shift_start = day.local_ms(FIRST_NIGHT_HOUR + slot // 4, (slot % 4) * 15)
    else:
        slot = rng.randrange(SHIFT_START_SLOTS)
        shift_start = day.local_ms(FIRST_SHIFT_HOUR + slot // 4, (slot % 4) * 15)
    activities = tuple(
        Activity(name, name == PHONE, shift_start + a * MINUTE, shift_start + b * MINUTE)
        for name, a, b in SHIFT_BLOCKS
    )
    if rng.random() < LATE_SHARE:
        login = shift_start + _jitter(rng, 5, 15)
    else:
        login = shift_start + _jitter(rng, -5, 3)
    requests = [StatusRequest(login + rng.randint(5 * SECOND, 30 * SECOND), AVAILABLE)]
    relogins = []
    long_break = rng.random() < LONG_BREAK_SHARE
    offline_lunch = rng.random() < OFFLINE_LUNCH_SHARE
    for act in activities:
        if act.productive:
            continue
        ask = act.start_ms + _jitter(rng, -3, 8)
        back = act.end_ms + _jitter(rng, -2, 3)
        if rng.random() < OVERSTAY_SHARE:
            back += _jitter(rng, 1, 10)
        if long_break and act.name == BREAK:
            back += _jitter(rng, 15, 30)
            long_break = False
        if offline_lunch and act.name == LUNCH:
            requests.append(StatusRequest(ask, OFFLINE))
            relogins.append(back)
            continue
        requests.append(StatusRequest(ask, act.name, back, (act.end_ms - act.start_ms) // 2))
    if rng.random() < TRAINING_SHARE:
        block = rng.choice([a for a in activities if a.productive])
        duration = _jitter(rng, 20, 40)
        earliest = block.start_ms + 15 * MINUTE
        latest = block.end_ms - duration - 15 * MINUTE
        start = rng.randint(earliest, max(earliest, latest))
        requests.append(StatusRequest(start, TRAINING, start + duration, duration))
    leave = activities[-1].end_ms + _jitter(rng, -3, 5)
    if rng.random() < LEAVE_EARLY_SHARE:
        leave = activities[-1].end_ms - _jitter(rng, 20, 60)
    requests.append(StatusRequest(leave, OFFLINE))
    requests.sort(key=lambda r: r.at_ms)
    return AgentDayPlan(agent, activities, login, tuple(requests), tuple(relogins))


def plan_day(
    rng: random.Random, instance: Instance, day: Day, night_shifts: bool = False
) -> list[AgentDayPlan]:
    """Every agent's plan for the day, in agent order (night shifts only if allowed)."""
    return [plan_agent_day(rng, agent, day, night_shifts) for agent in instance.agents]


def schedule_rows(plans: Iterable[AgentDayPlan]) -> list[tuple[str, ...]]:
    """``schedule.csv`` rows of the plans, sorted by agent ARN and start."""
    rows = [
        (
            plan.agent.arn,
            plan.agent.username,
            act.name,
            "true" if act.productive else "false",
            "true",
            iso_s(act.start_ms),
            iso_s(act.end_ms),
        )
        for plan in plans
        for act in plan.activities
    ]
    rows.sort(key=lambda r: (r[0], r[5]))
    return rows


def append_schedule(path: Path, rows: list[tuple[str, ...]]) -> None:
    """Append rows to ``schedule.csv``, writing the header when the file is new."""
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if new:
            writer.writerow(SCHEDULE_HEADER)
        writer.writerows(rows)
