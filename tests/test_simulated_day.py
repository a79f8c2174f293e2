"""A simulated day with faults, materialised through Dagster, reproduces the ground truth.

The simulator computes its truth from its own timeline (status and contact-phase intervals),
with no code shared with the reconciliation; here every agent-interval state and every
queue-interval count and duration must match it exactly, despite duplicates, out-of-order
and late deliveries, CTR re-deliveries and malformed records in the input.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import orjson
import psycopg
import pytest
import yaml

from dagster_project.definitions import build_resources, defs
from dagster_project.run import materialization_metadata
from tests.conftest import empty_wfm_tables
from wfm_connector import pipeline
from wfm_connector.config import load_config
from wfm_connector.db.connection import libpq_url
from wfm_connector.parsing.framing import iter_records
from wfm_connector.privacy import Minimiser
from wfm_connector.reconcile import run
from wfm_connector.simulator import simulate
from wfm_connector.simulator.compare import compare, intraday_rows, intraday_truth
from wfm_connector.simulator.truth import INTRADAY_HEADER
from wfm_connector.sources.base import Stream

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAY = date(2026, 11, 2)
DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
STREAM_OF_FOLDER = {
    "agent-events": Stream.AGENT_EVENTS,
    "contact-events": Stream.CONTACT_EVENTS,
    "contact-records": Stream.CONTACT_RECORDS,
}
RECONCILED = (
    "agent_state_timeline", "agent_interval_states", "agent_interval_activity", "queue_interval",
    "queue_interval_service_level", "agent_queue_interval", "adherence_interval", "adherence_day",
    "adherence_exception",
)  # fmt: skip


def materialize(config_path: Path, database_url: str) -> dg.ExecuteInProcessResult:
    assets = list(defs.assets)
    result = dg.materialize(
        assets,
        partition_key=DAY.isoformat(),
        resources=build_resources(config_path=str(config_path), database_url=database_url),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    return result


def metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return materialization_metadata(result)


def table_digest(conn: psycopg.Connection, table: str) -> str:
    rows = sorted(repr(row) for row in conn.execute(f"SELECT * FROM wfm.{table}"))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def day(tmp_path_factory, database_url):
    root = tmp_path_factory.mktemp("simulated")
    data, exports = root / "data", root / "exports"
    config = yaml.safe_load(DEMO_CONFIG.read_text())
    for source in config["sources"].values():
        source["path"] = str(data)
    config["export_targets"]["local"]["path"] = str(exports)
    config["schedules"]["source"]["path"] = str(data / "schedule.csv")  # the simulated schedule
    config_path = root / "wfm.yaml"
    config_path.write_text(yaml.safe_dump(config))
    summary = simulate(
        out_dir=data,
        agents=12,
        start=DAY,
        days=1,
        seed=11,
        timezone=config["timezone"],
        interval_minutes=config["interval_minutes"],
        instance_arn=config["connect"]["instance_arn"],
        service_level_seconds=config["queue_log"]["service_level_seconds"],
        short_abandon_seconds=config["queue_log"]["short_abandon_seconds"],
    )
    with psycopg.connect(libpq_url(database_url)) as conn:
        empty_wfm_tables(conn)
    first = materialize(config_path, database_url)
    return {
        "data": data,
        "exports": exports,
        "config_path": config_path,
        "summary": summary,
        "first": metadata(first),
        "checks": {(e.asset_key.to_user_string(), e.check_name): e
                   for e in first.get_asset_check_evaluations()},  # fmt: skip
        "url": database_url,
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def conn(day):
    with psycopg.connect(libpq_url(day["url"])) as c:
        yield c


def test_faults_were_injected_and_seen(day):
    meta = day["first"]
    for asset in ("agent_events_raw", "contact_events_raw", "contact_records_raw"):
        assert meta[asset]["duplicates"] > 0, asset
        assert meta[asset]["quarantined"] > 0, asset
    malformed = read_csv(day["data"] / "truth" / "malformed.csv")
    assert sum(m["read"] for m in meta.values() if "read" in m) > 5_000
    assert sum(meta[a]["quarantined"] for a in meta if "quarantined" in meta[a]) == len(malformed)


@pytest.fixture(scope="module")
def compared(day):
    with psycopg.connect(libpq_url(day["url"])) as c:
        return compare(c, day["data"] / "truth", DAY)


def column(comparison, name: str) -> list:
    index = comparison.columns.index(name)
    return [r[index] for r in comparison.truth]


def test_agent_interval_states_match_ground_truth(compared):
    states = compared["agent_interval_states"]
    assert len(states.truth) > 500
    # every behaviour of the simulated day shows up
    assert set(column(states, "activity")) >= {
        "NO_CONTACT", "CONNECTED", "ON_HOLD", "ACW", "RINGING", "PAUSED", "ERROR", "UNKNOWN"
    }
    # the routable status is published as "Ready" (renamed); its Type makes it productive
    assert set(zip(column(states, "status_name"), column(states, "status_category"), strict=True)) >= {
        ("Ready", "productive"), ("Break", "non_productive"), ("Offline", "offline")
    }
    assert states.ours == states.truth, states.differences()


def test_agent_interval_activity_matches_ground_truth(compared):
    activity = compared["agent_interval_activity"]
    assert len(activity.truth) > 300
    assert activity.ours == activity.truth, activity.differences()
    for name in ("unknown_s", "contacts_missed", "paused_s", "on_contact_task_s", "error_s"):
        assert sum(Decimal(v) for v in column(activity, name)) > 0, name


def test_queue_interval_matches_ground_truth(compared):
    queues = compared["queue_interval"]
    assert queues.ours == queues.truth, queues.differences()
    enqueue = [r for r in queues.truth if r[0] == "enqueue"]
    for name in ("abandoned", "callback_requested", "transferred_out_internal",
                 "transferred_out_external", "handled_outbound", "handled_callback",
                 "transferred_in", "hold_s"):  # fmt: skip
        assert sum(int(r[queues.columns.index(name)]) for r in enqueue) > 0, name
    # agent queues are not queues: only the instance's four queues have rows
    assert len(set(column(queues, "queue_arn"))) == 4


def test_every_asset_check_passes_and_contact_events_agree_with_records(day):
    """Faults and all, the day passes every check; events and records count the same."""
    failed = {key: e.description for key, e in day["checks"].items() if not e.passed}
    assert failed == {}
    agree = day["checks"][("queue_interval", "agrees_with_contact_events")]
    assert agree.metadata["differing"].value == 0
    assert agree.metadata["compared"].value > 50  # the day's busy queue-intervals, all settled
    intraday = day["first"]["queue_intraday"]
    assert intraday["in_queue"] == 0 and intraday["queued"] > 300  # a past day, seen at its end
    assert "| in queue now | longest wait now s |" in intraday["now_by_queue"]


@pytest.mark.parametrize("with_records", [False, True], ids=["events_alone", "with_records"])
def test_intraday_queue_view_matches_ground_truth_at_every_instant(day, conn, with_records):
    """At each instant the truth was taken, every interval of the day so far matches.

    The truth is taken from the simulation's contacts at 10:07:30.500, 16:52:05, the day's
    last instant, half a second into the second most contacts waited, and the instant of the
    first enqueue after noon, by the definitions written there; here the view is rebuilt from the stored
    events as known at each instant (facts timed after it left out). The simulator loses no
    contact event, so filling lost events from the contact records changes nothing.
    """
    cfg = load_config(day["config_path"])
    window = pipeline.window_for(cfg, DAY)
    truth = intraday_truth(day["data"] / "truth", DAY)
    assert len(truth) == 5
    for stamp, rows in truth.items():
        as_of = datetime.fromisoformat(stamp)
        built, _ = run.queue_intraday(conn, window, cfg, as_of, with_records=with_records)
        assert built == as_of
        ours = intraday_rows(conn, DAY)
        assert ours == rows, (stamp, set(rows) - set(ours), set(ours) - set(rows))
    # the instants show every outcome: contacts waiting at the busiest one, none at the end
    index = {c: INTRADAY_HEADER.index(c) for c in INTRADAY_HEADER}
    night = truth[max(truth)]
    waiting = [sum(int(r[index["in_queue"]]) for r in rows) for rows in truth.values()]
    assert max(waiting) >= 2
    longest = [int(r[index["longest_wait_s"]]) for rows in truth.values() for r in rows]
    assert max(longest) > 0
    assert sum(int(r[index["in_queue"]]) for r in night) == 0
    for name in ("answered", "abandoned", "callback_requested"):
        assert sum(int(r[index[name]]) for r in night) > 0, name


def test_service_level_matches_ground_truth(compared):
    levels = compared["queue_interval_service_level"]
    assert len(levels.truth) > 100
    assert levels.ours == levels.truth, levels.differences()


def test_agent_queue_interval_matches_ground_truth(compared):
    agent_queues = compared["agent_queue_interval"]
    assert agent_queues.ours == agent_queues.truth, agent_queues.differences()
    # quick-connect transfers to an agent reach it directly: no queue
    assert "" in column(agent_queues, "queue_arn")


def test_adherence_matches_ground_truth(compared):
    intervals, days = compared["adherence_interval"], compared["adherence_day"]
    assert len(days.truth) == 12 and len(intervals.truth) > 300
    assert intervals.ours == intervals.truth, intervals.differences()
    assert days.ours == days.truth, days.differences()
    # agent #1's lost lunch heartbeats show as unknown scheduled time
    assert sum(Decimal(v) for v in column(days, "unknown_s")) > 0
    exceptions = compared["adherence_exception"]
    assert len(exceptions.truth) > 12  # late logins and early logouts at least
    assert exceptions.ours == exceptions.truth, exceptions.differences()


def test_rerun_changes_nothing_and_export_is_byte_identical(day, conn):
    exports = sorted(day["exports"].iterdir())
    assert [p.name for p in exports] == [
        "calabrio_agent_demo_agents_20261102.csv",
        "calabrio_agent_demo_agents_20261102.csv.manifest.json",
        "calabrio_queue_demo_20261102.csv",
        "calabrio_queue_demo_20261102.csv.manifest.json",
        "connect_forecast_demo_forecast_20261102_15mins.csv",
        "connect_forecast_demo_forecast_20261102_15mins.csv.manifest.json",
        "custom_demo_adherence_20261102.csv",
        "custom_demo_adherence_20261102.csv.manifest.json",
        "iex_demo_iex_110226_0000.txt",
        "iex_demo_iex_110226_0000.txt.manifest.json",
    ]
    before_files = {p.name: p.read_bytes() for p in exports}
    tables = (
        "agent_event_raw",
        "contact_event_raw",
        "contact_record_raw",
        "quarantine",
        "queue",
        "agent",
    )
    before = {t: table_digest(conn, t) for t in tables + RECONCILED}
    second = metadata(materialize(day["config_path"], day["url"]))
    for asset in ("agent_events_raw", "contact_events_raw", "contact_records_raw"):
        assert second[asset]["new"] == 0
    after = {t: table_digest(conn, t) for t in tables + RECONCILED}
    assert after == before
    assert {p.name: p.read_bytes() for p in sorted(day["exports"].iterdir())} == before_files
    lines = before_files["calabrio_queue_demo_20261102.csv"].decode().splitlines()
    # one row per queue with contacts (Outbound included), for each of the 96 quarter hours
    queues = conn.execute(
        "SELECT count(DISTINCT queue_arn) FROM wfm.queue_interval WHERE day = %s", (DAY,)
    ).fetchone()[0]
    assert queues == 4
    assert len(lines) == 96 * queues


EXPECTED_REASON = {
    ("agent-events", "truncated"): "not valid JSON: unexpected end of data",
    ("agent-events", "not_json"): "not valid JSON",
    ("agent-events", "json_array"): "record is not a JSON object",
    (
        "agent-events",
        "bad_timestamp",
    ): "EventTimestamp is not an ISO-8601 timestamp: 'not-a-timestamp'",
    ("contact-events", "invalid_json"): "not valid JSON",
    ("contact-events", "missing_contact_id"): "detail.contactId is missing",
    ("contact-records", "missing_contact_id"): "ContactId is missing",
    ("contact-records", "bad_queue_duration"): "Queue.Duration is not a whole number: 'abc'",
}


def test_every_malformed_record_is_quarantined_with_its_bytes(day, conn):
    malformed = read_csv(day["data"] / "truth" / "malformed.csv")
    assert len(malformed) >= 6
    stored = {
        (stream, position): (reason, bytes(raw))
        for stream, position, reason, raw in conn.execute(
            "SELECT stream, source_position, reason, raw FROM wfm.quarantine"
        )
    }
    assert len(stored) == len(malformed)
    for m in malformed:
        stream = STREAM_OF_FOLDER[m["stream"]].value
        reason, raw = stored[(stream, f"{m['key']}:{m['offset']}")]
        data = (day["data"] / m["key"]).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        offset = int(m["offset"])
        # the bytes as delivered, or (a JSON record carrying personal fields: a contact record's
        # phone number and attributes) the same record without them
        [first, *_] = iter_records(io.BytesIO(data[offset:]))
        minimised = Minimiser().minimise(STREAM_OF_FOLDER[m["stream"]], first.value)
        # (one that is not a readable record is kept with personal data blanked by pattern)
        assert raw == (Minimiser().redact(first.raw) if minimised is None
                       else orjson.dumps(minimised))  # fmt: skip
        assert data[offset : offset + len(first.raw)] == first.raw
        assert EXPECTED_REASON[(m["stream"], m["kind"])] in reason, reason


def test_no_customer_phone_number_or_attribute_is_stored_anywhere(day, conn):
    # Every voice contact record of the simulated day carries the caller's number (+1555...)
    # and contact attributes (customerTier...); with default settings none of it may be in
    # any column of any table, quarantine included.
    def delivered(path: Path) -> bytes:
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data

    files = [p for p in (day["data"] / "contact-records").rglob("*") if p.is_file()]
    assert any(b"+1555" in delivered(p) for p in files)  # the simulator did write them
    assert any(b"customerTier" in delivered(p) for p in files)
    columns = conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'wfm' AND t.table_type = 'BASE TABLE' "
        "AND c.data_type IN ('text', 'jsonb', 'bytea', 'character varying')"
    ).fetchall()
    assert len(columns) > 30
    found = {}
    for table, column, kind in columns:
        value = f"convert_from({column}, 'UTF8')" if kind == "bytea" else f"{column}::text"
        hits = conn.execute(
            f"SELECT count(*) FROM wfm.{table} "
            f"WHERE {value} LIKE '%%+1555%%' OR {value} LIKE '%%customerTier%%'"
        ).fetchone()[0]
        if hits:
            found[f"{table}.{column}"] = hits
    assert found == {}


def test_table_assets_report_row_count_schema_and_watermark(day, conn):
    # row counts are the day's rows (raw: by the record's own time, within the day's window
    # 2026-11-02 05:00Z .. 2026-11-03 05:00Z); the column schema lists the table's columns
    meta = day["first"]
    for asset, table, where in (
        ("agent_interval_activity", "agent_interval_activity", "day = '2026-11-02'"),
        ("queue_interval", "queue_interval", "day = '2026-11-02'"),
        ("agent_events_raw", "agent_event_raw",
         "event_ts >= '2026-11-02T05:00Z' AND event_ts < '2026-11-03T05:00Z'"),
    ):  # fmt: skip
        rows = conn.execute(f"SELECT count(*) FROM wfm.{table} WHERE {where}").fetchone()[0]
        assert meta[asset]["dagster/row_count"] == rows > 0, asset
        names = [c.name for c in meta[asset]["dagster/column_schema"].columns]
        assert names == [n for (n,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'wfm' "
            "AND table_name = %s ORDER BY ordinal_position", (table,))], asset  # fmt: skip
    # a past day: its watermark trails the day's end (not now) by the gap after its last event
    newest = conn.execute("SELECT max(event_ts) FROM wfm.agent_event_raw WHERE event_ts >= "
                          "'2026-11-02T05:00Z' AND event_ts < '2026-11-03T05:00Z'").fetchone()[0]
    from datetime import UTC, datetime

    end = datetime(2026, 11, 3, 5, tzinfo=UTC)
    raw = meta["agent_events_raw"]
    assert raw["watermark"] == newest.timestamp() and "lag_seconds" not in raw
    assert raw["watermark_delay_seconds"] == round((end - newest).total_seconds()) < 3600
