"""The day per queue, as a WFM analyst reads it in the Dagster UI.

In: the day's ``wfm.queue_interval`` and ``wfm.queue_interval_service_level`` rows (enqueue
attribution: a contact counts in the interval it entered the queue, as Connect's historical
metrics report does) and ``queue_log.service_level_seconds``. Out: one row per queue and
channel with offered (contacts queued), handled, abandoned, service level %, ASA and AHT for
the whole day, and the same as a Markdown table for asset metadata.

Day figures are ratios of the day's sums, never averages of interval averages: service level
= contacts removed from the queue within X s / contacts queued (Administrator Guide, "Service
level X"); ASA = queue answer time / contacts answered (AVG_QUEUE_ANSWER_TIME); AHT =
(interaction + hold + ACW) / contacts handled (AVG_HANDLE_TIME).
"""

from __future__ import annotations

from typing import Any

import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow

# the day's queue-intervals with their names and service level at %(threshold)s (as ``q``,
# ``n`` and ``s``; enqueue attribution), for this table and the queue heatmap
QUEUE_DAY = """
FROM wfm.queue_interval q
LEFT JOIN wfm.queue n USING (queue_arn)
LEFT JOIN wfm.queue_interval_service_level s
       ON s.day = q.day AND s.attribution = q.attribution AND s.queue_arn = q.queue_arn
      AND s.channel = q.channel AND s.interval_start = q.interval_start
      AND s.threshold_s = %(threshold)s
WHERE q.day = %(day)s AND q.attribution = 'enqueue'
"""

QUERY = f"""
SELECT coalesce(n.queue_name, q.queue_arn) AS queue, q.channel,
       sum(q.contacts_queued) AS offered, sum(q.handled) AS handled,
       sum(q.abandoned) AS abandoned,
       round(100.0 * sum(s.removed_within) / nullif(sum(q.contacts_queued), 0), 2) AS sl_pct,
       round(sum(q.queue_answer_time_s)::numeric / nullif(sum(q.answered), 0), 1) AS asa_s,
       round(sum(q.handle_time_s)::numeric / nullif(sum(q.handled), 0), 1) AS aht_s
{QUEUE_DAY}
GROUP BY 1, 2 HAVING sum(q.contacts_queued) + sum(q.handled) > 0
ORDER BY offered DESC, queue, channel
"""
HEADER = ("queue", "channel", "offered", "handled", "abandoned", "sl_pct", "asa_s", "aht_s")


def day_by_queue(conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow) -> list[dict]:
    """The day's figures per queue and channel, busiest first."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(QUERY, {"day": window.day,
                                   "threshold": cfg.queue_log.service_level_seconds}).fetchall()


def markdown(rows: list[dict[str, Any]], threshold: int) -> str:
    """The rows as a Markdown table (SL at ``threshold`` seconds)."""
    if not rows:
        return "No contacts on this day."
    names = [*HEADER[:5], f"SL {threshold}s %", "ASA s", "AHT s"]
    lines = ["| " + " | ".join(names) + " |", "|---|---|" + "---:|" * 6]
    for row in rows:
        cells = [str(row[k]).replace("|", "\\|") if row[k] is not None else "–" for k in HEADER]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
