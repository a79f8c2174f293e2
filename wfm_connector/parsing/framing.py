"""Splitting delivered objects into JSON records, streaming.

In: a binary stream holding what Firehose (or the simulator, or a user copying from S3)
wrote: JSON objects concatenated with no delimiter (``{...}{...}``), newline-delimited, or
pretty-printed one after another, optionally GZIP-compressed (detected by the magic bytes
``1f 8b``, never by file name).

Out: :class:`Framed` records in order, each with the byte offset of its first byte in the
decompressed stream, its raw bytes and either the parsed value or the reason it did not parse.
Memory stays bounded by two read chunks plus ``max_bytes`` (the record limit; a file that is
one JSON array of records may hold ``ARRAY_FACTOR`` times that), and the work is linear in
the stream, whatever it holds; how the stream is cut into reads never changes what is read.
A run of filler longer than ``LONG_FILLER`` after a record is dropped as it is read; GZIP
is inflated a read at a time (a small object that inflates to gigabytes never sits in
memory); and a segment longer than the limit is read on a line at a time, so that records on
lines of their own around a corrupt stretch still load (lines that are not records come as
pieces, cut to their first bytes with ``cut`` set when too long).

Known limits, in corrupt input only: a pretty-printed record directly followed by garbage,
with no boundary between them, is lost with the garbage (quarantined); a JSON array of
records is held whole, up to ``ARRAY_FACTOR`` records' worth, before it is split.

How: candidate record boundaries are the places where ``}`` is followed (after optional
filler) by ``{``; finding them is a C-speed regex scan. Each candidate segment is parsed
with orjson. A segment that does not parse but ends inside a string is joined with the
following segments, with the filler between them as it was (a ``}{`` inside a string value);
if that fails, it is split into lines, so one truncated or garbage line costs only itself.

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
_BLANKS = b" \t\n\r\x0b\x0c\x00"
_BOM = b"\xef\xbb\xbf"
_CLOSERS = b"}]"
MAX_RECORD_BYTES = 1 << 20  # Connect's records are a few KB; far larger means corrupt


_FILL_RUN = re.compile(rb"(?:[ \t\n\r\x0b\x0c\x00]|\xef\xbb\xbf)*+")
_FILL_RUN_REVERSED = re.compile(rb"(?:[ \t\n\r\x0b\x0c\x00]|\xbf\xbb\xef)*+")


def _lstrip_fill(data: bytes) -> bytes:
    """``data`` without leading filler (C-speed passes, whatever mix of blanks and BOMs)."""
    stripped = data.lstrip(_BLANKS)
    if stripped.startswith(_BOM):  # rare: one regex pass over the mix
        return data[_FILL_RUN.match(data).end() :]
    return stripped


def _rstrip_fill(data: bytes) -> bytes:
    """``data`` without trailing filler (a BOM among it: one regex pass on the reversed bytes)."""
    stripped = data.rstrip(_BLANKS)
    if stripped.endswith(_BOM):
        return data[: len(data) - _FILL_RUN_REVERSED.match(data[::-1]).end()]
    return stripped


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
            if self._inflate.eof:  # after a member: padding (NULs, blanks), or another member
                data = data.lstrip(_BLANKS)
                if not data:
                    continue
                self._inflate = zlib.decompressobj(wbits=31)
            try:
                self._out += self._inflate.decompress(data, want - len(self._out))
            except zlib.error as exc:  # what was decoded is handed out first, then the error
                self.error, self._done = exc, True
                return
            self._tail = self._inflate.unconsumed_tail or self._inflate.unused_data

    truncated = False  # the stream ended before GZIP's end-of-stream marker
    error: zlib.error | None = None  # bytes that do not decode (garbage after a member...)

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


def _cut_bom(buf: bytes, end: int) -> int:
    """How many bytes of a byte-order mark's beginning ``buf[:end]`` ends with (0 to 2)."""
    return 2 if buf.endswith(_BOM[:2], 0, end) else int(buf.endswith(_BOM[:1], 0, end))


def _fill_start(buf: bytes) -> bool:
    return bool(buf) and (buf[0] in _BLANKS or buf.startswith(_BOM))


def _last_solid(buf: bytes, new_from: int, previous: int | None) -> int | None:
    """Index of the last byte of ``buf`` that is not filler, or None.

    Looks only at ``buf[new_from:]`` (the bytes just read, and those before them where a
    byte-order mark may have begun): when all of them are filler, the ``previous`` answer
    stands. A byte-order mark cut by the end of the read counts as filler.
    """
    tail = _rstrip_fill(buf[new_from:])
    for part in (_BOM[:2], _BOM[:1]):
        if tail.endswith(part):
            tail = _rstrip_fill(tail[: -len(part)])
            break
    return new_from + len(tail) - 1 if tail else previous


@dataclass(frozen=True, slots=True)
class _Segment:
    """A candidate record: the bytes between two boundaries (or a line, or a garbage run)."""

    offset: int
    raw: bytes
    cut: bool = False
    # the filler between the segment before and this one, when a boundary split them (a
    # '}{' inside a string value may have); None when they cannot be one record
    gap: bytes | None = None


# a line that may begin a record (or an array of records): '{' or '[' is its first byte (an
# indented line is more likely a piece of a pretty-printed record)
_BRACE_LINE = re.compile(rb"^(?:\xef\xbb\xbf|\x00)*+([\{\[][^\n]*)", re.M)
_LINE_LEAD = re.compile(rb"(?:\xef\xbb\xbf|\x00)*+")  # what may come before it


def _record_line(line: bytes, max_bytes: int) -> bool:
    """Whether a line is one record (an object), or an array of records, within the limit."""
    if len(line) > (max_bytes * ARRAY_FACTOR if line[:1] == b"[" else max_bytes):
        return False
    if not line.endswith((b"}", b"]")):
        return False
    value = _parse(line)[0]
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


class _LineReader:
    """The rest of a segment too long to be one record, read a line at a time.

    Records written one per line keep loading around a corrupt stretch with no boundary in it
    (a truncated record, then more records on their own lines): each line that is one JSON
    object, beginning with its ``{`` (see ``_BRACE_LINE``), is a segment of its own; the other
    lines form garbage segments, a new one at each line that begins with ``{`` (it may be the
    start of a record that the next segment ends, see :func:`iter_records`). A garbage segment
    comes whole when it is at most ``max_bytes`` long, else cut to its first ``max_bytes + 1``
    bytes. Blank lines neither begin nor end one. Holds at most the garbage segment's first
    bytes and one unfinished line of at most ``max_bytes``.
    """

    def __init__(self, max_bytes: int, origin: int, gap: bytes | None) -> None:
        self.max_bytes = max_bytes
        self.origin, self.gap = origin, gap  # where the segment began, and its _Segment.gap
        self.start: int | None = None  # stream offset of the garbage run's first byte
        self.end = 0  # stream offset after its last byte that is not filler
        self.head = bytearray()  # its first max_bytes + 1 bytes
        self.mid_line = False  # the bytes fed next continue a line already counted as garbage

    def feed(self, offset: int, data: bytes, final: bool) -> Generator[_Segment, None, int]:
        """Take ``data``, which begins at stream ``offset`` at the start of a line.

        Returns how many bytes were used: all of them when ``final`` (the segment ends with
        ``data``), else up to the last line end; an unfinished line of at most ``max_bytes`` is
        left for the caller to feed again with the bytes that follow it, as is a byte-order
        mark the read cut (so that it is seen whole, as filler).
        """
        if not final:
            data = data[: len(data) - _cut_bom(data, len(data))]
        pos = 0
        if self.mid_line:
            newline = data.find(b"\n")
            pos = len(data) if newline < 0 else newline + 1
            self._garbage(offset, data[:pos])
            self.mid_line = newline < 0 and not final
        end = len(data) if final else max(data.rfind(b"\n") + 1, pos)
        # most garbage has no bracket: skip the line-by-line scan up to the first
        brackets = [i for i in (data.find(b"{", pos, end), data.find(b"[", pos, end)) if i >= 0]
        scan_from = data.rfind(b"\n", pos, min(brackets)) + 1 if brackets else end
        for match in _BRACE_LINE.finditer(data, max(scan_from, pos), end):
            self._garbage(offset + pos, data[pos : match.start()])
            yield from self._flush()
            line, pos = _rstrip_fill(match.group(1)), match.start()
            if _record_line(line, self.max_bytes):
                yield self._segment(offset + match.start(1), line, False)
                pos = match.end()
        self._garbage(offset + pos, data[pos:end])
        if final:
            yield from self._flush()
            return len(data)
        if len(data) - end > self.max_bytes:  # an unfinished line already too long for a record
            if _LINE_LEAD.fullmatch(data, end):  # NULs so far: a record may still begin after
                self._garbage(offset + end, data[end:])
                return len(data)
            if _BRACE_LINE.match(data, end):  # it begins a garbage segment of its own
                yield from self._flush()
            self._garbage(offset + end, data[end:])
            self.mid_line = True
            return len(data)
        return end

    def _garbage(self, offset: int, data: bytes) -> None:
        if self.start is None:
            stripped = _lstrip_fill(data)
            if not stripped:
                return
            offset += len(data) - len(stripped)
            data, self.start = stripped, offset
        room = self.max_bytes + 1 - len(self.head)
        if room > 0:
            self.head += data[:room]
        body = _rstrip_fill(data)
        if body:
            self.end = offset + len(body)

    def _flush(self) -> Iterator[_Segment]:
        if self.start is not None:
            length = self.end - self.start
            yield self._segment(self.start, bytes(self.head[:length]), length > self.max_bytes)
            self.start, self.head = None, bytearray()

    def _segment(self, offset: int, raw: bytes, cut: bool) -> _Segment:
        return _Segment(offset, raw, cut, self.gap if offset == self.origin else None)


ARRAY_FACTOR = 64  # a file that is one JSON array of records may hold this many records' worth
# Filler longer than this after a record ends it (it is dropped as it is read); shorter filler
# is kept, as the gap of a '}{' inside a string may be, whatever the read size.
LONG_FILLER = 64 << 10
# where a record ends: a boundary (a closer, filler, an opener: group 1), or a closer followed
# by more than LONG_FILLER of filler, whatever comes after it (found alike in any read);
# possessive (*+): a long run of filler is scanned once, without a backtracking entry per byte
_BREAK = re.compile(
    rb"[\}\]](?:(" + _FILL + rb"*+[\{\[])|" + _FILL + rb"{%d})" % (LONG_FILLER + 1)
)


def _content(buf: bytes, pos: int, closer: int | None) -> int:
    """Length of the unfinished segment: to its closing bracket, else with the filler after it.

    (Filler after anything else counts: ``{"b":`` then a gigabyte of blank lines is an
    over-long segment, read a line at a time, not a buffer growing for ever.)
    """
    return (closer + 1 if closer is not None else len(buf)) - pos


def _limit(buf: bytes, pos: int, max_bytes: int) -> int:
    """How long the unfinished segment may grow before it is read a line at a time.

    An array of records is one segment, split into its records later: it gets
    ``ARRAY_FACTOR`` records' worth.
    """
    return max_bytes * ARRAY_FACTOR if buf[pos : pos + 1] == b"[" else max_bytes


def _segments(stream: IO[bytes], chunk_size: int, max_bytes: int) -> Iterator[_Segment]:
    r"""Cut at every ``}\s*{``, in order.

    Linear in the stream, and holding at most about ``max_bytes`` plus two reads: each read
    is scanned once (a boundary can only begin at a closing bracket followed by nothing but
    filler, so the scan resumes there); filler before a segment is dropped as it arrives; a
    record followed by a long run of filler ends where the filler begins; a segment that grows
    longer than ``max_bytes`` is read on by a :class:`_LineReader` up to the next boundary.
    """
    buf = b""  # bounded (see above), so joining reads copies little
    base = 0  # offset of buf[0] in the stream
    resume = 0  # no boundary starts before this index of buf
    solid: int | None = None  # see _last_solid
    lines: _LineReader | None = None  # reading an over-long segment a line at a time
    gap: bytes | None = None  # the filler before the unfinished segment, see _Segment.gap
    previous = b""  # the segment before the unfinished one

    def read_lines(offset: int, data: bytes, final: bool) -> Generator[_Segment, None, int]:
        """Feed ``data`` (the segment, from ``offset``) to the line reader, started if need be."""
        nonlocal lines, gap
        used = 0
        if lines is None:
            newline = data.find(b"\n", 0, max_bytes + 1)
            if gap is not None and newline >= 0 and _in_string(previous, False):
                # the first line may end a record the segment before began ('}{' in a
                # string): on its own, it can be joined to it
                yield from _strip(offset, data[:newline], gap)
                used, gap = newline + 1, None
            lines = _LineReader(max_bytes, offset + used, gap)
        used += yield from lines.feed(offset + used, data[used:], final)
        gap = None
        if final:
            lines = None
        return used

    def end_segment(offset: int, piece: bytes) -> Iterator[_Segment]:
        nonlocal previous
        # a segment read a line at a time is not one a record may begin in (whether it was
        # read so from its start or only at its end depends on the reads)
        if lines is not None:
            yield from read_lines(offset, piece, True)
            previous = b""
            return
        line_read = False
        for seg in _strip(offset, piece, gap):
            # measured as while it was read (see _content), however the reads fell
            closed = seg.raw[-1] in _CLOSERS
            length = len(seg.raw) if closed else len(piece) - (seg.offset - offset)
            if length <= _limit(seg.raw, 0, max_bytes):
                yield seg
            else:
                yield from read_lines(seg.offset, seg.raw, True)
                line_read = True
        previous = b"" if line_read else piece

    while chunk := stream.read(chunk_size):
        new_from = len(buf)
        buf = buf + chunk if buf else chunk
        if lines is None and _fill_start(buf):  # filler before a segment goes as it arrives
            stripped = _lstrip_fill(buf)  # (a line reader needs to see indents: not then)
            dropped = len(buf) - len(stripped)
            buf, base, new_from = stripped, base + dropped, max(new_from - dropped, 0)
            resume = max(resume - dropped, 0)
            solid = solid - dropped if solid is not None else None
        pos = 0  # where the unfinished segment begins in buf
        for match in list(_BREAK.finditer(buf, resume)):
            yield from end_segment(base + pos, buf[pos : match.start() + 1])
            if match.group(1) is not None:  # a boundary: the next segment begins at its '{'
                filler = buf[match.start() + 1 : match.end() - 1]
                gap = filler if len(filler) <= LONG_FILLER else None
                pos = match.end() - 1
            else:  # a long run of filler (a zero-filled hole): all of it goes
                gap, pos = None, _FILL_RUN.match(buf, match.end()).end()
        kept = solid if solid is not None and solid >= pos else None
        # what is new since the last solid byte: the read, and a byte-order mark it may have
        # cut (before it, all is filler); each byte of a long filler is looked at once
        start = max(new_from - _cut_bom(buf, new_from), pos if kept is None else kept)
        solid = _last_solid(buf, start, kept)
        # the last byte that is not filler, when it closes a record: a boundary may begin there
        closer = solid if solid is not None and buf[solid] in _CLOSERS else None
        if lines is not None or _content(buf, pos, closer) > _limit(buf, pos, max_bytes):
            # up to a closing bracket at the end: a boundary may begin there
            stop = closer if closer is not None else len(buf)
            pos += yield from read_lines(base + pos, buf[pos:stop], False)
        buf = buf[pos:]
        base += pos
        solid = solid - pos if solid is not None and solid >= pos else None
        resume = solid if solid is not None and buf[solid] in _CLOSERS else len(buf)
    yield from end_segment(base, buf)


def _strip(offset: int, segment: bytes, gap: bytes | None) -> Iterator[_Segment]:
    left = _lstrip_fill(segment)
    stripped = _rstrip_fill(left)
    if stripped:
        start = offset + len(segment) - len(left)
        yield _Segment(start, stripped, False, gap if start == offset else None)


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


def _framed(offset: int, raw: bytes, value: Any) -> Iterator[Framed]:
    """The record at ``offset`` (parsed to ``value``), or each object of an array of objects."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = _array_items(raw)
        if items is not None and len(items) == len(value):
            for (relative, item), item_value in zip(items, value, strict=True):
                yield Framed(offset + relative, item, item_value)
            return
    yield Framed(offset, raw, value)


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
        for piece in _strip(offset + pos, line, None):
            value, error = _parse(piece.raw)
            yield Framed(piece.offset, piece.raw, value, error)
        pos += len(line) + 1


# a prefix of whole strings and other bytes, then a string that is not closed
_OPEN_STRING = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+"', re.S)


def _in_string(data: bytes, inside: bool) -> bool:
    """Whether ``data`` ends inside a JSON string (``inside``: it begins inside one)."""
    return _OPEN_STRING.match(b'"' + data if inside else data) is not None


def iter_records(
    stream: IO[bytes], chunk_size: int = CHUNK_SIZE, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Framed]:
    """Yield every JSON record of ``stream`` (already decompressed) in order.

    A stretch longer than ``max_bytes`` that does not parse comes in pieces (see
    :class:`_LineReader`), each longer one as its first ``max_bytes + 1`` bytes with ``cut``
    set; an array of records may be ``ARRAY_FACTOR`` times longer, and a record in it that
    parses is yielded whatever its length (the loader refuses it by its size).

    A segment that does not parse and ends inside a string is joined with the ones after it
    (with the filler between them as it was) while the join still ends inside a string, and
    parsed once it does not: only then can it be JSON, so a join costs at most two parses
    (the one that ends it, and one at the line where the string first closes, for a record
    with more lines after it). Whether a segment keeps a string open is worked out once per
    segment. Joins stop at ``MAX_MERGE`` segments and at ``max_bytes``, so the look-ahead
    holds at most about ``max_bytes``. A segment that neither parses nor joins is split into
    lines: each line but the last is a record (or garbage) of its own, and the last is tried
    again as a segment, since a record that a later segment completes may begin there.
    """
    segments = _segments(stream, chunk_size, max_bytes)
    lookahead: deque[_Segment] = deque()
    stays: dict[int, bool] = {}  # by offset: entered inside a string, is it still inside after?

    def pull(head: _Segment) -> None:
        """Segments after ``head`` into the look-ahead, as far as a join could reach."""
        while len(lookahead) < MAX_MERGE:
            last = lookahead[-1] if lookahead else head
            if last.offset + len(last.raw) - head.offset > max_bytes:
                return
            nxt = next(segments, None)
            if nxt is None:
                return
            lookahead.append(nxt)

    def stays_inside(seg: _Segment) -> bool:
        if (known := stays.get(seg.offset)) is None:
            known = stays[seg.offset] = _in_string(seg.gap + seg.raw, True)  # type: ignore[operator]
        return known

    def take(used: int, leftover: _Segment | None) -> None:
        for _ in range(used):
            stays.pop(lookahead.popleft().offset, None)
        if leftover is not None:
            lookahead.appendleft(leftover)

    def joined(seg: _Segment) -> tuple[bytes, Any] | None:
        """The record ``seg`` begins and the segments after it end, taken off ``lookahead``."""
        if not _in_string(seg.raw, False):
            return None
        pull(seg)
        parts, first_line_tried = [seg.raw], False
        for used, nxt in enumerate(list(lookahead), start=1):
            if nxt.cut or nxt.gap is None:
                return None
            first, newline, rest = nxt.raw.partition(b"\n")
            if newline and not first_line_tried:
                if _in_string(nxt.gap + first, True):
                    return None  # a string does not go on past the end of a line
                # the string closes on this line: the record may end with it, and what
                # follows on the next lines be records or garbage of their own
                first_line_tried = True
                end = _rstrip_fill(first)
                if nxt.offset + len(end) - seg.offset <= max_bytes:
                    candidate = b"".join((*parts, nxt.gap, end))
                    value, error = _parse(candidate)
                    if error is None:
                        leftover = next(_strip(nxt.offset + len(first) + 1, rest, None), None)
                        take(used, leftover)
                        return candidate, value
            if nxt.offset + len(nxt.raw) - seg.offset > max_bytes:
                return None  # a '}{' inside a string joins pieces of one record, never a huge one
            parts += (nxt.gap, nxt.raw)
            if not stays_inside(nxt):
                candidate = b"".join(parts)
                value, error = _parse(candidate)
                if error is not None:
                    return None  # it ends outside a string: joining more cannot make it JSON
                take(used, None)
                return candidate, value
        return None

    while True:
        if not lookahead and (first := next(segments, None)) is not None:
            lookahead.append(first)
        if not lookahead:
            return
        seg = lookahead.popleft()
        stays.pop(seg.offset, None)
        if seg.cut:
            yield Framed(seg.offset, seg.raw, None, f"record longer than {max_bytes:,} bytes",
                         cut=True)  # fmt: skip
            continue
        value, error = _parse(seg.raw)
        if error is None:
            yield from _framed(seg.offset, seg.raw, value)
            continue
        record = joined(seg)
        if record is not None:
            yield from _framed(seg.offset, *record)
            continue
        if len(seg.raw) > max_bytes:  # an array's allowance, and not an array: line by line
            reader = _LineReader(max_bytes, seg.offset, None)
            lookahead.extendleft(reversed(list(reader.feed(seg.offset, seg.raw, final=True))))
            continue
        head, newline, last = seg.raw.rpartition(b"\n")
        if not newline:
            yield Framed(seg.offset, seg.raw, None, error)
            continue
        yield from _lines(seg.offset, head)
        lookahead.extendleft(_strip(seg.offset + len(head) + 1, last, None))


def iter_object_records(
    stream: IO[bytes], chunk_size: int = CHUNK_SIZE, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Framed]:
    """Decompress when needed, then :func:`iter_records`.

    Raises ``EOFError`` after the last record when a GZIP stream was cut short, and
    ``zlib.error`` after the last record when some of it does not decode.
    """
    opened = open_decompressed(stream)
    yield from iter_records(opened, chunk_size, max_bytes)
    inner = getattr(opened, "raw", None)
    if isinstance(inner, _Gunzip) and inner.error is not None:
        raise inner.error
    if isinstance(inner, _Gunzip) and inner.truncated:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")


def parse_one(raw: bytes) -> Framed:
    """One record that arrived on its own (a Kinesis record, an SQS message body)."""
    value, error = _parse(raw)
    return Framed(0, raw, value, error)
