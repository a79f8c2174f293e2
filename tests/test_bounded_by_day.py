"""Reconciling a day reads that day, whatever else is stored: cost flat in history.

Machine-independent: PostgreSQL counts, per table, the rows each scan reads
(``pg_stat_user_tables``). A simulated day D is reconciled with D-1 stored, and again after
three earlier days were loaded and reconciled too. Both times it must read exactly as many
rows of every table, and scan no table whole when the planner may not (``enable_seqscan``
off: a query with no index to bound it by the day still scans, and shows here).
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from tests.conftest import demo_config_reading, empty_wfm_tables
from wfm_connector import pipeline, schedules
from wfm_connector.db.connection import libpq_url
from wfm_connector.reconcile import run
from wfm_connector.simulator import simulate
from wfm_connector.sources.base import Stream

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FIRST = date(2026, 10, 20)  # five days, no daylight-saving change among them
DAYS = [FIRST + timedelta(days=i) for i in range(5)]
WATCHED = (
    "agent_event_raw", "contact_event_raw", "contact_record_raw", "agent_state_timeline",
    "agent_interval_states", "agent_interval_activity", "agent_queue_interval",
    "queue_interval", "queue_interval_service_level", "adherence_interval", "adherence_day",
    "adherence_exception", "adherence_now", "queue_intraday", "schedule_activity",
)  # fmt: skip


def load(conn, cfg, day: date) -> None:
    window = pipeline.window_for(cfg, day)
    for stream in Stream:
        pipeline.ingest_day(conn, cfg, stream, window)


def reconcile(conn, cfg, day: date) -> None:
    window = pipeline.window_for(cfg, day)
    pipeline.reconcile_agents(conn, cfg, window)
    pipeline.reconcile_adherence(conn, cfg, window)
    pipeline.reconcile_queues(conn, cfg, window)
    run.queue_intraday(conn, window, cfg, window.end - timedelta(microseconds=1), True)


def rows_read(url: str, cfg, day: date) -> dict[str, tuple[int, int]]:
    """{table: (whole-table scans, rows read)} while ``day`` is reconciled, seq scans off."""

    def counters() -> dict[str, tuple[int, int]]:
        with psycopg.connect(url) as conn:
            return {
                name: (seq or 0, (seq_read or 0) + (fetched or 0))
                for name, seq, seq_read, fetched in conn.execute(
                    "SELECT relname, seq_scan, seq_tup_read, idx_tup_fetch "
                    "FROM pg_stat_user_tables WHERE schemaname = 'wfm' AND relname = ANY(%s)",
                    (list(WATCHED),),
                )
            }

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    before = counters()
    with psycopg.connect(url, autocommit=True, options="-c enable_seqscan=off") as conn:
        reconcile(conn, cfg, day)
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")  # the flush happens here, before this statement
    after = counters()
    return {t: (after[t][0] - before[t][0], after[t][1] - before[t][1]) for t in WATCHED}


@pytest.fixture(scope="module")
def stored(tmp_path_factory, database_url):
    root = tmp_path_factory.mktemp("history")
    cfg = demo_config_reading(root, root)
    simulate(out_dir=root, agents=6, start=FIRST, days=len(DAYS), seed=5,
             timezone=cfg.timezone, interval_minutes=cfg.interval_minutes,
             instance_arn=cfg.connect.instance_arn)  # fmt: skip
    url = libpq_url(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        empty_wfm_tables(conn)
        for day in DAYS[-2:]:
            load(conn, cfg, day)
        schedules.import_file(conn, root / "schedule.csv", cfg.timezone, 366)
        for day in DAYS[-2:]:  # D too: each measured rebuild replaces the same rows
            reconcile(conn, cfg, day)
    return url, cfg, root


def test_a_day_reads_the_same_rows_with_three_more_days_stored(stored):
    url, cfg, root = stored
    with_one = rows_read(url, cfg, DAYS[-1])
    with psycopg.connect(url, autocommit=True) as conn:
        for day in DAYS[:3]:
            load(conn, cfg, day)
        schedules.import_file(conn, root / "schedule.csv", cfg.timezone, 366)
        for day in DAYS[:3]:
            reconcile(conn, cfg, day)
        stored_rows = conn.execute("SELECT count(*) FROM wfm.agent_event_raw").fetchone()[0]
    with_four = rows_read(url, cfg, DAYS[-1])
    assert stored_rows > 0
    scanned_whole = {t: n for t, (n, _) in with_four.items() if n}
    assert scanned_whole == {}
    assert {t: r for t, (_, r) in with_four.items()} == {t: r for t, (_, r) in with_one.items()}, (
        with_one, with_four)
    # it did read the day (a test that read nothing would pass the line above)
    assert with_one["agent_event_raw"][1] > 0 and with_one["contact_record_raw"][1] > 0
