"""The simulator's day delivered through AWS (moto server) reconciles exactly like the folder.

Agent events go into a Kinesis stream (one record per event, in delivery order, duplicates
and malformed records included), contact events into an SQS queue as EventBridge envelopes,
contact records into S3 as the Firehose objects. The asset graph is materialised from those
sources into one database and from the local folder into another; the reconciled tables and
the raw row counts must be identical.

moto's SQS slows down with the queue's length (each call scans it), so the day is small.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import boto3
import dagster as dg
import psycopg
import pytest
import yaml

from dagster_project.definitions import build_resources, defs
from tests.conftest import PROJECT_ROOT
from wfm_connector.db import migrate
from wfm_connector.db.connection import libpq_url
from wfm_connector.parsing.framing import iter_object_records
from wfm_connector.simulator import simulate

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAY = date(2026, 11, 2)
COMPARED = (
    "agent_state_timeline", "agent_interval_states", "agent_interval_activity", "queue_interval",
    "queue_interval_service_level", "agent_queue_interval", "queue", "agent",
)  # fmt: skip


def objects(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).rglob("*") if p.is_file())


def records(path: Path) -> list[bytes]:
    with path.open("rb") as fh:
        return [r.raw for r in iter_object_records(fh)]


def deliver_to_aws(data: Path, endpoint: str, name: str) -> dict:
    """Put the simulated deliveries into Kinesis, SQS and S3; returns the sources section."""
    kw = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    kinesis, sqs, s3 = (
        boto3.client("kinesis", **kw),
        boto3.client("sqs", **kw),
        boto3.client("s3", **kw),
    )

    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
    events = [raw for path in objects(data, "agent-events") for raw in records(path)]
    for i in range(0, len(events), 500):
        chunk = events[i : i + 500]
        entries = [
            {"Data": raw, "PartitionKey": hashlib.md5(raw[:200]).hexdigest()} for raw in chunk
        ]
        assert kinesis.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0

    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    bodies = [raw for path in objects(data, "contact-events") for raw in records(path)]
    for i in range(0, len(bodies), 10):
        entries = [
            {"Id": str(j), "MessageBody": raw.decode()} for j, raw in enumerate(bodies[i : i + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")

    s3.create_bucket(Bucket=name)
    for path in objects(data, "contact-records"):
        key = "ctr/" + path.relative_to(data / "contact-records").as_posix()
        s3.put_object(Bucket=name, Key=key, Body=path.read_bytes())

    return {
        "agent_events": {"kind": "kinesis", "stream_name": name, "max_records_per_call": 1000},
        "contact_events": {"kind": "sqs", "queue_url": queue_url, "wait_time_seconds": 0},
        "contact_records": {"kind": "s3", "bucket": name, "prefix": "ctr/"},
    }


def materialize(config: dict, path: Path, url: str) -> dict:
    path.write_text(yaml.safe_dump(config))
    result = dg.materialize(
        list(defs.assets),
        partition_key=DAY.isoformat(),
        resources=build_resources(config_path=str(path), database_url=url),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    return {
        e.materialization.asset_key.to_user_string(): {
            k: v.value for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def snapshot(url: str) -> dict:
    out = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for table in COMPARED:
            rows = sorted(repr(r) for r in conn.execute(f"SELECT * FROM wfm.{table}"))
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        for table in ("agent_event_raw", "contact_event_raw", "contact_record_raw", "quarantine"):
            out[table] = conn.execute(f"SELECT count(*) FROM wfm.{table}").fetchone()[0]
    return out


def test_aws_delivery_reconciles_exactly_like_the_local_folder(
    tmp_path, fresh_database, moto_endpoint, unique
):
    base = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    data = tmp_path / "data"
    simulate(out_dir=data, agents=4, start=DAY, days=1, seed=5, timezone=base["timezone"],
             interval_minutes=15, instance_arn=base["connect"]["instance_arn"])  # fmt: skip

    local_url, aws_url = fresh_database(), fresh_database()
    migrate.upgrade(local_url)
    migrate.upgrade(aws_url)
    local_cfg = {
        **base,
        "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "e1")}},
    }
    local_cfg["sources"] = {s: {"kind": "local_folder", "path": str(data)} for s in base["sources"]}
    local_meta = materialize(local_cfg, tmp_path / "local.yaml", local_url)

    aws_cfg = {
        **base,
        "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "e2")}},
    }
    aws_cfg["aws"] = {"region": "us-east-1", "endpoint_url": moto_endpoint}
    aws_cfg["sources"] = deliver_to_aws(data, moto_endpoint, unique)
    aws_meta = materialize(aws_cfg, tmp_path / "aws.yaml", aws_url)

    for asset in ("agent_events_raw", "contact_events_raw", "contact_records_raw"):
        assert aws_meta[asset]["read"] == local_meta[asset]["read"], asset
        assert aws_meta[asset]["new"] == local_meta[asset]["new"], asset
        assert aws_meta[asset]["quarantined"] == local_meta[asset]["quarantined"] > 0, asset
    local, aws = snapshot(local_url), snapshot(aws_url)
    assert local["agent_interval_states"][0] > 150
    assert aws == local
    export = "calabrio_queue_demo_20261102.csv"
    assert (tmp_path / "e2" / export).read_bytes() == (tmp_path / "e1" / export).read_bytes()

    # Nothing new on AWS: a second run reads nothing and changes nothing.
    again = materialize(aws_cfg, tmp_path / "aws.yaml", aws_url)
    assert [
        again[a]["new"] for a in ("agent_events_raw", "contact_events_raw", "contact_records_raw")
    ] == [0, 0, 0]
    assert snapshot(aws_url) == local
