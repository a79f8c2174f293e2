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
    assert f"{field} is 12,000 characters long; Amazon Connect's are at most" in reason


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
