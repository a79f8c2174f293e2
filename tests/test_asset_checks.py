"""Asset checks: each fails on a hand-made bad partition, and a blocking one stops what
depends on it (wfm_connector/checks.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import orjson
import pytest
import yaml

from dagster_project.assets import agent_events_raw, agent_interval_activity
from dagster_project.definitions import build_resources
from tests.test_connect_parity import INSTANCE, config
from tests.test_purge import EVENTS
from wfm_connector import checks, pipeline

pytestmark = pytest.mark.integration
DAY = "2026-11-02"


def run(tmp_path, database_url, max_rate: float) -> dg.ExecuteInProcessResult:
    # eleven good agent events and one line of garbage: a quarantine rate of 1/12
    folder = tmp_path / "agent-events" / "2026" / "11" / "02" / "14"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "f").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in EVENTS) + b"{oops\n")
    raw = {"connect": {"instance_arn": INSTANCE}, "timezone": "America/New_York",
           "sources": {"agent_events": {"kind": "local_folder", "path": str(tmp_path)}},
           "checks": {"max_quarantine_rate": max_rate}}  # fmt: skip
    (tmp_path / "wfm.yaml").write_text(yaml.safe_dump(raw))
    return dg.materialize(
        [agent_events_raw, agent_interval_activity], partition_key=DAY,
        resources=build_resources(config_path=str(tmp_path / "wfm.yaml"),
                                  database_url=database_url),
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
    )  # fmt: skip


def evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_quarantine_rate_above_the_threshold_blocks_the_day(db, tmp_path, database_url):
    assert len(EVENTS) == 11
    result = run(tmp_path, database_url, max_rate=0.05)
    rate = evaluations(result)["quarantine_rate"]
    assert not rate.passed and rate.metadata["rate"].value == round(1 / 12, 6)
    assert rate.description.startswith("agent_events: 1 of 12 records quarantined (8.33%), above")
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"agent_events_raw"}  # blocked: agent_interval_activity never ran

    db.execute("TRUNCATE wfm.quarantine, wfm.object_ledger, wfm.agent_event_raw")
    allowed = run(tmp_path, database_url, max_rate=0.5)
    found = evaluations(allowed)
    assert found["quarantine_rate"].passed and found["activity_seconds_sum_to_online"].passed
    assert found["fresh"].passed  # a past day: freshness is for today only
    assert {e.asset_key.to_user_string() for e in allowed.get_asset_materialization_events()} == {
        "agent_events_raw", "agent_interval_activity"}  # fmt: skip
    # the agent asset's day: one agent, Available 14:00-14:20 with no contact: occupancy
    # 0 / (0 + 1,200 s idle) = 0 %, all of the 0.33 h in "no contact"
    [agents] = [e.materialization.metadata for e in allowed.get_asset_materialization_events()
                if e.asset_key.to_user_string() == "agent_interval_activity"]  # fmt: skip
    assert (agents["agents_online"].value, agents["occupancy_pct"].value) == (1, 0.0)
    assert "| no contact | 0.33 | 100.00 % |" in agents["agent_day"].value


def test_the_activity_identity_check_names_a_broken_row(db, tmp_path, database_url):
    cfg = config(tmp_path)
    from tests.test_connect_parity import reconcile

    window = reconcile(db, cfg, EVENTS)  # Available 14:00-14:20 UTC: 20 minutes online
    assert checks.activity_identity(db, window).passed
    db.execute("UPDATE wfm.agent_interval_activity SET no_contact_s = no_contact_s + 1 "
               "WHERE interval_start = '2026-11-02T14:00Z'")  # fmt: skip
    broken = checks.activity_identity(db, window)
    assert not broken.passed and broken.metadata == {"rows": 2, "failing_rows": 1}
    assert "2026-11-02T14:00:00+00:00: online+offline-contact 900" in broken.description


def test_freshness_of_today(db, tmp_path):
    # events up to 14:20Z; at 15:07Z the last closed interval ended 15:00Z: 40 minutes behind
    cfg = config(tmp_path, checks={"max_watermark_delay_minutes": 30})
    from tests.test_connect_parity import reconcile

    window = reconcile(db, cfg, EVENTS)
    late = checks.freshness(db, cfg, window, today=True, now=datetime(2026, 11, 2, 15, 7, tzinfo=UTC))
    assert not late.passed and late.metadata == {"delay_s": 2400, "limit_s": 1800}
    soon = checks.freshness(db, cfg, window, today=True, now=datetime(2026, 11, 2, 14, 40, tzinfo=UTC))
    # at 14:40Z the last closed interval ended 14:30Z: 10 minutes behind
    assert soon.passed and soon.metadata["delay_s"] == 600
    assert pipeline.watermark(db, "agent_event_raw", window)[0] == datetime(2026, 11, 2, 14, 20,
                                                                           tzinfo=UTC)  # fmt: skip


def test_the_queue_outcome_check_allows_outbound_and_names_an_impossible_row(db, tmp_path):
    from tests.test_connect_parity import OUTBOUND_QUEUE, QUEUE, ctr, reconcile

    # Sales 19:00: I1, I2 and the callback CB1 queued and answered (3 of 3); the Outbound
    # queue: O1 handled but never queued (handled 1 > queued 0 is right, so it passes)
    agent = f"{QUEUE.rsplit('/queue/', 1)[0]}/agent/a1"
    window = reconcile(db, config(tmp_path), ctrs=[
        ctr("O1", "19:04:10", queue=OUTBOUND_QUEUE, queue_name="Outbound", agent=agent,
            connected="19:00:10", talk=200, method="OUTBOUND", reason="AGENT_DISCONNECT"),
        ctr("I1", "19:06:00", enqueue="19:00:00", duration=12, agent=agent,
            connected="19:00:12", talk=300),
        ctr("I2", "19:05:00", enqueue="19:01:00", duration=8, agent=agent,
            connected="19:01:08", talk=100),
        ctr("CB1", "19:10:00", enqueue="19:02:00", duration=200, method="CALLBACK",
            agent=agent, connected="19:05:20", talk=150),
    ])  # fmt: skip
    assert db.execute(
        "SELECT contacts_queued, handled FROM wfm.queue_interval WHERE queue_arn = %s "
        "AND attribution = 'enqueue' AND handled > 0", (OUTBOUND_QUEUE,)).fetchall() == [(0, 1)]
    ok = checks.queue_outcomes_within_queued(db, window)
    assert ok.passed and ok.metadata["failing_rows"] == 0
    # one abandon more than possible in Sales 19:00 (enqueue attribution): 3 + 1 > 3
    db.execute("UPDATE wfm.queue_interval SET abandoned = abandoned + 1 WHERE queue_arn = %s "
               "AND attribution = 'enqueue' AND interval_start = '2026-11-02T19:00Z'", (QUEUE,))
    broken = checks.queue_outcomes_within_queued(db, window)
    assert not broken.passed and broken.metadata["failing_rows"] == 1
    assert (f"{QUEUE} VOICE 2026-11-02T19:00:00+00:00 (enqueue): queued 3, answered + abandoned "
            "+ callback 4") in broken.description


def test_adherence_now_reports_the_watermark_not_a_lag_from_now(db, tmp_path):
    # a past day: as of its end (the last microsecond before 05:00Z on 11-03, New York); the
    # newest agent event is the LOGOUT at 14:20Z, which trails the day's last closed interval
    # (ending 05:00Z) by 14 h 40 min = 52,800 s, whenever this runs
    cfg = config(tmp_path)
    from tests.test_connect_parity import reconcile

    window = reconcile(db, cfg, EVENTS)
    as_of, agents, newest, delay = pipeline.adherence_now(db, cfg, window)
    assert (as_of, agents) == (datetime(2026, 11, 3, 4, 59, 59, 999999, tzinfo=UTC), 0)
    assert (newest, delay) == (datetime(2026, 11, 2, 14, 20, tzinfo=UTC), 52800.0)
