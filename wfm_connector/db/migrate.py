"""Alembic migrations run from Python: ``wfm-connector db upgrade`` and the tests use this.

In: a database URL. Out: the ``wfm`` schema at the requested revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from wfm_connector.db.engine import SCHEMA, psycopg_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic config pointing at this project's migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", psycopg_url(url).replace("%", "%%"))
    cfg.set_main_option("version_table_schema", SCHEMA)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision``."""
    command.downgrade(alembic_config(url), revision)
