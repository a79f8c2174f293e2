"""Whatever arrives, ingest goes on: every record is stored, a duplicate, or quarantined."""

import copy
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED
from wfm_connector.ingest import ingest
from wfm_connector.parsing.framing import Framed
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = pytest.mark.integration
SAMPLES = SHARED / "reference" / "aws-samples"
BASES = {
    Stream.AGENT_EVENTS: "agent_event__state_change_enter_acw__determine_acw_time.json",
    Stream.CONTACT_EVENTS: "contact_event__disconnected__contact_events.json",
    Stream.CONTACT_RECORDS: "ctr__redelivery_1_of_3__public_ctr_samples.json",
}
junk = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(-9, 9), max_size=2),
)  # fmt: skip


def paths(value, prefix=()):
    """Every (path) to a value inside nested dicts/lists."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def replaced(value, path, new):
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_records_never_stop_ingest(db, data):
    stream = data.draw(st.sampled_from(list(BASES)))
    base = orjson.loads((SAMPLES / BASES[stream]).read_bytes())
    candidates = list(paths(base))
    records = []
    for i in range(5):
        path = data.draw(st.sampled_from(candidates))
        value = replaced(base, path, data.draw(junk))
        raw = orjson.dumps(value)
        records.append(SourceRecord(f"fuzz:{i}", Framed(i, raw, value)))
    stats = ingest(db, stream, records)
    assert stats.read == 5
    assert stats.new + stats.duplicates + stats.quarantined == 5
    stored = db.execute(
        "SELECT count(*) FROM wfm.quarantine WHERE source_position LIKE 'fuzz:%%'"
    ).fetchone()[0]
    assert stored == stats.quarantined
    db.execute(
        "TRUNCATE wfm.agent_event_raw, wfm.contact_event_raw, wfm.contact_record_raw, wfm.quarantine"
    )
    db.commit()


@pytest.mark.parametrize(("stream", "path", "field"), [
    (Stream.AGENT_EVENTS, ("EventId",), "EventId"),
    (Stream.AGENT_EVENTS, ("AgentARN",), "AgentARN"),
    (Stream.CONTACT_RECORDS, ("ContactId",), "ContactId"),
    (Stream.CONTACT_RECORDS, ("Queue", "ARN"), "Queue.ARN"),
    (Stream.CONTACT_EVENTS, ("detail", "contactId"), "detail.contactId"),
    (Stream.CONTACT_EVENTS, ("id",), "id"),
])  # fmt: skip
def test_an_overlong_identifier_is_quarantined_and_the_stream_goes_on(db, stream, path, field):
    # ~12,000 random characters is more than a PostgreSQL index entry holds, even compressed:
    # stored, it would fail the whole batch, and every later run the same way.
    base = orjson.loads((SAMPLES / BASES[stream]).read_bytes())
    long = replaced(base, path, LONG)
    records = [SourceRecord(f"long:{i}", Framed(i, orjson.dumps(v), v))
               for i, v in enumerate([long, base])]  # fmt: skip
    stats = ingest(db, stream, records)
    assert (stats.new, stats.quarantined) == (1, 1)
    [(reason,)] = db.execute("SELECT reason FROM wfm.quarantine").fetchall()
    assert f"{field} is 12,000 characters long (12,000 bytes in UTF-8); Amazon" in reason


def test_every_text_field_overlong_never_fails_a_batch(db):
    for stream, name in BASES.items():
        base = orjson.loads((SAMPLES / name).read_bytes())
        texts = [p for p in paths(base) if p and isinstance(_at(base, p), str)]
        values = [replaced(base, p, LONG) for p in texts]
        records = [SourceRecord(f"{stream.value}:{i}", Framed(i, orjson.dumps(v), v))
                   for i, v in enumerate(values)]  # fmt: skip
        stats = ingest(db, stream, records)  # must not raise
        assert stats.new + stats.duplicates + stats.quarantined == len(values)


LONG = random.Random(7).randbytes(6_000).hex()  # 12,000 characters that do not compress


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"x": value}
    return value


def test_a_deeply_nested_record_is_quarantined_naming_where(db):
    # 900 levels: valid JSON that orjson reads, deeper than Python's recursion allows the
    # parser to walk; the reason must say where, not just "RecursionError"
    base = orjson.loads((SAMPLES / BASES[Stream.CONTACT_EVENTS]).read_bytes())
    deep = replaced(base, ("detail", "extra"), _nested(900))
    records = [SourceRecord(f"deep:{i}", Framed(i, _dumps(v), v))
               for i, v in enumerate([deep, base])]  # fmt: skip
    stats = ingest(db, Stream.CONTACT_EVENTS, records)
    assert (stats.new, stats.quarantined) == (1, 1)
    [(reason,)] = db.execute("SELECT reason FROM wfm.quarantine").fetchall()
    assert reason.startswith("nested too deep to read (more than 32 levels at detail.extra.x.x")


def _dumps(value) -> bytes:
    """JSON of any depth (orjson writes at most 255 levels)."""
    import json

    return json.dumps(value).encode()


def test_long_reasons_are_cut_and_oversized_records_kept_bounded(db):
    huge_value = "z" * 50_000  # the parser's message quotes the bad value
    base = orjson.loads((SAMPLES / BASES[Stream.CONTACT_RECORDS]).read_bytes())
    bad = replaced(base, ("Queue", "Duration"), huge_value)
    big = replaced(base, ("Attributes",), {"blob": "b" * (2 << 20)})  # a 2 MiB record
    records = [SourceRecord(f"odd:{i}", Framed(i, orjson.dumps(v), v))
               for i, v in enumerate([bad, big])]  # fmt: skip
    stats = ingest(db, Stream.CONTACT_RECORDS, records)
    assert stats.quarantined == 2
    rows = dict(db.execute("SELECT source_position, reason FROM wfm.quarantine").fetchall())
    assert len(rows["odd:0"]) <= 1000 and "(cut: the reason was" in rows["odd:0"]
    size = len(orjson.dumps(big))
    assert rows["odd:1"].startswith(f"record is {size:,} bytes, more than the 1,048,576 allowed")
    [(kept,)] = db.execute(
        "SELECT raw FROM wfm.quarantine WHERE source_position = 'odd:1'").fetchall()
    # at most its first MiB, with the caller's number and the (cut) attribute map blanked by
    # pattern, since a cut record cannot be minimised field by field
    kept = bytes(kept)
    assert len(kept) <= 1 << 20 and b"+190011112222" not in kept
    assert kept.endswith(b'"Attributes":{}') and b"bbbb" not in kept


def test_the_same_record_quarantined_again_is_not_counted_twice(db):
    records = [SourceRecord("again:0", Framed(0, b"not json", None, "not valid JSON"))]
    assert ingest(db, Stream.AGENT_EVENTS, records).quarantined == 1
    second = ingest(db, Stream.AGENT_EVENTS, records)  # a restart reading it again
    assert (second.read, second.quarantined, second.duplicates) == (1, 0, 1)
    assert db.execute("SELECT count(*) FROM wfm.quarantine").fetchone()[0] == 1


def test_a_bad_utf8_byte_is_named_by_its_byte_offset():
    from wfm_connector.parsing.framing import parse_one

    assert parse_one('{"Name":"caf\u00e9'.encode() + b'\xff"}').error == (
        "not UTF-8 text: byte 14 of the record is 0xff (invalid start byte)")  # é is 2 bytes  # fmt: skip


def test_multibyte_text_is_measured_in_bytes_and_a_nul_in_a_key_is_stored_safely(db):
    # 1,000 four-byte characters: under 1,024 characters, but 4,000 bytes, more than a
    # PostgreSQL index entry of agent_name holds: quarantined, not a failed batch
    base = orjson.loads((SAMPLES / BASES[Stream.AGENT_EVENTS]).read_bytes())
    wide = replaced(base, ("CurrentAgentSnapshot", "Configuration", "Username"), "\U0001F600" * 1000)
    nested: dict = {"leaf": 1}
    for _ in range(300):
        nested = {"x\u0000": nested}
    deep = replaced(base, ("CurrentAgentSnapshot", "Contacts"), [nested])
    records = [SourceRecord(f"w:{i}", Framed(i, orjson.dumps(v) if i == 0 else _dumps(v), v))
               for i, v in enumerate([wide, deep])]  # fmt: skip
    stats = ingest(db, Stream.AGENT_EVENTS, records)  # must not raise
    assert stats.quarantined == 2
    reasons = sorted(r for (r,) in db.execute("SELECT reason FROM wfm.quarantine"))
    assert reasons[0].startswith("Configuration.Username is 1,000 characters long (4,000 bytes")


@pytest.mark.unit
def test_the_collector_settings_come_back_after_bulk_parsing_even_on_an_error():
    import gc

    from wfm_connector.ingest import fewer_collections

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections(threshold=123_456):
        assert gc.get_threshold()[0] == 123_456  # collected less often inside
        assert gc.get_freeze_count() > 0  # what was alive before is not walked
        raise RuntimeError("a source failed mid-read")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
