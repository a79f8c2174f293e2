"""psycopg 3 connections for the bulk paths (COPY and the reconciliation statements).

A database that cannot be reached is reported within seconds, naming the host and port,
instead of hanging in the operating system's TCP timeout or being retried for minutes:
:class:`DatabaseUnreachable` is raised after :data:`CONNECT_TIMEOUT_S`. It is a fault of the
environment, not of the data; the CLI prints it as one line and Dagster does not retry it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from wfm_connector.db.engine import database_url

CONNECT_TIMEOUT_S = 5


class DatabaseUnreachable(RuntimeError):
    """The database did not answer; the message names where it was looked for."""


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def where(url: str) -> str:
    """``host:port/database`` of a URL (no user, no password), for messages."""
    info = psycopg.conninfo.conninfo_to_dict(libpq_url(url))
    host = info.get("host") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def open_connection(url: str, autocommit: bool = True) -> psycopg.Connection:
    """A new connection to ``url``, or :class:`DatabaseUnreachable` within seconds."""
    try:
        return psycopg.connect(
            libpq_url(url), autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnreachable(
            f"cannot reach the database at {where(url)} within {CONNECT_TIMEOUT_S} s: {reason}"
        ) from exc


@contextmanager
def connect(url: str | None = None) -> Iterator[psycopg.Connection]:
    """A connection to ``url`` (default: the configured or embedded database), closed after use.

    Autocommit: every unit of work opens its own ``conn.transaction()``, so a batch and its
    checkpoint commit when the block ends, not when the connection closes.
    """
    with open_connection(url or database_url()) as conn:
        yield conn
