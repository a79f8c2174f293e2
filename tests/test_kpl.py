"""KPL de-aggregation against aggregates made by AWS's reference aggregator (aws-kinesis-agg)."""

import hashlib

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from hypothesis import given, settings
from hypothesis import strategies as st

from wfm_connector.sources.kpl import KPL_MAGIC, UserRecord, deaggregate, parse_aggregate

pytestmark = pytest.mark.unit


def aggregate(*records: tuple) -> bytes:
    """One aggregate of (partition key, data[, explicit hash key]) user records."""
    agg = RecordAggregator()
    for record in records:
        assert agg.add_user_record(*record) is None  # all fit in one aggregate
    _pk, _ehk, data = agg.clear_and_get().get_contents()
    return data


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def framed(body: bytes) -> bytes:
    return KPL_MAGIC + body + hashlib.md5(body).digest()


def test_round_trip_keeps_order_and_partition_keys():
    users = [(f"agent-{i % 3}", b'{"EventId":"e%d"}' % i) for i in range(10)]
    data = aggregate(*users)
    assert data.startswith(KPL_MAGIC)
    assert deaggregate(data) == [d for _, d in users]
    assert parse_aggregate(data) == [UserRecord(pk, None, d) for pk, d in users]


def test_explicit_hash_keys_are_resolved_per_record():
    data = aggregate(
        ("a", b"1", "123"), ("b", b"2"), ("c", b"3", "340282366920938463463374607431768211455")
    )
    assert parse_aggregate(data) == [
        UserRecord("a", "123", b"1"),
        UserRecord("b", None, b"2"),
        UserRecord("c", "340282366920938463463374607431768211455", b"3"),
    ]


def test_empty_user_data_and_single_record_aggregate():
    assert deaggregate(aggregate(("pk", b""), ("pk", b"x"))) == [b"", b"x"]
    assert deaggregate(aggregate(("pk", b"only"))) == [b"only"]


def test_corrupted_md5_means_a_plain_record():
    data = aggregate(("pk", b"1"), ("pk", b"2"))
    corrupted = data[:-1] + bytes([data[-1] ^ 0xFF])
    assert parse_aggregate(corrupted) is None
    assert deaggregate(corrupted) == [corrupted]


def test_non_aggregated_data_is_returned_whole():
    for data in (b'{"EventId":"e1"}', b"", KPL_MAGIC, KPL_MAGIC + b"short", b"\xf3\x89\x9a"):
        assert parse_aggregate(data) is None
        assert deaggregate(data) == [data]


def test_undecodable_protobuf_with_valid_md5_means_a_plain_record():
    for body in (
        b"\x0a\x05ab",  # length runs past the end
        b"\x1a\x02\x08",  # record with a truncated varint
        field(3, field(3, b"no partition key index")),
        field(1, b"pk") + field(3, field(1, 5) + field(3, b"x")),  # index outside the table
        field(1, b"\xff\xfe") + field(3, field(1, 0) + field(3, b"x")),  # key not UTF-8
        b"\x0b",  # wire type 3 (group)
    ):
        data = framed(body)
        assert parse_aggregate(data) is None, body
        assert deaggregate(data) == [data]


def test_tags_and_unknown_fields_are_skipped():
    tag = field(1, b"key") + field(2, b"value")
    record = field(1, 0) + field(3, b"payload") + field(4, tag) + field(9, 7)
    body = field(1, b"pk") + field(3, record) + field(15, b"future field")
    assert parse_aggregate(framed(body)) == [UserRecord("pk", None, b"payload")]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=20), st.binary(max_size=300)),
        min_size=1,
        max_size=30,
    )
)
def test_any_aggregate_round_trips(users):
    assert deaggregate(aggregate(*users)) == [d for _, d in users]
