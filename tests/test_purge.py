"""Retention: purge removes exactly what is older than each family's cut-off, says so, and a
day whose raw data is gone is never rebuilt from nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_connect_parity import AGENT, Agent, config, ctr, reconcile
from wfm_connector import pipeline, purge

pytestmark = pytest.mark.integration
EVENTS = (Agent().change("14:00:00", "Available")
          .change("14:20:00", "Offline", event_type="LOGOUT")).events()  # fmt: skip
CTRS = [ctr("V1", "14:03:10", enqueue="14:01:00", duration=10, agent=AGENT, connected="14:01:10",
            talk=100)]  # fmt: skip


def counts(db, tables) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM wfm.{t}").fetchone()[0] for t in tables}


def test_purge_by_family_and_a_purged_day_is_not_rebuilt(db, tmp_path):
    cfg = config(tmp_path, retention_days={"raw": 10, "quarantine": 5, "reconciled": 20})
    window = reconcile(db, cfg, EVENTS, CTRS)
    db.execute("INSERT INTO wfm.quarantine (stream, source_position, reason, raw, "
               "quarantined_at) VALUES ('agent_events', 'x:1', 'bad', 'x', '2026-11-03'), "
               "('agent_events', 'x:2', 'bad', 'x', '2026-11-30')")  # fmt: skip
    raw = counts(db, ["agent_event_raw", "contact_record_raw"])
    assert raw["agent_event_raw"] == len(EVENTS) and raw["contact_record_raw"] == 1
    kept = counts(db, ["agent_interval_activity", "queue_interval"])
    assert all(kept.values())

    # 2026-11-20, raw 10 days: everything before local midnight of 11-10 goes (the day 11-02);
    # quarantine 5 days: before 11-15 (the row of 11-03, not the one of 11-30); reconciled
    # 20 days: before 10-31, so the day 11-02 stays.
    dry = purge.purge(db, cfg, today=date(2026, 11, 20), dry_run=True)
    assert counts(db, ["agent_event_raw"]) == {"agent_event_raw": len(EVENTS)}  # untouched
    report = purge.purge(db, cfg, today=date(2026, 11, 20))
    assert report.removed == dry.removed
    assert report.removed["agent_event_raw"] == len(EVENTS)
    assert report.removed["contact_record_raw"] == 1
    assert report.removed["quarantine"] == 1 and report.removed["agent_interval_activity"] == 0
    assert report.cutoffs["raw"].isoformat() == "2026-11-10T00:00:00-05:00"
    assert counts(db, ["agent_event_raw", "contact_record_raw", "quarantine"]) == {
        "agent_event_raw": 0, "contact_record_raw": 0, "quarantine": 1}  # fmt: skip
    assert counts(db, ["agent_interval_activity", "queue_interval"]) == kept

    # the day's reconciled figures are final: rebuilding from no raw data is refused
    with pytest.raises(purge.DayPurged, match="2026-11-02: its raw data was purged"):
        pipeline.reconcile_agents(db, cfg, window)
    assert counts(db, ["agent_interval_activity"]) == {
        "agent_interval_activity": kept["agent_interval_activity"]}  # fmt: skip

    # late data for the purged day marks it dirty again: the sensor must not ask for it (the
    # run would only fail); a day after the first kept one (11-10) is still asked for
    db.execute("INSERT INTO wfm.dirty_day (day, marked_at) VALUES "
               "('2026-11-02', now()), ('2026-11-10', now()), ('2026-11-11', now())")  # fmt: skip
    assert pipeline.stale_days(db, before=date(2026, 11, 20), timezone=cfg.timezone) == [
        date(2026, 11, 11)]  # fmt: skip

    # later, the reconciled family's cut-off passes the day too
    late = purge.purge(db, cfg, today=date(2026, 11, 25))
    assert late.removed["agent_interval_activity"] == kept["agent_interval_activity"]
    assert late.removed["queue_interval"] == kept["queue_interval"]
    assert counts(db, ["agent_interval_activity", "queue_interval"]) == {
        "agent_interval_activity": 0, "queue_interval": 0}  # fmt: skip


def test_a_rebuild_waits_for_a_running_purge_and_is_then_refused(db, tmp_path, database_url):
    """A rebuild never reads a day half deleted: while a purge's transaction is open the
    rebuild waits, and once the purge commits it sees the day purged and changes nothing."""
    import threading

    from wfm_connector.db.connection import libpq_url

    cfg = config(tmp_path, retention_days={"raw": 10, "quarantine": 5, "reconciled": 20})
    window = reconcile(db, cfg, EVENTS, CTRS)
    kept = counts(db, ["agent_interval_activity"])
    outcome: list[BaseException | None] = []

    def rebuild() -> None:
        import psycopg

        with psycopg.connect(libpq_url(database_url), autocommit=True) as other:
            try:
                pipeline.reconcile_agents(other, cfg, window)
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as purger:
        with purger.transaction():  # the purge's own transaction becomes a savepoint of this
            purge.purge(purger, cfg, today=date(2026, 11, 20))
            worker = threading.Thread(target=rebuild)
            worker.start()
            worker.join(1.5)
            assert worker.is_alive() and outcome == []  # waiting for the purge
        worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], purge.DayPurged)
    assert counts(db, ["agent_interval_activity"]) == kept  # the day's figures are final


def test_reconciled_tables_cannot_be_kept_shorter_than_raw(tmp_path):
    from wfm_connector.config import ConfigError

    with pytest.raises(ConfigError, match=r"retention_days.reconciled \(20\) must be at least "
                       r"retention_days.raw \(30\)"):  # fmt: skip
        config(tmp_path, retention_days={"raw": 30, "reconciled": 20})


def test_a_family_without_retention_is_kept(db, tmp_path):
    cfg = config(tmp_path, retention_days={"raw": None, "quarantine": None})
    reconcile(db, cfg, EVENTS, CTRS)
    report = purge.purge(db, cfg, today=date(2030, 1, 1))
    assert report.removed == {} and report.cutoffs == {
        "raw": None, "quarantine": None, "reconciled": None}  # fmt: skip
    assert counts(db, ["agent_event_raw"])["agent_event_raw"] == len(EVENTS)


def test_the_purge_command_asks_before_deleting(db, tmp_path, database_url):
    from typer.testing import CliRunner

    from wfm_connector.cli import app

    cfg = config(tmp_path)
    reconcile(db, cfg, EVENTS, CTRS)  # 2026-11-02: older than 90 days only after 2027-01-31
    db.execute("UPDATE wfm.agent_event_raw SET event_ts = event_ts - interval '400 days'")
    refused = CliRunner().invoke(app, ["purge"])
    assert refused.exit_code == 2 and "pass --yes (or --dry-run)" in refused.output
    dry = CliRunner().invoke(app, ["purge", "--dry-run"])
    assert dry.exit_code == 0 and "Would delete" in dry.output
    assert counts(db, ["agent_event_raw"])["agent_event_raw"] == len(EVENTS)
    done = CliRunner().invoke(app, ["purge", "--yes"])
    assert done.exit_code == 0 and "Deleted" in done.output
    assert counts(db, ["agent_event_raw"])["agent_event_raw"] == 0


def _readme_sql(marker: str) -> list[str]:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = text[text.index(marker):]
    block = block[: block.index("```")]
    return [line for line in block.splitlines() if line and not line.startswith("--")]


def test_the_readme_erases_one_agent(db, tmp_path):
    cfg = config(tmp_path)
    reconcile(db, cfg, EVENTS, CTRS)
    statements = _readme_sql('-- psql -v a="')
    assert len(statements) == 14
    for statement in statements:
        db.execute(statement.replace(":a", "%(a)s"), {"a": AGENT})
    tables = [t for (t,) in db.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'wfm' "
        "AND column_name = 'agent_arn' AND table_name <> 'agent' "
        "AND table_name IN (SELECT table_name FROM "
        "information_schema.tables WHERE table_type = 'BASE TABLE')")]  # fmt: skip
    left = {t: db.execute(f"SELECT count(*) FROM wfm.{t} WHERE agent_arn = %s", (AGENT,)
                          ).fetchone()[0] for t in tables}  # fmt: skip
    assert left == dict.fromkeys(tables, 0) and "agent_event_raw" in left
    assert db.execute("SELECT username FROM wfm.agent WHERE agent_arn = %s",
                      (AGENT,)).fetchone() == (None,)  # fmt: skip
