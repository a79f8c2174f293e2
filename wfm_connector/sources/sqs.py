"""Reading an SQS queue that an EventBridge rule (or an EventBridge Pipe) delivers to.

In: an SQS queue whose message bodies are one record each: the EventBridge envelope of an
"Amazon Connect Contact Event" as a rule target delivers it, a bare ``detail``, or a contact
record forwarded by a Pipe whose target input template passes just the record. A body that is
an SNS notification (``{"Type": "Notification", "Message": "..."}``, from a topic subscribed
with raw delivery off) is unwrapped to its ``Message``.

Out: batches of :class:`~wfm_connector.sources.base.SourceRecord` handed to the loader, each
framed from the body's bytes and positioned ``sqs:<queue name>/<MessageId>``. Messages are
deleted (DeleteMessageBatch, ten at a time) only after the batch holding them is committed,
so a crash anywhere before that leaves them in the queue and they reappear after the
visibility timeout. A crash between commit and delete makes them reappear too; the raw
tables' keys (the envelope ``id`` for contact events) then drop them as duplicates. Bodies
that are not valid records are quarantined by the loader and deleted like the others: their
bytes are safe in ``wfm.quarantine``.

How: long-poll ReceiveMessage (up to ten messages per call) until ``batch_messages`` distinct
messages are gathered, load them in one transaction, delete them, and repeat until a receive
returns nothing or ``max_messages_per_run`` messages were received. The visibility timeout
must exceed the time to gather and load one batch, or messages reappear while they are being
loaded (harmless, but wasted work).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from wfm_connector.config import SqsSource
from wfm_connector.parsing.framing import Framed, parse_one
from wfm_connector.sources.base import SourceRecord

if TYPE_CHECKING:
    import psycopg

    from wfm_connector.ingest import Loader
    from wfm_connector.intervals import DayWindow

log = logging.getLogger(__name__)
MAX_PER_CALL = 10  # SQS's limit for ReceiveMessage and DeleteMessageBatch
MAX_BATCH_SECONDS = 30.0  # commit at least this often while messages keep coming


@dataclass
class SqsReadStats:
    """What the reader did with the queue (the loader counts the records)."""

    received: int = 0
    redelivered: int = 0
    deleted: int = 0
    delete_failed: int = 0


@dataclass
class _Message:
    record: SourceRecord
    receipt_handle: str


def queue_name(queue_url: str) -> str:
    """The queue's name: the last path segment of its URL."""
    return urlparse(queue_url).path.rstrip("/").rsplit("/", 1)[-1]


def _unwrap_sns(framed: Framed) -> Framed:
    """The inner message when ``framed`` is an SNS notification envelope, else ``framed``."""
    value = framed.value
    if (
        isinstance(value, dict)
        and value.get("Type") == "Notification"
        and isinstance(value.get("Message"), str)
        and "TopicArn" in value
    ):
        return parse_one(value["Message"].encode("utf-8"))
    return framed


class SqsReader:
    """Reads one stream from an SQS queue, deleting messages once their rows are committed.

    Args:
        client: a boto3 SQS client.
        source: the queue and its polling settings.
        before_delete: test seam, like :class:`~wfm_connector.ingest.Loader`'s
            ``before_commit``: called with the receipt handles of a committed batch just
            before they are deleted; raising there simulates a crash between commit and delete.
    """

    def __init__(
        self,
        client: Any,
        source: SqsSource,
        before_delete: Callable[[list[str]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.source = source
        self.queue = queue_name(source.queue_url)
        self.before_delete = before_delete
        self.clock = clock
        self.stats = SqsReadStats()

    def pending(self, conn: psycopg.Connection, window: DayWindow) -> bool:
        """True when the queue holds visible messages (in-flight ones are not counted)."""
        attrs = self.client.get_queue_attributes(
            QueueUrl=self.source.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", "0")) > 0

    def read(self, loader: Loader, window: DayWindow) -> None:
        """Receive, load and delete messages until the queue is empty or the run's limit is hit.

        ``window`` is not used: a queue is read in arrival order whatever the day.
        """
        gathered: dict[str, _Message] = {}
        received = 0
        started = batch_started = self.clock()
        # Commit a batch well before its first messages become visible again, and end the run
        # after max_seconds_per_run even when traffic never lets the queue run empty.
        batch_age = min(max(self.source.visibility_timeout_seconds / 3, 1.0), MAX_BATCH_SECONDS)
        while received < self.source.max_messages_per_run:
            if self.clock() - started > self.source.max_seconds_per_run:
                break
            want = min(MAX_PER_CALL, self.source.max_messages_per_run - received)
            messages = self._receive(want)
            if not messages:
                break
            if not gathered:
                batch_started = self.clock()
            received += len(messages)
            for message in messages:
                self._gather(gathered, message)
            full = len(gathered) >= self.source.batch_messages
            if full or self.clock() - batch_started > batch_age:
                self._load(loader, gathered)
                gathered = {}
        if gathered:
            self._load(loader, gathered)
        log.info("sqs %s: %s", self.queue, self.stats)

    def _receive(self, want: int) -> list[dict[str, Any]]:
        response = self.client.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=want,
            WaitTimeSeconds=self.source.wait_time_seconds,
            VisibilityTimeout=self.source.visibility_timeout_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        )
        messages = response.get("Messages", [])
        self.stats.received += len(messages)
        return messages

    def _gather(self, gathered: dict[str, _Message], message: dict[str, Any]) -> None:
        message_id = message["MessageId"]
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if receive_count > 1:
            self.stats.redelivered += 1
        known = gathered.get(message_id)
        if known is not None:
            # Received again within this batch (its visibility timed out): only the newest
            # receipt handle is sure to delete it.
            known.receipt_handle = message["ReceiptHandle"]
            return
        framed = _unwrap_sns(parse_one(message["Body"].encode("utf-8")))
        record = SourceRecord(f"sqs:{self.queue}/{message_id}", framed)
        gathered[message_id] = _Message(record, message["ReceiptHandle"])

    def _load(self, loader: Loader, gathered: dict[str, _Message]) -> None:
        handles = [m.receipt_handle for m in gathered.values()]
        loader.load(
            [m.record for m in gathered.values()], after_commit=lambda: self._delete(handles)
        )

    def _delete(self, handles: Sequence[str]) -> None:
        """Delete committed messages; a failure is logged, the message reappears as a duplicate."""
        if self.before_delete is not None:
            self.before_delete(list(handles))
        for start in range(0, len(handles), MAX_PER_CALL):
            chunk = handles[start : start + MAX_PER_CALL]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            try:
                response = self.client.delete_message_batch(
                    QueueUrl=self.source.queue_url, Entries=entries
                )
            except (ClientError, BotoCoreError) as exc:
                self.stats.delete_failed += len(chunk)
                log.error(
                    "sqs %s: could not delete %d committed messages (%s); they will be read "
                    "again and dropped as duplicates",
                    self.queue, len(chunk), exc,
                )  # fmt: skip
                continue
            self.stats.deleted += len(response.get("Successful", []))
            for failure in response.get("Failed", []):
                self.stats.delete_failed += 1
                log.warning(
                    "sqs %s: delete failed (%s: %s); the message will be read again and dropped "
                    "as a duplicate",
                    self.queue, failure.get("Code"), failure.get("Message"),
                )  # fmt: skip
