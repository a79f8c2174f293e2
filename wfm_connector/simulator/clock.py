"""Simulator time: integer milliseconds since the epoch (UTC), local days and ISO text.

In: instants as ``int`` milliseconds, local dates and IANA zone names. Out: the UTC window of a
local day (local midnight to local midnight, 23/24/25 hours), local wall-clock instants, and
the three ISO-8601 UTC spellings the wire formats use (``...T14:03:07.123Z`` for agent events
and contact-event details, ``...T14:03:07Z`` for envelopes, CTRs and the truth files).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Day:
    """One simulated contact-center day: its UTC bounds and its interval grid."""

    day: date
    timezone: str
    start_ms: int
    end_ms: int
    interval_ms: int

    @property
    def interval_count(self) -> int:
        """Number of intervals (92/96/100 quarter hours around DST)."""
        return (self.end_ms - self.start_ms) // self.interval_ms

    def interval_starts(self) -> list[int]:
        """UTC start of every interval, stepped in absolute time from local midnight."""
        return [self.start_ms + i * self.interval_ms for i in range(self.interval_count)]

    def local_ms(self, hour: int, minute: int = 0) -> int:
        """The instant of a local wall-clock time on this day."""
        return local_instant_ms(self.day, hour, minute, self.timezone)

    def local_hour(self, ms: int) -> float:
        """Local wall-clock hour of day (0-24, fractional) of an instant."""
        local = datetime.fromtimestamp(ms / 1000, ZoneInfo(self.timezone))
        return local.hour + local.minute / 60 + local.second / 3600


def local_instant_ms(day: date, hour: int, minute: int, timezone: str) -> int:
    """Milliseconds since the epoch of a local wall-clock time."""
    moment = datetime.combine(day, time(hour, minute), ZoneInfo(timezone))
    return int(moment.timestamp()) * SECOND


def make_day(day: date, timezone: str, interval_minutes: int) -> Day:
    """The UTC window and interval grid of a local day.

    Raises:
        ValueError: when the interval does not divide the day (e.g. a 45-minute DST shift).
    """
    if interval_minutes <= 0:
        raise ValueError(f"interval_minutes must be positive, got {interval_minutes}")
    start = local_instant_ms(day, 0, 0, timezone)
    end = local_instant_ms(day + timedelta(days=1), 0, 0, timezone)
    step = interval_minutes * MINUTE
    if (end - start) % step:
        raise ValueError(
            f"{timezone} on {day}: a day of {(end - start) / HOUR} h is not a whole number "
            f"of {interval_minutes}-minute intervals"
        )
    return Day(day=day, timezone=timezone, start_ms=start, end_ms=end, interval_ms=step)


@lru_cache(maxsize=256)
def _date_text(day_number: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + day_number).isoformat()


def _seconds_text(seconds: int) -> str:
    day_number, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{_date_text(day_number)}T{hour:02d}:{minute:02d}:{second:02d}"


def iso_ms(ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    seconds, millis = divmod(ms, SECOND)
    return f"{_seconds_text(seconds)}.{millis:03d}Z"


def iso_s(ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (milliseconds dropped)."""
    return _seconds_text(ms // SECOND) + "Z"


def window_stamp(ms: int) -> tuple[str, str]:
    """Hour folder ``YYYY/MM/DD/HH`` and name stamp ``YYYY-MM-DD-HH-MM-SS`` of an instant."""
    text = _seconds_text(ms // SECOND)
    folder = f"{text[0:4]}/{text[5:7]}/{text[8:10]}/{text[11:13]}"
    stamp = f"{text[0:10]}-{text[11:13]}-{text[14:16]}-{text[17:19]}"
    return folder, stamp


def ceil_second(ms: int) -> int:
    """The first whole second at or after ``ms``."""
    return -(-ms // SECOND) * SECOND


def format_ms_as_seconds(ms: int) -> str:
    """A duration in milliseconds as seconds with exactly three decimals."""
    seconds, millis = divmod(ms, SECOND)
    return f"{seconds}.{millis:03d}"
