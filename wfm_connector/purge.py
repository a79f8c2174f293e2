"""Deleting what is older than the configured retention, and saying what was deleted.

In: ``retention_days`` (``raw``, ``quarantine``, ``reconciled``; null keeps a family for ever),
the contact center's time zone and today. Out: a :class:`PurgeReport` (the cut-off of each
family and the rows removed per table) and, unless it is a dry run, the rows gone and
``wfm.purge_state`` recording how far each family was purged.

Cut-offs are whole contact-center days: with ``raw: 90`` on 2026-12-03, everything whose time
is before local midnight starting 2026-09-04 goes:

- raw: agent events and contact events by their event time, contact record versions by their
  ``LastUpdateTimestamp``; days before the cut-off are dropped from ``wfm.dirty_day``. A day
  whose raw data was purged keeps its reconciled tables, and reconciling it again is refused
  (:func:`check_not_purged`): rebuilt from nothing, its figures would vanish;
- quarantine: by when the record was quarantined;
- reconciled: the agent, queue and adherence tables, adherence exceptions, export ledgers by
  day, and schedule activities that ended before the cut-off.

A purge and a day's rebuild exclude each other: the purge holds the advisory lock
``PURGE_LOCK`` exclusively for its transaction, and each rebuild checks the purge state inside its
own transaction under the same lock shared (:func:`check_not_purged`), so a rebuild either
sees the raw data whole or is refused; it never reads a day half deleted.

Object ledgers and stream checkpoints stay (they hold no personal data, and without them old
objects would be read again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow

# table -> the condition on its rows older than the cut-off (%(cutoff)s timestamptz,
# %(day)s the first day kept)
RAW = {
    "agent_event_raw": "event_ts < %(cutoff)s",
    "contact_event_raw": "event_ts < %(cutoff)s",
    "contact_record_raw": "last_update_ts < %(cutoff)s",
    "dirty_day": "day < %(day)s",
    "day_change": "day < %(day)s",
}
QUARANTINE = {"quarantine": "quarantined_at < %(cutoff)s"}
RECONCILED = {
    **{t: "day < %(day)s" for t in (
        "agent_state_timeline", "agent_interval_states", "agent_interval_activity",
        "queue_interval", "queue_interval_service_level", "agent_queue_interval",
        "adherence_interval", "adherence_day", "adherence_exception", "adherence_now",
        "queue_intraday", "export_generation", "export_delivery", "day_build")},  # fmt: skip
    "schedule_activity": "end_ts < %(cutoff)s",
}
FAMILIES = {"raw": RAW, "quarantine": QUARANTINE, "reconciled": RECONCILED}
PURGE_LOCK = "wfm:purge"


class DayPurged(ValueError):
    """The day's raw data was purged: its reconciled tables are final."""


@dataclass
class PurgeReport:
    """What a purge removed (or, dry, would remove)."""

    dry_run: bool
    cutoffs: dict[str, datetime | None] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows removed in all tables."""
        return sum(self.removed.values())


def cutoff(days: int | None, today: date, tz: ZoneInfo) -> tuple[date, datetime] | None:
    """(first day kept, its local midnight) for a retention of ``days``, or None."""
    if days is None:
        return None
    first = today - timedelta(days=days)
    return first, datetime(first.year, first.month, first.day, tzinfo=tz)


def purge(
    conn: psycopg.Connection, cfg: WfmConfig, today: date | None = None, dry_run: bool = False
) -> PurgeReport:
    """Delete (or count, when ``dry_run``) every row older than its family's retention."""
    tz = cfg.tz
    today = today or datetime.now(tz).date()
    report = PurgeReport(dry_run)
    retention = cfg.retention_days
    with conn.transaction():
        if not dry_run:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (PURGE_LOCK,))
        for family, tables in FAMILIES.items():
            found = cutoff(getattr(retention, family), today, tz)
            report.cutoffs[family] = found[1] if found else None
            if found is None:
                continue
            params = {"day": found[0], "cutoff": found[1]}
            for table, older in tables.items():
                verb = "SELECT count(*) FROM" if dry_run else "WITH gone AS (DELETE FROM"
                tail = "" if dry_run else " RETURNING 1) SELECT count(*) FROM gone"
                sql = f"{verb} wfm.{table} WHERE {older}{tail}"
                report.removed[table] = conn.execute(sql, params).fetchone()[0]
            if not dry_run:
                conn.execute(
                    "INSERT INTO wfm.purge_state (family, purged_before) VALUES (%s, %s) "
                    "ON CONFLICT (family) DO UPDATE SET purged_before = greatest("
                    "wfm.purge_state.purged_before, EXCLUDED.purged_before), purged_at = now()",
                    (family, found[1]),
                )
    return report


def check_not_purged(conn: psycopg.Connection | psycopg.Cursor, window: DayWindow) -> None:
    """Raise :class:`DayPurged` when the day's raw data is (partly) gone.

    Call it inside the rebuild's transaction: it holds the purge lock shared until the commit,
    so no purge deletes the day's raw data while the rebuild reads it.
    """
    conn.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (PURGE_LOCK,))
    row = conn.execute(
        "SELECT purged_before FROM wfm.purge_state WHERE family = 'raw'"
    ).fetchone()
    # reconciling reads an hour of events before the day (the state carried over midnight)
    if row is not None and window.start - timedelta(hours=1) < row[0]:
        raise DayPurged(
            f"{window.day}: its raw data was purged (retention_days.raw: everything before "
            f"{row[0].isoformat()}); its reconciled tables are final and are not rebuilt"
        )
