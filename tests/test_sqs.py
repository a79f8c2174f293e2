"""SqsReader against a real boto3 SQS client (moto server over HTTP) and a real PostgreSQL.

Rows are counted through a second, autocommit connection, so a count proves the rows were
committed, not merely inserted in the reader's open transaction.
"""

from __future__ import annotations

import copy
import logging
import time
from datetime import date

import orjson
import psycopg
import pytest

from tests.conftest import SHARED
from wfm_connector.config import SqsSource
from wfm_connector.db.connection import libpq_url
from wfm_connector.ingest import Loader
from wfm_connector.intervals import day_window
from wfm_connector.sources.aws import AwsClients
from wfm_connector.sources.base import Stream
from wfm_connector.sources.sqs import SqsReader, queue_name

pytestmark = pytest.mark.integration
SAMPLES = SHARED / "reference" / "aws-samples"
ENVELOPE = orjson.loads((SAMPLES / "contact_event__disconnected__contact_events.json").read_bytes())
BARE_DETAIL = (SAMPLES / "contact_event__connected_to_agent__contact_events.json").read_text()
WINDOW = day_window(date(2021, 8, 4), "UTC", 15)


class Crash(Exception):
    """A simulated process death."""


def crash(*_args) -> None:
    raise Crash


def contact_event(n: int, event_type: str = "DISCONNECTED") -> str:
    """The published DISCONNECTED envelope with its own envelope id and contact id."""
    event = copy.deepcopy(ENVELOPE)
    event["id"] = f"00000000-0000-0000-0000-{n:012d}"
    event["detail"]["contactId"] = f"11111111-1111-1111-1111-{n:012d}"
    event["detail"]["eventType"] = event_type
    return orjson.dumps(event).decode()


@pytest.fixture
def sqs(aws_settings):
    return AwsClients(aws_settings).client("sqs")


@pytest.fixture
def queue_url(sqs, unique) -> str:
    return sqs.create_queue(QueueName=unique)["QueueUrl"]


@pytest.fixture
def source(queue_url) -> SqsSource:
    return SqsSource(queue_url=queue_url, wait_time_seconds=0, batch_messages=10)


@pytest.fixture
def short_visibility(source) -> SqsSource:
    # The config's floor (30 s) protects production; the tests need messages back in seconds.
    return source.model_copy(update={"visibility_timeout_seconds": 2})


@pytest.fixture
def observer(db, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        yield conn


def rows(observer, sql: str = "SELECT count(*) FROM wfm.contact_event_raw") -> int:
    return observer.execute(sql).fetchone()[0]


def send(sqs, queue_url: str, *bodies: str) -> list[str]:
    return [sqs.send_message(QueueUrl=queue_url, MessageBody=b)["MessageId"] for b in bodies]


def queue_depth(sqs, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return int(attrs[names[0]]), int(attrs[names[1]])


def wait_visible(sqs, queue_url: str, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while queue_depth(sqs, queue_url)[0] < count:
        assert time.monotonic() < deadline, "messages did not reappear"
        time.sleep(0.1)


def run(sqs, source, db, **reader_args) -> tuple[Loader, SqsReader]:
    loader = Loader(db, Stream.CONTACT_EVENTS)
    reader = SqsReader(sqs, source, **reader_args)
    reader.read(loader, WINDOW)
    return loader, reader


def test_first_run_loads_everything_and_empties_the_queue(sqs, queue_url, source, db, observer):
    # 23 messages with batch_messages=10: three commits (10, 10, 3).
    send(sqs, queue_url, *(contact_event(n) for n in range(23)))
    reader = SqsReader(sqs, source)
    assert reader.pending(db, WINDOW) is True

    loader = Loader(db, Stream.CONTACT_EVENTS)
    reader.read(loader, WINDOW)

    assert (loader.stats.read, loader.stats.new, loader.stats.duplicates) == (23, 23, 0)
    assert rows(observer) == 23
    assert (reader.stats.received, reader.stats.deleted, reader.stats.delete_failed) == (23, 23, 0)
    assert queue_depth(sqs, queue_url) == (0, 0)
    assert reader.pending(db, WINDOW) is False


def test_incremental_run_loads_only_new_messages(sqs, queue_url, source, db, observer):
    send(sqs, queue_url, *(contact_event(n) for n in range(5)))
    first, _ = run(sqs, source, db)
    new_ids = send(sqs, queue_url, *(contact_event(n) for n in range(5, 8)))

    second, reader = run(sqs, source, db)

    assert (first.stats.read, first.stats.new) == (5, 5)
    assert (second.stats.read, second.stats.new, second.stats.duplicates) == (3, 3, 0)
    assert rows(observer) == 8
    positions = observer.execute(
        "SELECT source_position FROM wfm.contact_event_raw WHERE source_position = ANY(%s)",
        ([f"sqs:{queue_name(queue_url)}/{m}" for m in new_ids],),
    ).fetchall()
    assert len(positions) == 3
    assert queue_depth(sqs, queue_url) == (0, 0)


def test_max_messages_per_run_stops_the_run(sqs, queue_url, source, db, observer):
    send(sqs, queue_url, *(contact_event(n) for n in range(25)))
    limited = source.model_copy(update={"max_messages_per_run": 12})

    loader, reader = run(sqs, limited, db)

    assert (loader.stats.read, reader.stats.received) == (12, 12)
    assert rows(observer) == 12
    assert queue_depth(sqs, queue_url) == (13, 0)


def test_crash_before_commit_deletes_nothing_and_a_restart_loads_once(
    sqs, queue_url, short_visibility, db, observer
):
    send(sqs, queue_url, *(contact_event(n) for n in range(4)))
    loader = Loader(db, Stream.CONTACT_EVENTS, before_commit=crash)
    reader = SqsReader(sqs, short_visibility)

    with pytest.raises(Crash):
        reader.read(loader, WINDOW)

    assert rows(observer) == 0
    assert (loader.stats.read, loader.stats.new) == (0, 0)
    assert reader.stats.deleted == 0
    assert queue_depth(sqs, queue_url) == (0, 4)  # in flight, not deleted

    wait_visible(sqs, queue_url, 4)
    restarted, reader = run(sqs, short_visibility, db)

    assert (restarted.stats.read, restarted.stats.new, restarted.stats.duplicates) == (4, 4, 0)
    assert reader.stats.redelivered == 4
    assert rows(observer) == 4
    assert queue_depth(sqs, queue_url) == (0, 0)


def test_crash_after_commit_before_delete_counts_redeliveries_as_duplicates(
    sqs, queue_url, short_visibility, db, observer
):
    send(sqs, queue_url, *(contact_event(n) for n in range(3)))
    loader = Loader(db, Stream.CONTACT_EVENTS)
    reader = SqsReader(sqs, short_visibility, before_delete=crash)

    with pytest.raises(Crash):
        reader.read(loader, WINDOW)

    assert loader.stats.new == 3
    assert rows(observer) == 3  # committed
    assert queue_depth(sqs, queue_url) == (0, 3)  # but not deleted

    wait_visible(sqs, queue_url, 3)
    restarted, reader = run(sqs, short_visibility, db)

    assert (restarted.stats.read, restarted.stats.new, restarted.stats.duplicates) == (3, 0, 3)
    assert rows(observer) == 3
    assert (reader.stats.redelivered, reader.stats.deleted) == (3, 3)
    assert queue_depth(sqs, queue_url) == (0, 0)


class Recorder(logging.Handler):
    """Collects log records (works with ``-p no:logging``, unlike caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _purge(sqs, queue_url):
    # The messages vanish between commit and delete, so every receipt handle is invalid.
    sqs.purge_queue(QueueUrl=queue_url)


def _drop_queue(sqs, queue_url):
    sqs.delete_queue(QueueUrl=queue_url)  # DeleteMessageBatch now raises a ClientError


@pytest.mark.parametrize(
    ("sabotage", "message", "times"),
    [
        (_purge, "delete failed", 3),  # each entry fails
        (_drop_queue, "could not delete 3 committed messages", 1),  # the whole call fails
    ],
)
def test_failed_deletes_are_logged_not_fatal(
    sqs, queue_url, source, db, observer, sabotage, message, times
):
    send(sqs, queue_url, *(contact_event(n) for n in range(3)))
    recorder, logger = Recorder(), logging.getLogger("wfm_connector.sources.sqs")
    logger.addHandler(recorder)
    try:
        loader, reader = run(sqs, source, db, before_delete=lambda _h: sabotage(sqs, queue_url))
    finally:
        logger.removeHandler(recorder)

    assert loader.stats.new == 3
    assert rows(observer) == 3
    assert (reader.stats.deleted, reader.stats.delete_failed) == (0, 3)
    assert sum(message in m for m in recorder.messages) == times


def test_same_event_in_two_messages_is_one_row(sqs, queue_url, source, db, observer):
    send(sqs, queue_url, contact_event(1), contact_event(1), contact_event(2))

    loader, reader = run(sqs, source, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.duplicates) == (3, 2, 1)
    assert rows(observer) == 2
    assert reader.stats.deleted == 3
    assert queue_depth(sqs, queue_url) == (0, 0)


def test_message_received_twice_in_one_batch_is_kept_once(sqs, queue_url, source, db, observer):
    # Visibility 0: every receive returns the same message again, with a new receipt handle.
    (message_id,) = send(sqs, queue_url, contact_event(1))
    again_and_again = source.model_copy(
        update={"visibility_timeout_seconds": 0, "max_messages_per_run": 5}
    )

    loader, reader = run(sqs, again_and_again, db)

    assert reader.stats.received == 5
    assert (loader.stats.read, loader.stats.new) == (1, 1)
    assert rows(observer) == 1
    assert reader.stats.deleted == 1  # with the newest receipt handle
    assert queue_depth(sqs, queue_url) == (0, 0)
    assert rows(observer, "SELECT source_position FROM wfm.contact_event_raw") == (
        f"sqs:{queue_name(queue_url)}/{message_id}"
    )


def test_malformed_body_is_quarantined_and_deleted(sqs, queue_url, source, db, observer):
    bad_json, no_contact_id = "{not json", orjson.dumps({"detail": {"eventType": "QUEUED"}})
    ids = send(sqs, queue_url, contact_event(1), bad_json, no_contact_id.decode())

    loader, reader = run(sqs, source, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.quarantined) == (3, 1, 2)
    quarantine = observer.execute(
        "SELECT source_position, stream, raw, reason FROM wfm.quarantine ORDER BY raw"
    ).fetchall()
    queue = queue_name(queue_url)
    assert [(q[0], q[1], bytes(q[2])) for q in quarantine] == sorted(
        [
            (f"sqs:{queue}/{ids[1]}", "contact_events", bad_json.encode()),
            (f"sqs:{queue}/{ids[2]}", "contact_events", no_contact_id),
        ],
        key=lambda q: q[2],
    )
    assert "not valid JSON" in dict((q[0], q[3]) for q in quarantine)[f"sqs:{queue}/{ids[1]}"]
    assert reader.stats.deleted == 3
    assert queue_depth(sqs, queue_url) == (0, 0)


def test_bare_detail_and_unknown_event_types_are_accepted(sqs, queue_url, source, db, observer):
    send(sqs, queue_url, BARE_DETAIL, contact_event(1, "CONTACT_DATA_UPDATED"))

    loader, _ = run(sqs, source, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.quarantined) == (2, 2, 0)
    stored = observer.execute(
        "SELECT event_type, event_key LIKE 'sha256:%%' FROM wfm.contact_event_raw ORDER BY 1"
    ).fetchall()
    assert stored == [("CONNECTED_TO_AGENT", True), ("CONTACT_DATA_UPDATED", False)]
    assert queue_depth(sqs, queue_url) == (0, 0)


def test_sns_notification_is_unwrapped(sqs, queue_url, source, db, observer):
    inner = contact_event(7)
    notification = orjson.dumps(
        {
            "Type": "Notification",
            "MessageId": "22222222-2222-2222-2222-222222222222",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:connect-contact-events",
            "Message": inner,
            "Timestamp": "2021-08-04T17:43:49.000Z",
        }
    ).decode()
    send(sqs, queue_url, notification, inner)  # the same event, wrapped and bare

    loader, _ = run(sqs, source, db)

    assert (loader.stats.read, loader.stats.new, loader.stats.duplicates) == (2, 1, 1)
    assert rows(observer, "SELECT payload FROM wfm.contact_event_raw") == inner


def test_the_time_limit_ends_a_run_and_old_batches_commit_before_their_visibility_ends(
    sqs, queue_url, source, db, observer
):
    send(sqs, queue_url, *(contact_event(n) for n in range(5000, 5050)))
    ticks = iter(x * 0.5 for x in range(1000))  # every look at the clock: half a second later
    busy = source.model_copy(
        update={"max_seconds_per_run": 2, "batch_messages": 10_000, "visibility_timeout_seconds": 3}
    )
    loader, reader = run(sqs, busy, db, clock=lambda: next(ticks))
    # t=0 start; t=.5 receive 10 (batch starts t=1); t=2 receive 10, batch 1.5 s old > 1 s
    # (visibility 3 s / 3): commit 20; t=3 > 2 s: stop, although 30 messages wait.
    assert (loader.stats.read, loader.stats.new, reader.stats.deleted) == (20, 20, 20)
    assert rows(observer) == 20
    assert queue_depth(sqs, queue_url) == (30, 0)
