"""Export generations and deliveries: which version of a profile's day went where.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
-- One row per distinct content of a profile's file for a day: a re-export with the same bytes
-- keeps its generation, new numbers (late data) make the next one. The manifest carries it.
CREATE TABLE wfm.export_generation (
    profile     text NOT NULL,
    day         date NOT NULL,
    generation  integer NOT NULL CHECK (generation >= 1),
    file_name   text NOT NULL,
    sha256      text NOT NULL,
    rows        integer NOT NULL,
    bytes       bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile, day, generation)
);

-- The latest delivery of a profile's day to each target, successful or not.
CREATE TABLE wfm.export_delivery (
    profile      text NOT NULL,
    day          date NOT NULL,
    target       text NOT NULL,
    generation   integer NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
    attempts     integer NOT NULL,
    error        text,
    locations    jsonb NOT NULL DEFAULT '[]',
    delivered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile, day, target)
);
"""

DOWNGRADE = """
DROP TABLE wfm.export_delivery;
DROP TABLE wfm.export_generation;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
