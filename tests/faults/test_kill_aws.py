"""kill -9 while reading Kinesis, SQS and S3 (moto server), then a normal run.

The local-folder suite (``test_kill.py``) covers the commit points of ingest, reconcile and
export; this one covers what only the streaming AWS sources do at those points: a Kinesis shard's
checkpoint committed with its batch, and SQS messages deleted only after their batch commits
(a kill before the commit leaves them in flight until the visibility timeout; a kill after it,
before the delete, makes them come again as duplicates). Contact records come from S3.

The simulated day goes to a Kinesis stream and an S3 bucket shared by every run (each
database keeps its own checkpoints and ledger), and its contact events to a new SQS queue per
run (a queue is consumed). Each fault dies at the second batch of one stream; after the
visibility timeout the same configuration runs the day normally and must leave every table
and export file as a run without the fault did. SQS names records by message id, new for each
queue, so positions are left out of the comparison.
"""

from __future__ import annotations

import hashlib
import signal
import time
from datetime import date
from pathlib import Path

import boto3
import pytest
import yaml

from tests.faults.runs import DAY, ROOT, command, state, tally
from wfm_connector.parsing.framing import iter_object_records
from wfm_connector.simulator import simulate

pytestmark = [pytest.mark.slow, pytest.mark.integration]
VISIBILITY = 5  # seconds (the least the configuration allows)
# the fixtures run before the tests' own fake credentials are set
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# S3 objects go through the reader the local folder uses (test_kill.py kills it at both
# points), and a Kinesis checkpoint commits with its batch, so nothing sits after the commit
FAULTS = ["ingest.before_commit@agent_events:2", "ingest.before_commit@contact_events:2",
          "ingest.after_commit@contact_events:2"]  # fmt: skip


def _records(folder: Path) -> list[bytes]:
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as fh:
            out.extend(r.raw for r in iter_object_records(fh))
    return out


@pytest.fixture(scope="module")
def aws_world(tmp_path_factory, moto_endpoint):
    root = tmp_path_factory.mktemp("faults-aws")
    data = root / "data"
    base = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    simulate(out_dir=data, agents=3, start=date(2026, 11, 2), days=1, seed=11,
             timezone=base["timezone"], interval_minutes=base.get("interval_minutes", 15),
             instance_arn=base["connect"]["instance_arn"])  # fmt: skip
    kw = {"endpoint_url": moto_endpoint, "region_name": "us-east-1",
          "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # fmt: skip
    name = "faults" + hashlib.sha256(str(root).encode()).hexdigest()[:10]
    kinesis, s3 = boto3.client("kinesis", **kw), boto3.client("s3", **kw)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
    events = _records(data / "agent-events")
    for i in range(0, len(events), 500):
        entries = [{"Data": raw, "PartitionKey": "p"} for raw in events[i : i + 500]]
        assert kinesis.put_records(StreamName=name, Records=entries)["FailedRecordCount"] == 0
    s3.create_bucket(Bucket=name)
    for path in sorted(p for p in (data / "contact-records").rglob("*") if p.is_file()):
        key = "ctr/" + path.relative_to(data / "contact-records").as_posix()
        s3.put_object(Bucket=name, Key=key, Body=path.read_bytes())
    base["aws"] = {"region": "us-east-1", "endpoint_url": moto_endpoint}
    base["sources"] = {
        "agent_events": {"kind": "kinesis", "stream_name": name, "max_records_per_call": 300},
        "contact_records": {"kind": "s3", "bucket": name, "prefix": "ctr/"},
    }
    base["schedules"] = {"source": {"kind": "local_folder", "path": str(data / "schedule.csv")}}
    return {"root": root, "config": base, "bodies": _records(data / "contact-events"),
            "sqs": boto3.client("sqs", **kw), "events": len(events)}  # fmt: skip


def config_with_queue(aws_world, name: str) -> dict:
    """The configuration with a new queue holding every contact event."""
    sqs = aws_world["sqs"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    bodies = aws_world["bodies"]
    for i in range(0, len(bodies), 10):
        entries = [{"Id": str(j), "MessageBody": b.decode()} for j, b in enumerate(bodies[i:i + 10])]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    config = dict(aws_world["config"])
    config["sources"] = {**config["sources"], "contact_events": {
        "kind": "sqs", "queue_url": url, "wait_time_seconds": 0, "batch_messages": 40,
        "visibility_timeout_seconds": VISIBILITY}}  # fmt: skip
    return config


@pytest.fixture(scope="module")
def aws_reference(aws_world, fresh_database):
    url = fresh_database()
    folder = aws_world["root"] / "reference"
    config = config_with_queue(aws_world, "reference-" + aws_world["config"]["sources"][
        "agent_events"]["stream_name"])  # fmt: skip
    assert command(folder, config, ["run", "--day", DAY], url, None, CREDENTIALS) == 0
    return state(url, folder / "exports", positions=False)


@pytest.mark.parametrize("fault", FAULTS)
def test_kill_9_while_reading_aws_then_a_normal_run_gives_exactly_the_reference(
    aws_world, aws_reference, fresh_database, unique, fault
):
    assert len(aws_world["bodies"]) > 80 and aws_world["events"] > 600  # two batches each
    url = fresh_database()
    folder = aws_world["root"] / fault.replace("@", "-").replace(":", "-")
    config = config_with_queue(aws_world, unique)
    assert command(folder, config, ["ingest", "--day", DAY], url, fault,
                   CREDENTIALS) == -signal.SIGKILL  # fmt: skip
    time.sleep(VISIBILITY + 1)  # messages received by the killed run are visible again
    assert command(folder, config, ["run", "--day", DAY], url, None, CREDENTIALS) == 0
    after = state(url, folder / "exports", positions=False)
    tally(after, aws_reference)
    assert after == aws_reference
    # the queue is empty: every message was deleted once its batch was committed
    attrs = aws_world["sqs"].get_queue_attributes(
        QueueUrl=config["sources"]["contact_events"]["queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attrs == {"ApproximateNumberOfMessages": "0",
                     "ApproximateNumberOfMessagesNotVisible": "0"}  # fmt: skip
