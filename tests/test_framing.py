"""Framing of delivered objects: concatenated, newline-delimited, gzip, and broken records."""

import gzip
import io
import zlib

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfm_connector.parsing import framing
from wfm_connector.parsing.framing import iter_object_records

pytestmark = pytest.mark.unit


def frame(data: bytes, chunk_size: int = 1 << 20):
    return list(iter_object_records(io.BytesIO(data), chunk_size=chunk_size))


def test_concatenated_without_delimiter():
    data = b'{"a":1}{"b":{"c":[1,2]}}{"d":"x"}'
    assert [(r.offset, r.value) for r in frame(data)] == [
        (0, {"a": 1}),
        (7, {"b": {"c": [1, 2]}}),
        (24, {"d": "x"}),
    ]


def test_newline_delimited_and_pretty_printed():
    data = b'{"a":1}\n{"b":2}\r\n\n{\n  "c": {\n    "d": 3\n  }\n}\n'
    assert [(r.offset, r.value) for r in frame(data)] == [
        (0, {"a": 1}),
        (8, {"b": 2}),
        (18, {"c": {"d": 3}}),
    ]


def test_brace_pair_inside_a_string_is_not_a_boundary():
    data = b'{"text":"a}{b"}{"text":"c} {d"}'
    assert [r.value for r in frame(data)] == [{"text": "a}{b"}, {"text": "c} {d"}]


def test_gzip_detected_by_magic_bytes_not_name():
    data = b'{"a":1}{"b":2}'
    assert [r.value for r in frame(gzip.compress(data, mtime=0))] == [{"a": 1}, {"b": 2}]


def test_broken_lines_cost_only_themselves():
    good = b'{"ok":1}'
    data = good + b'\n{"truncated": "ab\nnot json at all\n[1,2]\n' + good + b'\n{"bad": tru}' + good
    records = frame(data)
    assert [(r.offset, r.value is not None, r.error is not None) for r in records] == [
        (0, True, False),
        (9, False, True),  # the truncated line
        (27, False, True),  # garbage
        (43, True, False),  # valid JSON, not an object: framing keeps it, validation rejects it
        (49, True, False),
        (58, False, True),  # balanced braces, invalid token
        (70, True, False),
    ]
    assert records[1].raw == b'{"truncated": "ab'
    assert "not valid JSON" in records[2].error


json_objects = st.dictionaries(
    st.text(min_size=1, max_size=5),
    st.one_of(
        st.integers(-(2**53), 2**53), st.text(alphabet='{} ab"\\', max_size=6), st.booleans()
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(json_objects, min_size=1, max_size=8),
    separators=st.lists(st.sampled_from([b"", b"\n", b" ", b"\r\n"]), min_size=8, max_size=8),
    chunk_size=st.integers(min_value=1, max_value=64),
    compress=st.booleans(),
)
def test_any_chunking_gives_the_same_records(values, separators, chunk_size, compress):
    parts, offsets, pos = [], [], 0
    for value, sep in zip(values, separators, strict=False):
        raw = orjson.dumps(value)
        offsets.append(pos)
        parts.append(raw + sep)
        pos += len(raw) + len(sep)
    data = b"".join(parts)
    if compress:
        data = gzip.compress(data)
    records = frame(data, chunk_size=chunk_size)
    assert [r.value for r in records] == values
    assert [r.offset for r in records] == offsets


BOM = b"\xef\xbb\xbf"


def test_a_byte_order_mark_and_nul_padding_lose_no_record():
    # a BOM before the first record and where two files were concatenated; NULs at the end
    data = BOM + b'{"a":1}\n' + BOM + b'{"a":2}{"a":3}' + b"\x00" * 4096
    records = frame(data)
    assert [(r.offset, r.value, r.error) for r in records] == [
        (3, {"a": 1}, None), (14, {"a": 2}, None), (21, {"a": 3}, None)]  # fmt: skip


def test_a_json_array_of_records_yields_each_at_its_offset():
    data = b'[{"a":1},\n {"a":"x]"}, {"b":{"c":[1,2]}}]\n{"a":4}'
    records = frame(data)
    assert [(r.offset, r.raw, r.value) for r in records] == [
        (1, b'{"a":1}', {"a": 1}),
        (11, b'{"a":"x]"}', {"a": "x]"}),
        (23, b'{"b":{"c":[1,2]}}', {"b": {"c": [1, 2]}}),
        (42, b'{"a":4}', {"a": 4}),
    ]
    # an array of anything else stays one record (the parser quarantines it as not an object)
    [one] = frame(b'["not", "an", "event", 42]')
    assert one.value == ["not", "an", "event", 42]


def test_a_small_truncated_gzip_yields_the_records_before_the_cut():
    body = b"".join(orjson.dumps({"n": n}) + b"\n" for n in range(200))
    cut = gzip.compress(body)[:-30]  # the end-of-stream marker and the last bytes are gone
    got = []
    with pytest.raises(EOFError):
        for record in iter_object_records(io.BytesIO(cut)):
            got.append(record)
    good = [r.value["n"] for r in got if r.error is None]
    assert good == list(range(len(good))) and len(good) >= 150  # GzipFile gave none of them


def test_gzip_members_one_after_another_and_nul_padding_after_gzip():
    data = gzip.compress(b'{"a":1}') + gzip.compress(b'{"a":2}') + b"\x00" * 512
    assert [r.value for r in iter_object_records(io.BytesIO(data))] == [{"a": 1}, {"a": 2}]


def test_a_long_run_of_filler_between_records_loses_neither():
    # a zero-filled hole of 3 MiB (three times the record limit) between two records, read in
    # 64 KiB chunks: the first record ends where the filler begins, the second is found after
    data = b'{"a":1}' + b"\x00" * (3 << 20) + b'{"a":2}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=1 << 16, max_bytes=1 << 20))
    assert [(r.offset, r.value, r.cut) for r in records] == [
        (0, {"a": 1}, False), (7 + (3 << 20), {"a": 2}, False)]  # fmt: skip


def test_a_record_longer_than_the_limit_is_cut_and_the_next_ones_still_read():
    # max 100 bytes: the 300-byte record comes cut to its first 101 bytes; the record after the
    # next boundary is read whole. Lines before it that are whole records are kept.
    big = b'{"x":"' + b"y" * 292 + b'"}'  # 300 bytes
    data = b'{"a":0}\n' + big + b'{"a":2}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=16, max_bytes=100))
    assert [(r.offset, len(r.raw), r.value, r.cut) for r in records] == [
        (0, 7, {"a": 0}, False), (8, 101, None, True), (308, 7, {"a": 2}, False)]  # fmt: skip
    assert records[1].error == "record longer than 100 bytes"


def test_garbage_without_a_boundary_keeps_the_records_on_lines_before_it():
    # two good lines, then 500 bytes with no '}' '{' boundary (limit 100): the good lines load,
    # the garbage is one cut record, and the record after the garbage's end is read
    data = b'{"a":1}\n{"a":2}\n' + b"z" * 500 + b'}\n{"a":3}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=32, max_bytes=100))
    assert [(r.offset, r.value, r.cut) for r in records] == [
        (0, {"a": 1}, False), (8, {"a": 2}, False), (16, None, True),
        (518, {"a": 3}, False)]  # fmt: skip


def test_a_gzip_bomb_of_filler_is_read_through():
    # 64 MiB of spaces compress to about 64 KiB: decompressed a read at a time, never whole
    body = b'{"a":1}' + b" " * (64 << 20) + b'{"a":2}'
    records = frame(gzip.compress(body, compresslevel=1))
    assert [r.value for r in records] == [{"a": 1}, {"a": 2}]


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(json_objects, min_size=1, max_size=6),
    fillers=st.lists(
        st.sampled_from([b"", b"\n", b"\x00" * 40, BOM, b" " * 70, b"\r\n" + BOM + b"\x00"]),
        min_size=6, max_size=6),  # fmt: skip
    chunk_size=st.integers(min_value=1, max_value=48),
)
def test_any_filler_and_chunking_gives_the_same_records(values, fillers, chunk_size):
    # fillers longer than the chunk exercise the "record ends where a long filler begins" path
    parts, offsets, pos = [], [], 0
    for value, filler in zip(values, fillers, strict=False):
        raw = orjson.dumps(value)
        offsets.append(pos)
        parts.append(raw + filler)
        pos += len(raw) + len(filler)
    records = list(iter_object_records(io.BytesIO(b"".join(parts)), chunk_size=chunk_size))
    assert [r.value for r in records] == values
    assert [r.offset for r in records] == offsets


def test_a_json_array_larger_than_the_record_limit_still_yields_each_record():
    # 2,000 records of about 20 bytes in one array (about 40 KB) with a 1 KB record limit: the
    # array is one segment until it is split, so it may grow past the limit of one record
    data = orjson.dumps([{"n": n} for n in range(2000)])
    records = list(iter_object_records(io.BytesIO(data), chunk_size=512, max_bytes=1024))
    assert [r.value for r in records] == [{"n": n} for n in range(2000)]


def test_a_bom_ending_exactly_at_a_read_boundary_keeps_records_apart():
    # '{"a":1}' + spaces up to byte 61, a BOM over bytes 61-63, a read ends at 64, then a run
    # of spaces longer than a read: two records, found where they are
    first = b'{"a":1}' + b" " * 54 + BOM
    data = first + b" " * 80 + b'{"a":2}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=64))
    assert [(r.offset, r.value) for r in records] == [(0, {"a": 1}), (len(first) + 80, {"a": 2})]


def test_a_record_just_under_the_limit_is_not_cut_by_the_filler_after_it():
    # a 90-byte record (limit 100) followed by 30 spaces and another record, read 64 at a time
    record = b'{"x":"' + b"y" * 82 + b'"}'
    data = record + b" " * 30 + b'{"a":2}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=64, max_bytes=100))
    assert [(r.offset, len(r.raw), r.cut) for r in records] == [(0, 90, False), (120, 7, False)]


def test_a_truncated_record_then_a_long_blank_stretch_loses_no_record_after_it():
    # limit 100: '{"b":' is cut short, 3,000 newlines follow, then two records on their own
    # lines. The first segment ('{"b":' up to the '}' of '{"c":3}') outgrows the limit and is
    # read a line at a time: '{"b":' is quarantined alone (5 bytes, not cut), and '{"c":3}' at
    # 5 + 3,000 loads (it used to be skipped with the garbage up to the next boundary)
    data = b'{"b":' + b"\n" * 3000 + b'{"c":3}\n{"d":4}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=64, max_bytes=100))
    assert [(r.offset, r.raw, r.value, r.cut) for r in records] == [
        (0, b'{"b":', None, False), (3005, b'{"c":3}', {"c": 3}, False),
        (3013, b'{"d":4}', {"d": 4}, False)]  # fmt: skip
    assert records[0].error.startswith("not valid JSON")


def test_records_on_lines_after_an_over_long_garbage_line_still_load():
    # limit 100: a good line, 500 bytes of garbage on one line (cut to 101 bytes at offset 10,
    # after the blank line and two spaces of indent), then good lines again: 8 + 1 + 1 + 2 = 12
    # bytes before the garbage's first byte; the next record starts 12 + 500 + 1 = 513
    data = b'{"a":1}\n\n  ' + b"z" * 500 + b'\n{"c":3}\n{"d":4}'
    records = list(iter_object_records(io.BytesIO(data), chunk_size=32, max_bytes=100))
    assert [(r.offset, len(r.raw), r.value, r.cut) for r in records] == [
        (0, 7, {"a": 1}, False), (11, 101, None, True), (512, 7, {"c": 3}, False),
        (520, 7, {"d": 4}, False)]  # fmt: skip
    assert records[1].raw == b"z" * 101


def test_a_record_split_by_a_brace_pair_and_a_bom_inside_a_string_keeps_its_bytes():
    # U+FEFF between '}' and '{' inside a string looks like filler at a boundary; the two
    # pieces are joined with it, not with spaces, so the value is what was written
    data = '{"text":"a}\ufeff{b"}{"n":2}'.encode()
    assert [r.value for r in frame(data, chunk_size=3)] == [{"text": "a}\ufeff{b"}, {"n": 2}]
    assert frame(data)[0].raw == '{"text":"a}\ufeff{b"}'.encode()


@pytest.mark.parametrize("piece", [b"{x}", b'{\\"}', b'{"}', b'{"a":"}'])
def test_garbage_of_braces_and_quotes_costs_a_bounded_number_of_parses(monkeypatch, piece):
    # each 20,000-piece input has 20,000 segments. Joining used to parse a join with each of
    # up to 64 followers of every failing segment (1 MiB of '{x}' took 86 s). Now a join is
    # parsed only where it ends outside a string, and whether a segment keeps a string open is
    # worked out once: at most 3 parses (its own, and two for a join) and 3 string scans (as a
    # head, its first line, as a follower) per segment
    calls = {"parse": 0, "scan": 0}
    real_parse, real_scan = framing._parse, getattr(framing, "_in_string", None)

    def parse(raw):
        calls["parse"] += 1
        return real_parse(raw)

    def scan(data, inside):
        calls["scan"] += 1
        return real_scan(data, inside)

    monkeypatch.setattr(framing, "_parse", parse)
    monkeypatch.setattr(framing, "_in_string", scan, raising=False)
    records = frame(piece * 20000)
    assert len(records) == 20000 and all(r.error for r in records)
    assert calls["parse"] <= 3 * 20000 and calls["scan"] <= 3 * 20000


def test_brace_pairs_in_strings_of_a_pretty_printed_record_and_after_garbage():
    # two '}{' in one pretty-printed record; twenty garbage pieces that each open a string
    # before a compact record with '}{' in a string; '}' + 65 spaces + '{' inside a string
    # (the filler is kept as it was)
    pretty = b'{\n  "a": "}{",\n  "b": "}{"\n}\n{"c":1}'
    assert [r.value for r in frame(pretty)] == [{"a": "}{", "b": "}{"}, {"c": 1}]
    garbage = b'{\\"}' * 20 + b'\n{"t":"a}{b"}'
    assert [(r.offset, r.value) for r in frame(garbage) if r.value] == [(81, {"t": "a}{b"})]
    array = b'[{"a":"}{"},{"b":2}]'  # an array of records, one with '}{' in a string
    assert [(r.offset, r.value) for r in frame(array)] == [(1, {"a": "}{"}), (12, {"b": 2})]
    spaced = b'{"t":"a}' + b" " * 65 + b'{b"}\n{"c":1}'
    assert [r.value for r in frame(spaced, chunk_size=7)] == [
        {"t": "a}" + " " * 65 + "{b"}, {"c": 1}]  # fmt: skip


garbage_lines = st.builds(
    lambda head, body: head + body,
    st.sampled_from([b"", b'{"b":', b"  ", b"\x00"]),
    # no brackets, and never GZIP's magic number at the start
    st.binary(max_size=300).map(lambda b: bytes(c for c in b if c not in b"{}[]\n\x1f") or b"x"),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.one_of(json_objects, garbage_lines), min_size=1, max_size=10),
    chunk_size=st.integers(min_value=1, max_value=64),
)
def test_every_record_on_a_line_of_its_own_loads_whatever_garbage_is_beside_it(lines, chunk_size):
    # garbage lines (no brackets, some longer than the 100-byte limit) between records written
    # one per line: each record loads at its offset, and nothing else loads as a record
    parts, expected, pos = [], [], 0
    for line in lines:
        raw = orjson.dumps(line) if isinstance(line, dict) else line
        if isinstance(line, dict) and len(raw) <= 100:
            expected.append((pos, line))
        parts.append(raw)
        pos += len(raw) + 1
    data = b"\n".join(parts)
    records = list(iter_object_records(io.BytesIO(data), chunk_size=chunk_size, max_bytes=100))
    loaded = [(r.offset, r.value) for r in records if isinstance(r.value, dict)]
    assert [(o, v) for o, v in loaded if len(orjson.dumps(v)) <= 100] == expected
    # one over the limit may come parsed (the loader refuses it by its size), never garbage
    assert all(v in lines for _, v in loaded)


soup = st.lists(
    st.sampled_from([b"{", b"}", b"[", b"]", b'"', b"\\", b" ", b"\n", b"\r", b"\x00", BOM,
                     b"a", b":", b",", b"1", b'{"a":1}', b'"}{"']),  # fmt: skip
    max_size=120,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=soup, max_bytes=st.integers(min_value=8, max_value=64),
       chunk_size=st.integers(min_value=1, max_value=70))  # fmt: skip
def test_how_reads_fall_never_changes_what_is_read(data, max_bytes, chunk_size):
    # any mix of brackets, quotes, escapes, filler and records, under a small record limit:
    # read a byte at a time, in reads of any size, or whole, the records are the same
    def read(size):
        return [(r.offset, r.raw, r.value, r.error, r.cut)
                for r in iter_object_records(io.BytesIO(data), size, max_bytes)]  # fmt: skip

    whole = read(1 << 16)
    assert read(chunk_size) == whole
    assert read(1) == whole


def test_records_after_long_filler_arrays_on_lines_and_bracket_garbage():
    # a record, 70,000 spaces (more than LONG_FILLER: it ends the record whatever follows),
    # then garbage and a record: the same whether the filler arrives in one read or many
    spaced = b'{"a":1}' + b" " * 70000 + b'x\n{"b":2}\n'
    for size in (4096, 1 << 18):
        found = list(iter_object_records(io.BytesIO(spaced), chunk_size=size))
        assert [(r.offset, r.value) for r in found] == [
            (0, {"a": 1}), (70007, None), (70009, {"b": 2})]  # fmt: skip
    # an array of records on a line of its own after a corrupt stretch (limit 100): its
    # records load at their offsets; garbage that begins with '[' is cut at the limit too
    stretch = b'{"t": "ab\n' + b"x" * 200 + b'\n[{"a":1},{"b":2}]\n{"c":3}\n' + b"[1," + b"g" * 500
    found = list(iter_object_records(io.BytesIO(stretch), chunk_size=64, max_bytes=100))
    at = stretch.index(b"[{")
    assert [(r.offset, r.value, r.cut) for r in found] == [
        (0, None, True), (at + 1, {"a": 1}, False), (at + 9, {"b": 2}, False),
        (at + 18, {"c": 3}, False), (at + 26, None, True)]  # fmt: skip
    assert len(found[-1].raw) == 101


def test_garbage_after_a_gzip_member_comes_after_its_records():
    # 1,000 records compressed, then 8 bytes that are not GZIP: every record, then the error
    # (it used to lose all of them); blank padding after a member is only padding
    body = b"\n".join(orjson.dumps({"n": n}) for n in range(1000))
    found = []
    with pytest.raises(zlib.error):
        for record in iter_object_records(io.BytesIO(gzip.compress(body) + b"garbage!")):
            found.append(record.value)
    assert found == [{"n": n} for n in range(1000)]
    padded = gzip.compress(body) + b"\n\r\n  "
    assert [r.value for r in iter_object_records(io.BytesIO(padded))][-1] == {"n": 999}
