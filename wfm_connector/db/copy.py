"""Bulk loading with PostgreSQL binary COPY (psycopg 3).

In: rows as Python tuples, column names and PostgreSQL type names. Out: rows in a table,
loaded in one COPY per call. Raw payloads are passed as :class:`RawText` (and JSON built here
as :class:`RawJson`) so their bytes go to the server as they are, without being decoded and
re-encoded in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format


class RawJson(bytes):
    """JSON text that is already valid; dumped to ``jsonb`` as is."""


class RawText(bytes):
    """UTF-8 text already validated (e.g. by the JSON parser); dumped to ``text`` as is."""


class _RawJsonBinaryDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: RawJson) -> bytes:
        return b"\x01" + obj  # jsonb binary format: version byte, then the text


class _RawTextBinaryDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: RawText | str) -> bytes:
        # COPY's set_types picks this dumper for every text column, so plain str comes here too.
        return obj.encode() if isinstance(obj, str) else obj  # binary text: the UTF-8 bytes


def register_raw_types(conn: psycopg.Connection) -> None:
    """Teach ``conn`` to send :class:`RawJson` as jsonb and :class:`RawText` as text."""
    types = conn.adapters.types
    jsonb = type("RawJsonDumper", (_RawJsonBinaryDumper,), {"oid": types["jsonb"].oid})
    text = type("RawTextDumper", (_RawTextBinaryDumper,), {"oid": types["text"].oid})
    conn.adapters.register_dumper(RawJson, jsonb)
    conn.adapters.register_dumper(RawText, text)


def copy_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> None:
    """``COPY table (columns) FROM STDIN (FORMAT BINARY)`` with ``rows``."""
    register_raw_types(conn)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
