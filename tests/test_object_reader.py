"""Object stores (a local folder, S3 on a moto server) read once per object version.

Each test runs against both stores: the same reader and ledger serve S3 and local folders.
Contact records are minimal valid CTRs; counts are exact.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import boto3
import orjson
import pytest

from wfm_connector.ingest import Loader
from wfm_connector.intervals import day_window
from wfm_connector.privacy import Minimiser
from wfm_connector.sources.base import Stream
from wfm_connector.sources.local_folder import LocalObjectStore
from wfm_connector.sources.objects import ObjectStoreReader, hour_prefixes
from wfm_connector.sources.s3 import S3ObjectStore

pytestmark = pytest.mark.integration
WINDOW = day_window(date(2026, 11, 2), "America/New_York", 15)  # 05:00Z .. 05:00Z next day


def ctr(n: int) -> dict:
    return {
        "ContactId": f"c-{n:05d}",
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "LastUpdateTimestamp": "2026-11-02T15:00:00Z",
        "DisconnectTimestamp": "2026-11-02T14:59:00Z",
        "Queue": {
            "ARN": "arn:q",
            "Name": "Q",
            "EnqueueTimestamp": "2026-11-02T14:50:00Z",
            "Duration": 9,
        },
    }


def concatenated(first: int, count: int) -> bytes:
    return b"".join(orjson.dumps(ctr(n)) for n in range(first, first + count))


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.store = LocalObjectStore(root)
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class S3Store:
    def __init__(self, endpoint: str, bucket: str) -> None:
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        self.client.create_bucket(Bucket=bucket)
        self.store = S3ObjectStore(self.client, bucket)
        self.bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)


@pytest.fixture(params=["local", "s3"])
def target(request, tmp_path, moto_endpoint, unique):
    if request.param == "local":
        return LocalStore(tmp_path)
    return S3Store(moto_endpoint, unique)


def reader(target, batch_size=100) -> ObjectStoreReader:
    return ObjectStoreReader(
        target.store, "ctr/", lookback_hours=1, lookahead_hours=2, batch_size=batch_size
    )


def run(db, target, batch_size=100, before_commit=None):
    loader = Loader(db, Stream.CONTACT_RECORDS, before_commit=before_commit)
    reader(target, batch_size).read(loader, WINDOW)
    return loader.stats


def count(db, table):
    return db.execute(f"SELECT count(*) FROM wfm.{table}").fetchone()[0]


def test_hour_prefixes_cover_the_widened_day():
    prefixes = hour_prefixes("ctr/", WINDOW.start, WINDOW.end, 1, 2)
    assert prefixes[0] == "ctr/2026/11/02/04/" and prefixes[-1] == "ctr/2026/11/03/06/"
    assert len(prefixes) == 1 + 24 + 2


def test_first_run_then_incremental_then_rewrite(db, target):
    target.put("ctr/2026/11/02/14/a", concatenated(0, 250))  # concatenated, no delimiter
    target.put(
        "ctr/2026/11/02/15/b",
        gzip.compress(b"\n".join(orjson.dumps(ctr(n)) for n in range(250, 300))),
    )
    target.put("ctr/2026/11/02/02/too-early", concatenated(900, 5))  # before the look-back hour
    first = run(db, target)
    assert (first.read, first.new, first.quarantined) == (300, 300, 0)
    assert count(db, "contact_record_raw") == 300
    ledger = db.execute("SELECT key, records FROM wfm.object_ledger ORDER BY key").fetchall()
    assert ledger == [("ctr/2026/11/02/14/a", 250), ("ctr/2026/11/02/15/b", 50)]

    # Incremental: only the new object is read.
    target.put("ctr/2026/11/03/05/c", concatenated(300, 10))  # look-ahead hour after the day
    second = run(db, target)
    assert (second.read, second.new) == (10, 10)

    # A re-written object (new ETag) is read again; its old records are duplicates.
    target.put("ctr/2026/11/02/14/a", concatenated(0, 250) + concatenated(1000, 10))
    third = run(db, target)
    assert (third.read, third.new, third.duplicates) == (260, 10, 250)
    assert count(db, "contact_record_raw") == 320
    assert run(db, target).read == 0


def test_crash_between_reading_and_committing_loses_and_duplicates_nothing(db, target):
    target.put("ctr/2026/11/02/14/a", concatenated(0, 250))  # 3 batches of 100
    target.put("ctr/2026/11/02/14/b", concatenated(250, 20))
    batches = {"n": 0}

    def crash_on_third_batch():
        batches["n"] += 1
        if batches["n"] == 3:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        run(db, target, before_commit=crash_on_third_batch)
    # Two batches of object a are committed; a is not in the ledger (its last batch failed).
    assert count(db, "contact_record_raw") == 200
    assert count(db, "object_ledger") == 0

    restart = run(db, target)
    assert (restart.read, restart.new, restart.duplicates) == (270, 70, 200)
    assert count(db, "contact_record_raw") == 270
    assert count(db, "object_ledger") == 2


def test_unreadable_gzip_object_is_quarantined_whole_and_not_retried(db, target):
    damaged = gzip.compress(concatenated(0, 4000), mtime=0)[:-50]
    target.put("ctr/2026/11/02/14/broken", damaged)
    stats = run(db, target)
    # every record decompressed before the cut loads; the record the cut went through is
    # quarantined, and so is the whole object's bytes (what came after the cut is in them)
    assert stats.quarantined == 2 and stats.new == stats.read - 2 > 3900
    (partial,), (position, reason, raw) = (
        db.execute("SELECT reason FROM wfm.quarantine WHERE source_position NOT LIKE '%%:object'"
                   ).fetchall(),
        db.execute("SELECT source_position, reason, raw FROM wfm.quarantine "
                   "WHERE source_position LIKE '%%:object'").fetchone(),
    )  # fmt: skip
    assert partial[0].startswith("not valid JSON")
    assert position.endswith("ctr/2026/11/02/14/broken:object")
    assert "object cannot be read to its end" in reason
    # what could be decompressed of it, personal data blanked by pattern (privacy.py)
    assert bytes(raw) == Minimiser().redact(damaged) and bytes(raw).startswith(b'{"ContactId"')
    assert run(db, target).read == 0  # ledgered: not retried until it changes


def test_pending_sees_new_objects_only(db, target):
    assert not reader(target).pending(db, WINDOW)
    target.put("ctr/2026/11/02/20/a", concatenated(0, 3))
    assert reader(target).pending(db, WINDOW)
    run(db, target)
    assert not reader(target).pending(db, WINDOW)


class Flaky:
    """A real store whose first fetch of one key fails like a network timeout."""

    def __init__(self, store, key):
        self.store, self.key, self.failed = store, key, False
        self.location = store.location

    def __getattr__(self, name):
        return getattr(self.store, name)

    def open(self, key):
        if key == self.key and not self.failed:
            self.failed = True
            raise TimeoutError("read timed out")  # an OSError, as botocore's timeouts are
        return self.store.open(key)


def test_a_fetch_failure_skips_the_object_without_ledger_and_the_next_run_reads_it(db, tmp_path):
    from wfm_connector.sources.objects import ObjectsNotRead

    target = LocalStore(tmp_path)
    target.put("ctr/2026/11/02/14/a", concatenated(0, 5))
    target.put("ctr/2026/11/02/14/b", concatenated(5, 7))
    flaky = Flaky(target.store, "ctr/2026/11/02/14/a")
    loader = Loader(db, Stream.CONTACT_RECORDS)
    with pytest.raises(ObjectsNotRead, match=r"1 object\(s\) not read.*14/a \(TimeoutError"):
        ObjectStoreReader(flaky, "ctr/", 1, 2).read(loader, WINDOW)
    assert loader.stats.new == 7  # b was still read
    assert [k for (k,) in db.execute("SELECT key FROM wfm.object_ledger")] == [
        "ctr/2026/11/02/14/b"
    ]
    assert count(db, "quarantine") == 0
    assert run(db, target).new == 5  # retried


def test_an_object_filed_late_under_a_recent_hour_is_read_by_any_day(db, target):
    from datetime import UTC, datetime, timedelta

    hour = (datetime.now(UTC) - timedelta(hours=20)).strftime("%Y/%m/%d/%H")
    target.put(f"ctr/{hour}/late", concatenated(0, 4))
    assert run(db, target).new == 4  # WINDOW is 2026-11-02; the trailing day still lists it


def test_a_file_name_that_is_not_utf8_is_read_and_never_stops_a_run(db, tmp_path):
    # Local file systems store any bytes in a name; PostgreSQL text is UTF-8. The records load,
    # the name is kept with the odd byte escaped, and the next run does not read it again.
    folder = tmp_path / "ctr" / "2026" / "11" / "02" / "14"
    folder.mkdir(parents=True)
    with open(bytes(folder) + b"/batch-\xff\xfe.json", "wb") as fh:
        fh.write(concatenated(0, 3))
    target = LocalStore(tmp_path)
    stats = run(db, target)
    assert (stats.read, stats.new) == (3, 3)
    assert db.execute("SELECT key FROM wfm.object_ledger").fetchall() == [
        ("ctr/2026/11/02/14/batch-\\xff\\xfe.json",)]  # fmt: skip
    assert run(db, target).read == 0


def test_a_file_read_half_written_then_whole_leaves_no_stale_quarantine_row(db, tmp_path):
    # The reader meets a local file while it is being written: its last record is cut and
    # quarantined. When the file is whole (new size and mtime: a new ETag), it is read again:
    # the record loads, and the quarantine row of the cut record goes.
    target = LocalStore(tmp_path)
    whole = concatenated(0, 3)
    cut = whole[: len(whole) - 20]
    target.put("ctr/2026/11/02/14/growing", cut)
    first = run(db, target)
    assert (first.new, first.quarantined) == (2, 1)
    target.put("ctr/2026/11/02/14/growing", whole)
    second = run(db, target)
    assert (second.read, second.new, second.quarantined) == (3, 1, 0)
    assert count(db, "quarantine") == 0 and count(db, "contact_record_raw") == 3


def test_a_re_read_object_keeps_counting_its_quarantined_record(db, target):
    # An object with a bad record is re-written with one more record: the bad record is still
    # there (its quarantine row refreshed, not new), so the ledger still says 1 quarantined.
    key = "ctr/2026/11/02/14/a"
    target.put(key, concatenated(0, 2) + b"\n{not json}\n")
    assert run(db, target).quarantined == 1
    target.put(key, concatenated(0, 2) + b"\n{not json}\n" + concatenated(2, 1))
    second = run(db, target)
    assert (second.read, second.new, second.quarantined) == (4, 1, 0)  # 0 new rows
    assert db.execute("SELECT records, quarantined FROM wfm.object_ledger").fetchall() == [
        (4, 1)]  # fmt: skip
    assert count(db, "quarantine") == 1


def test_re_reading_an_object_leaves_the_quarantine_of_a_longer_named_one(db, target):
    # "x:1"'s records are at positions "…/x:1:<offset>", which start with "…/x:" like x's own;
    # re-reading x must not take x:1's quarantine row for a stale one of its own.
    target.put("ctr/2026/11/02/14/x:1", b"{not json}\n")
    target.put("ctr/2026/11/02/14/x", concatenated(0, 1))
    assert run(db, target).quarantined == 1
    target.put("ctr/2026/11/02/14/x", concatenated(0, 2))
    assert run(db, target).new == 1
    assert db.execute("SELECT source_position FROM wfm.quarantine").fetchone()[0].endswith(
        "ctr/2026/11/02/14/x:1:0")  # fmt: skip
    ledger = db.execute("SELECT key, quarantined FROM wfm.object_ledger ORDER BY key").fetchall()
    assert ledger == [("ctr/2026/11/02/14/x", 0), ("ctr/2026/11/02/14/x:1", 1)]


def test_a_non_utf8_name_and_its_escaped_spelling_are_two_objects(db, tmp_path):
    # b"a\xff" is shown as "a\xff"; a file really named with a backslash, "a\xff", is shown
    # with its backslash doubled, so the two never share a ledger row (one would be skipped).
    folder = tmp_path / "ctr/2026/11/02/14"
    folder.mkdir(parents=True)
    with open(bytes(folder) + b"/a\xff", "wb") as fh:
        fh.write(concatenated(0, 1))
    (folder / "a\\xff").write_bytes(concatenated(1, 1))
    stats = run(db, LocalStore(tmp_path))
    assert (stats.read, stats.new) == (2, 2)
    assert sorted(k for (k,) in db.execute("SELECT key FROM wfm.object_ledger")) == [
        "ctr/2026/11/02/14/a\\\\xff", "ctr/2026/11/02/14/a\\xff"]  # fmt: skip


def test_a_runaway_record_is_cut_and_the_records_around_it_load(db, target):
    # 3 MiB with no record boundary after a good line (ingest.max_record_bytes 1 MiB): the
    # good records before and after it load, and it is quarantined once, its first MiB kept.
    runaway = b'{"ContactId":"' + b"7" * (3 << 20) + b'"}'
    target.put("ctr/2026/11/02/14/a", concatenated(0, 1) + b"\n" + runaway + concatenated(1, 1))
    stats = run(db, target)
    assert (stats.read, stats.new, stats.quarantined) == (3, 2, 1)
    [(reason, size)] = db.execute("SELECT reason, length(raw) FROM wfm.quarantine").fetchall()
    assert reason.startswith("record is more than 1,048,576 bytes (ingest.max_record_bytes "
                             "1,048,576)")  # fmt: skip
    assert "up to the next record, was skipped" in reason and size == 1 << 20


def test_an_object_read_before_backslashes_were_doubled_is_not_read_again(db, target):
    # Ledgers written before printable_key doubled backslashes name "x\y" with one backslash.
    # Such an object is not read again after the upgrade; once re-written, it is read (1 new
    # record of 2), its old ledger row and old quarantine row go, and its new name is "x\\y".
    key = "ctr/2026/11/02/14/x\\y"
    target.put(key, b"{broken\n" + concatenated(0, 1))
    stats = run(db, target)
    assert (stats.read, stats.new, stats.quarantined) == (2, 1, 1)
    doubled = "ctr/2026/11/02/14/x\\\\y"
    # what the previous version wrote: rename the rows to the legacy (single-backslash) name
    db.execute("UPDATE wfm.object_ledger SET key = %s", (key,))
    db.execute("UPDATE wfm.quarantine SET source_position = replace(source_position, %s, %s)",
               (doubled, key))  # fmt: skip
    assert run(db, target).read == 0

    target.put(key, b"{broken\n" + concatenated(0, 2))  # re-written: a new ETag
    stats = run(db, target)
    assert (stats.read, stats.new, stats.quarantined) == (3, 1, 1)
    assert db.execute("SELECT key, records, quarantined FROM wfm.object_ledger").fetchall() == [
        (doubled, 3, 1)]  # fmt: skip
    [(position,)] = db.execute("SELECT source_position FROM wfm.quarantine").fetchall()
    assert position.endswith(doubled + ":0")


def test_an_object_whose_legacy_name_is_another_objects_name_leaves_its_rows(db, target):
    # "x\y" is named "x\\y"; "x\\y" (two backslashes) is named "x\\\\y", and its legacy name
    # is "x\\y": reading it must not take x\y's ledger row or quarantine row for its own
    one = "ctr/2026/11/02/14/x\\y"
    target.put(one, b"{broken\n" + concatenated(0, 1))
    assert run(db, target).quarantined == 1
    target.put("ctr/2026/11/02/14/x\\\\y", concatenated(1, 1))
    stats = run(db, target)
    assert (stats.read, stats.new, stats.quarantined) == (1, 1, 0)
    assert db.execute("SELECT key, records, quarantined FROM wfm.object_ledger ORDER BY key"
                      ).fetchall() == [("ctr/2026/11/02/14/x\\\\\\\\y", 1, 0),
                                       ("ctr/2026/11/02/14/x\\\\y", 2, 1)]  # fmt: skip
    [(position,)] = db.execute("SELECT source_position FROM wfm.quarantine").fetchall()
    assert position.endswith("ctr/2026/11/02/14/x\\\\y:0")
    assert run(db, target).read == 0


def test_objects_parsed_in_worker_processes_load_exactly_as_when_parsed_here(
    db, target, caplog
):
    """Twelve objects (enough for the pool), batches of 7 records cutting across objects, one
    object too big for a worker (read here, in batches, between objects from workers), a
    repeated object, a garbage line, gzip, an empty object and a gzip cut short: both ways
    give the same raw rows, quarantine, ledger and counts."""
    hour = "ctr/2026/11/02/14/"
    ndjson = [orjson.dumps(ctr(n)) for n in range(18, 24)]
    objects = {
        "o00": concatenated(0, 6), "o01": concatenated(6, 6), "o02": concatenated(12, 6),
        "o03": concatenated(12, 6),  # the same records again: 6 duplicates
        "o04": b"\n".join([*ndjson[:3], b'{"ContactId": broken', *ndjson[3:]]),
        "o05": gzip.compress(concatenated(24, 6), mtime=0),
        "o06": b"",
        "o07": gzip.compress(concatenated(100, 40), mtime=0)[:-50],  # cut short
        "o08": concatenated(30, 30),  # 30 records, far over the 2,000 bytes a worker takes
        "o09": concatenated(60, 6), "o10": concatenated(66, 6), "o11": concatenated(72, 6),
    }  # fmt: skip
    for name, data in objects.items():
        target.put(hour + name, data)
    assert len(objects["o08"]) > 2000 > max(
        len(d) for n, d in objects.items() if n != "o08"
    )

    def load(workers: int):
        empty = "TRUNCATE wfm.contact_record_raw, wfm.quarantine, wfm.object_ledger"
        db.execute(empty)
        loader = Loader(db, Stream.CONTACT_RECORDS)
        caplog.clear()
        with caplog.at_level("INFO", logger="wfm_connector.sources.objects"):
            ObjectStoreReader(target.store, "ctr/", 1, 2, batch_size=7, workers=workers,
                              parallel_max_bytes=2000).read(loader, WINDOW)  # fmt: skip
        tables = {
            "raw": db.execute("SELECT contact_id, last_update_ts, payload, source_position "
                              "FROM wfm.contact_record_raw ORDER BY 1, 2").fetchall(),
            "quarantine": db.execute("SELECT stream, source_position, reason, raw "
                                     "FROM wfm.quarantine ORDER BY 2").fetchall(),
            "ledger": db.execute("SELECT key, etag, size, records, quarantined "
                                 "FROM wfm.object_ledger ORDER BY 1").fetchall(),
        }  # fmt: skip
        stats = (loader.stats.read, loader.stats.new, loader.stats.quarantined)
        return tables, stats, "parsing 12 objects in 2 worker processes" in caplog.text

    here, here_stats, here_parallel = load(workers=1)
    there, there_stats, there_parallel = load(workers=2)
    assert (here_parallel, there_parallel) == (False, True)
    assert there == here and there_stats == here_stats
    # by hand: records 0-77 each stored once (12-17 twice delivered), the garbage line and
    # the cut gzip's two pieces in quarantine, every object ledgered (the cut one too)
    ids = {row[0] for row in here["raw"]}
    assert {f"c-{n:05d}" for n in range(78)} <= ids
    assert len(ids - {f"c-{n:05d}" for n in range(78)}) == here_stats[1] - 78
    assert [k.rsplit("/", 1)[1] for k, *_ in here["ledger"]] == sorted(objects)
    records = {k.rsplit("/", 1)[1]: (n, q) for k, _, _, n, q in here["ledger"]}
    assert records["o03"] == (6, 0) and records["o04"] == (7, 1) and records["o06"] == (0, 0)
    assert records["o08"] == (30, 0) and records["o07"][1] == 2
    read, new, quarantined = here_stats
    assert quarantined == 3 and read - new - quarantined == 6  # the six repeated records
