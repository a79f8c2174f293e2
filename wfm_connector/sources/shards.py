"""Shard lineage: which Kinesis shards may be read now, in which order, and from where.

In: the shards of a stream as ListShards returns them (``ShardId``, ``ParentShardId``,
``AdjacentParentShardId``) and the connector's checkpoints (``wfm.kinesis_checkpoint``) per
shard id. Out: the shards that may be read now, parents before children, and where a shard
starts when it has no position yet. Pure functions, no AWS and no database.

Rules (those of the Kinesis Client Library):

- A split closes one parent and opens two children; a merge closes two parents
  (``ParentShardId`` and ``AdjacentParentShardId``) and opens one child. A child's records
  are newer than every record of its parents, so a child is readable only once each parent
  is either finished (read to its end: ``shard_end`` in its checkpoint) or absent from the
  listing (expired past the stream's retention, so nothing of it can be read any more).
- A shard without a checkpoint whose parent is, or was, in the lineage (listed, or
  checkpointed) was born while the stream was being followed, so it is read from its
  beginning (``TRIM_HORIZON``). If the lineage started at a timestamp and its parents never
  read a record (a first run at ``LATEST`` / ``AT_TIMESTAMP`` on a stream that had been
  resharded before), the child starts at that same timestamp, so old data stays skipped.
- Any other shard without a checkpoint is a root of what can still be read: it starts at the
  configured start position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

IteratorType = Literal["AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP", "TRIM_HORIZON", "CONFIGURED"]


@dataclass(frozen=True, slots=True)
class Shard:
    """One shard of a listing and the shards it was split or merged from."""

    shard_id: str
    parents: tuple[str, ...] = ()

    @classmethod
    def from_listing(cls, item: Mapping[str, Any]) -> Shard:
        """A shard from one element of ListShards' ``Shards``."""
        parents = tuple(
            p for p in (item.get("ParentShardId"), item.get("AdjacentParentShardId")) if p
        )
        return cls(item["ShardId"], parents)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far one shard has been read (a row of ``wfm.kinesis_checkpoint``)."""

    sequence_number: str | None = None
    sub_sequence: int = -1
    start_ts: datetime | None = None
    shard_end: bool = False


@dataclass(frozen=True, slots=True)
class StartingPosition:
    """Where to get a shard's iterator.

    ``CONFIGURED`` means the shard is a root without a checkpoint: the source's configured
    start position (TRIM_HORIZON, LATEST or AT_TIMESTAMP) applies.
    """

    iterator_type: IteratorType
    sequence_number: str | None = None
    timestamp: datetime | None = None


def lineage_order(shards: Iterable[Shard]) -> list[Shard]:
    """``shards`` with every listed parent before its children; otherwise by shard id."""
    by_id = {s.shard_id: s for s in shards}
    placed: set[str] = set()
    order: list[Shard] = []
    remaining = sorted(by_id)
    while remaining:
        ready = [
            sid
            for sid in remaining
            if all(p in placed or p not in by_id for p in by_id[sid].parents)
        ]
        if not ready:  # a cycle cannot come from Kinesis; keep the rest rather than loop
            ready = remaining
        order.extend(by_id[sid] for sid in ready)
        placed.update(ready)
        remaining = [sid for sid in remaining if sid not in placed]
    return order


def is_finished(shard_id: str, checkpoints: Mapping[str, Checkpoint]) -> bool:
    """True when the shard was read to its end."""
    checkpoint = checkpoints.get(shard_id)
    return checkpoint is not None and checkpoint.shard_end


def readable_shards(shards: Sequence[Shard], checkpoints: Mapping[str, Checkpoint]) -> list[Shard]:
    """Shards that may be read now, in lineage order.

    Args:
        shards: the current listing.
        checkpoints: checkpoint per shard id (shards of earlier listings included).

    Returns:
        Every unfinished listed shard whose parents are each finished or no longer listed.
    """
    listed = {s.shard_id for s in shards}
    return [
        s
        for s in lineage_order(shards)
        if not is_finished(s.shard_id, checkpoints)
        and all(p not in listed or is_finished(p, checkpoints) for p in s.parents)
    ]


def starting_position(
    shard: Shard, shards: Sequence[Shard], checkpoints: Mapping[str, Checkpoint]
) -> StartingPosition:
    """Where reading ``shard`` starts.

    Args:
        shard: the shard to read.
        shards: the current listing (to tell a parent in the lineage from an expired one).
        checkpoints: checkpoint per shard id.

    Returns:
        After the checkpoint's sequence number; at its recorded start timestamp; at the
        beginning for a child of the lineage (or at the lineage's start timestamp, see the
        module docstring); at the beginning for any shard of a stream already followed;
        else (the stream's first run) ``CONFIGURED``.
    """
    own = checkpoints.get(shard.shard_id)
    if own is not None and own.sequence_number is not None:
        return StartingPosition("AFTER_SEQUENCE_NUMBER", sequence_number=own.sequence_number)
    if own is not None and own.start_ts is not None:
        return StartingPosition("AT_TIMESTAMP", timestamp=own.start_ts)
    listed = {s.shard_id for s in shards}
    lineage = [p for p in shard.parents if p in listed or p in checkpoints]
    if not lineage:
        # The configured start is for the stream's very first run only. Once the stream has a
        # checkpoint, a shard of unknown lineage (its parents expired while the connector was
        # stopped) holds data we have not read: start at its beginning.
        return StartingPosition("TRIM_HORIZON" if checkpoints else "CONFIGURED")
    parent_starts = [checkpoints.get(p) for p in lineage]
    if all(c is not None and c.sequence_number is None and c.start_ts for c in parent_starts):
        return StartingPosition(
            "AT_TIMESTAMP",
            timestamp=min(c.start_ts for c in parent_starts),  # type: ignore[union-attr,type-var]
        )
    return StartingPosition("TRIM_HORIZON")
