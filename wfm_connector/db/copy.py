"""Bulk loading with PostgreSQL binary COPY (psycopg 3).

In: rows as Python tuples, column names and PostgreSQL type names. Out: rows in a table,
loaded in one COPY per call. Raw JSON payloads are passed as :class:`RawJson` so their bytes
go to ``jsonb`` as received, without being parsed and re-serialised in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format


class RawJson(bytes):
    """JSON text that is already valid; dumped to ``jsonb`` as is."""


class _RawJsonBinaryDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: RawJson) -> bytes:
        return b"\x01" + obj  # jsonb binary format: version byte, then the text


def register_raw_json(conn: psycopg.Connection) -> None:
    """Teach ``conn`` to send :class:`RawJson` as binary jsonb."""
    dumper = type(
        "RawJsonDumper", (_RawJsonBinaryDumper,), {"oid": conn.adapters.types["jsonb"].oid}
    )
    conn.adapters.register_dumper(RawJson, dumper)


def copy_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> None:
    """``COPY table (columns) FROM STDIN (FORMAT BINARY)`` with ``rows``."""
    register_raw_json(conn)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
