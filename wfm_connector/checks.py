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
- :func:`contact_events_agree`: in every queue-interval that ended at least
  ``checks.contact_records_settle_minutes`` ago, the contact events (the intraday view, from
  the events alone) and the contact records (``queue_interval``, enqueue attribution) count
  the same contacts queued and answered. Contact events come at best effort and records
  only once a contact ends, so a difference warns; abandoned is not compared, as the events
  carry no disconnect reason (README, Definitions);
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


RECORDS = """
SELECT q.queue_arn, q.channel, q.interval_start, q.contacts_queued, q.answered,
       coalesce(n.queue_name, q.queue_arn) AS queue
FROM wfm.queue_interval q LEFT JOIN wfm.queue n USING (queue_arn)
WHERE q.day = %(day)s AND q.attribution = 'enqueue' AND q.interval_start + %(step)s <= %(cutoff)s
  AND (q.contacts_queued > 0 OR q.answered > 0)
"""


def contact_events_agree(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, now: datetime | None = None
) -> Outcome:
    """Settled queue-intervals where contact events and contact records count differently."""
    from wfm_connector.reconcile.run import queue_intraday_rows

    now = now or datetime.now(UTC)
    # intervals that ended at least the settle time ago (all of a day long past)
    cutoff = min(now - timedelta(minutes=cfg.checks.contact_records_settle_minutes), window.end)
    events = {
        (r["queue_arn"], r["channel"], r["interval_start"]): (r["queued"], r["answered"])
        for r in queue_intraday_rows(conn, window, cfg, now, with_records=False)
        if r["interval_start"] + window.interval <= cutoff
    }
    records, names = {}, {}
    params = {"day": window.day, "step": window.interval, "cutoff": cutoff}
    for arn, channel, start, queued, answered, name in conn.execute(RECORDS, params):
        records[(arn, channel, start)] = (queued, answered)
        names[arn] = name
    if not events or not records:
        missing = "contact events" if not events else "contact records"
        return Outcome(True, f"no {missing} of an interval of {window.day} that ended before "
                       f"{cutoff.isoformat()} are stored: nothing to compare",
                       {"compared": 0, "differing": 0})  # fmt: skip
    keys = sorted(events.keys() | records.keys(), key=lambda k: (k[2], k[0], k[1]))
    differing = [k for k in keys if events.get(k, (0, 0)) != records.get(k, (0, 0))]

    def said(key: tuple) -> str:
        (eq, ea), (rq, ra) = events.get(key, (0, 0)), records.get(key, (0, 0))
        name, channel, start = names.get(key[0], key[0]), key[1], key[2].isoformat()
        return (f"{name} {channel} {start}: contact events queued {eq} answered {ea}, "
                f"contact records queued {rq} answered {ra}")  # fmt: skip

    text = "; ".join(said(k) for k in differing[:5])
    return Outcome(
        not differing,
        f"{len(differing):,} of {len(keys):,} queue-intervals that ended before "
        f"{cutoff.isoformat()} differ in contacts queued or answered between the contact "
        "events and the contact records" + (f" (e.g. {text})" if text else ""),
        {"compared": len(keys), "differing": len(differing)},
    )
