r"""Reading Firehose-style object stores (S3 or a local folder) once per object version.

In: an :class:`ObjectStore` holding ``<prefix>YYYY/MM/DD/HH/<object>`` (UTC hour of delivery),
a day window widened by look-back/look-ahead hours, and the ``wfm.object_ledger``.

Out: every object of those hours whose (key, ETag) is not in the ledger is framed (gzip by
magic bytes, concatenated or newline-delimited JSON), loaded in batches, and written to the
ledger with its size and record counts in the same transaction as its last batch. A crash
half-way through an object leaves it out of the ledger, so the next run reads it again and
the raw tables' keys drop what was already stored; an object re-written under the same key
has a new ETag and is read again, and quarantine rows of its earlier reading that this reading
did not confirm (a half-written last record, now whole) are removed with its ledger row. An
object that cannot be read to its end (truncated gzip) goes to quarantine whole, and is
ledgered too, so it is not retried until it changes.

A file name that is not UTF-8 (a local file system stores any bytes) is read like any other;
in the ledger, positions and messages it appears with its odd bytes escaped (``\xff``), since
PostgreSQL text is UTF-8: the name never stops a run.
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from wfm_connector.ingest import (
    BATCH_BYTES,
    BATCH_SIZE,
    Batch,
    Loader,
    batches,
    kept_bytes,
    prepare,
)
from wfm_connector.parsing.framing import Framed, iter_object_records
from wfm_connector.privacy import Minimiser
from wfm_connector.sources.base import SourceRecord, Stream
from wfm_connector.sources.parallel import Workers

if TYPE_CHECKING:
    import psycopg

    from wfm_connector.intervals import DayWindow


log = logging.getLogger(__name__)
TRAILING = timedelta(hours=25)
UNREADABLE = (EOFError, zlib.error, gzip.BadGzipFile)
UNREADABLE_HEAD = 1 << 20  # what is read again of an unreadable object, for the quarantine
# Objects parsed in worker processes: only when a run has this many (a pool costs a moment to
# start), and only objects this small as stored (a worker holds its object whole).
PARALLEL_MIN_OBJECTS = 8
PARALLEL_MAX_BYTES = 4 << 20
# objects fetched and handed to workers ahead of the one being loaded (and at most
# BATCH_BYTES of them as stored): what memory holds beyond the batch being loaded
PARALLEL_AHEAD = 32


class ObjectsNotRead(RuntimeError):
    """Some objects could not be fetched; the rest was loaded and they are retried next run."""

    def __init__(self, message: str, causes: list[BaseException] | None = None) -> None:
        super().__init__(message)
        self.causes = causes or []  # what each fetch raised (decides whether to retry soon)


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object version."""

    key: str
    etag: str
    size: int


class ObjectStore(Protocol):
    """A bucket or folder of objects."""

    location: str  # "s3://bucket" or "file:///abs/root"

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key order."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the object's bytes."""
        ...

    def read_all(self, key: str) -> bytes:
        """All of the object's bytes (schedule files, which are small)."""
        ...

    def position(self, key: str, offset: int | str) -> str:
        """How a record of this object is named in quarantine and raw tables."""
        ...


def is_utf8(key: str) -> bool:
    """Whether ``key`` was UTF-8 text (it holds no surrogate escapes of undecodable bytes)."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_key(key: str) -> str:
    r"""``key`` as UTF-8 text, one text per key.

    Bytes that were not UTF-8 (surrogate escapes) are shown as ``\xNN``; so that no real key
    can read the same, a key holding such bytes or a backslash has its backslashes doubled
    (``a\xff`` written with a backslash becomes ``a\\xff``). Every other key is itself.
    """
    if "\\" not in key and is_utf8(key):
        return key
    doubled = key.replace("\\", "\\\\")
    return doubled.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def legacy_key(key: str) -> str:
    r"""How ledgers and positions written before backslashes were doubled name ``key``.

    An object read under that name is not read again for it; when it is read again (it was
    re-written), its rows under that name go as stale. A legacy name that is the current name
    of another listed object (``a\\b`` is both ``a\b``'s name and ``a\\b``'s legacy one) is
    that object's, and is left alone.
    """
    if is_utf8(key):
        return key
    return key.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _legacy(key: str, current: set[str]) -> list[str]:
    """``key``'s legacy name, when it differs and is no listed object's current name."""
    legacy = legacy_key(key)
    return [legacy] if legacy != printable_key(key) and legacy not in current else []


def hour_prefixes(prefix: str, start: datetime, end: datetime, back: int, ahead: int) -> list[str]:
    """``<prefix>YYYY/MM/DD/HH/`` for every UTC hour overlapping the widened window."""
    hour = (start - timedelta(hours=back)).replace(minute=0, second=0, microsecond=0)
    last = end + timedelta(hours=ahead)
    out = []
    while hour < last:
        out.append(f"{prefix}{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return out


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern for text starting with ``prefix`` (its wildcards escaped)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def object_records(
    prefix: str, opener: Callable[[], IO[bytes]], max_bytes: int
) -> Iterator[SourceRecord]:
    """The records of one object, each named ``prefix`` + its offset.

    An object that cannot be read to its end yields what came before the break, then one
    record (offset ``object``) holding the object's first bytes and the reason.
    """
    try:
        with closing(opener()) as fh:
            for framed in iter_object_records(fh, max_bytes=max_bytes):
                yield SourceRecord(f"{prefix}{framed.offset}", framed)
    except UNREADABLE as exc:  # the bytes arrived but do not decode; network errors propagate
        reason = (
            f"object cannot be read to its end ({type(exc).__name__}: {exc}); "
            "raw holds what could be decompressed of it (up to 1 MiB), personal data blanked"
        )
        with closing(opener()) as fh:  # its head: an object can be huge
            raw = fh.read(UNREADABLE_HEAD)
        yield SourceRecord(f"{prefix}object", Framed(0, raw, None, reason))


def prepare_object(
    stream: Stream, prefix: str, data: bytes, minimiser: Minimiser, max_record_bytes: int
) -> Batch:
    """One object's bytes, framed and prepared (in a worker process)."""
    records = object_records(prefix, lambda: io.BytesIO(data), kept_bytes(max_record_bytes))
    return prepare(stream, records, minimiser, max_record_bytes)


class ObjectStoreReader:
    """Reads one stream's objects from a store, once per object version."""

    def __init__(
        self,
        store: ObjectStore,
        prefix: str,
        lookback_hours: int,
        lookahead_hours: int,
        batch_size: int = BATCH_SIZE,
        workers: int = 1,
        parallel_max_bytes: int = PARALLEL_MAX_BYTES,
    ) -> None:
        self.store = store
        self.workers = workers
        self.parallel_max_bytes = parallel_max_bytes
        self.prefix = prefix
        self.lookback_hours = lookback_hours
        self.lookahead_hours = lookahead_hours
        self.batch_size = batch_size

    def objects(self, window: DayWindow, now: datetime | None = None) -> list[ObjectInfo]:
        """Objects delivered in the window's hours (widened), and in the last day's hours.

        The trailing day catches objects filed late under an old hour (Firehose files by
        arrival and retries failed deliveries for up to 24 h) and hours a stopped connector
        missed, whichever partition runs.
        """
        now = now or datetime.now(UTC)
        prefixes = hour_prefixes(
            self.prefix, window.start, window.end, self.lookback_hours, self.lookahead_hours
        )
        recent = hour_prefixes(self.prefix, now - TRAILING, now, 0, 1)
        found: list[ObjectInfo] = []
        for prefix in sorted(set(prefixes) | set(recent)):
            found.extend(self.store.list(prefix))
        return found

    def _unread(self, conn: psycopg.Connection, objects: list[ObjectInfo]) -> list[ObjectInfo]:
        if not objects:
            return []
        current = {printable_key(o.key) for o in objects}
        names = {o.key: (printable_key(o.key), *_legacy(o.key, current)) for o in objects}
        rows = conn.execute(
            "SELECT key, etag FROM wfm.object_ledger WHERE location = %s AND key = ANY(%s)",
            (self.store.location, sorted({n for pair in names.values() for n in pair})),
        ).fetchall()
        seen = dict(rows)
        return [o for o in objects if o.etag not in {seen.get(n) for n in names[o.key]}]

    def pending(self, conn: psycopg.Connection, window: DayWindow) -> bool:
        """True when an object of the window is new or re-written."""
        return bool(self._unread(conn, self.objects(window)))

    def read(self, loader: Loader, window: DayWindow) -> None:
        """Load every unread object of the window.

        Small objects share a batch: records of consecutive objects fill one batch (up to the
        batch size), and every object whose last record is in it gets its ledger row in that
        batch's transaction. With several workers and enough objects, objects of at most
        ``parallel_max_bytes`` (as stored) are fetched here and parsed in worker processes, a few
        ahead of the one being loaded; loading stays here, in object order.

        An object that cannot be fetched (network trouble, KMS or archive errors) gets no
        ledger row, so the next run retries it (what was read of it is kept; the raw tables'
        keys drop it when read again); the others are still read, and the run fails at the
        end naming the skipped objects.
        """
        failed: list[str] = []
        causes: list[BaseException] = []
        listed = self.objects(window)
        current = {printable_key(o.key) for o in listed}
        unread = self._unread(loader.conn, listed)
        if not unread:
            return
        # one instant before any of this run's transactions: quarantine rows of an object
        # older than it come from an earlier reading
        started = loader.conn.execute("SELECT clock_timestamp()").fetchone()[0]
        pending = Batch()
        done: list[tuple[ObjectInfo, int]] = []  # objects read to their end, not ledgered yet

        def flush() -> None:
            nonlocal pending, done
            ledgered = done
            loader.load_batch(pending, checkpoint=lambda cur: self._ledger(
                cur, loader.stream.value, ledgered, current, started))  # fmt: skip
            pending, done = Batch(), []

        count = self.workers if len(unread) >= PARALLEL_MIN_OBJECTS else 1
        with Workers(count) as workers:
            if workers.parallel:
                log.info("parsing %d objects in %d worker processes", len(unread), count)
            queue: deque[tuple[ObjectInfo, Callable[[], Iterator[Batch]]]] = deque()
            todo = iter(unread)

            def fill() -> None:  # keep the workers busy while a batch is loaded
                while (
                    len(queue) < PARALLEL_AHEAD
                    and sum(i.size for i, _ in queue) < BATCH_BYTES
                    and (info := next(todo, None))
                ):
                    queue.append((info, self._start(workers, loader, info)))

            fill()
            while queue:
                info, pieces = queue.popleft()
                fill()
                records = 0
                parts = pieces()
                while True:
                    try:  # only fetching and reading the object: loading fails the run
                        piece = next(parts, None)
                    except (OSError, BotoCoreError, ClientError) as exc:
                        name = printable_key(info.key)
                        log.error("could not read %s: %s", self.store.position(name, ""), exc)
                        failed.append(f"{name} ({type(exc).__name__}: {exc})")
                        causes.append(exc)
                        break
                    if piece is None:
                        done.append((info, records))
                        break
                    records += piece.read
                    pending.extend(piece)
                    if pending.read >= self.batch_size or pending.size >= BATCH_BYTES:
                        flush()
            if pending.read or done:
                flush()
        if failed:
            raise ObjectsNotRead(
                f"{len(failed)} object(s) not read, retried next run: {failed}", causes
            )

    def _start(
        self, workers: Workers, loader: Loader, info: ObjectInfo
    ) -> Callable[[], Iterator[Batch]]:
        """How to get the object's prepared records: from a worker, or read here in batches."""
        prefix = self.store.position(printable_key(info.key), "")
        limit = kept_bytes(loader.max_record_bytes)
        if workers.parallel and info.size <= self.parallel_max_bytes:
            try:
                data = self.store.read_all(info.key)
            except (OSError, BotoCoreError, ClientError) as exc:
                error = exc

                def refused() -> Iterator[Batch]:
                    raise error

                return refused
            future = workers.submit(prepare_object, loader.stream, prefix, data,
                                    loader.minimiser, loader.max_record_bytes)  # fmt: skip
            return lambda: iter([future.result()])

        def here() -> Iterator[Batch]:
            records = object_records(prefix, lambda: self.store.open(info.key), limit)
            for chunk in batches(records, self.batch_size):
                yield loader.prepare(chunk)

        return here

    def _ledger(
        self,
        cur: psycopg.Cursor,
        stream: str,
        objects: list[tuple[ObjectInfo, int]],
        current: set[str],
        started: datetime,
    ) -> None:
        """Ledger rows of objects read to their end (with the batch holding their last record).

        A re-read object (it grew, or was re-written) may no longer hold a record that was
        quarantined the first time (a half-written last line): its row goes, and so do rows
        and the ledger row written under its legacy name (see :func:`legacy_key`).
        """
        for info, records in objects:
            name = printable_key(info.key)
            legacy = next(iter(_legacy(info.key, current)), name)  # its own name: nothing to clear
            prefix = self.store.position(name, "")
            old_prefix = self.store.position(legacy, "")
            # the object's own positions: its prefix then an offset (not those of an object
            # whose key merely starts the same, such as ``x:1`` beside ``x``)
            mine = {"stream": stream, "offset": r"^([0-9]+|object)$",
                    "like": _like_prefix(prefix), "start": len(prefix) + 1,
                    "old_like": _like_prefix(old_prefix), "old_start": len(old_prefix) + 1,
                    "location": self.store.location, "name": name, "legacy": legacy,
                    "started": started}  # fmt: skip
            of_object = (
                "stream = %(stream)s AND source_position LIKE %(like)s "
                "AND substr(source_position, %(start)s) ~ %(offset)s"
            )
            of_legacy = (
                "stream = %(stream)s AND %(legacy)s <> %(name)s "
                "AND source_position LIKE %(old_like)s "
                "AND substr(source_position, %(old_start)s) ~ %(offset)s "
                "AND quarantined_at < %(started)s"
            )
            cur.execute(
                f"DELETE FROM wfm.quarantine WHERE ({of_object} AND quarantined_at < %(started)s) "
                f"OR ({of_legacy})",
                mine,
            )
            cur.execute(
                "DELETE FROM wfm.object_ledger WHERE location = %(location)s "
                "AND key = %(legacy)s AND key <> %(name)s",
                mine,
            )
            # what the object has in quarantine now (rows refreshed by a re-read count too)
            quarantined = cur.execute(
                f"SELECT count(*) FROM wfm.quarantine WHERE {of_object}", mine
            ).fetchone()[0]
            cur.execute(
                "INSERT INTO wfm.object_ledger "
                "(location, key, stream, etag, size, records, quarantined) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (location, key) DO UPDATE "
                "SET etag = EXCLUDED.etag, size = EXCLUDED.size, records = EXCLUDED.records, "
                "quarantined = EXCLUDED.quarantined",
                (self.store.location, name, stream, info.etag, info.size, records, quarantined),
            )
