"""psycopg 3 connections for the bulk paths (COPY and the reconciliation statements)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from wfm_connector.db.engine import database_url


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def connect(url: str | None = None) -> Iterator[psycopg.Connection]:
    """A connection to ``url`` (default: the configured or embedded database), closed after use.

    Autocommit: every unit of work opens its own ``conn.transaction()``, so a batch and its
    checkpoint commit when the block ends, not when the connection closes.
    """
    with psycopg.connect(libpq_url(url or database_url()), autocommit=True) as conn:
        yield conn
