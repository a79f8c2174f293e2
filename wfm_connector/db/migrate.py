"""Alembic migrations run from Python: ``wfm-connector db upgrade`` and the tests use this.

In: a database URL. Out: the ``wfm`` schema at the requested revision. Migrations hold a
PostgreSQL advisory lock for their whole run, so processes starting together on a new database
(a Dagster run and a CLI command, several run workers) take turns: the first migrates, the
others then find the schema at head and do nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from wfm_connector.db.connection import open_connection
from wfm_connector.db.engine import SCHEMA, psycopg_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic config pointing at this project's migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", psycopg_url(url).replace("%", "%%"))
    cfg.set_main_option("version_table_schema", SCHEMA)
    return cfg


@contextmanager
def _one_at_a_time(url: str) -> Iterator[None]:
    with open_connection(url) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('wfm.migrate'))")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('wfm.migrate'))")


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    with _one_at_a_time(url):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base`` drops everything)."""
    with _one_at_a_time(url):
        command.downgrade(alembic_config(url), revision)
