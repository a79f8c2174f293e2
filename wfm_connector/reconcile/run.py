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

Incremental rebuilds (``incremental=True``, the intraday refresh): the agent and queue
families rebuild only from the earliest instant new data can change (``wfm.day_change``,
written by ingest), floored to its interval, and from where the tables were complete
(``wfm.day_build``: "now" at the last build, for today): rows before it stay, rows from it
are deleted and written again by the same statements restricted to ``%(from_ts)s`` (the
timeline's segment across that instant is cut there, and joined again with the first new
segment when they are the same). The result equals a whole-day rebuild of the same data;
the whole day is rebuilt anyway when nothing was built yet, the configuration changed (its
fingerprint), or a queue and channel new to the day appear (its earlier intervals need rows).
Nothing is written when nothing changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import LOOKBACK, DayWindow
from wfm_connector.purge import check_not_purged

SQL_DIR = Path(__file__).resolve().parent


@cache
def sql(name: str) -> str:
    """The statement in ``<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ReconcileStats:
    """Row counts of the day's tables after a rebuild."""

    timeline_segments: int = 0
    agent_interval_rows: int = 0
    queue_interval_rows: int = 0
    agent_queue_interval_rows: int = 0
    adherence_agents: int = 0
    rebuilt_from: datetime | None = None  # the instant the rows were rebuilt from (None: none)


def _params(window: DayWindow, cfg: WfmConfig, now: datetime | None = None) -> dict[str, Any]:
    queue = cfg.queue_log
    return {
        "day": window.day,
        "now": now or datetime.now(UTC),
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
        "from_ts": window.start,  # a whole day; an incremental rebuild moves it (_rebuild_from)
        "from_idx": 0,
    }


# what the reconciled tables depend on besides the raw data (with the statements themselves):
# a change rebuilds whole days
_BUILT_WITH = ("day_start", "step_s", "max_gap", "heartbeat", "lookback", "overrides", "names",
               "thresholds", "inclusive", "short_abandon_s")  # fmt: skip


@cache
def _statements_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.glob("*.sql")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fingerprint(params: dict[str, Any]) -> str:
    built_with = {k: str(params[k]) for k in _BUILT_WITH}
    built_with["statements"] = _statements_digest()
    return hashlib.sha256(orjson.dumps(built_with, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _rebuild_from(
    cur: psycopg.Cursor, family: str, window: DayWindow, params: dict[str, Any], incremental: bool
) -> datetime | None:
    """Where the family's tables of the day are rebuilt from: None when nothing changed.

    Takes (deletes) the day's change rows of the family that this rebuild covers: those
    before its "now" (one after it, from a clock ahead of this one, waits for a later one).
    """
    until = min(params["now"], window.end)
    cur.execute(
        "DELETE FROM wfm.day_change WHERE day = %s AND family = %s AND changed_from < %s "
        "RETURNING changed_from",
        (window.day, family, until),
    )
    changes = [row[0] for row in cur.fetchall()]
    if not incremental:
        return window.start
    build = cur.execute(
        "SELECT fingerprint, built_until FROM wfm.day_build WHERE day = %s AND family = %s",
        (window.day, family),
    ).fetchone()
    if build is None or build[0] != _fingerprint(params):
        return window.start
    earliest = max(min([*changes, build[1]]), window.start)
    if earliest >= until:
        return None
    return window.start + (earliest - window.start) // window.interval * window.interval


def _rebuilding(params: dict[str, Any], window: DayWindow, start: datetime) -> None:
    params["from_ts"] = start
    params["from_idx"] = (start - window.start) // window.interval


def _built(cur: psycopg.Cursor, family: str, window: DayWindow, params: dict[str, Any]) -> None:
    cur.execute(
        "INSERT INTO wfm.day_build (day, family, fingerprint, built_until) "
        "VALUES (%s, %s, %s, least(%s::timestamptz, %s)) ON CONFLICT (day, family) DO UPDATE "
        "SET fingerprint = EXCLUDED.fingerprint, built_until = EXCLUDED.built_until, "
        "built_at = now()",
        (window.day, family, _fingerprint(params), params["now"], window.end),
    )


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


def _replace_from(cur: psycopg.Cursor, tables: tuple[str, ...], params: dict[str, Any]) -> None:
    """Delete the day's interval rows from ``from_ts`` on (all of them for a whole day)."""
    for table in tables:
        cur.execute(
            f"DELETE FROM wfm.{table} WHERE day = %(day)s AND interval_start >= %(from_ts)s",
            params,
        )


def reconcile_agent_states(
    conn: psycopg.Connection,
    window: DayWindow,
    cfg: WfmConfig,
    incremental: bool = False,
    now: datetime | None = None,
) -> ReconcileStats:
    """Rebuild the day's agent timeline, interval states and interval activity.

    ``incremental``: only from what changed since the last build (see the module docstring).
    ``now``: the instant nothing is known after (the clock's; tests move it).
    """
    params = _params(window, cfg, now)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "agents", window)
        params["now"] = now or datetime.now(UTC)  # after the wait: a rebuild before it ran
        # Rebuilt from what is stored now; data arriving later moves marked_at past this.
        cur.execute(
            "UPDATE wfm.dirty_day SET agents_rebuilt_at = now() WHERE day = %(day)s", params
        )
        start = _rebuild_from(cur, "agents", window, params, incremental)
        if start is not None:
            _rebuild_agents(cur, window, params, start)
        return ReconcileStats(
            timeline_segments=_day_rows(cur, "agent_state_timeline", window),
            agent_interval_rows=_day_rows(cur, "agent_interval_activity", window),
            rebuilt_from=start,
        )


def _day_rows(cur: psycopg.Cursor, table: str, window: DayWindow) -> int:
    query = f"SELECT count(*) FROM wfm.{table} WHERE day = %s"
    return cur.execute(query, (window.day,)).fetchone()[0]


def _rebuild_agents(
    cur: psycopg.Cursor, window: DayWindow, params: dict[str, Any], start: datetime
) -> None:
    """The agent family's rows of the day from ``start`` on, written again."""
    _rebuilding(params, window, start)
    _replace_from(cur, ("agent_interval_activity", "agent_interval_states"), params)
    # the timeline from the rebuild's start: later segments go, one across it is cut there
    cur.execute(
        "DELETE FROM wfm.agent_state_timeline WHERE day = %(day)s AND start_ts >= %(from_ts)s",
        params,
    )
    cur.execute(
        "UPDATE wfm.agent_state_timeline SET end_ts = %(from_ts)s "
        "WHERE day = %(day)s AND start_ts < %(from_ts)s AND end_ts > %(from_ts)s",
        params,
    )
    cur.execute(sql("agent_state_timeline"), params)
    cur.execute(sql("agent_pieces"), params)
    cur.execute("ANALYZE agent_pieces")
    cur.execute(sql("agent_interval_states"), params)
    cur.execute(sql("agent_interval_activity"), params)
    if start > window.start:
        cur.execute(sql("agent_state_timeline_join"), params)
    _built(cur, "agents", window, params)
    # the queues' agent-available time comes from this timeline: they follow from here
    cur.execute(
        "INSERT INTO wfm.day_change (day, family, changed_from) "
        "VALUES (%(day)s, 'queues', %(from_ts)s)",
        params,
    )


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
    conn: psycopg.Connection,
    window: DayWindow,
    cfg: WfmConfig,
    incremental: bool = False,
    now: datetime | None = None,
) -> ReconcileStats:
    """Rebuild the day's queue and agent-queue statistics (needs the day's agent timeline).

    ``incremental`` and ``now``: as :func:`reconcile_agent_states`.
    """
    params = _params(window, cfg, now)
    with conn.transaction(), conn.cursor() as cur:
        _lock_day(cur, "queues", window)
        params["now"] = now or datetime.now(UTC)  # after the wait: a rebuild before it ran
        # The last rebuild step: the day is clean unless data came after its agent rebuild.
        cur.execute(
            "DELETE FROM wfm.dirty_day WHERE day = %(day)s AND marked_at <= agents_rebuilt_at",
            params,
        )
        start = _rebuild_from(cur, "queues", window, params, incremental)
        if start is not None:
            start = _rebuild_queues(cur, window, params, start)
        return ReconcileStats(
            queue_interval_rows=_day_rows(cur, "queue_interval", window),
            agent_queue_interval_rows=_day_rows(cur, "agent_queue_interval", window),
            rebuilt_from=start,
        )


def _rebuild_queues(
    cur: psycopg.Cursor, window: DayWindow, params: dict[str, Any], start: datetime
) -> datetime:
    """The queue family's rows of the day from ``start`` on (or all), written again; from."""
    tables = ("queue_interval_service_level", "queue_interval", "agent_queue_interval")
    _rebuilding(params, window, start)
    _replace_from(cur, tables, params)
    cur.execute(sql("contact_facts"), params)
    if start > window.start and cur.execute(NEW_PAIRS, params).fetchone()[0]:
        # a queue and channel new to the day: its earlier intervals need rows too
        cur.execute("DROP TABLE contact_facts")
        start = window.start
        _rebuilding(params, window, start)
        _replace_from(cur, tables, params)
        cur.execute(sql("contact_facts"), params)
    cur.execute("ANALYZE contact_facts")
    cur.execute(sql("queue_interval"), params)
    cur.execute(sql("queue_interval_service_level"), params)
    cur.execute(sql("agent_queue_interval"), params)
    _built(cur, "queues", window, params)
    return start


# Facts of a queue and channel with no row of the day yet (before the rebuild's start).
NEW_PAIRS = """
SELECT EXISTS (
    SELECT 1 FROM contact_facts f
    WHERE f.queue_arn IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM wfm.queue_interval q
        WHERE q.day = %(day)s AND q.queue_arn = f.queue_arn AND q.channel = f.channel))
"""
