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
import json
from datetime import date
from decimal import Decimal
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
from wfm_connector.simulator.truth import (
    AGENT_ACTIVITY_HEADER,
    AGENT_QUEUE_HEADER,
    QUEUE_AVERAGES,
    QUEUE_HEADER,
    SERVICE_LEVEL_HEADER,
)
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
    "queue_interval_service_level", "agent_queue_interval",
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


UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def ours(conn, table: str, columns: tuple[str, ...], where: str = "") -> list[tuple[str, ...]]:
    """The day's rows of a reconciled table as text, in the truth files' spelling."""
    exprs = []
    for c in columns:
        if c == "interval_start":
            exprs.append(UTC_TEXT.format(c))
        elif c == "queue_arn":
            exprs.append("coalesce(queue_arn, '')")
        else:
            exprs.append(f"coalesce({c}::text, '')")
    query = f"SELECT {', '.join(exprs)} FROM wfm.{table} WHERE day = %s {where}"
    return sorted(tuple(r) for r in conn.execute(query, (DAY,)))


def truth(day, name: str, columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    rows = read_csv(day["data"] / "truth" / f"{name}.csv")
    assert rows and tuple(rows[0]) == columns, f"{name}.csv columns differ from the table's"
    return sorted(tuple(r[c] for c in columns) for r in rows)


def normalise_npt(rows, index):
    """npt_by_status is JSON on both sides: compare it as status -> seconds (3 decimals)."""
    out = []
    for r in rows:
        parsed = json.loads(r[index]) if r[index] else {}
        value = tuple(sorted((k, f"{Decimal(str(v)):.3f}") for k, v in parsed.items()))
        out.append((*r[:index], value, *r[index + 1 :]))
    return sorted(out)


def test_agent_interval_states_match_ground_truth(day, conn):
    columns = ("agent_arn", "interval_start", "status_name", "status_category", "activity", "seconds")
    expected = truth(day, "agent_interval_states", columns)
    assert len(expected) > 500
    # every behaviour of the simulated day shows up
    assert {r[4] for r in expected} >= {
        "NO_CONTACT", "CONNECTED", "ON_HOLD", "ACW", "RINGING", "PAUSED", "ERROR", "UNKNOWN"
    }
    # the routable status is published as "Ready" (renamed); its Type makes it productive
    assert {(r[2], r[3]) for r in expected} >= {
        ("Ready", "productive"), ("Break", "non_productive"), ("Offline", "offline")
    }
    assert ours(conn, "agent_interval_states", columns) == expected


def test_agent_interval_activity_matches_ground_truth(day, conn):
    columns = AGENT_ACTIVITY_HEADER
    expected = truth(day, "agent_interval_activity", columns)
    got = ours(conn, "agent_interval_activity", columns)
    npt = columns.index("npt_by_status")
    assert len(expected) > 300
    assert normalise_npt(got, npt) == normalise_npt(expected, npt)
    totals = {c: sum(Decimal(r[columns.index(c)] or 0) for r in expected)
              for c in ("unknown_s", "contacts_missed", "paused_s",
                        "on_contact_task_s", "error_s")}  # fmt: skip
    assert all(v > 0 for v in totals.values()), totals


def test_queue_interval_matches_ground_truth(day, conn):
    columns = QUEUE_HEADER
    expected = truth(day, "queue_interval", columns)
    counted = columns[4:]
    nonzero = " OR ".join(f"{c} <> 0" for c in counted if c not in QUEUE_AVERAGES)
    assert ours(conn, "queue_interval", columns, f"AND ({nonzero})") == expected
    enqueue = [r for r in expected if r[0] == "enqueue"]
    totals = {c: sum(int(r[columns.index(c)]) for r in enqueue)
              for c in ("abandoned", "callback_requested", "transferred_out_internal",
                        "transferred_out_external", "handled_outbound", "handled_callback",
                        "transferred_in", "hold_s")}  # fmt: skip
    assert all(v > 0 for v in totals.values()), totals
    # agent queues are not queues: only the instance's four queues have rows
    assert len({r[1] for r in expected}) == 4


def test_service_level_matches_ground_truth(day, conn):
    columns = SERVICE_LEVEL_HEADER
    expected = truth(day, "queue_interval_service_level", columns)
    got = ours(
        conn, "queue_interval_service_level", columns,
        "AND (attribution, queue_arn, channel, interval_start) IN (SELECT attribution, "
        "queue_arn, channel, interval_start FROM wfm.queue_interval WHERE contacts_queued > 0)",
    )  # fmt: skip
    assert len(expected) > 100
    assert got == expected


def test_agent_queue_interval_matches_ground_truth(day, conn):
    expected = truth(day, "agent_queue_interval", AGENT_QUEUE_HEADER)
    assert ours(conn, "agent_queue_interval", AGENT_QUEUE_HEADER) == expected
    # quick-connect transfers to an agent reach it directly: no queue
    assert any(r[2] == "" for r in expected)


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
        assert data[offset : offset + len(raw)] == raw
        assert EXPECTED_REASON[(m["stream"], m["kind"])] in reason, reason
