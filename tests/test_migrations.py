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
    "schedule_file", "export_generation", "export_delivery", "purge_state", "queue_intraday",
    "day_change", "day_build",
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


def test_contact_events_stored_before_0011_get_their_enqueue_connection_and_previous(
    fresh_database, monkeypatch
):
    """Rows loaded before the intraday view take its new columns from their payloads."""
    monkeypatch.setenv("WFM_MIGRATION_BATCH", "3")  # 9 rows: the backfill goes in 3 batches
    url = fresh_database()
    migrate.upgrade(url, "0010")
    rows = [  # (key, type, payload)
        ("q", "QUEUED", '{"detail": {"queueInfo": {"enqueueTimestamp": "2026-11-02T10:00:00.000Z"}}}'),
        ("d", "DISCONNECTED", '{"Detail": {"QueueInfo": {"EnqueueTimestamp": "2026-11-02T09:59:00Z"}, '
         '"AgentInfo": {"AgentArn": "a", "ConnectedToAgentTimestamp": "2026-11-02T10:00:30Z"}}}'),
        ("cb", "INITIATED", '{"Detail": {"PreviousContactId": "first", "initiationMethod": "CALLBACK"}}'),
        ("bare", "INITIATED", '{"previousContactId": "second"}'),
        ("naive", "QUEUED", '{"queueInfo": {"enqueueTimestamp": "2026-11-02T11:00:00"}}'),
        ("odd", "INITIATED", '["previouscontactid"]'),
        ("none", "INITIATED", '{"detail": {"previousContactId": ""}}'),
        ("bad", "QUEUED", '{"detail": {"queueInfo": {"enqueueTimestamp": "yesterday"}}}'),
        ("undated", "DISCONNECTED", '{"queueInfo": {"enqueueTimestamp": "2026-11-02T08:00:00Z"}}'),
    ]  # fmt: skip
    with psycopg.connect(libpq_url(url)) as conn:
        for key, kind, payload in rows:
            conn.execute(
                "INSERT INTO wfm.contact_event_raw (event_key, event_type, event_ts, contact_id, "
                "payload, source_position) VALUES (%s, %s, %s, 'x', %s, 'p')",
                (key, kind, None if key == "undated" else "2026-11-02T12:00:00Z", payload),
            )
    migrate.upgrade(url)
    with psycopg.connect(libpq_url(url)) as conn:
        got = conn.execute(
            "SELECT event_key, to_char(enqueue_ts AT TIME ZONE 'UTC', 'HH24:MI:SS'), "
            "to_char(connected_ts AT TIME ZONE 'UTC', 'HH24:MI:SS'), previous_contact_id, "
            "to_char(event_ts AT TIME ZONE 'UTC', 'HH24:MI') "
            "FROM wfm.contact_event_raw ORDER BY event_key"
        ).fetchall()
    assert got == [
        ("bad", None, None, None, "12:00"),
        ("bare", None, None, "second", "12:00"),
        ("cb", None, None, "first", "12:00"),
        ("d", "09:59:00", "10:00:30", None, "12:00"),
        ("naive", "11:00:00", None, None, "12:00"),
        ("none", None, None, None, "12:00"),
        ("odd", None, None, None, "12:00"),
        ("q", "10:00:00", None, None, "12:00"),
        ("undated", "08:00:00", None, None, "08:00"),  # timed by the time it names
    ]
