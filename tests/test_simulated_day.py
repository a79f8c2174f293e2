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
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml

from dagster_project.definitions import build_resources, defs
from dagster_project.run import materialization_metadata
from tests.conftest import WFM_TABLES
from wfm_connector.db.connection import libpq_url
from wfm_connector.simulator import simulate
from wfm_connector.sources.base import Stream

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAY = date(2026, 11, 2)
DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
STREAM_OF_FOLDER = {
    "agent-events": Stream.AGENT_EVENTS,
    "contact-events": Stream.CONTACT_EVENTS,
    "contact-records": Stream.CONTACT_RECORDS,
}
RECONCILED = ("agent_state_timeline", "agent_interval_states", "queue_interval_handle_time")


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
        conn.execute("TRUNCATE " + ", ".join(f"wfm.{t}" for t in WFM_TABLES) + " RESTART IDENTITY")
    first = materialize(config_path, database_url)
    return {
        "data": data,
        "exports": exports,
        "config_path": config_path,
        "summary": summary,
        "first": metadata(first),
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


def test_agent_interval_states_match_ground_truth(day, conn):
    truth = sorted(
        (r["agent_arn"], r["interval_start"], r["status_name"], r["activity"], r["seconds"])
        for r in read_csv(day["data"] / "truth" / "agent_interval_states.csv")
    )
    ours = sorted(
        conn.execute(
            "SELECT agent_arn, to_char(interval_start AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), status_name, activity, seconds::text '
            "FROM wfm.agent_interval_states WHERE day = %s",
            (DAY,),
        ).fetchall()
    )
    assert len(truth) > 500
    assert {r[3] for r in truth} >= {"IDLE", "ON_CONTACT", "ON_HOLD", "ACW", "CONNECTING"}
    assert {r[2] for r in truth} >= {"Available", "Break", "Lunch"}
    assert ours == truth


QUEUE_COLUMNS = (
    "contacts_queued", "offered_direct", "transferred_in", "transferred_out", "overflow_out",
    "handled", "abandoned", "abandoned_short", "abandoned_within_sl", "answered_within_sl",
    "queue_answer_time_s", "queue_abandon_time_s", "longest_answer_s", "longest_abandon_s",
    "interaction_s", "hold_s", "acw_s", "agent_available_s",
)  # fmt: skip


def test_queue_interval_handle_time_matches_ground_truth(day, conn):
    key = ("attribution", "queue_arn", "channel", "interval_start")
    truth = sorted(
        tuple(r[c] for c in key + QUEUE_COLUMNS)
        for r in read_csv(day["data"] / "truth" / "queue_interval_handle_time.csv")
    )
    cols = ", ".join(f"{c}::text" for c in QUEUE_COLUMNS)
    nonzero = " OR ".join(f"{c} <> 0" for c in QUEUE_COLUMNS)
    ours = sorted(
        conn.execute(
            "SELECT attribution, queue_arn, channel, to_char(interval_start AT TIME ZONE 'UTC', "
            f'\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), {cols} FROM wfm.queue_interval_handle_time '
            f"WHERE day = %s AND ({nonzero})",
            (DAY,),
        ).fetchall()
    )
    assert len(truth) > 100
    totals = {
        c: sum(int(float(r[4 + i])) for r in truth if r[0] == "enqueue")
        for i, c in enumerate(QUEUE_COLUMNS)
    }
    assert totals["abandoned"] > 0 and totals["transferred_in"] > 0 and totals["hold_s"] > 0
    assert ours == truth


def test_rerun_changes_nothing_and_export_is_byte_identical(day, conn):
    exports = sorted(day["exports"].iterdir())
    assert [p.name for p in exports] == [
        "calabrio_queue_demo_20261102.csv",
        "calabrio_queue_demo_20261102.csv.manifest.json",
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
    # one row per queue that had queued contacts, for each of the day's 96 quarter hours
    queues = conn.execute(
        "SELECT count(DISTINCT queue_arn) FROM wfm.queue_interval_handle_time WHERE day = %s",
        (DAY,),
    ).fetchone()[0]
    assert queues == 3
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
        assert data[offset : offset + len(raw)] == raw
        assert EXPECTED_REASON[(m["stream"], m["kind"])] in reason, reason
