"""Fuzzing the way in: arbitrary bytes and arbitrary JSON shapes, to every stream's parser and
framing, never raise, and every record read is loaded, a duplicate, or quarantined."""

from __future__ import annotations

import io

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfm_connector.ingest import ingest
from wfm_connector.parsing.framing import iter_object_records, parse_one
from wfm_connector.sources.base import SourceRecord, Stream
from wfm_connector.sources.objects import UNREADABLE

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

keys = st.sampled_from([
    "EventId", "EventType", "EventTimestamp", "AgentARN", "CurrentAgentSnapshot", "AgentStatus",
    "Contacts", "ContactId", "Channel", "InitiationMethod", "LastUpdateTimestamp", "Queue",
    "ARN", "Agent", "id", "detail", "contactId", "eventType", "Name", "Duration",
]) | st.text(max_size=8)  # fmt: skip
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=20))  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)


def _check(db, stream: Stream, records: list[SourceRecord]) -> None:
    stats = ingest(db, stream, records)
    assert stats.read == len(records)
    assert stats.new + stats.duplicates + stats.quarantined == len(records)
    assert stats.duplicates >= 0
    for table in ("agent_event_raw", "contact_event_raw", "contact_record_raw", "quarantine"):
        db.execute(f"TRUNCATE wfm.{table}")


@FUZZ
@given(stream=st.sampled_from(list(Stream)), values=st.lists(json_values, min_size=1, max_size=5))
def test_arbitrary_json_shapes_are_loaded_or_quarantined(db, stream, values):
    records = []
    for i, value in enumerate(values):
        try:
            raw = orjson.dumps(value)
        except TypeError:  # integers beyond 64 bits: not JSON orjson writes; skip that one
            continue
        records.append(SourceRecord(f"fuzz:{i}", parse_one(raw)))
    _check(db, stream, records)


@FUZZ
@given(stream=st.sampled_from(list(Stream)), data=st.binary(max_size=400))
def test_arbitrary_bytes_as_a_file_or_a_message(db, stream, data):
    try:
        framed = list(iter_object_records(io.BytesIO(data)))
    except UNREADABLE:  # what the object reader turns into a whole-object quarantine
        framed = []
    records = [SourceRecord(f"file:{f.offset}", f) for f in framed]
    records.append(SourceRecord("message:0", parse_one(data)))  # a Kinesis record or SQS body
    _check(db, stream, records)


@FUZZ
@given(stream=st.sampled_from(list(Stream)), value=json_values, junk=st.binary(max_size=40))
def test_a_valid_looking_record_with_junk_around_it(db, stream, value, junk):
    try:
        body = orjson.dumps({"EventId": "e", "ContactId": "c", "x": value})
    except TypeError:
        return
    try:
        framed = list(iter_object_records(io.BytesIO(junk + body + junk)))
    except UNREADABLE:  # junk that starts like gzip: the object is quarantined whole
        return
    _check(db, stream, [SourceRecord(f"j:{f.offset}", f) for f in framed])
