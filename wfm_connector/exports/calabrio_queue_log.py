"""Calabrio WFM (Teleopti) queue statistics file ("queue log") for one day.

In: ``wfm.queue_interval`` (and ``wfm.queue_interval_service_level`` at the configured
``queue_log.service_level_seconds``) rows of the day under the profile's attribution
(Calabrio expects ``enqueue``: a contact counts in the interval it arrived in the queue),
``wfm.queue`` for the numeric queue ids (``queue_ids`` in the config, else the stable id
derived from the ARN) and current names, and the profile (delimiter, target).

Out: ``calabrio_queue_<profile>_<yyyymmdd>.csv``: UTF-8, no header, one row per queue per
interval in chronological order, 21 fields (``shared/reference/wfm-formats.md`` section 1),
0 where there is no data, LF line ends, names made safe and quoted where needed
(:mod:`wfm_connector.exports.values`); plus its manifest. Channels of one queue are summed into the
queue's row. Mapping from the reconciled columns:

- offd_direct_call_cnt = offered_direct, overflow_in_call_cnt = transferred_in,
  overflow_out_call_cnt = transferred_out_from_queue (left the queue unanswered for another
  queue); answ_call_cnt = handled (outbound contacts of an outbound queue included, so its
  handle time has its count); ans_servicelevel_cnt = answered within the service level;
  aband_within_sl_cnt = abandoned within the service level but not short abandons;
- talking_call_dur = interaction + customer hold, so Calabrio's AHT
  ((talk + wrap-up) / answered) equals Connect's AHT (interaction + hold + ACW);
- avg_avail_member_cnt = agent-available seconds / interval seconds (2 decimals);
  wait_dur = agent-available seconds, rounded to whole seconds.
- On the autumn DST day the repeated local hour would give two rows with the same date, time
  and queue; they are merged into one (counts and durations summed, longest = max,
  avg_avail averaged), so the file has one row per local label as Calabrio expects.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg

from wfm_connector.config import ExportProfile, WfmConfig
from wfm_connector.exports import ids, values
from wfm_connector.exports.rendered import Rendered
from wfm_connector.intervals import DayWindow

QUERY = """
SELECT to_char(h.interval_start AT TIME ZONE %(tz)s, 'YYYYMMDD') AS local_date,
       to_char(h.interval_start AT TIME ZONE %(tz)s, 'HH24:MI') AS local_time,
       coalesce((%(queue_ids)s::jsonb ->> q.queue_arn)::int, q.queue_id) AS queue_id,
       coalesce(q.queue_name, q.queue_arn),
       sum(h.offered_direct), sum(h.transferred_in), sum(h.abandoned),
       sum(h.transferred_out_from_queue),
       sum(h.handled), sum(h.queue_answer_time_s), sum(h.queue_abandon_time_s),
       sum(h.interaction_s + h.hold_s), sum(h.acw_s),
       max(h.longest_answer_s), max(h.longest_abandon_s),
       -- availability is per queue, repeated on each channel row: count it once
       round(sum(h.agent_available_s) / count(DISTINCT h.channel)
             / (%(step_s)s * count(DISTINCT h.interval_start)), 2),
       coalesce(sum(s.answered_within), 0),
       round(sum(h.agent_available_s) / count(DISTINCT h.channel))::bigint,
       sum(h.abandoned_short),
       greatest(coalesce(sum(s.abandoned_within), 0) - sum(h.abandoned_short), 0)
FROM wfm.queue_interval h
LEFT JOIN wfm.queue_interval_service_level s
  ON s.attribution = h.attribution AND s.queue_arn = h.queue_arn AND s.channel = h.channel
 AND s.interval_start = h.interval_start AND s.threshold_s = %(service_level_s)s
JOIN wfm.queue q ON q.queue_arn = h.queue_arn
WHERE h.day = %(day)s AND h.attribution = %(attribution)s
GROUP BY local_date, local_time, 3, q.queue_name, q.queue_arn
ORDER BY min(h.interval_start), 3
"""


# Queues Connect told us about (contact records, agent events) with no contact of the day.
QUIET_QUEUES = """
SELECT coalesce(q.queue_name, q.queue_arn) FROM wfm.queue q
WHERE NOT EXISTS (SELECT 1 FROM wfm.queue_interval h
                  WHERE h.day = %(day)s AND h.attribution = %(attribution)s
                    AND h.queue_arn = q.queue_arn)
ORDER BY 1
"""


def file_name(profile: ExportProfile, window: DayWindow) -> str:
    """Unique per profile and day, so a re-export replaces the file."""
    return f"calabrio_queue_{profile.name}_{window.day:%Y%m%d}.csv"


def render(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> tuple[bytes, int]:
    """The file's bytes and row count."""
    minutes = int(window.interval.total_seconds() // 60)
    params = {
        "day": window.day,
        "attribution": profile.attribution,
        "step_s": int(window.interval.total_seconds()),
        "tz": cfg.timezone,
        "service_level_s": cfg.queue_log.service_level_seconds,
        **cfg.id_override_params(),
    }
    rows: list[list[object]] = []
    ids.check_distinct(conn, "queue", cfg.queue_ids)
    with conn.cursor() as cur:
        cur.execute(QUERY, params)
        for local_date, local_time, queue_id, queue_name, *stats in cur:
            # avg_avail_member_cnt (the 12th statistic) always with two decimals
            stats[11] = Decimal(f"{stats[11]:.2f}")
            rows.append([minutes, local_date, local_time, queue_id, queue_name, *stats])
    text, count = values.delimited(rows, profile.delimiter, neutralise=profile.neutralise_formulas)
    return text.encode("utf-8"), count


def build(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> Rendered:
    """The day's file and the options the manifest records."""
    data, rows = render(conn, window, profile, cfg)
    # A queue with no contact at all that day has no row (Calabrio takes a missing queue as
    # "nothing happened"); the manifest names them so nobody wonders where one went.
    quiet = conn.execute(
        QUIET_QUEUES, {"day": window.day, "attribution": profile.attribution}
    ).fetchall()
    left_out = {f"queue {values.clean_text(n, False)}: no contacts this day": 1 for (n,) in quiet}
    options = {
        "timezone": cfg.timezone,
        "service_level_seconds": cfg.queue_log.service_level_seconds,
        "service_level_comparison": cfg.queue_log.service_level_comparison,
        "interval_minutes": int(window.interval.total_seconds() // 60),
        "attribution": profile.attribution,
    }
    return Rendered(file_name(profile, window), data, rows, options, left_out,
                    delimiter=profile.delimiter)  # fmt: skip
