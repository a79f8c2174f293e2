"""KinesisReader against a real boto3 Kinesis client (moto server over HTTP) and real PostgreSQL.

Rows and checkpoints are counted through a second, autocommit connection, so a count proves
they were committed, not merely written in the reader's open transaction. Shard lineage
(splits, merges, closed shards) cannot be produced with moto, which never ends a closed
shard; it is covered by tests/test_shards.py and, through the reader, by a small in-memory
stream at the end of this file.
"""

from __future__ import annotations

import copy
import time
from datetime import UTC, date, datetime, timedelta

import boto3
import orjson
import psycopg
import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError

from tests.conftest import SHARED
from wfm_connector.config import KinesisSource
from wfm_connector.db.connection import libpq_url
from wfm_connector.ingest import Loader
from wfm_connector.intervals import day_window
from wfm_connector.sources.base import Stream
from wfm_connector.sources.kinesis import Backoff, KinesisReader, list_all_shards

pytestmark = pytest.mark.integration
SAMPLE = orjson.loads(
    (
        SHARED / "reference/aws-samples/agent_event__heart_beat__sample_agent_event_stream.json"
    ).read_bytes()
)
WINDOW = day_window(date(2026, 11, 2), "UTC", 15)
SHARD_0, SHARD_1 = "shardId-000000000000", "shardId-000000000001"
HASH_KEY = {SHARD_0: "0", SHARD_1: str(2**128 - 2)}  # two shards: lower and upper half
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


class Crash(Exception):
    """A simulated process death."""


def throttled(code: str = "ProvisionedThroughputExceededException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "GetRecords")


def agent_event(n: int) -> bytes:
    """The published heartbeat with its own EventId and time (a heartbeat every 120 s)."""
    event = copy.deepcopy(SAMPLE)
    event["EventId"] = f"00000000-0000-0000-0000-{n:012d}"
    event["EventTimestamp"] = (T0 + timedelta(seconds=120 * n)).isoformat(timespec="milliseconds")
    return orjson.dumps(event)


@pytest.fixture
def kinesis(moto_endpoint):
    return boto3.client("kinesis", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def stream(kinesis, unique) -> str:
    kinesis.create_stream(StreamName=unique, ShardCount=2)
    return unique


@pytest.fixture
def observer(db, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        yield conn


def put(kinesis, stream: str, shard: str, events: list[int]) -> list[str]:
    """Put agent events ``events`` into ``shard``; their sequence numbers."""
    response = kinesis.put_records(
        StreamName=stream,
        Records=[
            {
                "Data": agent_event(n),
                "PartitionKey": f"agent-{n}",
                "ExplicitHashKey": HASH_KEY[shard],
            }
            for n in events
        ],
    )
    assert not response.get("FailedRecordCount")
    assert {r["ShardId"] for r in response["Records"]} == {shard}
    return [r["SequenceNumber"] for r in response["Records"]]


def reader(kinesis, stream: str, **source) -> KinesisReader:
    sleeps: list[float] = []
    r = KinesisReader(
        kinesis, KinesisSource(stream_name=stream, **source), backoff=Backoff(sleep=sleeps.append)
    )
    r.sleeps = sleeps  # type: ignore[attr-defined]
    return r


def read(kinesis, stream: str, db, before_commit=None, **source) -> Loader:
    loader = Loader(db, Stream.AGENT_EVENTS, before_commit=before_commit)
    reader(kinesis, stream, **source).read(loader, WINDOW)
    return loader


def count(observer) -> int:
    return observer.execute("SELECT count(*) FROM wfm.agent_event_raw").fetchone()[0]


def checkpoints(observer) -> dict[str, tuple]:
    rows = observer.execute(
        "SELECT shard_id, sequence_number, sub_sequence, start_ts IS NOT NULL, shard_end "
        "FROM wfm.kinesis_checkpoint"
    ).fetchall()
    return {shard: tuple(rest) for shard, *rest in rows}


def test_first_run_reads_every_shard_and_checkpoints_each(kinesis, stream, db, observer):
    seq_0 = put(kinesis, stream, SHARD_0, list(range(7)))
    seq_1 = put(kinesis, stream, SHARD_1, list(range(7, 12)))
    assert reader(kinesis, stream).pending(db, WINDOW)

    loader = read(kinesis, stream, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.quarantined) == (12, 12, 0)
    assert count(observer) == 12
    assert checkpoints(observer) == {
        SHARD_0: (seq_0[-1], -1, False, False),
        SHARD_1: (seq_1[-1], -1, False, False),
    }
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    assert observer.execute(
        "SELECT DISTINCT stream_arn FROM wfm.kinesis_checkpoint"
    ).fetchall() == [(arn,)]
    positions = {r[0] for r in observer.execute("SELECT source_position FROM wfm.agent_event_raw")}
    assert f"kinesis:{stream}/{SHARD_0}/{seq_0[0]}" in positions
    assert f"kinesis:{stream}/{SHARD_1}/{seq_1[-1]}" in positions
    assert not reader(kinesis, stream).pending(db, WINDOW)


def test_stream_arn_in_config_reads_the_same(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, [1, 2])
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    loader = Loader(db, Stream.AGENT_EVENTS)
    KinesisReader(kinesis, KinesisSource(stream_arn=arn)).read(loader, WINDOW)
    assert loader.stats.new == 2
    assert observer.execute(
        "SELECT DISTINCT stream_arn FROM wfm.kinesis_checkpoint"
    ).fetchall() == [(arn,)]
    assert {r[0] for r in observer.execute("SELECT source_position FROM wfm.agent_event_raw")} == {
        f"kinesis:{stream}/{SHARD_0}/1",
        f"kinesis:{stream}/{SHARD_0}/2",
    }


def test_incremental_run_reads_only_new_records(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, [0, 1, 2])
    put(kinesis, stream, SHARD_1, [3, 4])
    assert read(kinesis, stream, db).stats.read == 5

    nothing_new = read(kinesis, stream, db)
    assert nothing_new.stats.read == 0

    seq = put(kinesis, stream, SHARD_1, [5, 6, 7])
    assert reader(kinesis, stream).pending(db, WINDOW)
    loader = read(kinesis, stream, db)
    assert (loader.stats.read, loader.stats.new) == (3, 3)
    assert count(observer) == 8
    assert checkpoints(observer)[SHARD_1] == (seq[-1], -1, False, False)


def test_crash_between_reading_and_committing_loses_and_repeats_nothing(
    kinesis, stream, db, observer
):
    put(kinesis, stream, SHARD_0, list(range(10)))
    put(kinesis, stream, SHARD_1, list(range(10, 14)))
    batches = 0

    def crash_on_third_batch() -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise Crash

    with pytest.raises(Crash):
        read(kinesis, stream, db, before_commit=crash_on_third_batch, max_records_per_call=3)
    # shard 0 is read first: two responses of 3 committed, the third rolled back, shard 1 not read
    assert count(observer) == 6
    assert checkpoints(observer) == {SHARD_0: ("6", -1, False, False)}

    restart = read(kinesis, stream, db, max_records_per_call=3)
    assert (restart.stats.read, restart.stats.new, restart.stats.duplicates) == (8, 8, 0)
    assert count(observer) == 14
    assert checkpoints(observer) == {
        SHARD_0: ("10", -1, False, False),
        SHARD_1: ("4", -1, False, False),
    }


def test_redelivered_event_is_stored_once(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, [0, 1, 2])
    put(kinesis, stream, SHARD_1, [2, 3])  # a producer retry delivers event 2 again
    loader = read(kinesis, stream, db)
    assert (loader.stats.read, loader.stats.new, loader.stats.duplicates) == (5, 4, 1)
    assert count(observer) == 4


def test_kpl_aggregates_are_deaggregated_into_their_user_records(kinesis, stream, db, observer):
    plain = put(kinesis, stream, SHARD_0, [100])[0]
    agg = RecordAggregator()
    for n in range(20):
        assert agg.add_user_record(f"agent-{n % 4}", agent_event(n)) is None
    pk, _ehk, data = agg.clear_and_get().get_contents()
    aggregate = kinesis.put_record(
        StreamName=stream, Data=data, PartitionKey=pk, ExplicitHashKey=HASH_KEY[SHARD_0]
    )["SequenceNumber"]

    loader = read(kinesis, stream, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.quarantined) == (21, 21, 0)
    positions = {r[0] for r in observer.execute("SELECT source_position FROM wfm.agent_event_raw")}
    base = f"kinesis:{stream}/{SHARD_0}"
    assert positions == {f"{base}/{plain}"} | {f"{base}/{aggregate}/{i}" for i in range(20)}
    assert checkpoints(observer)[SHARD_0] == (aggregate, 19, False, False)


def test_latest_first_run_skips_old_data_but_not_data_arriving_before_the_next_run(
    kinesis, stream, db, observer
):
    put(kinesis, stream, SHARD_0, [0, 1])
    put(kinesis, stream, SHARD_1, [2])
    # LATEST starts at the stream's clock (HTTP date, whole seconds): let a second pass
    time.sleep(1.1)
    assert reader(kinesis, stream, start_position="LATEST").pending(db, WINDOW)

    first = read(kinesis, stream, db, start_position="LATEST")
    assert first.stats.read == 0 and count(observer) == 0
    # the start is remembered per shard, so a later run resumes there, not at a later "now"
    assert checkpoints(observer) == {
        SHARD_0: (None, -1, True, False),
        SHARD_1: (None, -1, True, False),
    }

    put(kinesis, stream, SHARD_0, [3])
    put(kinesis, stream, SHARD_1, [4, 5])
    assert reader(kinesis, stream, start_position="LATEST").pending(db, WINDOW)
    second = read(kinesis, stream, db, start_position="LATEST")
    assert (second.stats.read, second.stats.new) == (3, 3)
    ids = {r[0] for r in observer.execute("SELECT event_id FROM wfm.agent_event_raw")}
    assert ids == {f"00000000-0000-0000-0000-{n:012d}" for n in (3, 4, 5)}


def test_at_timestamp_first_run_starts_at_the_configured_time(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, [0, 1])
    loader = read(kinesis, stream, db, start_position="AT_TIMESTAMP", start_timestamp=T0)
    assert loader.stats.read == 2  # every record arrived after 2026-11-02 08:00
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (
        read(kinesis, stream, db, start_position="AT_TIMESTAMP", start_timestamp=later).stats.read
        == 0
    )


def test_max_seconds_per_run_stops_after_the_batch_in_progress(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, list(range(6)))
    now = [0.0]
    loader = Loader(db, Stream.AGENT_EVENTS, before_commit=lambda: now.__setitem__(0, now[0] + 10))
    source = KinesisSource(stream_name=stream, max_records_per_call=2, max_seconds_per_run=5)
    KinesisReader(kinesis, source, monotonic=lambda: now[0]).read(loader, WINDOW)
    assert loader.stats.read == 2 and count(observer) == 2
    assert read(kinesis, stream, db).stats.read == 4


class FlakyKinesis:
    """The real client, with errors injected into chosen GetRecords calls (1-based)."""

    def __init__(self, client, errors: dict[int, str]) -> None:
        self._client = client
        self._errors = errors
        self.get_records_calls = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_records(self, **kwargs):
        self.get_records_calls += 1
        code = self._errors.get(self.get_records_calls)
        if code is not None:
            raise throttled(code)
        return self._client.get_records(**kwargs)


def test_throttling_and_expired_iterators_are_survived(kinesis, stream, db, observer):
    put(kinesis, stream, SHARD_0, list(range(8)))
    flaky = FlakyKinesis(
        kinesis,
        {
            2: "ProvisionedThroughputExceededException",
            3: "ThrottlingException",
            5: "ExpiredIteratorException",  # e.g. a slow commit: resume from the checkpoint
            7: "ExpiredIteratorException",
        },
    )
    sleeps: list[float] = []
    source = KinesisSource(stream_name=stream, max_records_per_call=2)
    loader = Loader(db, Stream.AGENT_EVENTS)
    KinesisReader(flaky, source, backoff=Backoff(sleep=sleeps.append)).read(loader, WINDOW)
    assert (loader.stats.read, loader.stats.new) == (8, 8)
    assert count(observer) == 8
    assert len(sleeps) == 2


def test_other_errors_are_not_retried(kinesis, db):
    loader = Loader(db, Stream.AGENT_EVENTS)
    with pytest.raises(ClientError) as info:
        KinesisReader(kinesis, KinesisSource(stream_name="no-such-stream")).read(loader, WINDOW)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- back-off and listing, with small fake callables ------------------------------------------


@pytest.mark.unit
def test_backoff_retries_throttling_with_growing_jittered_waits():
    sleeps: list[float] = []
    calls: list[dict] = []

    def get_records(**kwargs):
        calls.append(kwargs)
        if len(calls) <= 3:
            raise throttled(["ProvisionedThroughputExceededException", "LimitExceededException",
                             "ThrottlingException"][len(calls) - 1])  # fmt: skip
        return {"Records": []}

    backoff = Backoff(base_seconds=0.1, max_seconds=1.0, sleep=sleeps.append, random=lambda: 0.5)
    assert backoff.call(get_records, ShardIterator="it", Limit=5) == {"Records": []}
    assert calls == [{"ShardIterator": "it", "Limit": 5}] * 4
    assert sleeps == pytest.approx([0.075, 0.15, 0.3])  # half fixed, half jitter, doubling


@pytest.mark.unit
def test_backoff_gives_up_after_its_attempts_and_caps_the_wait():
    sleeps: list[float] = []

    def always_throttled(**_kwargs):
        raise throttled()

    backoff = Backoff(attempts=6, base_seconds=0.5, max_seconds=2.0, sleep=sleeps.append)
    with pytest.raises(ClientError):
        backoff.call(always_throttled)
    assert len(sleeps) == 5
    assert all(0.25 <= s <= 2.0 for s in sleeps) and max(sleeps[3:]) >= 1.0
    assert all(s <= 2.0 for s in sleeps)


@pytest.mark.unit
def test_backoff_does_not_retry_other_errors():
    sleeps: list[float] = []

    def missing(**_kwargs):
        raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetRecords")

    with pytest.raises(ClientError):
        Backoff(sleep=sleeps.append).call(missing)
    assert sleeps == []


@pytest.mark.unit
def test_list_all_shards_follows_next_token_without_the_stream_name():
    pages = {
        None: {"Shards": [{"ShardId": "a"}, {"ShardId": "b"}], "NextToken": "t1"},
        "t1": {"Shards": [{"ShardId": "c"}], "NextToken": "t2"},
        "t2": {"Shards": []},
    }
    calls: list[dict] = []

    def list_shards(**kwargs):
        calls.append(kwargs)
        return pages[kwargs.get("NextToken")]

    shards, first = list_all_shards(list_shards, {"StreamName": "s"}, page_size=2)
    assert [s["ShardId"] for s in shards] == ["a", "b", "c"]
    assert first is pages[None]
    # AWS rejects StreamName together with NextToken
    assert calls == [
        {"StreamName": "s", "MaxResults": 2},
        {"NextToken": "t1", "MaxResults": 2},
        {"NextToken": "t2", "MaxResults": 2},
    ]


# -- lineage through the reader, on a small in-memory stream ----------------------------------


class InMemoryStream:
    """Just enough of Kinesis for shard lineage: closed shards end, as in AWS (not in moto)."""

    ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/lineage"

    def __init__(self, shards: dict[str, dict]) -> None:
        self.shards = shards  # id -> {"parents": (...), "closed": bool, "records": [seq, ...]}
        self.iterator_types: dict[str, list[str]] = {}
        self.reads: list[str] = []

    def describe_stream_summary(self, StreamName):
        return {"StreamDescriptionSummary": {"StreamARN": self.ARN}}

    def list_shards(self, **_kwargs):
        out = []
        for shard_id, shard in self.shards.items():
            item = {"ShardId": shard_id}
            for key, parent in zip(
                ("ParentShardId", "AdjacentParentShardId"), shard["parents"], strict=False
            ):
                item[key] = parent
            out.append(item)
        return {"Shards": out}

    def get_shard_iterator(
        self, StreamName, ShardId, ShardIteratorType, StartingSequenceNumber=None
    ):
        self.iterator_types.setdefault(ShardId, []).append(ShardIteratorType)
        records = self.shards[ShardId]["records"]
        pos = (
            0 if StartingSequenceNumber is None else records.index(int(StartingSequenceNumber)) + 1
        )
        return {"ShardIterator": f"{ShardId}:{pos}"}

    def get_records(self, StreamARN, ShardIterator, Limit):
        assert StreamARN == self.ARN
        shard_id, pos = ShardIterator.rsplit(":", 1)
        self.reads.append(shard_id)
        shard, pos = self.shards[shard_id], int(pos)
        batch = shard["records"][pos : pos + Limit]
        end = pos + len(batch)
        at_end = end == len(shard["records"])
        return {
            "Records": [{"SequenceNumber": str(seq), "Data": agent_event(seq)} for seq in batch],
            "NextShardIterator": None if shard["closed"] and at_end else f"{shard_id}:{end}",
            "MillisBehindLatest": 0 if at_end else 1000,
        }


def test_reader_follows_splits_and_merges_to_the_children(db, observer):
    # 0 splits into 1 and 2; 1 and 2 merge into 3 (open). 2 closed before it got a record.
    fake = InMemoryStream(
        {
            "shardId-000000000003": {"parents": ("shardId-000000000001", "shardId-000000000002"),
                                     "closed": False, "records": [60, 61]},
            "shardId-000000000002": {"parents": ("shardId-000000000000",), "closed": True, "records": []},
            "shardId-000000000001": {"parents": ("shardId-000000000000",), "closed": True, "records": [40, 41]},
            "shardId-000000000000": {"parents": (), "closed": True, "records": [1, 2, 3]},
        }
    )  # fmt: skip
    reader = KinesisReader(fake, KinesisSource(stream_name="lineage", max_records_per_call=2))
    assert reader.pending(db, WINDOW)
    fake.iterator_types.clear()
    fake.reads.clear()

    loader = Loader(db, Stream.AGENT_EVENTS)
    reader.read(loader, WINDOW)

    assert (loader.stats.read, loader.stats.new) == (7, 7)
    assert count(observer) == 7
    # parents to their end before children, children from their beginning
    assert list(dict.fromkeys(fake.reads)) == [f"shardId-00000000000{i}" for i in range(4)]
    assert fake.iterator_types == {f"shardId-00000000000{i}": ["TRIM_HORIZON"] for i in range(4)}
    assert checkpoints(observer) == {
        "shardId-000000000000": ("3", -1, False, True),
        "shardId-000000000001": ("41", -1, False, True),
        "shardId-000000000002": (None, -1, False, True),
        "shardId-000000000003": ("61", -1, False, False),
    }
    assert not reader.pending(db, WINDOW)

    # the open child gets more records; the finished parents are not touched again
    fake.shards["shardId-000000000003"]["records"].append(62)
    fake.reads.clear()
    loader = Loader(db, Stream.AGENT_EVENTS)
    reader.read(loader, WINDOW)
    assert loader.stats.read == 1
    assert set(fake.reads) == {"shardId-000000000003"}
    assert fake.iterator_types["shardId-000000000003"][-1] == "AFTER_SEQUENCE_NUMBER"


def test_half_read_parent_keeps_its_children_waiting(db, observer):
    fake = InMemoryStream(
        {
            "shardId-000000000000": {"parents": (), "closed": True, "records": [1, 2, 3, 4]},
            "shardId-000000000001": {"parents": ("shardId-000000000000",), "closed": False, "records": [9]},
        }
    )  # fmt: skip
    now = [0.0]
    loader = Loader(db, Stream.AGENT_EVENTS, before_commit=lambda: now.__setitem__(0, now[0] + 10))
    source = KinesisSource(stream_name="lineage", max_records_per_call=2, max_seconds_per_run=5)
    KinesisReader(fake, source, monotonic=lambda: now[0]).read(loader, WINDOW)
    assert checkpoints(observer) == {"shardId-000000000000": ("2", -1, False, False)}
    assert set(fake.reads) == {"shardId-000000000000"}

    loader = Loader(db, Stream.AGENT_EVENTS)
    KinesisReader(fake, source).read(loader, WINDOW)
    assert loader.stats.read == 3 and count(observer) == 5
    assert fake.iterator_types["shardId-000000000000"] == ["TRIM_HORIZON", "AFTER_SEQUENCE_NUMBER"]


def test_a_backlogged_shard_does_not_starve_the_others(db):
    # Shard 0 holds a long backlog, shard 1 one record. Each GetRecords batch "takes" one
    # second (the clock advances in before_commit); the run may take 5 s. Each shard gets a
    # share of the time, so shard 1 is read in the first run.
    fake = InMemoryStream(
        {
            "shardId-000000000000": {
                "parents": (),
                "closed": False,
                "records": list(range(1, 1001)),
            },
            "shardId-000000000001": {"parents": (), "closed": False, "records": [5000]},
        }
    )
    clock = [0.0]
    loader = Loader(
        db, Stream.AGENT_EVENTS, before_commit=lambda: clock.__setitem__(0, clock[0] + 1)
    )
    source = KinesisSource(stream_name="lineage", max_records_per_call=10, max_seconds_per_run=5)
    KinesisReader(fake, source, monotonic=lambda: clock[0]).read(loader, WINDOW)
    assert "shardId-000000000001" in fake.reads
    # shard 0 gets half of 5 s (3 batches of 10, the last started at 2 s), shard 1 its record
    assert loader.stats.read == 31
