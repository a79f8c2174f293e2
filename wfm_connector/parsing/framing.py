"""Splitting delivered objects into JSON records, streaming.

In: a binary stream holding what Firehose (or the simulator, or a user copying from S3)
wrote: JSON objects concatenated with no delimiter (``{...}{...}``), newline-delimited, or
pretty-printed one after another, optionally GZIP-compressed (detected by the magic bytes
``1f 8b``, never by file name).

Out: :class:`Framed` records in order, each with the byte offset of its first byte in the
decompressed stream, its raw bytes and either the parsed value or the reason it did not parse.
Memory stays bounded by two read chunks plus ``max_bytes`` (the record limit), and the
work is linear in the stream, whatever it holds: a record longer than the limit is cut (its
first bytes come with ``cut`` set, its rest is skipped to the next boundary), a long run of
filler is dropped as it is read, and GZIP is inflated a read at a time (a small object that
inflates to gigabytes never sits in memory).

How: candidate record boundaries are the places where ``}`` is followed (after optional
filler) by ``{``; finding them is a C-speed regex scan. Each candidate segment is parsed
with orjson. A segment that does not parse is first merged with the following segments
(a ``}{`` inside a string value), and if that fails, split into lines, so one truncated or
garbage line costs only itself.

Odd framing that still holds good records: a UTF-8 byte-order mark (at the start, or where
files were concatenated) and NUL padding (a file system's zero-filled tail) count as filler
between records; a segment that is one JSON array of objects (an export written as ``[{..},
{..}]``) yields each object as a record, at its own byte offset; a GZIP stream cut short yields
every record decompressed before the cut, then raises ``EOFError`` for the caller to record.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_SIZE = 1 << 18  # small enough that a truncated gzip object still yields most records
MAX_MERGE = 64  # a string value may hold '}{' several times
_FILL = rb"(?:[\s\x00]|\xef\xbb\xbf)"  # whitespace, NUL padding, byte-order marks
# a record (or an array of records) ends, another begins; possessive (*+): a long run of
# filler is scanned once, without a backtracking entry per byte
_BOUNDARY = re.compile(rb"[\}\]]" + _FILL + rb"*+[\{\[]")
_BLANKS = b" \t\n\r\x0b\x0c\x00"
_BOM = b"\xef\xbb\xbf"
_CLOSERS = b"}]"
MAX_RECORD_BYTES = 1 << 20  # Connect's records are a few KB; far larger means corrupt


_FILL_RUN = re.compile(rb"(?:[ \t\n\r\x0b\x0c\x00]|\xef\xbb\xbf)*+")
_FILL_RUN_REVERSED = re.compile(rb"(?:[ \t\n\r\x0b\x0c\x00]|\xbf\xbb\xef)*+")


def _lstrip_fill(data: bytes) -> bytes:
    """``data`` without leading filler (one C-speed pass, whatever mix of blanks and BOMs)."""
    return data[_FILL_RUN.match(data).end() :]


def _rstrip_fill(data: bytes) -> bytes:
    """``data`` without trailing filler (matched on the reversed bytes: one pass)."""
    if not data or (data[-1] not in _BLANKS and not data.endswith(_BOM)):
        return data
    return data[: len(data) - _FILL_RUN_REVERSED.match(data[::-1]).end()]


@dataclass(frozen=True, slots=True)
class Framed:
    """One record cut out of a stream."""

    offset: int
    raw: bytes
    value: Any = None
    error: str | None = None
    cut: bool = False  # longer than the reader's limit: raw holds only its first bytes


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


class _Gunzip(io.RawIOBase):
    """GZIP decompression that hands out every byte it could decode before a cut.

    ``gzip.GzipFile`` raises at a truncated end before returning the last block it holds, so
    a small truncated object would lose all of its good records; this yields them, then raises
    ``EOFError``. Several concatenated GZIP members are read one after another.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj(wbits=31)
        self._out = b""
        self._tail = b""  # compressed bytes read but not yet fed
        self._done = False

    def readable(self) -> bool:
        return True

    def _fill(self, want: int) -> None:
        # Inflates at most ``want`` bytes ahead, so a highly compressed object (a GZIP bomb)
        # never sits in memory whole, and handing out bytes never copies a large buffer.
        while len(self._out) < want and not self._done:
            data, self._tail = self._tail or self._raw.read(CHUNK_SIZE), b""
            if not data:
                self._done = True
                self._out += self._inflate.flush()
                if not self._inflate.eof:
                    self.truncated = True
                return
            if self._inflate.eof:  # after a member: NUL padding, or another member
                data = data.lstrip(b"\x00")
                if not data:
                    continue
                self._inflate = zlib.decompressobj(wbits=31)
            self._out += self._inflate.decompress(data, want - len(self._out))
            self._tail = self._inflate.unconsumed_tail or self._inflate.unused_data

    truncated = False  # the stream ended before GZIP's end-of-stream marker

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        # A cut is reported as the end of the data (raising here would make the buffered
        # reader above drop what it already holds); iter_object_records raises afterwards.
        self._fill(len(buffer))
        n = min(len(buffer), len(self._out))
        buffer[:n], self._out = self._out[:n], self._out[n:]
        return n


def open_decompressed(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` as a buffered binary stream, decompressed when it starts with GZIP's magic.

    Works on anything with ``read(n)``: files, and S3 GetObject bodies, which are read in
    chunks as the framer asks, never loaded whole.
    """
    head = stream.read(2)
    raw = io.BufferedReader(_Rejoined(head, stream), buffer_size=CHUNK_SIZE)
    if head == GZIP_MAGIC:
        return io.BufferedReader(_Gunzip(raw), buffer_size=CHUNK_SIZE)
    return raw


def _fill_start(buf: bytes) -> bool:
    return bool(buf) and (buf[0] in _BLANKS or buf.startswith(_BOM))


def _trailing_closer(buf: bytes, new_from: int, previous: int | None) -> int | None:
    """Index of a ``}`` or ``]`` followed only by filler to the end of ``buf``, or None.

    Looks only at ``buf[new_from:]`` (the bytes just read, and the two before them, where a
    byte-order mark may have begun): when all of them are filler, the ``previous`` answer
    stands. A byte-order mark cut by the end of the read counts as filler.
    """
    tail = _rstrip_fill(buf[new_from:])
    for part in (_BOM[:2], _BOM[:1]):
        if tail.endswith(part):
            tail = _rstrip_fill(tail[: -len(part)])
            break
    if not tail:
        return previous
    last = new_from + len(tail) - 1
    return last if buf[last] in _CLOSERS else None


def _leading_lines(
    buf: bytes, pos: int, base: int, limit: int
) -> Generator[tuple[int, bytes, bool], None, int]:
    """Yield the lines from ``pos`` that are JSON objects, up to the first that is not.

    Returns where the rest begins. Keeps good newline-delimited records that precede garbage
    without a boundary (which would otherwise be cut with them); a large pretty-printed
    record fails on its first line, so it is not split into a row per line.
    """
    while (newline := buf.find(b"\n", pos, pos + limit + 1)) >= 0:
        line = buf[pos:newline]
        stripped = _rstrip_fill(_lstrip_fill(line))
        if stripped:
            value, error = _parse(stripped)
            if error is not None or not isinstance(value, dict):
                break
            yield from _strip(base + pos, line, False)
        pos = newline + 1
    return pos


ARRAY_FACTOR = 64  # a file that is one JSON array of records may hold this many records' worth


def _content(buf: bytes, pos: int, closer: int | None) -> int:
    """Length of the unfinished segment, without the filler after its last closing bracket."""
    return (closer + 1 if closer is not None else len(buf)) - pos


def _limit(buf: bytes, pos: int, max_bytes: int) -> int:
    """How long the unfinished segment may grow before it is cut.

    An array of records is one segment, split into its records later: it gets
    ``ARRAY_FACTOR`` records' worth.
    """
    return max_bytes * ARRAY_FACTOR if buf[pos : pos + 1] == b"[" else max_bytes


def _segments(
    stream: IO[bytes], chunk_size: int, max_bytes: int
) -> Iterator[tuple[int, bytes, bool]]:
    r"""Cut at every ``}\s*{``; yields (offset of first non-blank byte, bytes, cut).

    Linear in the stream, and holding at most about ``max_bytes`` plus two reads: each read
    is scanned once (a boundary can only begin at a closing bracket followed by nothing but
    filler, so the scan resumes there); filler before a segment is dropped as it arrives; a
    record followed by a long run of filler ends where the filler begins; a segment longer
    than ``max_bytes`` is yielded cut (its first ``max_bytes + 1`` bytes, ``cut`` true) and the
    rest of it, up to the next boundary, is skipped.
    """
    buf = b""  # bounded (see above), so joining reads copies little
    base = 0  # offset of buf[0] in the stream
    resume = 0  # no boundary starts before this index of buf
    closer: int | None = None  # see _trailing_closer
    skipping = False  # dropping the rest of a cut segment
    while chunk := stream.read(chunk_size):
        new_from = len(buf)
        buf = buf + chunk if buf else chunk
        pos = 0  # where the unfinished segment begins in buf
        for match in list(_BOUNDARY.finditer(buf, resume)):
            if not skipping:
                yield from _strip(base + pos, buf[pos : match.start() + 1], False)
            skipping = False
            pos = match.end() - 1
        kept = closer if closer is not None and closer >= pos else None
        # from a known closer (its filler may end in a BOM cut by the read), else from the
        # two bytes before the read (a BOM begun there)
        start = kept if kept is not None else max(new_from - 2, pos)
        closer = _trailing_closer(buf, start, kept)
        if closer is not None and len(buf) - closer > chunk_size:
            # a long run of filler (a zero-filled hole) after a record: the record ends here
            if not skipping:
                yield from _strip(base + pos, buf[pos : closer + 1], False)
            skipping, pos, closer = False, closer + 1, None
        elif _content(buf, pos, closer) > _limit(buf, pos, max_bytes):
            if not skipping:  # whole records on lines of their own before it are kept
                pos = yield from _leading_lines(buf, pos, base, max_bytes)
                closer = closer if closer is not None and closer >= pos else None
            if _content(buf, pos, closer) > _limit(buf, pos, max_bytes):
                if not skipping:
                    yield base + pos, buf[pos : pos + max_bytes + 1], True
                skipping = True
                pos = closer if closer is not None else len(buf)  # a boundary may begin there
        buf = buf[pos:]
        base += pos
        if _fill_start(buf):
            stripped = _lstrip_fill(buf)
            base += len(buf) - len(stripped)
            if closer is not None:
                closer -= pos + len(buf) - len(stripped)
            buf = stripped
        elif closer is not None:
            closer -= pos
        resume = closer if closer is not None else len(buf)
    if not skipping:
        yield from _strip(base, buf, False)


def _strip(offset: int, segment: bytes, cut: bool) -> Iterator[tuple[int, bytes, bool]]:
    left = _lstrip_fill(segment)
    stripped = _rstrip_fill(left)
    if stripped:
        start = offset + len(segment) - len(left)
        yield start, stripped, cut


def _array_items(raw: bytes) -> list[tuple[int, bytes]] | None:
    """(offset within ``raw``, bytes) of each element of the JSON array ``raw``, or None."""
    items: list[tuple[int, bytes]] = []
    depth, in_string, escaped, start = 0, False, False, None
    for i, byte in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
            continue
        if byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth == 2 and start is None:
                start = i
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
            if depth == 1 and start is not None:
                items.append((start, raw[start : i + 1]))
                start = None
    return items if depth == 0 else None


def _framed(offset: int, raw: bytes) -> Iterator[Framed]:
    """The record at ``offset``, or each object of a JSON array of objects."""
    value, error = _parse(raw)
    if error is None and isinstance(value, list) and value and all(
        isinstance(v, dict) for v in value
    ):
        items = _array_items(raw)
        if items is not None and len(items) == len(value):
            for (relative, item), item_value in zip(items, value, strict=True):
                yield Framed(offset + relative, item, item_value)
            return
    yield Framed(offset, raw, value, error)


def _parse(raw: bytes) -> tuple[Any, str | None]:
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:  # orjson's position is of the text, not the bytes
            return None, (f"not UTF-8 text: byte {bad.start} of the record is "
                          f"0x{raw[bad.start]:02x} ({bad.reason})")  # fmt: skip
        return None, f"not valid JSON: {exc}"


def _lines(offset: int, raw: bytes) -> Iterator[Framed]:
    pos = 0
    for line in raw.split(b"\n"):
        for line_offset, piece, _ in _strip(offset + pos, line, False):
            value, error = _parse(piece)
            yield Framed(line_offset, piece, value, error)
        pos += len(line) + 1


def iter_records(
    stream: IO[bytes], chunk_size: int = CHUNK_SIZE, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Framed]:
    """Yield every JSON record of ``stream`` (already decompressed) in order.

    A record longer than ``max_bytes`` comes as its first ``max_bytes + 1`` bytes with
    ``cut`` set, unparsed.
    """
    segments = _segments(stream, chunk_size, max_bytes)
    lookahead: deque[tuple[int, bytes, bool]] = deque()

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
        offset, raw, cut = lookahead.popleft()
        if cut:
            yield Framed(offset, raw, None, f"record longer than {max_bytes:,} bytes", cut=True)
            continue
        value, error = _parse(raw)
        if error is None:
            yield from _framed(offset, raw)
            continue
        pull(MAX_MERGE)
        merged, merge_error = raw, error
        for used, (next_offset, next_raw, next_cut) in enumerate(list(lookahead), start=1):
            if next_cut or next_offset + len(next_raw) - offset > max_bytes:
                break  # a '}{' inside a string joins pieces of one record, never a huge one
            merged = merged + b" " * (next_offset - offset - len(merged)) + next_raw
            value, merge_error = _parse(merged)
            if merge_error is None:
                for _ in range(used):
                    lookahead.popleft()
                yield Framed(offset, merged, value)
                break
        if merge_error is not None:
            if b"\n" in raw:
                yield from _lines(offset, raw)
            else:
                yield Framed(offset, raw, None, error)


def iter_object_records(
    stream: IO[bytes], chunk_size: int = CHUNK_SIZE, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Framed]:
    """Decompress when needed, then :func:`iter_records`.

    Raises ``EOFError`` after the last record when a GZIP stream was cut short.
    """
    opened = open_decompressed(stream)
    yield from iter_records(opened, chunk_size, max_bytes)
    inner = getattr(opened, "raw", None)
    if isinstance(inner, _Gunzip) and inner.truncated:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")


def parse_one(raw: bytes) -> Framed:
    """One record that arrived on its own (a Kinesis record, an SQS message body)."""
    value, error = _parse(raw)
    return Framed(0, raw, value, error)
