"""What every source hands to ingest: framed records with their position in the source.

A source (local folder now; S3, Kinesis and SQS readers later) yields, per stream and time
window, :class:`SourceRecord` items. The position names where the bytes came from, precisely
enough for a person to find them again (``agent-events/2026/11/02/14/obj:1834``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from wfm_connector.parsing.framing import Framed


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


class Source(Protocol):
    """Anything that can list a stream's records delivered in a UTC window."""

    def records(self, stream: Stream, start: datetime, end: datetime) -> Iterator[SourceRecord]:
        """Records delivered between ``start`` and ``end`` (by delivery hour), in order."""
        ...
