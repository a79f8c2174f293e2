"""Migrations run up, down and up again on a real PostgreSQL."""

import psycopg
import pytest

from wfm_connector.db import migrate
from wfm_connector.db.connection import libpq_url

pytestmark = pytest.mark.integration

EXPECTED_TABLES = {
    "agent", "agent_event_raw", "agent_interval_states", "agent_state_timeline",
    "alembic_version", "contact_event_raw", "contact_record_raw", "quarantine", "queue",
    "queue_interval", "queue_interval_service_level", "agent_queue_interval", "agent_interval_activity",
    "queue_name", "agent_name", "routing_profile_queue", "kinesis_checkpoint", "object_ledger", "dirty_day",
    "schedule_version", "schedule_activity", "schedule_coverage", "schedule_current",
    "adherence_interval", "adherence_day", "adherence_exception", "adherence_now",
    "schedule_file", "export_generation", "export_delivery", "purge_state",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'wfm'"
        ).fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(fresh_database):
    url = fresh_database()
    migrate.upgrade(url)
    assert _tables(url) == EXPECTED_TABLES
    migrate.downgrade(url, "base")
    assert _tables(url) == {"alembic_version"}
    migrate.upgrade(url)
    assert _tables(url) == EXPECTED_TABLES


def test_two_first_migrations_at_once_both_succeed(fresh_database):
    # Two processes (here threads) starting on a new database both run the first migration;
    # without a lock they collide on alembic_version (UniqueViolation).
    import threading

    url = fresh_database()
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        try:
            migrate.upgrade(url)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _tables(url) == EXPECTED_TABLES
