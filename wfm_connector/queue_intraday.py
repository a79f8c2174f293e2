"""Today per queue from the contact events, before the contact records arrive.

In: a connection, the configuration, a day's window and an instant (``as_of``: now for
today, the day's last instant for a past day). Out:

- :func:`build`: ``wfm.queue_intraday`` rebuilt as it stood at ``as_of`` (the SQL and every
  definition are in ``reconcile/queue_intraday_contacts.sql`` and ``queue_intraday.sql``):
  per queue, channel and interval of
  enqueue, contacts queued, answered, abandoned, callback requested, transferred out from the
  queue, still in queue and the longest wait now;
- :func:`by_queue` and :func:`markdown`: the same per queue and channel for the whole day so
  far, as a WFM analyst reads it in the Dagster UI: in queue now and the longest wait now
  (Connect's real-time CONTACTS_IN_QUEUE and OLDEST_CONTACT_AGE), and the day's counts.

The contact-record tables (``queue_interval``) replace this view for closed intervals: their
figures are final and carry what events cannot (disconnect reasons, handle times). The check
``checks.contact_events_agree`` compares the two, contact by contact, where both should be
complete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import psycopg.rows

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow
from wfm_connector.reconcile import run

QUERY = """
SELECT coalesce(n.queue_name, i.queue_arn) AS queue, i.channel,
       sum(i.in_queue) AS in_queue, max(i.longest_wait_s) AS longest_wait_s,
       sum(i.queued) AS queued, sum(i.answered) AS answered, sum(i.abandoned) AS abandoned,
       sum(i.callback_requested) AS callback_requested
FROM wfm.queue_intraday i
LEFT JOIN wfm.queue n USING (queue_arn)
WHERE i.day = %(day)s
GROUP BY 1, 2
ORDER BY in_queue DESC, longest_wait_s DESC, queued DESC, queue, channel
"""
HEADER = ("queue", "channel", "in_queue", "longest_wait_s", "queued", "answered", "abandoned",
          "callback_requested")  # fmt: skip
TITLES = ("queue", "channel", "in queue now", "longest wait now s", "queued", "answered",
          "abandoned", "callback requested")  # fmt: skip


def build(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, as_of: datetime | None = None
) -> tuple[datetime, int]:
    """Rebuild the day's view as known at ``as_of`` (now by default); (that instant, rows)."""
    return run.queue_intraday(conn, window, cfg, as_of)


def by_queue(conn: psycopg.Connection, window: DayWindow) -> list[dict[str, Any]]:
    """The stored view per queue and channel, longest queues first."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(QUERY, {"day": window.day}).fetchall()


def markdown(rows: list[dict[str, Any]], as_of: datetime, timezone: str) -> str:
    """The rows as a Markdown table headed by the local time they are as of."""
    from zoneinfo import ZoneInfo

    when = as_of.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")
    if not rows:
        return f"As of {when}: no contact queued on this day yet."
    lines = [f"As of {when}:", "", "| " + " | ".join(TITLES) + " |",
             "|---|---|" + "---:|" * (len(TITLES) - 2)]  # fmt: skip
    for row in rows:
        cells = [str(row[k]).replace("|", "\\|") for k in HEADER]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
