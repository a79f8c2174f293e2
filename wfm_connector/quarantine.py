"""Reading the quarantine, and replaying it after a fix.

In: ``wfm.quarantine`` (one row per record that could not be loaded: stream, where it came
from, why, and its bytes with personal data removed), the configuration.

Out: :func:`list_rows` (newest first, filtered by stream and by the contact-center day it was
quarantined), :func:`get_row` (one row whole), :func:`reasons` (the commonest reasons with a
count and one example each, for the Dagster quarantine asset), and :func:`replay`: every
selected record is read again through today's parser and configuration (a parser fix, a raised
``ingest.max_record_bytes``); what loads now goes into its raw table and leaves the quarantine
in the same transaction, so it is loaded exactly once however often replay runs or wherever it
is killed; what still fails stays, with today's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.ingest import BATCH_SIZE, Loader
from wfm_connector.parsing.framing import parse_one
from wfm_connector.privacy import Minimiser
from wfm_connector.sources.base import SourceRecord, Stream

LIST_COLUMNS = "id, stream, source_position, quarantined_at, length(raw) AS bytes, reason"


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did."""

    tried: int
    loaded: int  # left the quarantine: in the raw tables now (new, or already there)
    still_quarantined: int


def _where(stream: Stream | None, day: date | None, timezone: str) -> tuple[str, dict]:
    conditions, params = ["true"], {"tz": timezone}
    if stream is not None:
        conditions.append("stream = %(stream)s")
        params["stream"] = stream.value
    if day is not None:
        conditions.append("(quarantined_at AT TIME ZONE %(tz)s)::date = %(day)s")
        params["day"] = day
    return " AND ".join(conditions), params


def list_rows(
    conn: psycopg.Connection, cfg: WfmConfig, stream: Stream | None = None,
    day: date | None = None, limit: int = 50,
) -> list[dict[str, Any]]:  # fmt: skip
    """Quarantined records, newest first (without their bytes)."""
    where, params = _where(stream, day, cfg.timezone)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            f"SELECT {LIST_COLUMNS} FROM wfm.quarantine WHERE {where} "
            "ORDER BY quarantined_at DESC, id DESC LIMIT %(limit)s",
            {**params, "limit": limit},
        ).fetchall()


def get_row(conn: psycopg.Connection, row_id: int) -> dict[str, Any] | None:
    """One quarantined record with its bytes, or None."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            f"SELECT {LIST_COLUMNS}, raw FROM wfm.quarantine WHERE id = %s", (row_id,)
        ).fetchone()


def reasons(conn: psycopg.Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The commonest reasons (their first 80 characters) with a count and one example."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            "SELECT stream, left(reason, 80) AS reason, count(*) AS records, "
            "min(source_position) AS example FROM wfm.quarantine "
            "GROUP BY stream, left(reason, 80) ORDER BY records DESC, reason LIMIT %s",
            (limit,),
        ).fetchall()


def summary(conn: psycopg.Connection, cfg: WfmConfig, day: date) -> dict[str, Any]:
    """For the Dagster quarantine asset: totals, the day's count, top reasons as Markdown."""
    total, on_day = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE (quarantined_at AT TIME ZONE %s)::date = %s) "
        "FROM wfm.quarantine", (cfg.timezone, day),
    ).fetchone()  # fmt: skip
    top = reasons(conn)
    lines = ["| stream | reason | records | example |", "|---|---|---:|---|"]
    for row in top:
        cells = [row["stream"], row["reason"], f"{row['records']:,}", row["example"]]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return {"total": total, "on_day": on_day,
            "markdown": "\n".join(lines) if top else "Nothing is quarantined."}  # fmt: skip


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def replay(
    conn: psycopg.Connection, cfg: WfmConfig, stream: Stream | None = None,
    day: date | None = None, ids: list[int] | None = None,
) -> ReplayResult:  # fmt: skip
    """Read the selected quarantined records again; what loads now leaves the quarantine."""
    where, params = _where(stream, day, cfg.timezone)
    if ids:
        where += " AND id = ANY(%(ids)s)"
        params["ids"] = ids
    tried = loaded = 0
    for name in [s.value for s in Stream] if stream is None else [stream.value]:
        rows = conn.execute(
            f"SELECT id, source_position, raw FROM wfm.quarantine WHERE {where} "
            "AND stream = %(one)s ORDER BY id", {**params, "one": name},
        ).fetchall()  # fmt: skip
        loader = Loader(conn, Stream(name), timezone=cfg.timezone,
                        minimiser=Minimiser(cfg.privacy),
                        max_record_bytes=cfg.ingest.max_record_bytes)  # fmt: skip
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            started = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            records = [SourceRecord(pos, parse_one(bytes(raw))) for _, pos, raw in batch]

            def leave(cur: psycopg.Cursor, batch=batch, started=started) -> None:
                # a record that failed again had its row refreshed (quarantined_at now)
                nonlocal loaded
                cur.execute(
                    "DELETE FROM wfm.quarantine WHERE id = ANY(%s) AND quarantined_at < %s",
                    ([row[0] for row in batch], started),
                )
                loaded += cur.rowcount

            loader.load(records, checkpoint=leave)
            tried += len(batch)
    return ReplayResult(tried, loaded, tried - loaded)
