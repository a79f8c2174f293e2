"""Local folder source: files laid out the way Firehose writes them to S3.

In: ``<root>/<stream folder>/YYYY/MM/DD/HH/<object>`` (hour folders in UTC by delivery time),
as written by the simulator or copied from an S3 bucket (``aws s3 sync``). Objects may be
GZIP-compressed, concatenated JSON or newline-delimited JSON.

Out: :class:`SourceRecord` items for the hour folders that overlap a UTC window, widened by
the configured look-back/look-ahead (late events and contact records of contacts that ended
after midnight are delivered in later hours). Files are read in key order, streaming.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from wfm_connector.config import LocalFolderSource as LocalFolderConfig
from wfm_connector.parsing.framing import Framed, iter_object_records
from wfm_connector.sources.base import SourceRecord, Stream


class LocalFolderSource:
    """Reads a Firehose-style folder tree."""

    def __init__(self, config: LocalFolderConfig) -> None:
        self.config = config
        self.root = Path(config.path)

    def folder(self, stream: Stream) -> str:
        """The stream's top folder name."""
        return {
            Stream.AGENT_EVENTS: self.config.agent_events_folder,
            Stream.CONTACT_EVENTS: self.config.contact_events_folder,
            Stream.CONTACT_RECORDS: self.config.contact_records_folder,
        }[stream]

    def object_keys(self, stream: Stream, start: datetime, end: datetime) -> list[str]:
        """Keys (relative to the root) of the objects delivered in the widened window."""
        first = (start - timedelta(hours=self.config.lookback_hours)).replace(
            minute=0, second=0, microsecond=0
        )
        last = end + timedelta(hours=self.config.lookahead_hours)
        keys: list[str] = []
        hour = first
        base = self.root / self.folder(stream)
        while hour < last:
            hour_dir = base / hour.strftime("%Y/%m/%d/%H")
            if hour_dir.is_dir():
                keys.extend(
                    p.relative_to(self.root).as_posix()
                    for p in sorted(hour_dir.iterdir())
                    if p.is_file()
                )
            hour += timedelta(hours=1)
        return keys

    def records(self, stream: Stream, start: datetime, end: datetime) -> Iterator[SourceRecord]:
        """Every record of every object in the window, in key then byte order."""
        for key in self.object_keys(stream, start, end):
            yield from self._object_records(key)

    def _object_records(self, key: str) -> Iterator[SourceRecord]:
        path = self.root / key
        try:
            with path.open("rb") as fh:
                for framed in iter_object_records(fh):
                    yield SourceRecord(f"{key}:{framed.offset}", framed)
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip, unreadable file
            reason = (
                f"object cannot be read to its end ({type(exc).__name__}: {exc}); "
                "raw holds the whole object"
            )
            yield SourceRecord(f"{key}:object", Framed(0, path.read_bytes(), None, reason))
