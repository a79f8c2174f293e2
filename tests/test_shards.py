"""Shard lineage on constructed ListShards results (moto does not move data on a reshard)."""

from datetime import UTC, datetime

import pytest

from wfm_connector.sources.shards import (
    Checkpoint,
    Shard,
    StartingPosition,
    lineage_order,
    readable_shards,
    starting_position,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DONE = Checkpoint(
    sequence_number="49590000000000000000000000000000000000000000000000000042", shard_end=True
)
HALF = Checkpoint(sequence_number="49590000000000000000000000000000000000000000000000000017")


def sid(n: int) -> str:
    return f"shardId-{n:012d}"


def listed(n: int, parent: int | None = None, adjacent: int | None = None) -> dict:
    """One element of ListShards' Shards, as AWS returns it."""
    item = {
        "ShardId": sid(n),
        "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"},
        "SequenceNumberRange": {"StartingSequenceNumber": "4959"},
    }
    if parent is not None:
        item["ParentShardId"] = sid(parent)
    if adjacent is not None:
        item["AdjacentParentShardId"] = sid(adjacent)
    return item


def listing(*items: dict) -> list[Shard]:
    return [Shard.from_listing(i) for i in items]


def ids(shards: list[Shard]) -> list[int]:
    return [int(s.shard_id.removeprefix("shardId-")) for s in shards]


def cps(**by_number: Checkpoint) -> dict[str, Checkpoint]:
    return {sid(int(k.removeprefix("s"))): v for k, v in by_number.items()}


def start(shards: list[Shard], n: int, checkpoints: dict[str, Checkpoint]) -> StartingPosition:
    shard = next(s for s in shards if s.shard_id == sid(n))
    return starting_position(shard, shards, checkpoints)


def test_from_listing_reads_both_parents():
    assert Shard.from_listing(listed(2, 0, 1)) == Shard(sid(2), (sid(0), sid(1)))
    assert Shard.from_listing(listed(0)) == Shard(sid(0), ())


def test_split_parent_first_then_both_children_from_their_beginning():
    shards = listing(listed(0), listed(1, parent=0), listed(2, parent=0))
    assert ids(lineage_order(shards)) == [0, 1, 2]
    assert ids(readable_shards(shards, {})) == [0]
    assert start(shards, 0, {}) == StartingPosition("CONFIGURED")
    # half read: the children must wait, whatever their position says
    assert ids(readable_shards(shards, cps(s0=HALF))) == [0]
    assert start(shards, 0, cps(s0=HALF)) == StartingPosition(
        "AFTER_SEQUENCE_NUMBER", sequence_number=HALF.sequence_number
    )
    finished = cps(s0=DONE)
    assert ids(readable_shards(shards, finished)) == [1, 2]
    assert start(shards, 1, finished) == StartingPosition("TRIM_HORIZON")
    assert start(shards, 2, finished) == StartingPosition("TRIM_HORIZON")


def test_merge_waits_for_both_parents():
    shards = listing(listed(0), listed(1), listed(2, parent=0, adjacent=1))
    assert ids(readable_shards(shards, {})) == [0, 1]
    assert ids(readable_shards(shards, cps(s0=DONE))) == [1]
    assert ids(readable_shards(shards, cps(s0=DONE, s1=HALF))) == [1]
    assert ids(readable_shards(shards, cps(s1=DONE))) == [0]
    both = cps(s0=DONE, s1=DONE)
    assert ids(readable_shards(shards, both)) == [2]
    assert start(shards, 2, both) == StartingPosition("TRIM_HORIZON")


def test_several_generations_in_lineage_order():
    # 0 splits into 1 and 2, which merge into 5; 3 stays; 5 splits into 6 and 7.
    shards = listing(
        listed(7, parent=5), listed(3), listed(6, parent=5), listed(5, parent=1, adjacent=2),
        listed(2, parent=0), listed(1, parent=0), listed(0),
    )  # fmt: skip
    assert ids(lineage_order(shards)) == [0, 3, 1, 2, 5, 6, 7]
    steps = [
        ({}, [0, 3]),
        (cps(s0=DONE), [3, 1, 2]),  # lineage order: generation by generation
        (cps(s0=DONE, s1=DONE), [3, 2]),
        (cps(s0=DONE, s1=DONE, s2=DONE), [3, 5]),
        (cps(s0=DONE, s1=DONE, s2=DONE, s5=HALF), [3, 5]),
        (cps(s0=DONE, s1=DONE, s2=DONE, s5=DONE, s3=HALF), [3, 6, 7]),
    ]
    for checkpoints, expected in steps:
        assert ids(readable_shards(shards, checkpoints)) == expected, checkpoints


def test_open_parent_blocks_its_children_forever():
    # what moto shows after a reshard: the parent keeps taking records and never ends
    shards = listing(listed(0), listed(1, parent=0), listed(2, parent=0))
    assert ids(readable_shards(shards, cps(s0=Checkpoint(sequence_number="99")))) == [0]


def test_expired_parents_do_not_block_and_roots_start_where_configured():
    # 0 and 1 are past retention and were never read: 2 and 3 are the roots of what is left
    shards = listing(listed(2, parent=0), listed(3, parent=0, adjacent=1))
    assert ids(readable_shards(shards, {})) == [2, 3]
    assert start(shards, 2, {}) == StartingPosition("CONFIGURED")
    assert start(shards, 3, {}) == StartingPosition("CONFIGURED")


def test_expired_parent_that_was_read_keeps_its_child_at_trim_horizon():
    shards = listing(listed(2, parent=0), listed(3, parent=1))
    checkpoints = cps(s0=DONE, s1=HALF)  # 1 expired while half read: nothing more to read
    assert ids(readable_shards(shards, checkpoints)) == [2, 3]
    assert start(shards, 2, checkpoints) == StartingPosition("TRIM_HORIZON")
    assert start(shards, 3, checkpoints) == StartingPosition("TRIM_HORIZON")


def test_merge_with_one_parent_expired_and_one_listed():
    shards = listing(listed(1), listed(2, parent=0, adjacent=1))
    assert ids(readable_shards(shards, {})) == [1]
    assert ids(readable_shards(shards, cps(s1=DONE))) == [2]
    assert start(shards, 2, cps(s1=DONE)) == StartingPosition("TRIM_HORIZON")


def test_own_checkpoint_wins():
    shards = listing(listed(0), listed(1, parent=0))
    checkpoints = cps(s0=DONE, s1=Checkpoint(sequence_number="7", sub_sequence=3))
    assert start(shards, 1, checkpoints) == StartingPosition(
        "AFTER_SEQUENCE_NUMBER", sequence_number="7"
    )
    assert start(shards, 0, cps(s0=Checkpoint(start_ts=T0))) == StartingPosition(
        "AT_TIMESTAMP", timestamp=T0
    )


def test_children_of_a_timestamp_start_that_read_nothing_keep_the_timestamp():
    # first run at LATEST on a stream resharded before: the closed parent had nothing after
    # the start, so its children start at the same time instead of replaying old data
    shards = listing(listed(0), listed(1, parent=0), listed(2, parent=0), listed(3, parent=1))
    checkpoints = cps(s0=Checkpoint(start_ts=T0, shard_end=True))
    assert start(shards, 1, checkpoints) == StartingPosition("AT_TIMESTAMP", timestamp=T0)
    # and so on down the lineage while nothing was read
    checkpoints |= cps(s1=Checkpoint(start_ts=T0, shard_end=True))
    assert start(shards, 3, checkpoints) == StartingPosition("AT_TIMESTAMP", timestamp=T0)
    # a parent that read a record ends after the start: its children start at their beginning
    read = cps(s0=Checkpoint(sequence_number="5", start_ts=T0, shard_end=True))
    assert start(shards, 1, read) == StartingPosition("TRIM_HORIZON")


def test_merge_of_a_timestamp_start_and_a_parent_that_read_records():
    shards = listing(listed(0), listed(1), listed(2, parent=0, adjacent=1))
    checkpoints = cps(
        s0=Checkpoint(start_ts=T0, shard_end=True),
        s1=Checkpoint(sequence_number="9", shard_end=True),
    )
    assert start(shards, 2, checkpoints) == StartingPosition("TRIM_HORIZON")


def test_a_shard_of_unknown_lineage_in_a_followed_stream_starts_at_its_beginning():
    # Shard 0 was followed; while the connector was stopped the stream resharded twice and
    # shard 1 (parent of 2) expired. Shard 2 holds unread data: not the configured LATEST.
    followed = {"shardId-000000000000": Checkpoint(sequence_number="49", shard_end=True)}
    orphan = Shard("shardId-000000000002", ("shardId-000000000001",))
    assert starting_position(orphan, [orphan], followed).iterator_type == "TRIM_HORIZON"
    assert starting_position(orphan, [orphan], {}).iterator_type == "CONFIGURED"
