"""The intraday queue view from contact events: what each event says, and the view itself.

``contact_event_raw`` keeps, beside the event type's own time, the times every event may
carry (``queueInfo.enqueueTimestamp``, ``agentInfo.connectedToAgentTimestamp``: a
DISCONNECTED event repeats both, so a lost QUEUED or CONNECTED_TO_AGENT event does not lose
them) and ``previousContactId`` (a callback or a transfer names the contact it follows).
Rows loaded before this revision get those from their event type and their payload.

``queue_intraday`` holds, per queue, channel and interval of enqueue, the day's contacts as
known at ``as_of``: queued, answered, left unanswered (abandoned, callback requested,
transferred out from the queue), still in queue and the longest wait in queue then.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE wfm.contact_event_raw
    ADD COLUMN enqueue_ts          timestamptz,   -- queueInfo.enqueueTimestamp
    ADD COLUMN connected_ts        timestamptz,   -- agentInfo.connectedToAgentTimestamp
    ADD COLUMN previous_contact_id text;
UPDATE wfm.contact_event_raw SET enqueue_ts = event_ts WHERE event_type = 'QUEUED';
UPDATE wfm.contact_event_raw SET connected_ts = event_ts WHERE event_type = 'CONNECTED_TO_AGENT';
CREATE INDEX contact_event_raw_ts ON wfm.contact_event_raw (event_ts);
CREATE INDEX contact_event_raw_previous ON wfm.contact_event_raw (previous_contact_id);

CREATE TABLE wfm.queue_intraday (
    day                        date NOT NULL,
    as_of                      timestamptz NOT NULL,
    queue_arn                  text NOT NULL,
    channel                    text NOT NULL,
    interval_start             timestamptz NOT NULL,   -- of the enqueue
    queued                     integer NOT NULL,
    answered                   integer NOT NULL,
    abandoned                  integer NOT NULL,
    callback_requested         integer NOT NULL,
    transferred_out_from_queue integer NOT NULL,
    in_queue                   integer NOT NULL,
    longest_wait_s             integer NOT NULL,
    PRIMARY KEY (day, queue_arn, channel, interval_start)
);
"""

DOWNGRADE = """
DROP TABLE wfm.queue_intraday;
DROP INDEX wfm.contact_event_raw_previous;
DROP INDEX wfm.contact_event_raw_ts;
ALTER TABLE wfm.contact_event_raw
    DROP COLUMN previous_contact_id,
    DROP COLUMN connected_ts,
    DROP COLUMN enqueue_ts;
"""


def _previous(payload: str) -> str | None:
    """``previousContactId`` of a stored event (envelope or bare detail, any key casing)."""
    try:
        record = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    lowered = {str(k).lower(): v for k, v in record.items()}
    detail = lowered.get("detail", lowered)
    if not isinstance(detail, dict):
        return None
    value = {str(k).lower(): v for k, v in detail.items()}.get("previouscontactid")
    return value if isinstance(value, str) and value else None


def upgrade() -> None:
    op.execute(UPGRADE)
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT event_key, payload FROM wfm.contact_event_raw "
        "WHERE payload ILIKE '%previouscontactid%'"
    ))  # fmt: skip
    found = [{"key": key, "previous": p} for key, payload in rows if (p := _previous(payload))]
    if found:
        bind.execute(sa.text(
            "UPDATE wfm.contact_event_raw SET previous_contact_id = :previous "
            "WHERE event_key = :key"), found)  # fmt: skip


def downgrade() -> None:
    op.execute(DOWNGRADE)
