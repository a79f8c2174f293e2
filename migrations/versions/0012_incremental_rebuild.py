"""What changed in a day since its tables were built, so a refresh rebuilds only that.

``day_change``: one row per ingest batch, day and family of tables (``agents``: timeline and
agent intervals; ``queues``: queue and agent-queue intervals) with the earliest instant the
batch's new rows can change in that day (an agent event the hour before it, which its
arrival may end; a contact record its own times and those of the contacts it is linked to).
A rebuild takes (deletes) the rows it sees in its own transaction: rows committed while it
runs stay for the next one. Rows are only ever inserted by ingest, so ingest never waits.

``day_build``: per day and family, the configuration the tables were built with (a
fingerprint) and the instant they are complete up to (the day's end, or "now" for today).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE wfm.day_change (
            day          date NOT NULL,
            family       text NOT NULL,
            changed_from timestamptz NOT NULL
        );
        CREATE INDEX day_change_day ON wfm.day_change (day, family);
        CREATE TABLE wfm.day_build (
            day         date NOT NULL,
            family      text NOT NULL,
            fingerprint text NOT NULL,
            built_until timestamptz NOT NULL,
            built_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (day, family)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE wfm.day_build; DROP TABLE wfm.day_change")
