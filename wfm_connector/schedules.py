"""Schedules the WFM system published: one file in, one new schedule version out, or nothing.

In: a CSV file with a header (or a JSON list of objects with the same keys) whose rows are
shift activities: ``agent`` (username or agent ARN), ``start`` and ``end`` (ISO 8601 with an
offset or ``Z``), ``activity`` (its name), ``productive`` (true/false) and optionally
``adherence_tracked`` (true/false, default true). The simulator's spelling is accepted too
(``agent_arn``/``username``, ``start_utc``, ``end_utc``), and so is the shape of Amazon Connect's
own scheduling data from its analytics data lake (:mod:`wfm_connector.schedule_datalake`).

Out: a row in ``wfm.schedule_version`` (source, checksum, who, when), its activities in
``wfm.schedule_activity`` and, per agent, the span the version speaks for in
``wfm.schedule_coverage``: a newer version replaces the older activities of that agent it
overlaps (view ``wfm.schedule_current``). The local days it covers, up to
``schedules.recompute_days`` back, are marked in ``wfm.dirty_day`` so their adherence is
computed again. A file identical to the newest version (same SHA-256) loads nothing; one
identical to an older version loads again, so a reverted schedule wins over later ones.

A file with any bad row loads nothing: :class:`ScheduleError` lists every problem by file, line
and column (an inverted span, activities of one agent that overlap, an unknown agent, a value
that is not a time or a boolean, a missing column), and the version in force stays in force.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import psycopg

from wfm_connector import schedule_datalake

REQUIRED = ("agent", "start", "end", "activity", "productive")
# Other spellings of a column (the simulator's schedule.csv), by preference.
ALIASES = {
    "agent": ("agent", "agent_arn", "username"),
    "start": ("start", "start_utc"),
    "end": ("end", "end_utc"),
    "activity": ("activity",),
    "productive": ("productive",),
    "adherence_tracked": ("adherence_tracked",),
}
BOOLEANS = {"true": True, "false": False}
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One reason a file was rejected."""

    line: int
    column: str
    reason: str


class ScheduleError(ValueError):
    """The file was rejected; the message lists each problem as ``file, line N, column C``."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        shown = [f"{source}, line {p.line}, column {p.column}: {p.reason}" for p in problems]
        more = len(problems) - MAX_PROBLEMS
        super().__init__(
            "schedule rejected, nothing loaded:\n  "
            + "\n  ".join(shown[:MAX_PROBLEMS])
            + (f"\n  ... and {more} more" if more > 0 else "")
        )


@dataclass(frozen=True)
class Activity:
    """A valid row of the file."""

    line: int
    agent: str
    start: datetime
    end: datetime
    name: str
    productive: bool
    tracked: bool


@dataclass(frozen=True)
class ImportResult:
    """What one import did."""

    version_id: int
    activities: int
    agents: int
    days: tuple[date, ...]
    unchanged: bool = False
    skipped: dict[str, int] = field(default_factory=dict)  # rows not in force, by reason


def _records(data: bytes, source: str) -> list[tuple[int, dict[str, Any]]]:
    """(line, raw fields) of a CSV file, or (item number, object) of a JSON list."""
    if source.lower().endswith(".json"):
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ScheduleError(source, [Problem(1, "-", f"not valid JSON: {exc}")]) from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ScheduleError(source, [Problem(1, "-", "JSON must be a list of objects")])
        return [(i + 1, item) for i, item in enumerate(items)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError(source, [Problem(1, "-", f"not UTF-8 text: {exc}")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:  # e.g. an unclosed quote swallowing the rest past the field limit
        # line_num counts the lines read before the record that failed
        problem = Problem(reader.line_num + 1, "-", f"not CSV: {exc}")
        raise ScheduleError(source, [problem]) from None


def _column(fields: dict[str, Any], name: str) -> Any:
    for spelling in ALIASES[name]:
        if fields.get(spelling) not in (None, ""):
            return fields[spelling]
    return None


# Schedules are about working days: anything outside these years is a typo (and 0001 or 9999
# cannot even be moved to another time zone).
YEARS = (2000, 2100)


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise ValueError
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or not YEARS[0] <= parsed.year <= YEARS[1]:
        raise ValueError
    return parsed


def _parse(line: int, fields: dict[str, Any], problems: list[Problem]) -> Activity | None:
    values: dict[str, Any] = {}
    for name in (*REQUIRED, "adherence_tracked"):
        raw = _column(fields, name)
        if raw is None:
            if name in REQUIRED:
                problems.append(Problem(line, name, "is missing"))
            continue
        try:
            if name in ("start", "end"):
                values[name] = _time(raw)
            elif name in ("productive", "adherence_tracked"):
                key = str(raw).strip().lower()
                if isinstance(raw, bool):
                    values[name] = raw
                elif key in BOOLEANS:
                    values[name] = BOOLEANS[key]
                else:
                    raise ValueError
            else:
                values[name] = str(raw).strip()
                if "\x00" in values[name]:
                    raise ValueError  # PostgreSQL text cannot hold NUL
        except ValueError:
            what = (f"an ISO 8601 time with an offset or Z, in the years {YEARS[0]}-{YEARS[1]}"
                    if name in ("start", "end") else (
                "true or false" if name in ("productive", "adherence_tracked")
                else "text without NUL characters"
            ))  # fmt: skip
            problems.append(Problem(line, name, f"{raw!r} is not {what}"))
    if any(name not in values for name in REQUIRED):
        return None
    if values["end"] <= values["start"]:
        shown = values["end"].isoformat()
        problems.append(Problem(line, "end", f"{shown} is not after start (inverted span)"))
        return None
    return Activity(line, values["agent"], values["start"], values["end"], values["activity"],
                    values["productive"], values.get("adherence_tracked", True))  # fmt: skip


def parse(
    data: bytes, source: str, agents: dict[str, str]
) -> tuple[list[tuple[str, Activity]], dict[str, int], dict[str, tuple[datetime, datetime]]]:
    """(agent ARN, activity) of every row in force, left-out rows by reason, cleared spans.

    Cleared spans: per agent, the span its left-out rows (deleted or replaced shifts in the data
    lake shape) no longer schedule. Raises :class:`ScheduleError` listing all problems.
    ``agents`` maps every known agent ARN and current username to its ARN. Rows in the shape
    of Connect's data lake are read by :mod:`wfm_connector.schedule_datalake`; problems then
    name its columns.
    """
    problems: list[Problem] = []
    rows = []
    skipped: dict[str, int] = {}
    cleared: dict[str, tuple[datetime, datetime]] = {}
    records = _records(data, source)
    lake = schedule_datalake.is_data_lake(records)
    if lake:
        lake_problems: list[tuple[int, str, str]] = []
        records, skipped, left_out = schedule_datalake.normalise(records, lake_problems)
        problems.extend(Problem(*p) for p in lake_problems)
        for _line, fields in left_out:
            try:
                arn, start, end = agents.get(fields["agent"]), _time(fields["start"]), _time(
                    fields["end"])  # fmt: skip
            except (ValueError, TypeError):
                continue  # a row out of force with unreadable times clears nothing
            if arn is not None and end > start:
                low, high = cleared.get(arn, (start, end))
                cleared[arn] = (min(low, start), max(high, end))
    for line, fields in records:
        activity = _parse(line, fields, problems)
        if activity is None:
            continue
        arn = agents.get(activity.agent)
        if arn is None:
            problems.append(Problem(line, "agent", f"unknown agent {activity.agent!r}"))
            continue
        rows.append((arn, activity))
    by_agent: dict[str, list[Activity]] = defaultdict(list)
    for arn, activity in rows:
        by_agent[arn].append(activity)
    for activities in by_agent.values():
        activities.sort(key=lambda a: (a.start, a.line))
        for before, after in zip(activities, activities[1:], strict=False):
            if after.start < before.end:
                reason = f"overlaps line {before.line} ({before.name} until {before.end})"
                problems.append(Problem(after.line, "start", reason))
    if lake:
        names = schedule_datalake.COLUMNS
        problems = [Problem(p.line, names.get(p.column, p.column), p.reason) for p in problems]
    if problems:
        raise ScheduleError(source, sorted(problems, key=lambda p: (p.line, p.column)))
    if not rows and not cleared:
        raise ScheduleError(source, [Problem(1, "-", "no activities")])
    return rows, skipped, cleared


def known_agents(conn: psycopg.Connection) -> dict[str, str]:
    """Every agent ARN and current username -> ARN."""
    out: dict[str, str] = {}
    for arn, username in conn.execute("SELECT agent_arn, username FROM wfm.agent"):
        out[arn] = arn
        if username:
            out.setdefault(username, arn)
    return out


def import_schedule(
    conn: psycopg.Connection,
    data: bytes,
    source: str,
    timezone: str,
    recompute_days: int,
    loaded_by: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate and load one schedule file as a new version, all or nothing."""
    digest = hashlib.sha256(data).hexdigest()
    # The same bytes as the newest version change nothing. The same bytes as an older version
    # do: a republished (reverted) schedule must win over what was loaded since.
    newest = conn.execute(
        "SELECT version_id, activities, sha256 FROM wfm.schedule_version "
        "ORDER BY version_id DESC LIMIT 1"
    ).fetchone()
    if newest is not None and newest[2] == digest:
        return ImportResult(newest[0], newest[1], 0, (), unchanged=True)
    rows, skipped, cleared = parse(data, source, known_agents(conn))
    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    spans: dict[str, list[datetime]] = {}
    days: set[date] = set()
    periods = [(arn, a.start, a.end) for arn, a in rows]
    periods += [(arn, start, end) for arn, (start, end) in cleared.items()]
    for arn, start, end in periods:
        span = spans.setdefault(arn, [start, end])
        span[0], span[1] = min(span[0], start), max(span[1], end)
        day = start.astimezone(tz).date()
        last = (end - timedelta(microseconds=1)).astimezone(tz).date()
        while day <= last:
            if day >= today - timedelta(days=recompute_days):
                days.add(day)
            day += timedelta(days=1)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO wfm.schedule_version (source, sha256, loaded_by, activities) "
            "VALUES (%s, %s, %s, %s) RETURNING version_id",
            (source, digest, loaded_by or getpass.getuser(), len(rows)),
        )
        version = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO wfm.schedule_activity (version_id, agent_arn, start_ts, end_ts, "
            "activity, productive, adherence_tracked, line) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(version, arn, a.start, a.end, a.name, a.productive, a.tracked, a.line)
             for arn, a in rows],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO wfm.schedule_coverage (version_id, agent_arn, span) "
            "VALUES (%s, %s, tstzrange(%s, %s))",
            [(version, arn, start, end) for arn, (start, end) in sorted(spans.items())],
        )
        cur.executemany(
            "INSERT INTO wfm.dirty_day (day, marked_at) VALUES (%s, now()) "
            "ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at",
            [(d,) for d in sorted(days)],
        )
    return ImportResult(version, len(rows), len(spans), tuple(sorted(days)), skipped=skipped)


def import_file(
    conn: psycopg.Connection, path: Path, timezone: str, recompute_days: int
) -> ImportResult:
    """:func:`import_schedule` of a file on disk."""
    return import_schedule(conn, Path(path).read_bytes(), str(path), timezone, recompute_days)
