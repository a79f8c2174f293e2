"""Reading a Kinesis data stream (the agent event stream, or a CTR stream) shard by shard.

In: a Kinesis stream named by ``stream_name`` or ``stream_arn`` (:class:`KinesisSource`), read
with ListShards, GetShardIterator and GetRecords, and the connector's position per shard in
``wfm.kinesis_checkpoint`` (keyed by the stream's ARN and the shard id).

Out: every user record after the checkpoints, framed as one JSON record each, passed to the
:class:`~wfm_connector.ingest.Loader` one GetRecords response at a time, each response
committed in one transaction with its shard's new checkpoint (last sequence number, and the
sub-sequence of the last user record when it was a KPL aggregate). A crash between reading
and committing leaves the checkpoint where it was, so the next run reads that response again
and nothing is lost or loaded twice. Positions are ``kinesis:<stream>/<shard id>/<sequence
number>`` with ``/<i>`` appended for the i-th user record of a KPL aggregate.

How: shards are read in lineage order (:mod:`wfm_connector.sources.shards`): a child only once
its parents were read to their end. A shard is read until it is caught up (a response with
no records and ``MillisBehindLatest`` 0), or to its end (no ``NextShardIterator``: a closed
shard, whose checkpoint then says ``shard_end`` so its children may start), or until
``max_seconds_per_run`` is used up. A first run at ``LATEST`` starts at the stream's current
time instead (``AT_TIMESTAMP``), stored in the checkpoint before anything is read, so records
that arrive before the next run are not skipped. Throttling is retried with exponential
back-off and jitter; an expired iterator is re-created from the last committed checkpoint.
The day window is not used: a stream is read from its checkpoints, whatever the day.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from wfm_connector.config import KinesisSource
from wfm_connector.parsing.framing import parse_one
from wfm_connector.sources.base import SourceRecord
from wfm_connector.sources.kpl import parse_aggregate
from wfm_connector.sources.shards import (
    Checkpoint,
    Shard,
    StartingPosition,
    readable_shards,
    starting_position,
)

if TYPE_CHECKING:
    import psycopg

    from wfm_connector.ingest import Loader
    from wfm_connector.intervals import DayWindow

log = logging.getLogger(__name__)

THROTTLING_ERRORS = frozenset(
    {"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException"}
)
EXPIRED_ITERATOR = "ExpiredIteratorException"
MAX_EXPIRED_IN_A_ROW = 3  # an iterator lives 5 minutes; expiring again at once is a real error


def error_code(exc: ClientError) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Backoff:
    """Retries a call that AWS throttled, waiting longer each time, with jitter.

    botocore already retries throttling a few times; this is the outer, patient layer that
    keeps a long read going when a shard's read limits (5 calls/s, 2 MB/s) are hit for a while.

    Attributes:
        attempts: calls in all, the first included; the last error is raised.
        base_seconds: the first wait's upper bound; it doubles per attempt.
        max_seconds: the cap of a wait's upper bound.
        sleep: how to wait (tests pass a function that records the delays).
        random: uniform [0, 1) source of the jitter.
    """

    attempts: int = 8
    base_seconds: float = 0.25
    max_seconds: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """Wait after failed attempt ``attempt`` (0-based): half fixed, half random."""
        ceiling = min(self.max_seconds, self.base_seconds * 2**attempt)
        return ceiling / 2 + self.random() * ceiling / 2

    def call(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """``fn(**kwargs)``, retried while it raises a throttling ClientError.

        Raises:
            ClientError: a non-throttling error at once, a throttling one after ``attempts``.
        """
        for attempt in range(self.attempts):
            try:
                return fn(**kwargs)
            except ClientError as exc:
                code = error_code(exc)
                if code not in THROTTLING_ERRORS or attempt == self.attempts - 1:
                    raise
                wait = self.delay(attempt)
                log.warning("kinesis throttled (%s), retrying in %.2f s", code, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def list_all_shards(
    list_shards: Callable[..., Mapping[str, Any]],
    stream: Mapping[str, str],
    page_size: int | None = None,
) -> tuple[list[dict[str, Any]], Mapping[str, Any]]:
    """Every shard of a stream, following ``NextToken``.

    Args:
        list_shards: ListShards (``client.list_shards`` or a wrapper of it).
        stream: ``{"StreamName": ...}`` or ``{"StreamARN": ...}``.
        page_size: ``MaxResults`` per call (AWS default 1000).

    Returns:
        The shards of all pages, and the first response (its HTTP ``date`` is the stream's
        clock).
    """
    limit = {"MaxResults": page_size} if page_size else {}
    params: dict[str, Any] = {**stream, **limit}
    shards: list[dict[str, Any]] = []
    first: Mapping[str, Any] | None = None
    while True:
        response = list_shards(**params)
        first = first or response
        shards.extend(response.get("Shards", []))
        token = response.get("NextToken")
        if not token:
            return shards, first
        # AWS rejects the stream's name together with NextToken: the token names the stream.
        params = {"NextToken": token, **limit}


def _server_time(response: Mapping[str, Any]) -> datetime | None:
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if not date:
        return None
    try:
        return parsedate_to_datetime(date).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


_UPSERT_PROGRESS = """
INSERT INTO wfm.kinesis_checkpoint AS c
    (stream_arn, shard_id, sequence_number, sub_sequence, start_ts, shard_end)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (stream_arn, shard_id) DO UPDATE SET
    sequence_number = COALESCE(EXCLUDED.sequence_number, c.sequence_number),
    sub_sequence = CASE WHEN EXCLUDED.sequence_number IS NULL
                        THEN c.sub_sequence ELSE EXCLUDED.sub_sequence END,
    shard_end = c.shard_end OR EXCLUDED.shard_end
-- never backwards (two overlapping runs): sequence numbers are decimal strings
WHERE c.sequence_number IS NULL OR EXCLUDED.sequence_number IS NULL
   OR EXCLUDED.sequence_number::numeric >= c.sequence_number::numeric
"""

_UPSERT_START = """
INSERT INTO wfm.kinesis_checkpoint AS c (stream_arn, shard_id, start_ts) VALUES (%s, %s, %s)
ON CONFLICT (stream_arn, shard_id) DO UPDATE SET start_ts = COALESCE(c.start_ts, EXCLUDED.start_ts)
RETURNING start_ts
"""


@dataclass
class _Run:
    """State of one read(): the listing, the committed checkpoints, the time budget."""

    loader: Loader
    stream_arn: str
    shards: list[Shard]
    checkpoints: dict[str, Checkpoint]
    now: datetime
    deadline: float
    visited: set[str] = field(default_factory=set)


class KinesisReader:
    """Reads one Kinesis stream into a loader, one checkpoint per shard.

    Args:
        client: a boto3 Kinesis client.
        source: the stream and where a first run starts.
        backoff: retry policy for throttled calls (tests pass one with a recording sleep).
        clock: the current UTC time (the start of a first run at LATEST).
        monotonic: seconds for ``max_seconds_per_run``.
        list_page_size: ``MaxResults`` of ListShards (None: the AWS default).
    """

    def __init__(
        self,
        client: Any,
        source: KinesisSource,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        list_page_size: int | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.backoff = backoff or Backoff()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.monotonic = monotonic
        self.list_page_size = list_page_size
        self._stream_arn = source.stream_arn
        self.stream_name = source.stream_name or str(source.stream_arn).split("/", 1)[-1]

    @property
    def _stream_param(self) -> dict[str, str]:
        if self.source.stream_arn:
            return {"StreamARN": self.source.stream_arn}
        return {"StreamName": self.stream_name}

    def stream_arn(self) -> str:
        """The stream's ARN, the key of its checkpoints (DescribeStreamSummary when needed)."""
        if self._stream_arn is None:
            summary = self.backoff.call(
                self.client.describe_stream_summary, StreamName=self.stream_name
            )
            self._stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        return self._stream_arn

    # -- the Reader protocol ------------------------------------------------------------------

    def read(self, loader: Loader, window: DayWindow) -> None:
        """Load every record after the checkpoints, shard by shard in lineage order.

        Args:
            loader: loads each GetRecords response with its shard's checkpoint.
            window: unused; a stream is read from its checkpoints.
        """
        run = self._start(loader)
        # Reading a parent to its end makes its children readable: go round until none is left.
        while ready := [
            s for s in readable_shards(run.shards, run.checkpoints) if s.shard_id not in run.visited
        ]:
            self._record_start_times(run, ready)
            for left, shard in zip(range(len(ready), 0, -1), ready, strict=True):
                now = self.monotonic()
                if now >= run.deadline:
                    break
                run.visited.add(shard.shard_id)
                # A fair share of the time left, so one backlogged shard cannot starve the
                # others past their retention; a shard that catches up early leaves its rest.
                self._read_shard(run, shard, until=now + (run.deadline - now) / left)
            if self.monotonic() >= run.deadline:
                log.info("kinesis %s: max_seconds_per_run reached", self.stream_name)
                break
        log.info(
            "kinesis %s: %d shard(s) read, %d finished",
            self.stream_name,
            len(run.visited),
            sum(1 for c in run.checkpoints.values() if c.shard_end),
        )

    def pending(self, conn: psycopg.Connection, window: DayWindow) -> bool:
        """True when a readable shard has a record after its checkpoint (GetRecords Limit=1).

        Also true when a closed shard's end is not recorded yet (its children wait for it),
        and when a shard has never been started at LATEST / AT_TIMESTAMP (read records where
        it starts, so that what arrives afterwards is not skipped).
        """
        arn = self.stream_arn()
        shards, _ = self._list_shards()
        checkpoints = self._load_checkpoints(conn, arn)
        for shard in readable_shards(shards, checkpoints):
            start = starting_position(shard, shards, checkpoints)
            if start.iterator_type == "CONFIGURED" and self.source.start_position != "TRIM_HORIZON":
                return True
            iterator = self._iterator(shard, start, self.clock())
            response = self.backoff.call(
                self.client.get_records, StreamARN=arn, ShardIterator=iterator, Limit=1
            )
            if (
                response.get("Records")
                or response.get("NextShardIterator") is None
                or response.get("MillisBehindLatest", 0) > 0
            ):
                return True
        return False

    # -- one run --------------------------------------------------------------------------------

    def _list_shards(self) -> tuple[list[Shard], datetime]:
        """The listing, and the current time no later than the stream's own clock."""
        items, first = list_all_shards(
            lambda **kw: self.backoff.call(self.client.list_shards, **kw),
            self._stream_param,
            self.list_page_size,
        )
        now = self.clock()
        server = _server_time(first)
        # The HTTP date is whole seconds, rounded down: starting there never skips a record
        # even when this host's clock runs ahead of AWS's.
        if server is not None and server < now:
            now = server
        return [Shard.from_listing(i) for i in items], now

    @staticmethod
    def _load_checkpoints(conn: psycopg.Connection, stream_arn: str) -> dict[str, Checkpoint]:
        with conn.transaction():
            rows = conn.execute(
                "SELECT shard_id, sequence_number, sub_sequence, start_ts, shard_end "
                "FROM wfm.kinesis_checkpoint WHERE stream_arn = %s",
                (stream_arn,),
            ).fetchall()
        return {
            shard_id: Checkpoint(seq, sub, start_ts, shard_end)
            for shard_id, seq, sub, start_ts, shard_end in rows
        }

    def _start(self, loader: Loader) -> _Run:
        deadline = self.monotonic() + self.source.max_seconds_per_run
        stream_arn = self.stream_arn()
        shards, now = self._list_shards()
        return _Run(
            loader=loader,
            stream_arn=stream_arn,
            shards=shards,
            checkpoints=self._load_checkpoints(loader.conn, stream_arn),
            now=now,
            deadline=deadline,
        )

    def _resolve(self, start: StartingPosition, now: datetime) -> StartingPosition:
        """The configured start position in place of ``CONFIGURED``."""
        if start.iterator_type != "CONFIGURED":
            return start
        if self.source.start_position == "TRIM_HORIZON":
            return StartingPosition("TRIM_HORIZON")
        if self.source.start_position == "AT_TIMESTAMP":
            assert self.source.start_timestamp is not None  # the config validates it
            return StartingPosition("AT_TIMESTAMP", timestamp=_utc(self.source.start_timestamp))
        return StartingPosition("AT_TIMESTAMP", timestamp=now)  # LATEST

    def _record_start_times(self, run: _Run, shards: list[Shard]) -> None:
        """Store the start timestamp of shards about to start at a timestamp, in one commit."""
        starts: dict[str, datetime] = {}
        for shard in shards:
            own = run.checkpoints.get(shard.shard_id)
            if own is not None and (own.sequence_number is not None or own.start_ts is not None):
                continue
            start = self._resolve(starting_position(shard, run.shards, run.checkpoints), run.now)
            if start.timestamp is not None:
                starts[shard.shard_id] = start.timestamp
        if not starts:
            return
        stored: dict[str, datetime] = {}

        def write(cur: psycopg.Cursor) -> None:
            for shard_id, ts in starts.items():
                cur.execute(_UPSERT_START, (run.stream_arn, shard_id, ts))
                stored[shard_id] = cur.fetchone()[0]  # type: ignore[index]

        run.loader.load([], checkpoint=write)
        for shard_id, ts in stored.items():
            run.checkpoints[shard_id] = replace(
                run.checkpoints.get(shard_id, Checkpoint()), start_ts=ts
            )

    def _iterator(self, shard: Shard, start: StartingPosition, now: datetime) -> str:
        start = self._resolve(start, now)
        params: dict[str, Any] = {
            **self._stream_param,
            "ShardId": shard.shard_id,
            "ShardIteratorType": start.iterator_type,
        }
        if start.sequence_number is not None:
            params["StartingSequenceNumber"] = start.sequence_number
        if start.timestamp is not None:
            params["Timestamp"] = start.timestamp
        return self.backoff.call(self.client.get_shard_iterator, **params)["ShardIterator"]

    def _committed_iterator(self, run: _Run, shard: Shard) -> str:
        """An iterator right after what is committed for ``shard``."""
        return self._iterator(shard, starting_position(shard, run.shards, run.checkpoints), run.now)

    def _read_shard(self, run: _Run, shard: Shard, until: float) -> None:
        iterator = self._committed_iterator(run, shard)
        expired = 0
        while self.monotonic() < until:
            try:
                # StreamARN is optional for AWS (the iterator names the stream) but lets
                # ARN-scoped IAM policies match, and moto needs it for ARN-made iterators.
                response = self.backoff.call(
                    self.client.get_records,
                    StreamARN=run.stream_arn,
                    ShardIterator=iterator,
                    Limit=self.source.max_records_per_call,
                )
            except ClientError as exc:
                if error_code(exc) != EXPIRED_ITERATOR or expired >= MAX_EXPIRED_IN_A_ROW:
                    raise
                expired += 1
                log.info("kinesis %s/%s: iterator expired", self.stream_name, shard.shard_id)
                iterator = self._committed_iterator(run, shard)
                continue
            expired = 0
            records = response.get("Records", [])
            next_iterator = response.get("NextShardIterator")
            if records or next_iterator is None:
                self._commit(run, shard, records, shard_end=next_iterator is None)
            if next_iterator is None:
                log.info("kinesis %s/%s: read to its end", self.stream_name, shard.shard_id)
                return
            if not records and response.get("MillisBehindLatest", 0) == 0:
                return
            iterator = next_iterator

    def _commit(
        self, run: _Run, shard: Shard, records: list[dict[str, Any]], shard_end: bool
    ) -> None:
        """Load one response's user records together with the shard's new checkpoint."""
        checkpoint = replace(run.checkpoints.get(shard.shard_id, Checkpoint()), shard_end=shard_end)
        batch: list[SourceRecord] = []
        for record in records:
            position = f"kinesis:{self.stream_name}/{shard.shard_id}/{record['SequenceNumber']}"
            users = parse_aggregate(record["Data"])
            if users is None:
                batch.append(SourceRecord(position, parse_one(record["Data"])))
                sub_sequence = -1
            else:
                batch.extend(
                    SourceRecord(f"{position}/{i}", parse_one(u.data)) for i, u in enumerate(users)
                )
                sub_sequence = len(users) - 1
            checkpoint = replace(
                checkpoint, sequence_number=record["SequenceNumber"], sub_sequence=sub_sequence
            )

        def write(cur: psycopg.Cursor) -> None:
            cur.execute(
                _UPSERT_PROGRESS,
                (
                    run.stream_arn, shard.shard_id, checkpoint.sequence_number,
                    checkpoint.sub_sequence, checkpoint.start_ts, checkpoint.shard_end,
                ),
            )  # fmt: skip

        run.loader.load(batch, checkpoint=write)
        run.checkpoints[shard.shard_id] = checkpoint
