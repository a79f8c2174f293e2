"""Amazon Connect's own schedules, as exported from its analytics data lake.

A customer on Connect's scheduling has no WFM file: its published shifts are in the data lake
tables ``staff_shifts`` (a shift: ``agent_arn``, versioned by ``shift_version``),
``staff_shift_activities`` (the activity blocks of a shift version: ``activity_start_timestamp``,
``activity_end_timestamp``, ``shift_activity_arn`` -- NULL meaning Connect's "Work" activity --,
``activity_status`` INACTIVE when a time off overlaps it, ``is_deleted``) and
``shift_activities`` (what an activity is: ``shift_activity_name``, ``type`` PRODUCTIVE,
NON_PRODUCTIVE or LEAVE, ``is_adherence_tracked``). Administrator Guide, "Scheduling data in
the Amazon Connect analytics data lake". The README gives the Athena query that joins them.

In: the rows of that query (CSV or JSON, one row per activity block), recognised by their
``activity_start_timestamp`` column. Out: the same rows in this connector's schedule fields
(``agent``, ``start``, ``end``, ``activity``, ``productive``, ``adherence_tracked``), minus the
rows that are not in force, each with the reason it was left out:

- a block of a shift version older than the newest one in the file (the data lake keeps every
  version; the newest is the published shift);
- a block or shift marked ``is_deleted``;
- a block whose ``activity_status`` is INACTIVE (a time off overlaps it).

Left-out rows still say something: their time is no longer scheduled as it was. They are
returned as *cleared* spans (agent, start, end), which the new schedule version covers without
activities, so a shift deleted in Connect stops counting even where no other block of the file
reaches. A ``shift_version`` that is not a whole number is a problem, not an old version.

``type`` PRODUCTIVE is productive; NON_PRODUCTIVE and LEAVE are not. A block without
``shift_activity_arn`` is "Work", productive and tracked. Data lake timestamps are UTC and Athena
prints them without a zone (``2026-11-02 14:00:00.000``); such a value is read as UTC.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

START = "activity_start_timestamp"
# This connector's field -> the data lake column it comes from (to name columns in problems).
COLUMNS = {"agent": "agent_arn", "start": START, "end": "activity_end_timestamp",
           "activity": "shift_activity_name", "productive": "type",
           "adherence_tracked": "is_adherence_tracked"}  # fmt: skip
WORK = "Work"
TYPES = {"PRODUCTIVE": "true", "NON_PRODUCTIVE": "false", "LEAVE": "false"}
TRUE = {"true", "t", "1"}
FALSE = {"false", "f", "0", ""}


def is_data_lake(records: list[tuple[int, dict[str, Any]]]) -> bool:
    """Whether the rows are the data lake's shape (they have ``activity_start_timestamp``)."""
    return bool(records) and START in records[0][1]


def _utc(value: Any) -> Any:
    """Athena's ``YYYY-MM-DD HH:MM:SS[.fff]`` (UTC, no zone) as ISO 8601 with ``Z``."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(" UTC"):
        text = text[:-4]
    has_zone = text.endswith("Z") or "+" in text[10:] or "-" in text[10:]
    return text if has_zone else f"{text}Z"


def _flag(value: Any) -> bool | None:
    """A data lake boolean (true/false, t/f, 1/0); None when it is not one."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    return True if text in TRUE else False if text in FALSE else None


def _version(value: Any) -> int | None:
    """A shift version; None when the value is not a whole number."""
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def normalise(
    records: list[tuple[int, dict[str, Any]]], problems: list[tuple[int, str, str]]
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, int], list[tuple[int, dict[str, Any]]]]:
    """The rows in force (this connector's fields), left-out counts by reason, cleared spans.

    Cleared spans are the left-out rows as (line, agent/start/end fields). A value that cannot
    be read is appended to ``problems`` as (line, column, reason).
    """
    newest: dict[str, int] = {}
    versions: dict[int, int] = {}
    for line, row in records:
        if row.get("shift_id"):
            version = _version(row.get("shift_version"))
            if version is None:
                reason = f"{row.get('shift_version')!r} is not a whole number"
                problems.append((line, "shift_version", reason))
                continue
            versions[line] = version
            key = str(row["shift_id"])
            newest[key] = max(newest.get(key, version), version)
    out: list[tuple[int, dict[str, Any]]] = []
    cleared: list[tuple[int, dict[str, Any]]] = []
    skipped: dict[str, int] = defaultdict(int)
    for line, row in records:
        shift = row.get("shift_id")
        if shift and line not in versions:
            continue  # its shift_version is a problem already
        fields = {
            "agent": row.get("agent_arn"),
            "start": _utc(row.get(START)),
            "end": _utc(row.get("activity_end_timestamp")),
        }
        if shift and versions[line] < newest[str(shift)]:
            skipped["older shift version"] += 1
            cleared.append((line, fields))
            continue
        deleted = _flag(row.get("is_deleted"))
        if deleted is None:
            problems.append((line, "is_deleted", f"{row.get('is_deleted')!r} is not true or false"))
            continue
        if deleted:
            skipped["deleted"] += 1
            cleared.append((line, fields))
            continue
        if str(row.get("activity_status") or "").strip().upper() == "INACTIVE":
            skipped["inactive (time off)"] += 1
            cleared.append((line, fields))
            continue
        if not row.get("shift_activity_arn"):
            fields.update(activity=row.get("shift_activity_name") or WORK, productive="true",
                          adherence_tracked="true")  # fmt: skip
        else:
            kind = str(row.get("type") or "").strip().upper()
            if kind not in TYPES:
                reason = f"{row.get('type')!r} is not PRODUCTIVE, NON_PRODUCTIVE or LEAVE"
                problems.append((line, "type", reason))
                continue
            raw = row.get("is_adherence_tracked")
            tracked = True if raw in (None, "") else _flag(raw)  # NULL: tracked
            if tracked is None:
                reason = f"{row.get('is_adherence_tracked')!r} is not true or false"
                problems.append((line, "is_adherence_tracked", reason))
                continue
            if not row.get("shift_activity_name"):
                reason = "is missing (join shift_activities for the name and type)"
                problems.append((line, "shift_activity_name", reason))
                continue
            fields.update(activity=row.get("shift_activity_name"), productive=TYPES[kind],
                          adherence_tracked="true" if tracked else "false")  # fmt: skip
        out.append((line, fields))
    return out, dict(skipped), cleared
