"""Splitting delivered objects into JSON records, streaming.

In: a binary stream holding what Firehose (or the simulator, or a user copying from S3)
wrote: JSON objects concatenated with no delimiter (``{...}{...}``), newline-delimited, or
pretty-printed one after another, optionally GZIP-compressed (detected by the magic bytes
``1f 8b``, never by file name).

Out: :class:`Framed` records in order, each with the byte offset of its first byte in the
decompressed stream, its raw bytes and either the parsed value or the reason it did not parse.
Memory stays bounded by the read chunk plus one record.

How: candidate record boundaries are the places where ``}`` is followed (after optional
whitespace) by ``{``; finding them is a C-speed regex scan. Each candidate segment is parsed
with orjson. A segment that does not parse is first merged with the following segments
(a ``}{`` inside a string value), and if that fails, split into lines, so one truncated or
garbage line costs only itself.
"""

from __future__ import annotations

import gzip
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_SIZE = 1 << 18  # small enough that a truncated gzip object still yields most records
MAX_MERGE = 64  # a string value may hold '}{' several times
_BOUNDARY = re.compile(rb"\}\s*\{")


@dataclass(frozen=True, slots=True)
class Framed:
    """One record cut out of a stream."""

    offset: int
    raw: bytes
    value: Any = None
    error: str | None = None


class _Rejoined(io.RawIOBase):
    """A stream whose first bytes were already read (to sniff the format), put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_decompressed(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` as a buffered binary stream, decompressed when it starts with GZIP's magic.

    Works on anything with ``read(n)``: files, and S3 GetObject bodies, which are read in
    chunks as the framer asks, never loaded whole.
    """
    head = stream.read(2)
    raw = io.BufferedReader(_Rejoined(head, stream), buffer_size=CHUNK_SIZE)
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _segments(stream: IO[bytes], chunk_size: int) -> Iterator[tuple[int, bytes]]:
    r"""Cut at every ``}\s*{``; yields (offset of first non-blank byte, bytes)."""
    carry = b""
    carry_offset = 0
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        buf = carry + chunk if carry else chunk
        pos = 0
        for match in _BOUNDARY.finditer(buf):
            end = match.start() + 1
            yield from _strip(carry_offset + pos, buf[pos:end])
            pos = match.end() - 1
        carry = buf[pos:]
        carry_offset += pos
    yield from _strip(carry_offset, carry)


def _strip(offset: int, segment: bytes) -> Iterator[tuple[int, bytes]]:
    stripped = segment.lstrip()
    if stripped.strip():
        yield offset + len(segment) - len(stripped), stripped.rstrip()


def _parse(raw: bytes) -> tuple[Any, str | None]:
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc}"


def _lines(offset: int, raw: bytes) -> Iterator[Framed]:
    pos = 0
    for line in raw.split(b"\n"):
        for line_offset, piece in _strip(offset + pos, line):
            value, error = _parse(piece)
            yield Framed(line_offset, piece, value, error)
        pos += len(line) + 1


def iter_records(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[Framed]:
    """Yield every JSON record of ``stream`` (already decompressed) in order."""
    segments = _segments(stream, chunk_size)
    lookahead: deque[tuple[int, bytes]] = deque()

    def pull(n: int) -> None:
        while len(lookahead) < n:
            nxt = next(segments, None)
            if nxt is None:
                return
            lookahead.append(nxt)

    while True:
        pull(1)
        if not lookahead:
            return
        offset, raw = lookahead.popleft()
        value, error = _parse(raw)
        if error is None:
            yield Framed(offset, raw, value)
            continue
        pull(MAX_MERGE)
        merged = raw
        for used, (next_offset, next_raw) in enumerate(list(lookahead), start=1):
            merged = merged + b" " * (next_offset - offset - len(merged)) + next_raw
            value, merge_error = _parse(merged)
            if merge_error is None:
                for _ in range(used):
                    lookahead.popleft()
                yield Framed(offset, merged, value)
                break
        else:
            if b"\n" in raw:
                yield from _lines(offset, raw)
            else:
                yield Framed(offset, raw, None, error)


def iter_object_records(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[Framed]:
    """Decompress when needed, then :func:`iter_records`."""
    return iter_records(open_decompressed(stream), chunk_size)


def parse_one(raw: bytes) -> Framed:
    """One record that arrived on its own (a Kinesis record, an SQS message body)."""
    value, error = _parse(raw)
    return Framed(0, raw, value, error)
