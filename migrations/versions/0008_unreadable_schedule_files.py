"""Schedule files that could not be read are remembered, and retried after a growing wait.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE wfm.schedule_file DROP CONSTRAINT schedule_file_outcome_check;
ALTER TABLE wfm.schedule_file ADD CONSTRAINT schedule_file_outcome_check
    CHECK (outcome IN ('loaded', 'unchanged', 'rejected', 'unreadable'));
-- unreadable: how many reads failed in a row, and when the next one may be tried
ALTER TABLE wfm.schedule_file ADD COLUMN failures integer NOT NULL DEFAULT 0;
ALTER TABLE wfm.schedule_file ADD COLUMN retry_after timestamptz;
"""

DOWNGRADE = """
DELETE FROM wfm.schedule_file WHERE outcome = 'unreadable';
ALTER TABLE wfm.schedule_file DROP COLUMN retry_after;
ALTER TABLE wfm.schedule_file DROP COLUMN failures;
ALTER TABLE wfm.schedule_file DROP CONSTRAINT schedule_file_outcome_check;
ALTER TABLE wfm.schedule_file ADD CONSTRAINT schedule_file_outcome_check
    CHECK (outcome IN ('loaded', 'unchanged', 'rejected'));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
