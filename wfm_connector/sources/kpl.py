"""De-aggregation of Kinesis Producer Library (KPL) aggregated records.

In: the data of one Kinesis record as GetRecords returns it (bytes, already base64-decoded by
boto3). Out: the user records it holds. A KPL aggregate is the magic bytes ``F3 89 9A C2``, a
protobuf ``AggregatedRecord`` and the 16-byte MD5 of the protobuf bytes::

    message AggregatedRecord {
        repeated string partition_key_table     = 1;
        repeated string explicit_hash_key_table = 2;
        repeated Record records                 = 3;
    }
    message Record {
        required uint64 partition_key_index     = 1;
        optional uint64 explicit_hash_key_index = 2;
        required bytes  data                    = 3;
        repeated Tag    tags                    = 4;
    }

Anything else (no magic, an MD5 that does not match, protobuf that does not decode, an index
pointing outside its table) is one plain record, exactly as the Kinesis Client Library treats
it. The wire format is decoded here with a few lines of varint / length-delimited parsing, so
the connector needs no protobuf runtime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

KPL_MAGIC = b"\xf3\x89\x9a\xc2"
_DIGEST_SIZE = 16

# protobuf wire types
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


class _DecodeError(ValueError):
    """The bytes are not a valid AggregatedRecord."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One record a producer put, as found inside an aggregate."""

    partition_key: str
    explicit_hash_key: str | None
    data: bytes


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the base-128 varint at ``pos``."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(buf):
            raise _DecodeError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise _DecodeError("varint longer than 10 bytes")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Every (field number, value) of one message; varints as int, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise _DecodeError("field number 0")
        if wire_type == _VARINT:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire_type == _LENGTH_DELIMITED:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _DecodeError("length-delimited field runs past the end")
            out.append((number, buf[pos : pos + size]))
            pos += size
        elif wire_type in (_FIXED64, _FIXED32):  # not used by the KPL; skipped like unknowns
            pos += 8 if wire_type == _FIXED64 else 4
            if pos > len(buf):
                raise _DecodeError("fixed-width field runs past the end")
        else:
            raise _DecodeError(f"unsupported wire type {wire_type}")
    return out


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise _DecodeError("a string field holds a varint")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise _DecodeError("a string field is not UTF-8") from None


def _record(message: bytes, partition_keys: list[str], hash_keys: list[str]) -> UserRecord:
    pk_index: int | None = None
    ehk_index: int | None = None
    data: bytes | None = None
    for number, value in _fields(message):
        if number in (1, 2) and not isinstance(value, int):
            raise _DecodeError("an index field is not a varint")
        if number == 1:
            pk_index = value  # type: ignore[assignment]
        elif number == 2:
            ehk_index = value  # type: ignore[assignment]
        elif number == 3:
            if not isinstance(value, bytes):
                raise _DecodeError("data is not length-delimited")
            data = value
        elif number == 4 and not isinstance(value, bytes):
            raise _DecodeError("a tag is not a message")
    if pk_index is None or data is None:
        raise _DecodeError("a record lacks partition_key_index or data")
    if pk_index >= len(partition_keys) or (ehk_index is not None and ehk_index >= len(hash_keys)):
        raise _DecodeError("a record's key index is outside its table")
    ehk = hash_keys[ehk_index] if ehk_index is not None else None
    return UserRecord(partition_keys[pk_index], ehk, data)


def parse_aggregate(data: bytes) -> list[UserRecord] | None:
    """The user records of a KPL aggregate, or None when ``data`` is not a valid aggregate.

    Args:
        data: the data of one Kinesis record.

    Returns:
        The user records in order (possibly none), or None for a plain record: no magic bytes,
        an MD5 that does not match, or protobuf that does not decode.
    """
    if not data.startswith(KPL_MAGIC) or len(data) < len(KPL_MAGIC) + _DIGEST_SIZE:
        return None
    body, digest = data[len(KPL_MAGIC) : -_DIGEST_SIZE], data[-_DIGEST_SIZE:]
    if hashlib.md5(body, usedforsecurity=False).digest() != digest:
        return None
    try:
        partition_keys: list[str] = []
        hash_keys: list[str] = []
        messages: list[bytes] = []
        for number, value in _fields(body):
            if number == 1:
                partition_keys.append(_text(value))
            elif number == 2:
                hash_keys.append(_text(value))
            elif number == 3:
                if not isinstance(value, bytes):
                    raise _DecodeError("a record is not a message")
                messages.append(value)
        return [_record(m, partition_keys, hash_keys) for m in messages]
    except _DecodeError:
        return None


def deaggregate(data: bytes) -> list[bytes]:
    """The data of every user record in ``data``: several for a KPL aggregate, else ``[data]``.

    Args:
        data: the data of one Kinesis record.

    Returns:
        The user records' data in order; ``[data]`` when it is not a valid aggregate.
    """
    records = parse_aggregate(data)
    if records is None:
        return [data]
    return [r.data for r in records]
