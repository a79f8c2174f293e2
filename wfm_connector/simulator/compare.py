"""The reconciled tables of a simulated day next to the simulator's ground truth.

In: a psycopg connection to a database where the day was reconciled, the simulator's
``truth/`` folder and the day. Out: for each reconciled table, the truth's rows and the
table's rows for that day, both as sorted tuples of text in the truth files' spelling (UTC
``...Z`` interval starts, seconds as stored, ``npt_by_status`` as sorted (status, seconds)
pairs, a NULL queue as ""), so a test or the benchmark can check them for equality and show
the difference. Rows the truth leaves out (all-zero queue rows, service levels of intervals
with nothing queued) are left out of the table's side too. The intraday queue view is
compared per instant it was taken at (:func:`intraday_truth`, :func:`intraday_rows`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from wfm_connector.simulator.truth import (
    ADHERENCE_DAY_HEADER,
    ADHERENCE_EXCEPTION_HEADER,
    ADHERENCE_INTERVAL_HEADER,
    AGENT_ACTIVITY_HEADER,
    AGENT_QUEUE_HEADER,
    AGENT_STATES_HEADER,
    INTRADAY_HEADER,
    QUEUE_AVERAGES,
    QUEUE_HEADER,
    SERVICE_LEVEL_HEADER,
)

_NONZERO_QUEUE = " OR ".join(
    f"{c} <> 0" for c in QUEUE_HEADER[4:] if c not in QUEUE_AVERAGES
)
# table -> (columns, extra condition on the table's side)
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "agent_interval_states": (AGENT_STATES_HEADER, ""),
    "agent_interval_activity": (AGENT_ACTIVITY_HEADER, ""),
    "queue_interval": (QUEUE_HEADER, f"AND ({_NONZERO_QUEUE})"),
    "queue_interval_service_level": (
        SERVICE_LEVEL_HEADER,
        "AND (attribution, queue_arn, channel, interval_start) IN (SELECT attribution, "
        "queue_arn, channel, interval_start FROM wfm.queue_interval "
        "WHERE day = %(day)s AND contacts_queued > 0)",
    ),
    "agent_queue_interval": (AGENT_QUEUE_HEADER, ""),
    "adherence_interval": (ADHERENCE_INTERVAL_HEADER, ""),
    "adherence_day": (ADHERENCE_DAY_HEADER, ""),
    "adherence_exception": (ADHERENCE_EXCEPTION_HEADER, ""),
}
_UTC = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
_UTC_MS = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


@dataclass(frozen=True)
class Comparison:
    """One table's rows on both sides."""

    table: str
    columns: tuple[str, ...]
    truth: list[tuple]
    ours: list[tuple]

    @property
    def equal(self) -> bool:
        """Whether the table equals the truth exactly."""
        return self.truth == self.ours

    def differences(self, limit: int = 5) -> tuple[list[tuple], list[tuple]]:
        """Up to ``limit`` rows only in the truth, and only in the table."""
        ours, truth = set(self.ours), set(self.truth)
        return sorted(truth - ours)[:limit], sorted(ours - truth)[:limit]


def _normalise(columns: tuple[str, ...], row: tuple[str, ...]) -> tuple:
    if "npt_by_status" not in columns:
        return tuple(row)
    i = columns.index("npt_by_status")
    parsed = json.loads(row[i]) if row[i] else {}
    value = tuple(sorted((k, f"{Decimal(str(v)):.3f}") for k, v in parsed.items()))
    return (*row[:i], value, *row[i + 1 :])


def _day_starts(folder: Path, day: date) -> set[str]:
    with (folder / "intervals.csv").open(newline="", encoding="utf-8") as fh:
        return {r["interval_start"] for r in csv.DictReader(fh) if r["day"] == day.isoformat()}


def intraday_truth(folder: Path, day: date) -> dict[str, list[tuple]]:
    """The truth's intraday queue rows of ``day`` by the instant (``as_of``) they were taken at."""
    starts = _day_starts(folder, day)
    out: dict[str, list[tuple]] = {}
    with (folder / "queue_intraday.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != INTRADAY_HEADER:
            raise ValueError(f"queue_intraday.csv columns {reader.fieldnames} are not "
                             f"{INTRADAY_HEADER}")  # fmt: skip
        for r in reader:
            if r["interval_start"] in starts:
                out.setdefault(r["as_of"], []).append(tuple(r[c] for c in INTRADAY_HEADER))
    return {as_of: sorted(rows) for as_of, rows in out.items()}


def intraday_rows(conn: psycopg.Connection, day: date) -> list[tuple]:
    """``wfm.queue_intraday`` of ``day`` (as last built) in the truth's spelling."""
    exprs = [
        _UTC_MS.format(c) if c == "as_of" else _UTC.format(c) if c == "interval_start"
        else f"{c}::text"
        for c in INTRADAY_HEADER
    ]  # fmt: skip
    query = f"SELECT {', '.join(exprs)} FROM wfm.queue_intraday WHERE day = %(day)s"
    return sorted(tuple(r) for r in conn.execute(query, {"day": day}))


def truth_rows(folder: Path, table: str, day: date) -> list[tuple]:
    """The truth file's rows of ``day`` (by its ``day`` column or the day's interval grid)."""
    columns = TABLES[table][0]
    starts = _day_starts(folder, day)
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != columns:
            raise ValueError(f"{table}.csv columns {reader.fieldnames} are not {columns}")
        rows = [
            tuple(r[c] for c in columns)
            for r in reader
            if (r["day"] == day.isoformat() if "day" in r else r["interval_start"] in starts)
        ]
    return sorted(_normalise(columns, r) for r in rows)


def table_rows(conn: psycopg.Connection, table: str, day: date) -> list[tuple]:
    """The reconciled table's rows of ``day`` in the truth's spelling."""
    columns, where = TABLES[table]
    exprs = [
        _UTC.format(c) if c == "interval_start"
        else _UTC_MS.format(c) if c in ("start_ts", "end_ts")
        else "day::text" if c == "day"
        else "coalesce(queue_arn, '')" if c == "queue_arn"
        else f"coalesce({c}::text, '')"
        for c in columns
    ]  # fmt: skip
    query = f"SELECT {', '.join(exprs)} FROM wfm.{table} WHERE day = %(day)s {where}"
    return sorted(_normalise(columns, tuple(r)) for r in conn.execute(query, {"day": day}))


def compare(conn: psycopg.Connection, folder: Path, day: date) -> dict[str, Comparison]:
    """Every reconciled table of ``day`` next to its truth."""
    return {
        table: Comparison(
            table, columns, truth_rows(folder, table, day), table_rows(conn, table, day)
        )
        for table, (columns, _) in TABLES.items()
    }
