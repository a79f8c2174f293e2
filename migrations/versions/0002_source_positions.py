"""Where each source has read to (Kinesis checkpoints, object ledger) and which days are stale.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
-- Last sequence number committed per shard, written in the same transaction as the rows it
-- produced. shard_end: the closed shard was read to its end, so its children may start.
-- start_ts: a first run that started at LATEST/AT_TIMESTAMP and has read nothing yet.
CREATE TABLE wfm.kinesis_checkpoint (
    stream_arn      text NOT NULL,
    shard_id        text NOT NULL,
    sequence_number text,
    sub_sequence    integer NOT NULL DEFAULT -1,   -- last user record of a KPL aggregate
    start_ts        timestamptz,
    shard_end       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (stream_arn, shard_id)
);

-- Every object read from S3 (or a local folder): read once per version (ETag); a re-written
-- object has a new ETag and is read again.
CREATE TABLE wfm.object_ledger (
    location    text NOT NULL,                     -- s3://bucket or file:///root
    key         text NOT NULL,
    stream      text NOT NULL,
    etag        text NOT NULL,
    size        bigint NOT NULL,
    records     integer NOT NULL,
    quarantined integer NOT NULL,
    PRIMARY KEY (location, key)
);

-- Contact-center days whose raw data changed since they were last reconciled (late events,
-- contact records re-delivered days later); the sensor requests their partitions again.
-- A day is clean again when its queue statistics are rebuilt after its agent tables were
-- rebuilt from data at least as new as the mark.
CREATE TABLE wfm.dirty_day (
    day               date PRIMARY KEY,
    marked_at         timestamptz NOT NULL,
    agents_rebuilt_at timestamptz
);
"""

DOWNGRADE = """
DROP TABLE wfm.dirty_day;
DROP TABLE wfm.object_ledger;
DROP TABLE wfm.kinesis_checkpoint;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
