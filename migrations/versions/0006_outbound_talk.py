"""Outbound talk per agent, queue and interval, for the Calabrio agent log's outbound columns.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
-- interaction + customer hold of the handled contacts with InitiationMethod OUTBOUND
ALTER TABLE wfm.agent_queue_interval ADD COLUMN outbound_talk_s bigint NOT NULL DEFAULT 0;
-- days reconciled before this column existed are rebuilt by the next run (the sensor asks)
INSERT INTO wfm.dirty_day (day, marked_at)
SELECT DISTINCT day, now() FROM wfm.agent_queue_interval
ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at;
"""

DOWNGRADE = """
ALTER TABLE wfm.agent_queue_interval DROP COLUMN outbound_talk_s;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
