"""Reconciliation of one contact-center day, set-based in PostgreSQL.

In: the raw tables (``wfm.agent_event_raw``, ``wfm.contact_record_raw``) and the dimension
``wfm.routing_profile_queue``; a :class:`~wfm_connector.intervals.DayWindow`; the config's
status categories and queue thresholds.

Out (each day replaced as a whole, so re-running a day changes nothing):
- ``wfm.agent_state_timeline``: each agent's day as (status, activity) segments;
- ``wfm.agent_interval_states``: seconds per agent, interval, status and activity;
- ``wfm.queue_interval_handle_time``: per queue, channel, interval and attribution the
  counts and durations of :file:`queue_interval_handle_time.sql`.

The SQL lives next to this module, one statement per file; this module only binds
parameters and runs the statements in one transaction per table family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import psycopg

from wfm_connector.config import StatusCategory, WfmConfig
from wfm_connector.intervals import DayWindow

SQL_DIR = Path(__file__).resolve().parent


@cache
def sql(name: str) -> str:
    """The statement in ``<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ReconcileStats:
    """Row counts written for one day."""

    timeline_segments: int = 0
    agent_interval_rows: int = 0
    queue_interval_rows: int = 0


def _params(window: DayWindow, cfg: WfmConfig) -> dict[str, Any]:
    names = sorted(cfg.status_categories)
    return {
        "day": window.day,
        "now": datetime.now(UTC),
        "day_start": window.start,
        "day_end": window.end,
        "step": window.interval,
        "step_s": int(window.interval.total_seconds()),
        "intervals": len(window.interval_starts()),
        "max_gap": timedelta(seconds=cfg.max_event_gap_seconds),
        "offline_statuses": [
            n for n in names if cfg.status_categories[n] == StatusCategory.OFFLINE
        ],
        "status_names": names,
        "status_categories": [cfg.status_categories[n].value for n in names],
        "service_level_s": cfg.queue_log.service_level_seconds,
        "short_abandon_s": cfg.queue_log.short_abandon_seconds,
    }


def _lock_day(cur: psycopg.Cursor, what: str, window: DayWindow) -> None:
    """Serialise concurrent rebuilds of one day (a refresh overrunning the next one)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"wfm:{what}:{window.day}",))


def reconcile_agent_states(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig
) -> ReconcileStats:
    """Rebuild the day's agent timeline and agent interval states."""
    params = _params(window, cfg)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "agents", window)
        # Rebuilt from what is stored now; data arriving later moves marked_at past this.
        cur.execute(
            "UPDATE wfm.dirty_day SET agents_rebuilt_at = now() WHERE day = %(day)s", params
        )
        cur.execute("DELETE FROM wfm.agent_interval_states WHERE day = %(day)s", params)
        cur.execute("DELETE FROM wfm.agent_state_timeline WHERE day = %(day)s", params)
        cur.execute(sql("agent_state_timeline"), params)
        segments = cur.rowcount
        cur.execute(sql("agent_interval_states"), params)
        return ReconcileStats(timeline_segments=segments, agent_interval_rows=cur.rowcount)


def reconcile_queue_handle_time(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig
) -> ReconcileStats:
    """Rebuild the day's queue interval handle-time rows (needs the day's agent timeline)."""
    params = _params(window, cfg)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "queues", window)
        # The last rebuild step: the day is clean unless data came after its agent rebuild.
        cur.execute(
            "DELETE FROM wfm.dirty_day WHERE day = %(day)s AND marked_at <= agents_rebuilt_at",
            params,
        )
        cur.execute("DELETE FROM wfm.queue_interval_handle_time WHERE day = %(day)s", params)
        cur.execute(sql("queue_interval_handle_time"), params)
        return ReconcileStats(queue_interval_rows=cur.rowcount)
