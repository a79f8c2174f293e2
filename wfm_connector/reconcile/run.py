"""Reconciliation of one contact-center day, set-based in PostgreSQL.

In: the raw tables (``wfm.agent_event_raw``, ``wfm.contact_record_raw``) and the dimension
``wfm.routing_profile_queue``; a :class:`~wfm_connector.intervals.DayWindow`; the config's
status mapping, event-gap and heartbeat limits and queue thresholds.

Out (each day replaced as a whole, so re-running a day changes nothing):

- agents (:func:`reconcile_agent_states`): ``wfm.agent_state_timeline`` (each agent's day as
  segments of status, wall-clock activity and contacts), ``wfm.agent_interval_states`` (seconds
  per agent, interval, status and activity), ``wfm.agent_interval_activity`` (one row per
  agent and interval with Connect's agent metrics);
- adherence (:func:`reconcile_adherence`, after the agents): the day's schedule adherence
  (``wfm.adherence_interval``, ``wfm.adherence_day``, ``wfm.adherence_exception``) and, with
  :func:`adherence_now`, the intraday view;
- the intraday queue view (:func:`queue_intraday`, from the contact events alone or with
  the contact records filling lost events): ``wfm.queue_intraday`` as known at an instant;
- queues (:func:`reconcile_queue_statistics`, after the agents, whose idle time it uses):
  ``wfm.queue_interval``, ``wfm.queue_interval_service_level`` and
  ``wfm.agent_queue_interval``, under both interval attributions.

The SQL lives next to this module, one statement per file, each citing the Connect definition
it implements; this module only binds parameters and runs the statements in one transaction
per family. The day's intermediate sets (``agent_pieces``, ``contact_facts``) are temporary
tables dropped at commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow
from wfm_connector.purge import check_not_purged

SQL_DIR = Path(__file__).resolve().parent
# A silence longer than this is not "unknown while logged in" but a lost LOGOUT; it is also how
# far beyond a day an agent event can shape it (ingest marks that hour's day dirty too).
LOOKBACK = timedelta(hours=1)


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
    agent_queue_interval_rows: int = 0
    adherence_agents: int = 0


def _params(window: DayWindow, cfg: WfmConfig) -> dict[str, Any]:
    queue = cfg.queue_log
    return {
        "day": window.day,
        "now": datetime.now(UTC),
        "day_start": window.start,
        "day_end": window.end,
        "step": window.interval,
        "step_s": int(window.interval.total_seconds()),
        "intervals": len(window.interval_starts()),
        "max_gap": timedelta(seconds=cfg.max_event_gap_seconds),
        "heartbeat": timedelta(seconds=cfg.heartbeat_seconds),
        "lookback": LOOKBACK,
        "overrides": orjson.dumps({k: v.value for k, v in cfg.status_overrides.items()}).decode(),
        "names": orjson.dumps({k: v.value for k, v in cfg.status_categories.items()}).decode(),
        "thresholds": list(queue.thresholds),
        "inclusive": queue.service_level_comparison == "LTE",
        "short_abandon_s": queue.short_abandon_seconds,
        "exception_min_s": cfg.schedules.exception_min_seconds,
    }


def _lock_day(cur: psycopg.Cursor, what: str, window: DayWindow) -> None:
    """Serialise rebuilds of one day, and refuse it when its raw data was purged.

    Concurrent rebuilds happen when a refresh overruns the next one; no purge can start until
    this transaction ends.
    """
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"wfm:{what}:{window.day}",))
    check_not_purged(cur, window)


def _replace(cur: psycopg.Cursor, tables: tuple[str, ...], params: dict[str, Any]) -> None:
    for table in tables:
        cur.execute(f"DELETE FROM wfm.{table} WHERE day = %(day)s", params)


def reconcile_agent_states(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig
) -> ReconcileStats:
    """Rebuild the day's agent timeline, interval states and interval activity."""
    params = _params(window, cfg)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "agents", window)
        # Rebuilt from what is stored now; data arriving later moves marked_at past this.
        cur.execute(
            "UPDATE wfm.dirty_day SET agents_rebuilt_at = now() WHERE day = %(day)s", params
        )
        _replace(
            cur,
            ("agent_interval_activity", "agent_interval_states", "agent_state_timeline"),
            params,
        )
        cur.execute(sql("agent_state_timeline"), params)
        segments = cur.rowcount
        cur.execute(sql("agent_pieces"), params)
        cur.execute("ANALYZE agent_pieces")
        cur.execute(sql("agent_interval_states"), params)
        cur.execute(sql("agent_interval_activity"), params)
        return ReconcileStats(timeline_segments=segments, agent_interval_rows=cur.rowcount)


def reconcile_adherence(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig
) -> ReconcileStats:
    """Rebuild the day's schedule adherence from the schedule in force and the agent timeline.

    Needs the day's ``wfm.agent_state_timeline`` and ``wfm.agent_interval_states``.
    """
    params = _params(window, cfg)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "agents", window)
        _replace(cur, ("adherence_exception", "adherence_day", "adherence_interval"), params)
        cur.execute(sql("adherence_interval"), params)
        cur.execute(sql("adherence_day"), params)
        adherence_agents = cur.rowcount
        cur.execute(sql("adherence_exception"), params)
        return ReconcileStats(adherence_agents=adherence_agents)


def adherence_now(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig, as_of: datetime | None = None
) -> tuple[datetime, int]:
    """Rebuild the day's intraday adherence view as of ``as_of``.

    ``as_of`` defaults to now, and is at most the day's end. Returns that instant and the number
    of agents scheduled then.
    """
    params = _params(window, cfg)
    moment = min(as_of or params["now"], window.end - timedelta(microseconds=1))
    params["as_of"] = moment
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "agents", window)
        _replace(cur, ("adherence_now",), params)
        cur.execute(sql("adherence_now"), params)
        return moment, cur.rowcount


def intraday_params(
    window: DayWindow,
    cfg: WfmConfig,
    as_of: datetime | None = None,
    with_records: bool = True,
    cap: bool = True,
) -> dict[str, Any]:
    """Parameters of ``queue_intraday_contacts.sql``.

    ``as_of`` (now by default) is at most the day's last instant unless ``cap`` is false (a
    check looking at what happened after the day).
    """
    params = _params(window, cfg)
    as_of = as_of or params["now"]
    params["as_of"] = min(as_of, window.end - timedelta(microseconds=1)) if cap else as_of
    params["with_records"] = with_records
    return params


def intraday_contacts_sql() -> str:
    """The per-contact statement of the intraday view (for the view and its check)."""
    return sql("queue_intraday_contacts")


def queue_intraday(
    conn: psycopg.Connection,
    window: DayWindow,
    cfg: WfmConfig,
    as_of: datetime | None = None,
    with_records: bool = True,
) -> tuple[datetime, int]:
    """Rebuild the day's intraday queue view as it stood at ``as_of``.

    ``as_of`` defaults to now, and is at most the day's last instant. ``with_records`` lets
    the contact records stand in for lost contact events. Returns that instant and the rows
    written.
    """
    params = intraday_params(window, cfg, as_of, with_records)
    view = sql("queue_intraday").replace("{contacts}", intraday_contacts_sql())
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "queue_intraday", window)
        _replace(cur, ("queue_intraday",), params)
        cur.execute(f"INSERT INTO wfm.queue_intraday {view}", params)
        return params["as_of"], cur.rowcount


def reconcile_queue_statistics(
    conn: psycopg.Connection, window: DayWindow, cfg: WfmConfig
) -> ReconcileStats:
    """Rebuild the day's queue and agent-queue statistics (needs the day's agent timeline)."""
    params = _params(window, cfg)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "queues", window)
        # The last rebuild step: the day is clean unless data came after its agent rebuild.
        cur.execute(
            "DELETE FROM wfm.dirty_day WHERE day = %(day)s AND marked_at <= agents_rebuilt_at",
            params,
        )
        _replace(
            cur, ("queue_interval_service_level", "queue_interval", "agent_queue_interval"), params
        )
        cur.execute(sql("contact_facts"), params)
        cur.execute("ANALYZE contact_facts")
        cur.execute(sql("queue_interval"), params)
        queue_rows = cur.rowcount
        cur.execute(sql("queue_interval_service_level"), params)
        cur.execute(sql("agent_queue_interval"), params)
        return ReconcileStats(
            queue_interval_rows=queue_rows, agent_queue_interval_rows=cur.rowcount
        )
