"""Data-quality checks of one day, as the Dagster asset checks run them.

In: a connection, the configuration, a day's window, and for ingest the run's counts. Out: a
:class:`Outcome` per check (passed, a one-line description, and metadata: counts and a few
offending rows), never an exception for bad data.

- :func:`quarantine_rate`: the share of a run's records a stream quarantined is at most
  ``checks.max_quarantine_rate`` (a source delivering garbage stops the day's exports);
- :func:`activity_identity`: in every row of ``agent_interval_activity`` the seven wall-clock
  activities sum exactly to online time plus on-contact time under Offline (README,
  Definitions: each instant has exactly one activity);
- :func:`queue_outcomes_within_queued`: in every ``queue_interval`` row the queued contacts
  that were answered, abandoned or left for a callback are at most the contacts queued (each
  queued contact leaves the queue once). This is "handled <= offered" made exact: Connect's
  Contacts handled counts outbound and API contacts that never queued, so ``handled`` may
  rightly exceed ``contacts_queued``; ``answered`` is the handled contacts that queued;
- :func:`contact_events_agree`: every contact queued in a queue-interval that ended at least
  ``checks.contact_records_settle_minutes`` ago is told alike by the contact events alone
  (the intraday view's rules) and its newest contact record (``queue_interval``'s rules):
  both have it, in the same queue, channel and interval, answered or not. A contact that
  ended less than the settle time ago needs no record yet. Contact events come at best
  effort and records once a contact ends, so a difference warns; abandoned is not compared,
  as the events carry no disconnect reason (README, Definitions);
- :func:`freshness`: for today's partition, the newest agent event trails the last closed
  interval by at most ``checks.max_watermark_delay_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow


@dataclass(frozen=True)
class Outcome:
    """One check's result."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def quarantine_rate(cfg: WfmConfig, stream: str, read: int, quarantined: int) -> Outcome:
    """A run's quarantined share of what it read, against the configured maximum."""
    limit = cfg.checks.max_quarantine_rate
    rate = quarantined / read if read else 0.0
    passed = rate <= limit
    verdict = "within" if passed else "above"
    return Outcome(passed, f"{stream}: {quarantined:,} of {read:,} records quarantined "
                   f"({rate:.2%}), {verdict} checks.max_quarantine_rate {limit:.2%}",
                   {"read": read, "quarantined": quarantined, "rate": round(rate, 6)})  # fmt: skip


IDENTITY = """
SELECT agent_arn, interval_start, online_s + offline_contact_s AS expected,
       talk_wall_s + hold_wall_s + paused_wall_s + acw_wall_s + ringing_wall_s + error_wall_s
         + no_contact_s AS activities
FROM wfm.agent_interval_activity WHERE day = %(day)s
"""


def _breaking(
    conn: psycopg.Connection, query: str, broken: str, order: str, window: DayWindow
) -> tuple[int, int, list[tuple]]:
    """(rows of ``query``, rows where ``broken`` holds, the first five of those)."""
    params = {"day": window.day}
    rows, bad = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {broken}) FROM ({query}) t", params
    ).fetchone()
    examples = conn.execute(
        f"SELECT * FROM ({query}) t WHERE {broken} ORDER BY {order} LIMIT 5", params
    ).fetchall()
    return rows, bad, examples


def activity_identity(conn: psycopg.Connection, window: DayWindow) -> Outcome:
    """Rows of the day whose activities do not sum to online (+ Offline on-contact) time."""
    rows, bad, examples = _breaking(
        conn, IDENTITY, "expected <> activities", "interval_start, agent_arn", window
    )
    text = "; ".join(f"{a} {s.isoformat()}: online+offline-contact {e}, activities {v}"
                     for a, s, e, v in examples)  # fmt: skip
    return Outcome(bad == 0, f"{bad:,} of {rows:,} agent-intervals break the identity"
                   + (f" (e.g. {text})" if text else ""),
                   {"rows": rows, "failing_rows": bad})  # fmt: skip


OUTCOMES = """
SELECT attribution, queue_arn, channel, interval_start, contacts_queued,
       answered + abandoned + callback_requested AS left_queue
FROM wfm.queue_interval WHERE day = %(day)s
"""


def queue_outcomes_within_queued(conn: psycopg.Connection, window: DayWindow) -> Outcome:
    """Queue-intervals of the day with more queue outcomes than contacts queued."""
    rows, bad, examples = _breaking(
        conn, OUTCOMES, "left_queue > contacts_queued",
        "interval_start, queue_arn, channel, attribution", window,
    )  # fmt: skip
    text = "; ".join(f"{q} {c} {s.isoformat()} ({a}): queued {n}, answered + abandoned + "
                     f"callback {left}" for a, q, c, s, n, left in examples)  # fmt: skip
    return Outcome(bad == 0, f"{bad:,} of {rows:,} queue-intervals have more queue outcomes "
                   "than contacts queued" + (f" (e.g. {text})" if text else ""),
                   {"rows": rows, "failing_rows": bad})  # fmt: skip


def freshness(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, today: bool,
    now: datetime | None = None,
) -> Outcome:  # fmt: skip
    """For today: how far the newest agent event trails the last closed interval."""
    from wfm_connector.pipeline import watermark

    if not today:
        return Outcome(True, f"{window.day} is not today: freshness applies to today only")
    newest, delay = watermark(conn, "agent_event_raw", window, now)
    limit = cfg.checks.max_watermark_delay_minutes * 60
    if newest is None:
        return Outcome(False, "no agent event of today is stored yet", {"limit_s": limit})
    passed = delay <= limit
    return Outcome(passed, f"newest agent event {newest.isoformat()} trails the last closed "
                   f"interval by {delay:,.0f} s (limit {limit:,} s)",
                   {"delay_s": round(delay), "limit_s": limit})  # fmt: skip


# Each contact of the day's settled queue-intervals as the contact events alone tell it (the
# intraday view's rules) next to its newest contact record (queue_interval's rules): a verdict
# per contact. A contact still open, or ended too lately for its record to be due, has none. A
# pair counts when the earlier of its two intervals has settled.
AGREEMENT = """
WITH events AS (
    SELECT * FROM ({contacts}) c
), latest AS (
    SELECT DISTINCT ON (r.contact_id) r.contact_id, r.queue_arn, r.channel, r.enqueue_ts,
           r.connected_to_agent_ts IS NOT NULL AS answered
    FROM wfm.contact_record_raw r
    WHERE r.contact_id IN (SELECT contact_id FROM wfm.contact_record_raw
                           WHERE enqueue_ts >= %(day_start)s AND enqueue_ts < %(day_end)s)
    ORDER BY r.contact_id, r.last_update_ts DESC
), records AS (
    SELECT l.*, floor(extract(epoch FROM l.enqueue_ts - %(day_start)s) / %(step_s)s)::int AS idx
    FROM latest l
    WHERE l.enqueue_ts >= %(day_start)s AND l.enqueue_ts < %(day_end)s
      AND l.queue_arn NOT LIKE '%%/queue/agent/%%'
), paired AS (
    SELECT coalesce(e.contact_id, r.contact_id) AS contact_id,
           CASE WHEN r.contact_id IS NULL AND e.disconnect_ts <= %(overdue)s
                    THEN 'no contact record'
                WHEN r.contact_id IS NULL THEN NULL  -- open, or not ended long enough ago
                WHEN e.contact_id IS NULL THEN 'no contact event'
                WHEN (e.queue_arn, e.channel, e.idx, e.answered)
                     IS DISTINCT FROM (r.queue_arn, r.channel, r.idx, r.answered)
                    THEN 'counted differently'
                ELSE 'agrees' END AS verdict,
           e.queue_arn AS events_queue, e.channel AS events_channel,
           %(day_start)s + e.idx * %(step)s AS events_interval, e.answered AS events_answered,
           r.queue_arn AS record_queue, r.channel AS record_channel,
           %(day_start)s + r.idx * %(step)s AS record_interval, r.answered AS record_answered
    FROM events e
    FULL JOIN records r ON r.contact_id = e.contact_id
    WHERE %(day_start)s + (least(e.idx, r.idx) + 1) * %(step)s <= %(cutoff)s
), judged AS (
    SELECT p.*, count(*) OVER (PARTITION BY verdict) AS n,
           row_number() OVER (PARTITION BY verdict = 'agrees'
                              ORDER BY least(events_interval, record_interval), contact_id) AS k,
           row_number() OVER (PARTITION BY verdict ORDER BY contact_id) AS kv
    FROM paired p
    WHERE verdict IS NOT NULL
)
SELECT j.verdict, j.n, j.k, j.contact_id,
       coalesce(qe.queue_name, j.events_queue), j.events_channel, j.events_interval,
       j.events_answered,
       coalesce(qr.queue_name, j.record_queue), j.record_channel, j.record_interval,
       j.record_answered
FROM judged j
LEFT JOIN wfm.queue qe ON qe.queue_arn = j.events_queue
LEFT JOIN wfm.queue qr ON qr.queue_arn = j.record_queue
WHERE j.k <= 5 OR j.kv = 1  -- the first five differences, and every verdict's count
"""
_PROBLEMS = ("no contact record", "no contact event", "counted differently")


def contact_events_agree(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, now: datetime | None = None
) -> Outcome:
    """Contacts of settled queue-intervals the contact events and contact records differ on."""
    from wfm_connector.reconcile.run import intraday_contacts_sql, intraday_params

    now = now or datetime.now(UTC)
    settle = cfg.checks.contact_records_settle_minutes
    # Intervals that ended at least the settle time ago; what happened to their contacts is
    # looked up to a day after the day (a contact queued at 23:50 may be answered at 00:05).
    cutoff = min(now - timedelta(minutes=settle), window.end)
    params = intraday_params(window, cfg, min(now, window.end + timedelta(days=1)),
                             with_records=False, cap=False)  # fmt: skip
    params.update(cutoff=cutoff, overdue=now - timedelta(minutes=settle))
    stored = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM wfm.contact_event_raw WHERE event_ts >= %(day_start)s "
        "AND event_ts < %(day_end)s)", params,
    ).fetchone()[0]  # fmt: skip
    if not stored:  # no contact-events source, or none yet: records alone prove nothing
        return Outcome(True, f"no contact events of {window.day} are stored: nothing to compare",
                       {"compared": 0, "differing": 0})  # fmt: skip
    rows = conn.execute(AGREEMENT.replace("{contacts}", intraday_contacts_sql()), params)
    counts: dict[str, int] = {}
    examples = []
    for verdict, n, k, cid, *sides in rows:
        counts[verdict] = n
        if verdict != "agrees" and k <= 5:
            examples.append((cid, verdict, *sides))
    examples.sort(key=lambda e: (min(t for t in (e[4], e[8]) if t is not None), e[0]))
    compared = sum(counts.values())
    differing = sum(counts.get(p, 0) for p in _PROBLEMS)
    tz = cfg.tz
    local_cutoff = cutoff.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    def side(queue, channel, start, answered) -> str:
        if queue is None:
            return "nothing"
        when = start.astimezone(tz).strftime("%H:%M")
        return f"{queue} {channel} {when} {'answered' if answered else 'unanswered'}"

    text = "; ".join(f"{cid} ({verdict}): events {side(*sides[:4])}, record {side(*sides[4:])}"
                     for cid, verdict, *sides in examples[:5])  # fmt: skip
    parts = [f"{counts[p]:,} {p}" for p in _PROBLEMS if counts.get(p)]
    return Outcome(
        differing == 0,
        f"{differing:,} of {compared:,} contacts queued in queue-intervals that ended at or "
        f"before {local_cutoff} differ between the contact events and the contact records"
        + (f": {', '.join(parts)}" if parts else "")
        + (f" (e.g. {text})" if text else "")
        + f"; a contact that ended under {settle} min ago needs no record yet",
        {"compared": compared, "differing": differing,
         **{p.replace(" ", "_"): counts.get(p, 0) for p in _PROBLEMS}},
    )  # fmt: skip
