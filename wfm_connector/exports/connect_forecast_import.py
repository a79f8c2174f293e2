"""Amazon Connect forecasting's historical data import file for one day.

In: ``wfm.queue_interval`` rows of the day under the profile's attribution (default
``enqueue``: a contact counts when it arrived in the queue, as forecasting wants;
``shared/reference/metrics.md``), ``wfm.queue`` for names, and the profile's ``grain``
(default: the configured interval, 15mins or 30mins).

Out: ``connect_forecast_<profile>_<yyyymmdd>_<grain>.csv``, UTF-8, comma-separated, **with** a
header, LF line ends (``shared/reference/wfm-formats.md`` section 3; Administrator Guide,
forecasting, "import historical data"): ``QueueName, QueueId, ChannelType, TimeStamp,
IntervalDuration, IncomingContactVolume, AverageHandleTime, ContactsHandled``. One row per
queue, channel and period of the grain (15 or 30 minutes, or the whole local day), zeros
included, ordered by queue id, channel and time:

- QueueId: the id after ``/queue/`` in the queue ARN; ChannelType: ``VOICE`` or ``CHAT``.
  Forecasts cover "inbound, transfer, and callback contacts in both voice and chat channels"
  (Administrator Guide, create forecasts), so other channels are left out, and the manifest
  says how many rows that was.
- TimeStamp: the period's start in UTC, ``YYYY-MM-DDTHH:MM:SSZ`` (for ``daily``: local
  midnight of the day, in UTC). IntervalDuration: the grain.
- IncomingContactVolume: contacts queued (``contacts_queued``): every contact that entered the
  queue: inbound, transferred in, callbacks, and chats customers started (which Connect marks
  ``InitiationMethod`` API). Outbound contacts do not queue.
- ContactsHandled: queued contacts an agent handled (``answered``).
- AverageHandleTime: seconds, two decimals: handle time / contacts handled in the queue
  (Connect's Average handle time; 0 when none).
- QueueName: only letters, digits, spaces and ``- _ . ( )`` are allowed: any other character
  becomes a space and leading ``-`` or spaces are dropped (so the name can never be read as a
  formula, without the apostrophe other exports use, which the import would refuse).
"""

from __future__ import annotations

import re
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

import psycopg

from wfm_connector.config import ExportProfile, WfmConfig
from wfm_connector.exports import values
from wfm_connector.exports.rendered import Rendered
from wfm_connector.intervals import DayWindow

HEADER = ("QueueName", "QueueId", "ChannelType", "TimeStamp", "IntervalDuration",
          "IncomingContactVolume", "AverageHandleTime", "ContactsHandled")  # fmt: skip
CHANNELS = ("VOICE", "CHAT")
GRAIN_SECONDS = {"15mins": 900, "30mins": 1800}
NOT_ALLOWED = re.compile(r"[^0-9A-Za-z _.()\-]")

# Periods are whole multiples of the grain from the day's start (UTC), so a 30-minute period
# always pairs two quarter hours; daily is the whole day.
QUERY = """
SELECT q.queue_arn, coalesce(q.queue_name, q.queue_arn), h.channel,
       CASE WHEN %(grain_s)s::int IS NULL THEN %(day_start)s::timestamptz
            ELSE %(day_start)s::timestamptz + make_interval(secs => %(grain_s)s::int * floor(
                 extract(epoch FROM h.interval_start - %(day_start)s::timestamptz)
                 / %(grain_s)s::int)) END AS period,
       sum(h.contacts_queued), sum(h.handle_time_s), sum(h.handled), sum(h.answered)
FROM wfm.queue_interval h
JOIN wfm.queue q ON q.queue_arn = h.queue_arn
WHERE h.day = %(day)s AND h.attribution = %(attribution)s
GROUP BY q.queue_arn, q.queue_name, h.channel, period
ORDER BY split_part(q.queue_arn, '/queue/', 2), h.channel, period
"""


def grain(profile: ExportProfile, window: DayWindow) -> str:
    """The profile's grain; by default the configured interval."""
    return profile.grain or f"{int(window.interval.total_seconds() // 60)}mins"


def file_name(profile: ExportProfile, window: DayWindow) -> str:
    """Unique per profile, day and grain, so a re-export replaces the file."""
    return f"connect_forecast_{profile.name}_{window.day:%Y%m%d}_{grain(profile, window)}.csv"


def queue_name(name: str) -> str:
    """The name with only the characters the import allows, never starting with ``-``."""
    return NOT_ALLOWED.sub(" ", values.clean_text(name, neutralise=False)).lstrip(" -")


def render(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> tuple[bytes, int, dict[str, int]]:
    """The file's bytes, its row count and the rows left out by reason."""
    params = {
        "day": window.day,
        "day_start": window.start,
        "attribution": profile.attribution,
        "grain_s": GRAIN_SECONDS.get(grain(profile, window)),
    }
    rows, left_out = [], {}
    for arn, name, channel, period, queued, handle_s, handled, answered in conn.execute(
        QUERY, params
    ):
        if channel not in CHANNELS:
            key = f"channel {channel} (forecasts cover VOICE and CHAT)"
            left_out[key] = left_out.get(key, 0) + 1
            continue
        aht = Decimal(handle_s) / handled if handled else Decimal(0)
        rows.append((
            queue_name(name), arn.rsplit("/queue/", 1)[-1], channel,
            period.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), grain(profile, window), queued,
            aht.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), answered,
        ))  # fmt: skip
    text, count = values.delimited(rows, ",", header=HEADER, neutralise=False)
    return text.encode("utf-8"), count, left_out


def build(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> Rendered:
    """The day's file and the options the manifest records."""
    data, rows, left_out = render(conn, window, profile, cfg)
    options = {
        "timezone": cfg.timezone,
        "grain": grain(profile, window),
        "attribution": profile.attribution,
    }
    return Rendered(file_name(profile, window), data, rows, options, left_out, header_lines=1)
