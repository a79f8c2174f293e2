"""Value checks that keep corrupt numbers and times out of the tables."""

import re
from datetime import UTC, datetime

import pytest

from wfm_connector.parsing.values import InvalidRecord, integer, text, timestamp

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-25T18:55:27.017Z", datetime(2019, 5, 25, 18, 55, 27, 17000, tzinfo=UTC)),
        ("2022-01-05T17:48:35Z", datetime(2022, 1, 5, 17, 48, 35, tzinfo=UTC)),
        ("2022-01-05T12:48:35-05:00", datetime(2022, 1, 5, 17, 48, 35, tzinfo=UTC)),
        ("2022-01-05T17:48:35", datetime(2022, 1, 5, 17, 48, 35, tzinfo=UTC)),  # naive = UTC
    ],
)
def test_timestamps(value, expected):
    assert timestamp(value, "t") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-11-02", "t is not an ISO-8601 timestamp: '2026-11-02'"),
        ("0001-01-01T00:00:00+01:00", "t is not an ISO-8601 timestamp"),
        ("9999-12-31T23:30:00-01:00", "t is not an ISO-8601 timestamp"),
        ("1900-01-01T00:00:00Z", "t is not a plausible time"),
        (1700000000, "t is not a timestamp string: 1700000000"),
        (None, "t is missing"),
    ],
)
def test_bad_timestamps_are_named(value, reason):
    with pytest.raises(InvalidRecord, match=reason.replace("(", r"\(")):
        timestamp(value, "t")


@pytest.mark.parametrize("value", [2**31, 2**63, 1e10, 1e20, -1, 2.5, "12", True])
def test_durations_outside_int4_or_not_whole_are_rejected(value):
    with pytest.raises(InvalidRecord, match="Queue.Duration"):
        integer(value, "Queue.Duration")


def test_durations_in_range():
    assert [integer(v, "d") for v in (0, 346, 2**31 - 1, 12.0, None)] == [
        0,
        346,
        2**31 - 1,
        12,
        None,
    ]


@pytest.mark.parametrize(
    ("value", "field", "problem"),
    [
        ("a" * 256, "EventId", None),  # an id may be 256 characters (ID_MAX)
        ("a" * 257, "EventId", "EventId is 257 characters long (257 bytes in UTF-8)"),
        ("a" * 257, "Name", None),  # other text may be up to 1,024 (TEXT_MAX)
        ("a" * 500, "AgentARN", None),  # an ARN up to 500 (ARN_MAX)
        ("a" * 501, "AgentARN", "AgentARN is 501 characters long"),
        # 100 characters of 3 bytes each: 300 bytes, over an id's 256 though short in characters
        ("€" * 100, "ContactId", "ContactId is 100 characters long (300 bytes in UTF-8)"),
        ("€" * 100, "Name", None),
        ("ab\x00c", "EventId", "EventId contains a NUL character"),
        ("", "EventId", "EventId is missing"),
        (7, "EventId", "EventId is not a string: 7"),
    ],
)
def test_text_limits_by_field_in_characters_and_bytes(value, field, problem):
    if problem is None:
        assert text(value, field) == value
    else:
        with pytest.raises(InvalidRecord, match=re.escape(problem)):
            text(value, field)
