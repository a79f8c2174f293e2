"""The connector's steps for one contact-center day, independent of any orchestrator.

In: a configuration, a psycopg connection, a source and a local date. Out: the three raw
tables filled for the day's delivery window, the reconciled agent and queue tables for the
day, and the export files of every configured profile. Dagster assets and the CLI both call
these functions, so a step behaves the same however it is started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from wfm_connector import heatmap, queue_heatmap
from wfm_connector.config import WfmConfig
from wfm_connector.exports import publish
from wfm_connector.exports.publish import ExportResult
from wfm_connector.faults import crash_point
from wfm_connector.ingest import IngestStats, Loader, fewer_collections
from wfm_connector.intervals import DayWindow, day_window
from wfm_connector.privacy import Minimiser
from wfm_connector.reconcile import run
from wfm_connector.reconcile.run import (
    ReconcileStats,
    reconcile_agent_states,
    reconcile_queue_statistics,
)
from wfm_connector.sources.base import Stream
from wfm_connector.sources.factory import build_reader

log = logging.getLogger(__name__)


def window_for(cfg: WfmConfig, day: date) -> DayWindow:
    """The day's UTC window in the contact center's time zone."""
    return day_window(day, cfg.timezone, cfg.interval_minutes)


def ingest_day(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    stream: Stream,
    window: DayWindow,
    before_commit: Callable[[], None] | None = None,
    on_batch: Callable[[IngestStats], None] | None = None,
) -> IngestStats:
    """Load what the stream's source has that is new.

    Sources organised by time (S3, local folders) are read around the day; streams (Kinesis,
    SQS) from their checkpoint. A stream without a configured source loads nothing.
    """
    loader = Loader(
        conn, stream, before_commit=before_commit, on_batch=on_batch, timezone=cfg.timezone,
        minimiser=Minimiser(cfg.privacy), max_record_bytes=cfg.ingest.max_record_bytes,
    )  # fmt: skip
    reader = build_reader(cfg, stream)
    if reader is not None:
        with fewer_collections():
            reader.read(loader, window)
    log.info("ingested %s", loader.stats.as_dict())
    return loader.stats


RAW_TABLES = {Stream.AGENT_EVENTS: "agent_event_raw", Stream.CONTACT_EVENTS: "contact_event_raw",
              Stream.CONTACT_RECORDS: "contact_record_raw"}  # fmt: skip
# raw table -> the column that places a row in a day
RAW_TIME = {"agent_event_raw": "event_ts", "contact_event_raw": "event_ts",
            "contact_record_raw": "last_update_ts"}  # fmt: skip


def table_facts(
    conn: psycopg.Connection, table: str, window: DayWindow
) -> tuple[int, list[tuple[str, str]]]:
    """(rows of the day, [(column, type)]) of a ``wfm`` table, for asset metadata.

    Reconciled tables count their ``day``; raw tables the rows whose time is in the day.
    """
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'wfm' AND table_name = %s ORDER BY ordinal_position", (table,),
    ).fetchall()  # fmt: skip
    if table in RAW_TIME:
        where, params = f"{RAW_TIME[table]} >= %s AND {RAW_TIME[table]} < %s", (
            window.start, window.end)  # fmt: skip
    else:
        where, params = "day = %s", (window.day,)
    rows = conn.execute(f"SELECT count(*) FROM wfm.{table} WHERE {where}", params).fetchone()[0]
    return rows, [(c, t) for c, t in columns]


def watermark(
    conn: psycopg.Connection, table: str, window: DayWindow, now: datetime | None = None
) -> tuple[datetime | None, float | None]:
    """(newest record time of the day in a raw table, seconds it trails the last closed interval).

    The delay is measured from the end of the newest interval that has ended (the day's end
    for a past day), not from now: a past day complete up to its last event shows 0-ish, not
    days. None when the day has no records.
    """
    column = RAW_TIME[table]
    newest = conn.execute(
        f"SELECT max({column}) FROM wfm.{table} WHERE {column} >= %s AND {column} < %s",
        (window.start, window.end),
    ).fetchone()[0]
    if newest is None:
        return None, None
    now = now or datetime.now(UTC)
    ended = [s + window.interval for s in window.interval_starts() if s + window.interval <= now]
    if not ended:
        return newest, 0.0
    return newest, max((ended[-1] - newest).total_seconds(), 0.0)


def stale_days(
    conn: psycopg.Connection, before: date, limit: int = 31, timezone: str = "UTC"
) -> list[date]:
    """Days before ``before`` whose raw data changed since they were last reconciled.

    Days whose raw data was purged (up to and including the first day kept, whose first hour
    needs purged events) are left out: they cannot be rebuilt, so asking would only fail.
    """
    rows = conn.execute(
        "SELECT day FROM wfm.dirty_day d WHERE day < %s AND NOT EXISTS ("
        "  SELECT 1 FROM wfm.purge_state p WHERE p.family = 'raw'"
        "  AND d.day <= (p.purged_before AT TIME ZONE %s)::date) "
        "ORDER BY day DESC LIMIT %s",
        (before, timezone, limit),
    ).fetchall()
    return sorted(r[0] for r in rows)


def pending_streams(conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow) -> list[Stream]:
    """Streams whose source has something new to load (cheap checks, for the sensor)."""
    out = []
    for stream in Stream:
        reader = build_reader(cfg, stream)
        if reader is not None and reader.pending(conn, window):
            out.append(stream)
    return out


def reconcile_agents(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, incremental: bool = False
) -> ReconcileStats:
    """Agent timeline, interval states and interval activity of the day.

    ``incremental``: rebuild only from what changed since the last build (the refresh).
    """
    stats = reconcile_agent_states(conn, window, cfg, incremental)
    crash_point("reconcile.after_agents")
    return stats


def reconcile_adherence(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow
) -> ReconcileStats:
    """Schedule adherence of the day (after :func:`reconcile_agents`)."""
    return run.reconcile_adherence(conn, window, cfg)


def adherence_heatmap(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow
) -> tuple[bytes, str]:
    """The day's adherence as a PNG heatmap and Markdown showing it (for asset metadata)."""
    starts = window.interval_starts()
    index = {start: i for i, start in enumerate(starts)}
    cells = [
        heatmap.Cell(name, index[start], scheduled, adherent, unknown)
        for name, start, scheduled, adherent, unknown in conn.execute(
            "SELECT CASE WHEN %(names)s THEN coalesce(a.username, i.agent_arn) ELSE "
            "  'agent ' || coalesce((%(agent_ids)s::jsonb ->> i.agent_arn)::bigint, a.agent_id) "
            "END, i.interval_start, i.scheduled_s, i.adherent_s, i.unknown_s "
            "FROM wfm.adherence_interval i LEFT JOIN wfm.agent a USING (agent_arn) "
            "WHERE i.day = %(day)s",
            {"day": window.day, "names": cfg.schedules.agent_names_in_dagster,
             **cfg.id_override_params()},
        )
        if start in index
    ]
    local = [s.astimezone(cfg.tz) for s in starts]
    png = heatmap.render(cells, len(starts), local)
    return png, heatmap.markdown(png, cells, window.day.isoformat())


def queue_picture(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow
) -> tuple[bytes, str]:
    """The day's queues (offered, service level) as a PNG and Markdown showing it.

    A picture that cannot be drawn is said so in the Markdown, never a failed asset: the
    queue tables and the exports do not wait for a picture.
    """
    grid = queue_heatmap.grid(conn, cfg, window)
    local = [s.astimezone(cfg.tz) for s in window.interval_starts()]
    threshold = cfg.queue_log.service_level_seconds
    try:
        png = queue_heatmap.render(grid, local, threshold)
    except Exception as exc:  # noqa: BLE001 - matplotlib's failures are many and not ours
        log.warning("queue heatmap of %s not drawn: %s", window.day, exc)
        return b"", f"Heatmap not drawn ({type(exc).__name__}: {exc})."
    return png, queue_heatmap.markdown(png, grid, window.day.isoformat(), threshold)


def adherence_now(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow
) -> tuple[datetime, int, datetime | None, float | None]:
    """The intraday adherence view of the day, now.

    Returns (as of, scheduled agents, the newest agent event of the day, the seconds it trails
    the last closed interval): see :func:`watermark`.
    """
    as_of, agents = run.adherence_now(conn, window, cfg)
    return as_of, agents, *watermark(conn, "agent_event_raw", window)


def reconcile_queues(
    conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow, incremental: bool = False
) -> ReconcileStats:
    """Queue interval handle time of the day (``incremental``: see :func:`reconcile_agents`)."""
    stats = reconcile_queue_statistics(conn, window, cfg, incremental)
    crash_point("reconcile.after_queues")
    return stats


def export_profile(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    window: DayWindow,
    name: str,
    targets: list[str] | None = None,
    folders: dict[str, Path] | None = None,
    verify: bool = False,
) -> ExportResult:
    """Write one profile's file for the day and deliver it to its targets (or ``targets``).

    Raises ValueError naming the known profiles or targets when ``name`` or a target is not
    configured. ``folders`` overrides local target paths (target name -> folder). A failed
    delivery does not raise: it is in the result (``ok``, ``failed``). ``verify`` reads the
    files back from every target (``read_back``, see :mod:`wfm_connector.exports.verify`).
    """
    return publish.export_profile(conn, cfg, window, name, targets, folders, verify=verify)


def export_day(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    window: DayWindow,
    folders: dict[str, Path] | None = None,
) -> list[ExportResult]:
    """Export every profile for the day; ``folders`` overrides local target paths."""
    return [
        publish.export_profile(conn, cfg, window, p.name, folders=folders)
        for p in cfg.export_profiles
    ]
