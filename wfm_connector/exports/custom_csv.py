"""Files whose columns the user chooses: ``custom_csv`` and IEX-style ``iex_agent_activity``.

In: a profile naming a reconciled table and columns from :mod:`wfm_connector.exports.columns`,
the period (one row per interval, or per day with the interval figures summed), header style
(none, column names, or IEX's ``#fields`` line), delimiter, date/time/timestamp formats,
duration format (seconds, minutes, hh:mm:ss), decimals and decimal separator, attribution (queue
tables), time zone, and queue/agent id mappings over the configured ones.

Out: ``custom_<profile>_<yyyymmdd>.csv``, or for IEX ``iex_<profile>_<mmddyy>_0000.txt`` (NICE
IEX names files with an ``_mmddyy_hhmm`` stamp; ``hhmm`` is the start of the data, local
midnight), or the profile's own ``file_name`` template; UTF-8, LF line ends, rows ordered by
interval and then by agent id / queue id / channel. Text is made safe as in every export
(:mod:`wfm_connector.exports.values`); numbers are never quoted or neutralised.

Rows are those of the contact-center day (midnight to midnight in the configured time zone,
whatever the profile's). Values: an interval's date and time in the profile's time zone
(``start_utc`` is always UTC, ``YYYY-MM-DDTHH:MM:SSZ``), and with ``period: day`` or a day table
``date`` is the contact-center day itself; durations summed from seconds are written as
whole seconds (half up), minutes with the profile's decimals, or ``hh:mm:ss``; averages and
percentages with the profile's decimals; an empty field where Connect's figure is undefined (for
example occupancy without any productive time).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from wfm_connector.config import ExportProfile, WfmConfig
from wfm_connector.exports import ids, values
from wfm_connector.exports.columns import RATIO, SUMMABLE, TABLES, Column, Table
from wfm_connector.exports.rendered import Rendered
from wfm_connector.intervals import DayWindow

SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")

# GROUP BY of a day row: everything that identifies a row apart from its interval
_DAY_KEYS = {
    "agent_interval_activity": "t.agent_arn, a.agent_id, a.username",
    "queue_interval": "t.queue_arn, q.queue_id, q.queue_name, t.channel",
    "agent_queue_interval": "t.agent_arn, a.agent_id, a.username, t.queue_arn, q.queue_id, "
    "q.queue_name, t.channel",
    "adherence_interval": "t.agent_arn, a.agent_id, a.username",
}


def file_name(profile: ExportProfile, window: DayWindow) -> str:
    """The day's file name (see the module docstring); ValueError if a template is unsafe."""
    if profile.file_name:
        name = profile.file_name.format(profile=profile.name, day=window.day)
        if not SAFE_NAME.match(name) or name.endswith(".manifest.json"):
            raise ValueError(f"export profile {profile.name}: file_name gives {name!r}, which "
                             "is not a plain file name")  # fmt: skip
        return name
    if profile.format == "iex_agent_activity":
        return f"iex_{profile.name}_{window.day:%m%d%y}_0000.txt"
    return f"custom_{profile.name}_{window.day:%Y%m%d}.csv"


def _select(table: Table, name: str, column: Column, by_day: bool) -> str:
    if not by_day or not table.intervals:
        return column.sql
    if column.kind in SUMMABLE and name not in ("agent_id", "queue_id", "interval_minutes"):
        return f"sum({column.sql})"
    if column.kind == "max_seconds":
        return f"max({column.sql})"
    if name == "date":
        return "%(day)s::date"  # the contact-center day, whatever zone the file is written in
    if name == "interval_minutes":
        return "%(day_minutes)s::int"
    return column.sql  # an identity column, determined by the day keys


def query(profile: ExportProfile) -> str:
    """The SQL of the profile's rows (one value per chosen column, in order)."""
    table = TABLES[profile.table or ""]
    by_day = profile.period == "day" and table.intervals
    select = ",\n       ".join(
        _select(table, c, table.columns[c], by_day) for c in profile.columns or []
    )
    where = "t.day = %(day)s"
    if table.attribution:
        where += " AND t.attribution = %(attribution)s"
    order = [table.columns[k].sql for k in table.order]
    if table.intervals and not by_day:
        order.insert(0, "t.interval_start")
    group = f"\nGROUP BY {_DAY_KEYS[table.name]}" if by_day else ""
    return (f"SELECT {select}\nFROM {table.source}\nWHERE {where}{group}\n"
            f"ORDER BY {', '.join(order)}")  # fmt: skip


def _number(value: Decimal, places: int, separator: str) -> str:
    text = format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
    return text.replace(".", separator)


def _duration(seconds: Any, profile: ExportProfile, average: bool) -> str:
    value = Decimal(str(seconds))
    if profile.duration_format == "minutes":
        return _number(value / 60, profile.decimal_places, profile.decimal_separator)
    if profile.duration_format == "hh:mm:ss":
        whole = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        sign, whole = ("-" if whole < 0 else ""), abs(whole)
        return f"{sign}{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    if average:
        return _number(value, profile.decimal_places, profile.decimal_separator)
    return str(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def formatted(name: str, column: Column, value: Any, profile: ExportProfile, tz: ZoneInfo) -> Any:
    """One value as the profile writes it (text is made safe later, by the writer)."""
    if value is None:
        return None
    kind = column.kind
    if kind == "date":  # an interval's start (a time) or the contact-center day (a date)
        day = value.astimezone(tz) if isinstance(value, datetime) else value
        return day.strftime(profile.date_format or "%Y-%m-%d")
    if kind == "time":
        return value.astimezone(tz).strftime(profile.time_format)
    if kind == "timestamp":
        if name == "start_utc":
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.astimezone(tz).strftime(profile.timestamp_format)
    if kind in ("seconds", "max_seconds") or kind == "avg_seconds":
        return _duration(value, profile, average=kind == "avg_seconds")
    if kind == "pct":
        return _number(Decimal(str(value)), profile.decimal_places, profile.decimal_separator)
    if kind == "count":
        return int(value)
    return value  # text, bool


def build(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> Rendered:
    """The day's file and the options the manifest records."""
    table = TABLES[profile.table or ""]
    columns = list(profile.columns or [])
    tz = ZoneInfo(profile.timezone or cfg.timezone)
    day_minutes = int((window.end - window.start).total_seconds() // 60)
    params = {
        "day": window.day,
        "day_start": window.start,
        "attribution": profile.attribution,
        "interval_minutes": int(window.interval.total_seconds() // 60),
        "day_minutes": day_minutes,
        "queue_ids": json.dumps({**cfg.queue_ids, **profile.queue_ids}, sort_keys=True),
        "agent_ids": json.dumps({**cfg.agent_ids, **profile.agent_ids}, sort_keys=True),
    }
    if "queue_id" in columns:
        ids.check_distinct(conn, "queue", {**cfg.queue_ids, **profile.queue_ids})
    if "agent_id" in columns:
        ids.check_distinct(conn, "agent", {**cfg.agent_ids, **profile.agent_ids})
    rows = (
        [formatted(n, table.columns[n], v, profile, tz) for n, v in zip(columns, row, strict=True)]
        for row in conn.execute(query(profile), params)
    )
    header = None
    if profile.header == "names":
        header = columns
    elif profile.header == "#fields":
        header = ["#fields", *columns]
    text, count = values.delimited(rows, profile.delimiter or ",", header=header,
                                   neutralise=profile.neutralise_formulas)  # fmt: skip
    options = {
        "timezone": str(tz),
        "table": table.name,
        "columns": columns,
        "period": profile.period,
        "header": profile.header,
        "personal_columns": [c for c in columns if table.columns[c].personal],
    }
    if table.attribution:
        options["attribution"] = profile.attribution
    if any(table.columns[c].kind in RATIO for c in columns) or profile.duration_format == "minutes":
        options["decimal_places"] = profile.decimal_places
    return Rendered(file_name(profile, window), text.encode("utf-8"), count, options,
                    header_lines=int(header is not None), delimiter=profile.delimiter or ",")

