"""Calabrio WFM (Teleopti) agent statistics file ("agent log") for one day.

In: ``wfm.agent_queue_interval`` (the contacts each agent handled, per queue, under the
profile's attribution, ``enqueue`` by default), ``wfm.agent_interval_activity`` (each agent's
time, split at interval boundaries by when it happened), ``wfm.agent`` and ``wfm.queue`` for
numeric ids (``agent_ids`` / ``queue_ids`` in the config, else the stable ids), and the profile.

Out: ``calabrio_agent_<profile>_<yyyymmdd>.csv``: UTF-8, no header, the profile's delimiter,
LF line ends, 19 fields per row (``shared/reference/wfm-formats.md`` section 2), whole seconds,
0 where there is nothing; plus its manifest. Two kinds of row per agent and interval, in
chronological order, then by agent id and queue id:

- one per queue the agent handled contacts of: tot_work_dur = handle time (interaction + hold
  + ACW); talking_call_dur = interaction + customer hold of the contacts not initiated
  OUTBOUND; wrap_up_dur = ACW; answ_call_cnt = handled contacts not initiated OUTBOUND;
  direct_out_call_cnt / _dur = handled OUTBOUND contacts and their interaction + hold;
  transfer_out_call_cnt = transferred out internally or externally; the state durations 0.
- one on ``default_queue_id`` (wfm-formats: time on no particular queue) when the agent was
  logged in or took direct contacts: avail_dur = online time, pause_dur = non-productive
  (custom status) time, wait_dur = idle time (Available with no contact), and the contacts
  that reached the agent directly (its agent queue): direct_in_call_cnt / _dur, their ACW and
  handle time.

admin_dur is always 0: Connect has no administrative-work state apart from custom statuses,
which are pause_dur. agent_name holds the numeric agent id unless the profile sets
``agent_names: true`` (usernames are personal data). On the autumn DST day the two rows of a
repeated local time are merged (summed), as in the queue log.
"""

from __future__ import annotations

import psycopg

from wfm_connector.config import ExportProfile, WfmConfig
from wfm_connector.exports import ids, values
from wfm_connector.exports.rendered import Rendered
from wfm_connector.intervals import DayWindow

QUERY = """
WITH contacts AS (
    SELECT to_char(x.interval_start AT TIME ZONE %(tz)s, 'YYYYMMDD') AS d,
           to_char(x.interval_start AT TIME ZONE %(tz)s, 'HH24:MI') AS t,
           min(x.interval_start) AS first, x.agent_arn, x.queue_arn,
           sum(x.handle_time_s) AS work,
           sum(x.interaction_s + x.hold_s - x.outbound_talk_s) AS talk,
           sum(x.acw_s) AS acw, sum(x.handled - x.handled_outbound) AS answered,
           sum(x.handled_outbound) AS out_cnt, sum(x.outbound_talk_s) AS out_dur,
           sum(x.transferred_out_internal + x.transferred_out_external) AS transfers
    FROM wfm.agent_queue_interval x
    WHERE x.day = %(day)s AND x.attribution = %(attribution)s
    GROUP BY 1, 2, x.agent_arn, x.queue_arn
), activity AS (
    SELECT to_char(a.interval_start AT TIME ZONE %(tz)s, 'YYYYMMDD') AS d,
           to_char(a.interval_start AT TIME ZONE %(tz)s, 'HH24:MI') AS t,
           min(a.interval_start) AS first, a.agent_arn,
           round(sum(a.online_s))::bigint AS avail, round(sum(a.npt_s))::bigint AS pause,
           round(sum(a.idle_s))::bigint AS wait
    FROM wfm.agent_interval_activity a
    WHERE a.day = %(day)s
    GROUP BY 1, 2, a.agent_arn
), on_queues AS (
    SELECT c.d, c.t, c.first, c.agent_arn,
           coalesce((%(queue_ids)s::jsonb ->> c.queue_arn)::int, q.queue_id) AS queue_id,
           0::bigint AS avail, c.work, c.talk, 0::bigint AS pause, 0::bigint AS wait, c.acw,
           c.answered, c.out_cnt, c.out_dur, 0::bigint AS in_cnt, 0::bigint AS in_dur, c.transfers
    FROM contacts c JOIN wfm.queue q ON q.queue_arn = c.queue_arn
), on_no_queue AS (
    SELECT coalesce(a.d, c.d) AS d, coalesce(a.t, c.t) AS t, least(a.first, c.first) AS first,
           coalesce(a.agent_arn, c.agent_arn) AS agent_arn, %(default_queue_id)s::int AS queue_id,
           coalesce(a.avail, 0), coalesce(c.work, 0), 0::bigint, coalesce(a.pause, 0),
           coalesce(a.wait, 0), coalesce(c.acw, 0), 0::bigint, coalesce(c.out_cnt, 0),
           coalesce(c.out_dur, 0), coalesce(c.answered, 0), coalesce(c.talk, 0),
           coalesce(c.transfers, 0)
    FROM activity a
    FULL JOIN (SELECT * FROM contacts WHERE queue_arn IS NULL) c
      ON c.d = a.d AND c.t = a.t AND c.agent_arn = a.agent_arn
)
SELECT r.d, r.t, r.queue_id,
       coalesce((%(agent_ids)s::jsonb ->> r.agent_arn)::int, g.agent_id) AS agent_id,
       coalesce(g.username, r.agent_arn) AS username, r.*
FROM (SELECT * FROM on_queues UNION ALL SELECT * FROM on_no_queue) r
JOIN wfm.agent g ON g.agent_arn = r.agent_arn
ORDER BY r.first, 4, r.queue_id
"""


def file_name(profile: ExportProfile, window: DayWindow) -> str:
    """Unique per profile and day, so a re-export replaces the file."""
    return f"calabrio_agent_{profile.name}_{window.day:%Y%m%d}.csv"


def render(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> tuple[bytes, int]:
    """The file's bytes and row count."""
    minutes = int(window.interval.total_seconds() // 60)
    params = {
        "day": window.day,
        "attribution": profile.attribution,
        "tz": cfg.timezone,
        "default_queue_id": profile.default_queue_id,
        **cfg.id_override_params(),
    }
    ids.check_distinct(conn, "queue", cfg.queue_ids)
    ids.check_distinct(conn, "agent", cfg.agent_ids)
    ids.check_not_reserved(conn, cfg.queue_ids, profile.default_queue_id, "default_queue_id")
    rows = []
    for d, t, queue_id, agent_id, username, *rest in conn.execute(QUERY, params):
        stats = rest[5:]  # after d, t, first, agent_arn, queue_id of the inner row
        if not any(stats):
            continue
        name = username if profile.agent_names else str(agent_id)
        # avail, tot_work, talking, pause, wait, wrap_up, answ, out cnt/dur, in cnt/dur, transfer
        rows.append([minutes, d, t, queue_id, agent_id, name, *stats, 0])
    text, count = values.delimited(rows, profile.delimiter, neutralise=profile.neutralise_formulas)
    return text.encode("utf-8"), count


def build(
    conn: psycopg.Connection, window: DayWindow, profile: ExportProfile, cfg: WfmConfig
) -> Rendered:
    """The day's file and the options the manifest records."""
    data, rows = render(conn, window, profile, cfg)
    options = {
        "timezone": cfg.timezone,
        "interval_minutes": int(window.interval.total_seconds() // 60),
        "attribution": profile.attribution,
        "default_queue_id": profile.default_queue_id,
        "agent_names": profile.agent_names,
    }
    return Rendered(file_name(profile, window), data, rows, options, delimiter=profile.delimiter)
