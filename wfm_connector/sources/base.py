"""What every source hands to ingest, and what every reader does.

A reader (local folder, S3, Kinesis, SQS) reads one stream and passes batches of
:class:`SourceRecord` to a :class:`~wfm_connector.ingest.Loader`, together with a checkpoint
callback that records how far it got in the same transaction as the rows. The position of a
record names where its bytes came from precisely enough for a person to find them again
(``agent-events/2026/11/02/14/obj:1834``, ``s3://bucket/key:1834``,
``kinesis:stream/shardId-000000000000/4959...``, ``sqs:queue/<message id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from wfm_connector.parsing.framing import Framed

if TYPE_CHECKING:
    import psycopg

    from wfm_connector.ingest import Loader
    from wfm_connector.intervals import DayWindow


class Stream(StrEnum):
    """The three Amazon Connect data streams the connector ingests."""

    AGENT_EVENTS = "agent_events"
    CONTACT_EVENTS = "contact_events"
    CONTACT_RECORDS = "contact_records"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One framed record and where it came from."""

    position: str
    framed: Framed


class Reader(Protocol):
    """Reads one stream from one place into a loader, remembering how far it got."""

    def read(self, loader: Loader, window: DayWindow) -> None:
        """Load what is new; ``window`` bounds the sources that are organised by time."""
        ...

    def pending(self, conn: psycopg.Connection, window: DayWindow) -> bool:
        """Cheaply: is there anything ``read`` would load now?"""
        ...
