"""Ingest: framed source records -> raw tables, quarantine and dimensions, in bulk.

In: an iterator of :class:`SourceRecord` for one stream (any source) and a psycopg
connection. Out: new rows in ``wfm.agent_event_raw`` / ``wfm.contact_event_raw`` /
``wfm.contact_record_raw`` keyed by each stream's natural identity (EventId; envelope id;
ContactId + LastUpdateTimestamp), unusable records in ``wfm.quarantine`` with their bytes,
position and reason, the ``wfm.agent`` / ``wfm.queue`` / ``wfm.routing_profile_queue``
dimensions, and :class:`IngestStats`.

How: records are parsed in Python and gathered in batches; each batch is COPYed into a
temporary staging table and moved with one ``INSERT ... SELECT DISTINCT ON (key) ... ON
CONFLICT DO NOTHING``, so duplicates inside a batch, across batches and across runs are all
dropped by the database and a re-run adds nothing. Each batch commits on its own; nothing is
held in memory beyond one batch.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import psycopg

from wfm_connector.db.copy import RawJson, RawText, copy_rows
from wfm_connector.faults import crash_point
from wfm_connector.intervals import LOOKBACK
from wfm_connector.parsing.agent_events import AgentEvent, parse_agent_event
from wfm_connector.parsing.contact_events import ContactEvent, parse_contact_event
from wfm_connector.parsing.contact_records import (
    ContactRecord,
    is_agent_queue,
    parse_contact_record,
)
from wfm_connector.parsing.framing import MAX_RECORD_BYTES, Framed
from wfm_connector.parsing.values import MAX_DEPTH, InvalidRecord, too_deep
from wfm_connector.privacy import Minimiser
from wfm_connector.sources.base import SourceRecord, Stream

log = logging.getLogger(__name__)
BATCH_SIZE = 5000
BATCH_BYTES = 16 << 20  # a batch also ends at this many bytes of records (memory is bounded)
REASON_MAX = 1000  # characters of a quarantine reason (the record's bytes are kept apart)


@dataclass
class IngestStats:
    """What one ingest of one stream did."""

    stream: str
    read: int = 0
    new: int = 0
    quarantined: int = 0
    newest_event_ts: datetime | None = None

    @property
    def duplicates(self) -> int:
        """Valid records that were already stored (or repeated within the run)."""
        return self.read - self.new - self.quarantined

    def as_dict(self) -> dict[str, Any]:
        """Plain values for logs and Dagster metadata."""
        return {
            "stream": self.stream,
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "newest_event_ts": self.newest_event_ts.isoformat() if self.newest_event_ts else None,
        }


@dataclass(frozen=True)
class _RawTable:
    """How one stream's parsed records become rows."""

    table: str
    key: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (column, PostgreSQL type) in row order
    parse: Callable[[Framed], Any]
    row: Callable[[Any, RawText, str], tuple[Any, ...]]
    event_ts: Callable[[Any], datetime | None]
    # Timestamps (column ts) whose days new rows (CTE ins) make stale, each with the earliest
    # instant of its day the new row can change (column lo, see wfm.day_change); "" for none.
    day_sql: str = ""
    families: tuple[str, ...] = ()  # the reconciled tables (wfm.day_change) the rows feed

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.fields)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.fields)


TEXT, TS, INT, JSONB = "text", "timestamptz", "int4", "jsonb"
_LOOKBACK = f"interval '{int(LOOKBACK.total_seconds())} seconds'"
# a change "from ever": the whole day is rebuilt (before any day's start)
EVER = "'epoch'::timestamptz"
_SOURCE_FIELDS = (("payload", TEXT), ("source_position", TEXT))


def _agent_event_row(e: AgentEvent, payload: RawText, position: str) -> tuple[Any, ...]:
    contacts = RawJson(orjson.dumps(e.contacts))
    return (
        e.event_id, e.event_type, e.event_ts, e.agent_arn, e.status_name, e.status_type,
        e.status_arn, e.status_start_ts, e.routing_profile_arn, contacts, payload, position,
    )  # fmt: skip


def _contact_event_row(e: ContactEvent, payload: RawText, position: str) -> tuple[Any, ...]:
    return (
        e.event_key, e.event_type, e.event_ts, e.contact_id, e.channel, e.initiation_method,
        e.queue_arn, e.agent_arn, e.enqueue_ts, e.connected_ts, e.previous_contact_id, payload,
        position,
    )  # fmt: skip


_CTR_FIELDS = (
    ("contact_id", TEXT), ("last_update_ts", TS), ("channel", TEXT),
    ("initiation_method", TEXT), ("initiation_ts", TS), ("disconnect_ts", TS),
    ("disconnect_reason", TEXT), ("queue_arn", TEXT), ("queue_name", TEXT), ("enqueue_ts", TS),
    ("dequeue_ts", TS), ("queue_duration_s", INT), ("agent_arn", TEXT),
    ("connected_to_agent_ts", TS), ("agent_interaction_s", INT), ("customer_hold_s", INT),
    ("acw_s", INT), ("number_of_holds", INT), ("longest_hold_s", INT),
    ("initial_contact_id", TEXT), ("previous_contact_id", TEXT), ("next_contact_id", TEXT),
    ("transfer_completed_ts", TS), ("transferred_to_endpoint", "bool"),
)  # fmt: skip


def _contact_record_row(r: ContactRecord, payload: RawText, position: str) -> tuple[Any, ...]:
    return (*(getattr(r, column) for column, _ in _CTR_FIELDS), payload, position)


RAW_TABLES: dict[Stream, _RawTable] = {
    Stream.AGENT_EVENTS: _RawTable(
        table="wfm.agent_event_raw",
        key=("event_id",),
        fields=(
            ("event_id", TEXT),
            ("event_type", TEXT),
            ("event_ts", TS),
            ("agent_arn", TEXT),
            ("status_name", TEXT),
            ("status_type", TEXT),
            ("status_arn", TEXT),
            ("status_start_ts", TS),
            ("routing_profile_arn", TEXT),
            ("contacts", JSONB),
            *_SOURCE_FIELDS,
        ),  # fmt: skip
        parse=lambda f: parse_agent_event(f.value),
        row=_agent_event_row,
        event_ts=lambda e: e.event_ts,
        # an event shapes the hour after it (its snapshot holds, or a silence up to an hour
        # becomes unknown time) and the hour before it (it ends the previous segment, or a
        # silence): either may lie in another day
        day_sql=(
            f"SELECT v.ts, ins.event_ts - {_LOOKBACK} AS lo FROM ins CROSS JOIN LATERAL "
            f"(VALUES (ins.event_ts), (ins.event_ts + {_LOOKBACK}), "
            f"(ins.event_ts - {_LOOKBACK})) v(ts)"
        ),
        # (the queues follow the agents' rebuild: their available time is the timeline's)
        families=("agents",),
    ),
    Stream.CONTACT_EVENTS: _RawTable(
        table="wfm.contact_event_raw",
        key=("event_key",),
        fields=(
            ("event_key", TEXT),
            ("event_type", TEXT),
            ("event_ts", TS),
            ("contact_id", TEXT),
            ("channel", TEXT),
            ("initiation_method", TEXT),
            ("queue_arn", TEXT),
            ("agent_arn", TEXT),
            ("enqueue_ts", TS),
            ("connected_ts", TS),
            ("previous_contact_id", TEXT),
            *_SOURCE_FIELDS,
        ),  # fmt: skip
        parse=lambda f: parse_contact_event(f.value, f.raw),
        row=_contact_event_row,
        event_ts=lambda e: e.event_ts,
    ),
    Stream.CONTACT_RECORDS: _RawTable(
        table="wfm.contact_record_raw",
        key=("contact_id", "last_update_ts"),
        fields=(*_CTR_FIELDS, *_SOURCE_FIELDS),
        parse=lambda f: parse_contact_record(f.value),
        row=_contact_record_row,
        event_ts=lambda r: r.last_update_ts,
        # a new version can move a contact to another day: the days of older versions too;
        # and a contact that follows another (a callback, a transfer) changes what the one
        # before it counts as (abandoned or callback requested): that one's days too
        day_sql=(
            "SELECT v.ts, v.ts AS lo FROM ins "
            "CROSS JOIN LATERAL (VALUES (ins.enqueue_ts), (ins.disconnect_ts), "
            "(ins.initiation_ts)) v(ts) "
            "UNION SELECT v.ts, v.ts FROM wfm.contact_record_raw r "
            "JOIN ins ON r.contact_id IN (ins.contact_id, ins.previous_contact_id) "
            "CROSS JOIN LATERAL (VALUES (r.enqueue_ts), (r.disconnect_ts), "
            "(r.initiation_ts)) v(ts) "
            # another version in another queue, channel or day: a queue and channel may have
            # lost its only contact there, and the day its rows; the whole day is rebuilt
            f"UNION SELECT v.ts, {EVER} FROM wfm.contact_record_raw r "
            "JOIN ins ON r.contact_id = ins.contact_id AND r.last_update_ts <> ins.last_update_ts "
            "AND ((r.queue_arn, r.channel) IS DISTINCT FROM (ins.queue_arn, ins.channel) "
            "OR (coalesce(r.enqueue_ts, r.initiation_ts) AT TIME ZONE %(tz)s)::date IS DISTINCT "
            "FROM (coalesce(ins.enqueue_ts, ins.initiation_ts) AT TIME ZONE %(tz)s)::date "
            "OR (r.disconnect_ts AT TIME ZONE %(tz)s)::date "
            "IS DISTINCT FROM (ins.disconnect_ts AT TIME ZONE %(tz)s)::date) "
            "CROSS JOIN LATERAL (VALUES (r.enqueue_ts), (r.disconnect_ts), "
            "(r.initiation_ts)) v(ts)"
        ),
        families=("queues",),
    ),
}


# (arn, name) -> first time seen; last time seen and that sighting's record update time
NameSeen = dict[tuple[str, str], tuple[datetime, datetime, datetime]]


def _seen(names: NameSeen, arn: str, name: str | None, ts: datetime, updated: datetime) -> None:
    key = (arn, name or "")
    first, *last = names.get(key, (ts, ts, updated))
    names[key] = (min(first, ts), *max(tuple(last), (ts, updated)))


@dataclass
class Batch:
    """Records of one stream made ready to load: what :func:`prepare` returns.

    Plain data (it crosses from a worker process to the loading one): rows in the raw
    table's column order, quarantine rows, the dimensions the records carry, how many records
    and bytes went in, and the newest record time among the usable ones.
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    # (ARN, name or "") -> first and last time a record carried it
    agents: NameSeen = field(default_factory=dict)
    profile_queues: set[tuple[str, str]] = field(default_factory=set)
    queues: NameSeen = field(default_factory=dict)
    read: int = 0
    size: int = 0  # bytes of the records as delivered
    newest: datetime | None = None

    def extend(self, other: Batch) -> None:
        """Add ``other``'s records to this batch (as if prepared together)."""
        self.rows.extend(other.rows)
        self.quarantine.extend(other.quarantine)
        for mine, theirs in ((self.agents, other.agents), (self.queues, other.queues)):
            for (arn, name), (first, last, updated) in theirs.items():
                _seen(mine, arn, name, first, updated)
                _seen(mine, arn, name, last, updated)
        self.profile_queues |= other.profile_queues
        self.read += other.read
        self.size += other.size
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _stored_bytes(stream: Stream, framed: Framed, minimiser: Minimiser) -> bytes:
    """The bytes kept of a record: as delivered, or re-encoded without personal fields."""
    minimised = minimiser.minimise(stream, framed.value)
    return framed.raw if minimised is None else orjson.dumps(minimised)


def _reason_to_quarantine(
    spec: _RawTable, rec: SourceRecord, stored: bytes
) -> tuple[str | None, Any]:
    """(None, parsed) for a usable record, else (reason, None)."""
    framed = rec.framed
    if framed.error is not None:
        return framed.error, None
    if b"\\u0000" in framed.raw and _ESCAPED_NUL.search(framed.raw):
        return "contains a NUL character (\\u0000), which jsonb cannot store", None
    try:
        parsed = spec.parse(framed)
        row = spec.row(parsed, RawText(stored), rec.position)
    except InvalidRecord as exc:
        return str(exc), None
    except RecursionError:  # name where, which Python's message does not
        deep = too_deep(framed.value) or "(unknown)"
        path = deep if len(deep) <= 200 else deep[:200] + "…"
        return f"nested too deep to read (more than {MAX_DEPTH} levels at {path})", None
    except Exception as exc:  # noqa: BLE001 - one odd record must never stop the run
        return f"unexpected structure ({type(exc).__name__}: {exc})", None
    return None, (parsed, row)


def _capped(reason: str) -> str:
    """A reason of at most about :data:`REASON_MAX` characters, storable as text."""
    reason = reason.replace("\x00", "\\x00")  # quoted key names may hold NUL
    if len(reason) <= REASON_MAX:
        return reason
    return f"{reason[: REASON_MAX - 60]}… (cut: the reason was {len(reason):,} characters)"


def kept_bytes(max_record_bytes: int) -> int:
    """How much of an oversized record the quarantine keeps.

    At least 1 MiB, so a record refused under a lower ``max_record_bytes`` can be replayed
    whole once the limit is raised.
    """
    return max(max_record_bytes, MAX_RECORD_BYTES)


def prepare(
    stream: Stream,
    records: Iterable[SourceRecord],
    minimiser: Minimiser,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Batch:
    """Parse, check and minimise ``records``: the rows and quarantine rows to load.

    Needs no database and keeps no state, so it may run in a worker process
    (:mod:`wfm_connector.sources.parallel`).
    """
    spec = RAW_TABLES[stream]
    batch = Batch()
    for rec in records:
        batch.read += 1
        size = len(rec.framed.raw)
        batch.size += size
        keep = kept_bytes(max_record_bytes)
        if rec.framed.cut:  # the reader kept only its head, and skipped the rest
            reason = (f"record is more than {keep:,} bytes (ingest.max_record_bytes "
                      f"{max_record_bytes:,}); raw holds its first {keep:,} bytes; the rest "
                      "of it, up to the next record, was skipped")  # fmt: skip
            kept = minimiser.redact(rec.framed.raw[:keep], keep)
            batch.quarantine.append((stream.value, rec.position, reason, kept))
            continue
        if size > max_record_bytes:
            digest = hashlib.sha256(rec.framed.raw).hexdigest()
            whole = "all of it" if size <= keep else f"its first {keep:,} bytes"
            reason = (f"record is {size:,} bytes, more than the {max_record_bytes:,} allowed "
                      f"(ingest.max_record_bytes); raw holds {whole}; sha256 of all of it "
                      f"{digest}")  # fmt: skip
            kept = minimiser.redact(rec.framed.raw[:keep], keep)
            batch.quarantine.append((stream.value, rec.position, reason, kept))
            continue
        try:
            stored = _stored_bytes(stream, rec.framed, minimiser)
        except (TypeError, RecursionError):  # orjson writes at most 255 levels
            deep = too_deep(rec.framed.value) or "(unknown)"
            reason = f"nested too deep to store (more than {MAX_DEPTH} levels at {deep[:200]})"
            kept = minimiser.redact(rec.framed.raw, max_record_bytes)
            batch.quarantine.append((stream.value, rec.position, _capped(reason), kept))
            continue
        reason, result = _reason_to_quarantine(spec, rec, stored)
        if reason is not None:
            if stored is rec.framed.raw:  # not readable as a record: blank by pattern
                stored = minimiser.redact(stored, max_record_bytes)
            batch.quarantine.append((stream.value, rec.position, _capped(reason), stored))
            continue
        parsed, row = result
        batch.rows.append(row)
        ts = spec.event_ts(parsed)
        if ts is not None and (batch.newest is None or ts > batch.newest):
            batch.newest = ts
        if isinstance(parsed, AgentEvent):
            ts = parsed.event_ts
            _seen(batch.agents, parsed.agent_arn, parsed.username, ts, ts)
            if parsed.routing_profile_arn:
                batch.profile_queues.update(
                    (parsed.routing_profile_arn, q) for q in parsed.inbound_queue_arns
                )
        elif isinstance(parsed, ContactRecord):
            # A name is dated by the contact's own time, not LastUpdateTimestamp: a record
            # republished days later still carries the name the queue had back then.
            when = parsed.disconnect_ts or parsed.initiation_ts or parsed.last_update_ts
            updated = parsed.last_update_ts
            if parsed.queue_arn and not is_agent_queue(parsed.queue_arn):
                _seen(batch.queues, parsed.queue_arn, parsed.queue_name, when, updated)
            if parsed.agent_arn:
                _seen(batch.agents, parsed.agent_arn, parsed.agent_username, when, updated)
    return batch


def _load(
    conn: psycopg.Connection, spec: _RawTable, batch: Batch, timezone: str | None
) -> tuple[int, int]:
    """(new raw rows, new quarantine rows) of one batch."""
    stage = "stage_" + spec.table.split(".")[1]
    key = ", ".join(spec.key)
    columns = ", ".join(spec.columns)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {spec.table})")
        cur.execute(f"TRUNCATE {stage}")
    copy_rows(conn, stage, spec.columns, spec.types, batch.rows)
    insert = (
        f"INSERT INTO {spec.table} ({columns}) "
        f"SELECT DISTINCT ON ({key}) {columns} FROM {stage} ORDER BY {key}, source_position "
        f"ON CONFLICT ({key}) DO NOTHING"
    )
    with conn.cursor() as cur:
        if timezone is None or not spec.day_sql:
            cur.execute(insert)
            inserted = cur.rowcount
        else:
            # Mark the contact-center days the new rows touch, so they get reconciled again,
            # and from when (an incremental rebuild starts there).
            cur.execute(
                f"WITH ins AS ({insert} RETURNING *), days AS ({spec.day_sql}), "
                "mark AS (INSERT INTO wfm.dirty_day (day, marked_at) "
                "SELECT DISTINCT (ts AT TIME ZONE %(tz)s)::date, now() FROM days "
                "WHERE ts IS NOT NULL "
                "ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at), "
                "change AS (INSERT INTO wfm.day_change (day, family, changed_from) "
                "SELECT (ts AT TIME ZONE %(tz)s)::date, f, min(lo) FROM days "
                "CROSS JOIN unnest(%(families)s::text[]) AS f WHERE ts IS NOT NULL "
                "GROUP BY 1, 2) "
                "SELECT count(*) FROM ins",
                {"tz": timezone, "families": list(spec.families)},
            )
            inserted = cur.fetchone()[0]
        quarantined = 0
        if batch.quarantine:
            # one row per position (the last), refreshed when the position is read again (a
            # file re-read after it grew): counted only when new, so a restart or a second
            # run does not count a record twice
            rows = list({(q[0], q[1]): q for q in batch.quarantine}.values())
            cur.execute(
                "WITH q AS (INSERT INTO wfm.quarantine AS q (stream, source_position, reason, raw) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bytea[]) "
                "ON CONFLICT (stream, source_position) DO UPDATE SET reason = EXCLUDED.reason, "
                "raw = EXCLUDED.raw, quarantined_at = now() RETURNING (xmax = 0) AS inserted) "
                "SELECT count(*) FILTER (WHERE inserted) FROM q",
                [list(col) for col in zip(*rows, strict=True)],
            )
            quarantined = cur.fetchone()[0]
        if _load_dimensions(cur, batch) and timezone is not None and spec.families:
            # a queue newly served by a routing profile: its agents' available time changes
            # all day long, so the queues of the batch's days are rebuilt whole
            cur.execute(
                "INSERT INTO wfm.day_change (day, family, changed_from) "
                f"SELECT DISTINCT (event_ts AT TIME ZONE %s)::date, 'queues', {EVER} FROM {stage}",
                (timezone,),
            )
    return inserted, quarantined


@dataclass(frozen=True)
class _Dimension:
    table: str
    key: str
    id: str
    name: str
    history: str


AGENTS = _Dimension("wfm.agent", "agent_arn", "agent_id", "username", "wfm.agent_name")
QUEUES = _Dimension("wfm.queue", "queue_arn", "queue_id", "queue_name", "wfm.queue_name")


def _load_dimension(cur: psycopg.Cursor, dim: _Dimension, seen: NameSeen) -> None:
    """New ARNs get their stable id; names extend the history; the newest name is current.

    The id is ``wfm.stable_id(ARN)`` (from its md5), so it does not depend on which record
    came first, on rolled-back transactions or on a rebuild; on the rare collision with another
    ARN's id the next salt is tried. The current name is the one seen at the latest time (an
    agent event's time, a contact's disconnect; ties: the newest record version, then the
    smallest name), so neither delivery order nor a record republished later changes it.
    """
    arns = sorted({arn for arn, _ in seen})
    salt = 0
    missing = arns
    while missing:
        cur.execute(
            f"INSERT INTO {dim.table} ({dim.key}, {dim.id}) "
            f"SELECT a, wfm.stable_id(a, %s) FROM unnest(%s::text[]) AS a "
            f"WHERE NOT EXISTS (SELECT 1 FROM {dim.table} x WHERE x.{dim.key} = a) "
            f"ORDER BY a ON CONFLICT DO NOTHING",
            (salt, missing),
        )
        cur.execute(
            f"SELECT a FROM unnest(%s::text[]) AS a "
            f"WHERE NOT EXISTS (SELECT 1 FROM {dim.table} x WHERE x.{dim.key} = a) ORDER BY a",
            (missing,),
        )
        missing = [r[0] for r in cur.fetchall()]
        salt += 1
    named = sorted((arn, name, *times) for (arn, name), times in seen.items() if name)
    if not named:
        return
    cur.execute(
        f"INSERT INTO {dim.history} AS h "
        f"({dim.key}, {dim.name}, first_seen_ts, last_seen_ts, last_update_ts) "
        f"SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[], "
        f"%s::timestamptz[]) "
        f"ON CONFLICT ({dim.key}, {dim.name}) DO UPDATE SET "
        f"first_seen_ts = least(h.first_seen_ts, EXCLUDED.first_seen_ts), "
        f"last_seen_ts = greatest(h.last_seen_ts, EXCLUDED.last_seen_ts), "
        f"last_update_ts = CASE WHEN (EXCLUDED.last_seen_ts, EXCLUDED.last_update_ts) "
        f"> (h.last_seen_ts, h.last_update_ts) THEN EXCLUDED.last_update_ts "
        f"ELSE h.last_update_ts END",
        tuple(list(column) for column in zip(*named, strict=True)),
    )
    cur.execute(
        f"UPDATE {dim.table} d SET {dim.name} = n.{dim.name} FROM ("
        f"  SELECT DISTINCT ON ({dim.key}) {dim.key}, {dim.name} FROM {dim.history}"
        f"  WHERE {dim.key} = ANY(%s) "
        f"  ORDER BY {dim.key}, last_seen_ts DESC, last_update_ts DESC, {dim.name}"
        f") n WHERE d.{dim.key} = n.{dim.key} AND d.{dim.name} IS DISTINCT FROM n.{dim.name}",
        (sorted({arn for arn, *_ in named}),),
    )


def _load_dimensions(cur: psycopg.Cursor, batch: Batch) -> bool:
    """Whether a routing profile serves a queue it was not known to serve before."""
    if batch.agents:
        _load_dimension(cur, AGENTS, batch.agents)
    if batch.queues:
        _load_dimension(cur, QUEUES, batch.queues)
    if not batch.profile_queues:
        return False
    pairs = sorted(batch.profile_queues)
    cur.execute(
        "INSERT INTO wfm.routing_profile_queue (routing_profile_arn, queue_arn) "
        "SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING",
        ([p for p, _ in pairs], [q for _, q in pairs]),
    )
    return cur.rowcount > 0


def batches(
    records: Iterable[SourceRecord], size: int, max_bytes: int = BATCH_BYTES
) -> Iterator[list[SourceRecord]]:
    """``records`` in lists of at most ``size`` records and about ``max_bytes`` bytes."""
    chunk: list[SourceRecord] = []
    total = 0
    for record in records:
        chunk.append(record)
        total += len(record.framed.raw)
        if len(chunk) >= size or total >= max_bytes:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


Checkpoint = Callable[[psycopg.Cursor], None]


class Loader:
    """Loads batches of one stream, each in one transaction with its reader's checkpoint.

    A reader calls :meth:`load` with the records it read and a ``checkpoint`` callback that
    writes its position (a Kinesis sequence number, an S3 ledger row) with the same cursor, so
    the rows and the position are committed together or not at all. ``after_commit`` runs once
    the data is durable (SQS deletes its messages there).

    With a ``timezone``, the contact-center days that new rows touch are marked in
    ``wfm.dirty_day`` in the same transaction, so late data gets its day reconciled again.

    ``before_commit`` is a seam for tests that simulate a crash between reading and committing;
    ``on_batch`` reports progress after every committed batch.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        stream: Stream,
        before_commit: Callable[[], None] | None = None,
        on_batch: Callable[[IngestStats], None] | None = None,
        timezone: str | None = None,
        minimiser: Minimiser | None = None,
        max_record_bytes: int = MAX_RECORD_BYTES,
    ) -> None:
        self.conn = conn
        self.max_record_bytes = max_record_bytes
        self.stream = stream
        # personal fields are removed before anything is stored, by default (privacy.py)
        self.minimiser = minimiser or Minimiser()
        self.spec = RAW_TABLES[stream]
        self.stats = IngestStats(stream=stream.value)
        self.before_commit = before_commit
        self.on_batch = on_batch
        self.timezone = timezone

    def prepare(self, records: Iterable[SourceRecord]) -> Batch:
        """``records`` made ready to load, in this process (see :func:`prepare`)."""
        return prepare(self.stream, records, self.minimiser, self.max_record_bytes)

    def load(
        self,
        records: Sequence[SourceRecord],
        checkpoint: Checkpoint | None = None,
        after_commit: Callable[[], None] | None = None,
    ) -> int:
        """Load one batch of records; returns how many rows were new."""
        return self.load_batch(self.prepare(records), checkpoint, after_commit)

    def load_batch(
        self,
        batch: Batch,
        checkpoint: Checkpoint | None = None,
        after_commit: Callable[[], None] | None = None,
    ) -> int:
        """Load one prepared batch in one transaction with ``checkpoint``; rows that were new.

        The statistics count the batch only once it is committed.
        """
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise RuntimeError(
                "Loader needs a connection outside any transaction (autocommit), so that each "
                "batch and its checkpoint commit together when the batch ends"
            )
        with self.conn.transaction():
            new, quarantined = _load(self.conn, self.spec, batch, self.timezone)
            if checkpoint is not None:
                with self.conn.cursor() as cur:
                    checkpoint(cur)
            if self.before_commit is not None:
                self.before_commit()
            crash_point("ingest.before_commit", self.stream.value)
        stats = self.stats
        stats.read += batch.read
        stats.quarantined += quarantined
        stats.new += new
        if batch.newest is not None and (
            stats.newest_event_ts is None or batch.newest > stats.newest_event_ts
        ):
            stats.newest_event_ts = batch.newest
        crash_point("ingest.after_commit", self.stream.value)
        if after_commit is not None:
            after_commit()
        if self.on_batch is not None:
            self.on_batch(self.stats)
        return new


@contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while parsing in bulk.

    A batch holds thousands of parsed records (dicts, lists, dataclasses) at once; at Python's
    default threshold the collector runs every 700 new objects and keeps walking all of them
    (profiled: part of what looked like JSON-parsing time). Objects alive before the block
    are frozen (not walked), and the first generation is collected every ``threshold`` new
    objects; both are put back afterwards, also on an error. Memory stays bounded: records
    hold no reference cycles, so they are freed by reference counting as before.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def ingest(
    conn: psycopg.Connection,
    stream: Stream,
    records: Iterable[SourceRecord],
    batch_size: int = BATCH_SIZE,
) -> IngestStats:
    """Load ``records`` of ``stream`` in batches, each committed on its own."""
    loader = Loader(conn, stream)
    for chunk in batches(records, batch_size):
        loader.load(chunk)
    log.info("ingested %s", loader.stats.as_dict())
    return loader.stats
