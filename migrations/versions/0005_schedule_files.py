"""Schedule files read from the configured folder or S3 prefix, one ledger row per file version.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
-- What became of each version (ETag) of each file of the schedule source: loaded as a
-- schedule version, identical to one already loaded, or rejected with the reasons. A rejected
-- file is read again when it changes or when agents it may have named become known.
CREATE TABLE wfm.schedule_file (
    location     text NOT NULL,                 -- s3://bucket or file:///folder
    key          text NOT NULL,
    etag         text NOT NULL,
    read_at      timestamptz NOT NULL DEFAULT now(),
    outcome      text NOT NULL CHECK (outcome IN ('loaded', 'unchanged', 'rejected')),
    version_id   bigint REFERENCES wfm.schedule_version ON DELETE SET NULL,
    problems     text,                          -- the rejection message
    agents_known integer NOT NULL,              -- wfm.agent rows when it was read
    PRIMARY KEY (location, key, etag)
);
"""

DOWNGRADE = """
DROP TABLE wfm.schedule_file;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
