"""Retention: when a record was quarantined, and how far each table family was purged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE wfm.quarantine ADD COLUMN quarantined_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX quarantine_quarantined_at ON wfm.quarantine (quarantined_at);

-- family (raw, quarantine, reconciled) -> everything before this was deleted by a purge
CREATE TABLE wfm.purge_state (
    family        text PRIMARY KEY,
    purged_before timestamptz NOT NULL,
    purged_at     timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE = """
DROP TABLE wfm.purge_state;
ALTER TABLE wfm.quarantine DROP COLUMN quarantined_at;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
