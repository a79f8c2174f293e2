"""Day windows and intervals in the contact center's time zone, including DST days."""

from datetime import UTC, date, datetime

import pytest

from wfm_connector.intervals import day_window

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("day", "minutes", "hours", "count", "start"),
    [
        (date(2026, 11, 2), 15, 24, 96, datetime(2026, 11, 2, 5, tzinfo=UTC)),  # EST = UTC-5
        (date(2026, 3, 8), 15, 23, 92, datetime(2026, 3, 8, 5, tzinfo=UTC)),  # spring forward
        (
            date(2026, 11, 1),
            15,
            25,
            100,
            datetime(2026, 11, 1, 4, tzinfo=UTC),
        ),  # fall back, EDT start
        (date(2026, 11, 1), 30, 25, 50, datetime(2026, 11, 1, 4, tzinfo=UTC)),
    ],
)
def test_new_york_days(day, minutes, hours, count, start):
    window = day_window(day, "America/New_York", minutes)
    assert window.hours == hours
    assert window.start == start
    starts = window.interval_starts()
    assert len(starts) == count
    assert starts[0] == start and starts[-1] + window.interval == window.end


def test_half_hour_zone_aligns_on_local_quarter_hours():
    window = day_window(date(2026, 6, 1), "Asia/Kolkata", 15)  # UTC+5:30
    assert window.start == datetime(2026, 5, 31, 18, 30, tzinfo=UTC)
    assert len(window.interval_starts()) == 96
