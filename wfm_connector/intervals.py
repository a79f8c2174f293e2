"""Contact-center days and WFM intervals.

In: a local date, the contact center's IANA time zone and the interval length (15/30 min).
Out: the day's UTC window (local midnight to local midnight, so a DST day lasts 23 or 25
hours) and its intervals as UTC instants, stepped in absolute time from local midnight
(92 or 100 quarter-hours on DST days, 96 otherwise).

Intervals are identified by their UTC start; the local wall-clock label is derived for
display and export only, because on the autumn DST day two intervals share a local label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DayWindow:
    """One contact-center day in UTC."""

    day: date
    start: datetime
    end: datetime
    interval: timedelta

    @property
    def hours(self) -> float:
        """Length of the day in hours (23, 24 or 25 around DST)."""
        return (self.end - self.start).total_seconds() / 3600

    def interval_starts(self) -> list[datetime]:
        """UTC start of every interval in the day."""
        count = int((self.end - self.start) / self.interval)
        return [self.start + i * self.interval for i in range(count)]


def day_window(day: date, timezone: str, interval_minutes: int) -> DayWindow:
    """The UTC window of a local day.

    Raises:
        ValueError: when the zone's UTC offset is not a whole number of intervals away from
            UTC midnight alignment, so intervals could not start on local :00/:15/:30/:45.
    """
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    step = timedelta(minutes=interval_minutes)
    if (end - start) % step:
        raise ValueError(
            f"{timezone} on {day}: day length {end - start} is not a multiple of "
            f"{interval_minutes}-minute intervals"
        )
    return DayWindow(day=day, start=start, end=end, interval=step)


def parse_day(value: str) -> date:
    """Parse a partition key / CLI date ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


# A silence longer than this is not "unknown while logged in" but a lost LOGOUT; it is also how
# far beyond an agent event its arrival can change the timeline (the segment of the event
# before it: ingest records that much earlier as changed, reconcile reads that much back).
LOOKBACK = timedelta(hours=1)
