"""Alembic environment: runs the migrations in ``versions/`` against the ``wfm`` schema.

The URL comes from the Alembic config (set by ``wfm_connector.db.migrate``), so the same
migrations run against the configured server, the test server or the embedded one.
"""

import sqlalchemy as sa
from alembic import context

from wfm_connector.db.engine import SCHEMA

config = context.config


def run_migrations_online() -> None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        connection.commit()
        context.configure(
            connection=connection,
            version_table_schema=SCHEMA,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "offline (SQL script) migrations are not supported; run `wfm-connector db upgrade`"
    )
run_migrations_online()
