"""Quarantine rows found by their object: an index for "positions starting with this key".

Reading an object again (it grew or was re-written) deletes its stale quarantine rows and
counts the ones it has; both look the object's positions up by prefix (``LIKE 'key:%'``),
which only a ``text_pattern_ops`` index serves whatever the database's collation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX quarantine_position_prefix "
        "ON wfm.quarantine (stream, source_position text_pattern_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX wfm.quarantine_position_prefix")
