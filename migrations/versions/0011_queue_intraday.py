"""The intraday queue view from contact events: what each event says, and the view itself.

``contact_event_raw`` keeps, beside the event type's own time, the times every event may
carry (``queueInfo.enqueueTimestamp``, ``agentInfo.connectedToAgentTimestamp``: a
DISCONNECTED event repeats both, so a lost QUEUED or CONNECTED_TO_AGENT event does not lose
them) and ``previousContactId`` (a callback or a transfer names the contact it follows).
Rows loaded before this revision get those from their payload: the upgrade reads every
stored contact event once, in batches (about a minute per million events), while ingest of
contact events waits for it; an event without a time of its own gets the latest time it
names, as ingest now gives it.

``queue_intraday`` holds, per queue, channel and interval of enqueue, the day's contacts as
known at ``as_of``: queued, answered, left unanswered (abandoned, callback requested,
transferred out from the queue), still in queue and the longest wait in queue then.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import os
from datetime import datetime

import orjson
import sqlalchemy as sa
from alembic import op

from wfm_connector.parsing.values import InvalidRecord, timestamp

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE wfm.contact_event_raw
    ADD COLUMN enqueue_ts          timestamptz,   -- queueInfo.enqueueTimestamp
    ADD COLUMN connected_ts        timestamptz,   -- agentInfo.connectedToAgentTimestamp
    ADD COLUMN previous_contact_id text;

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
DROP INDEX wfm.contact_event_raw_ts;
ALTER TABLE wfm.contact_event_raw
    DROP COLUMN previous_contact_id,
    DROP COLUMN connected_ts,
    DROP COLUMN enqueue_ts;
"""


BATCH = int(os.environ.get("WFM_MIGRATION_BATCH", "5000"))  # smaller in a test
AFTER = """
-- an event without a time of its own is timed by the latest time it names (as on ingest)
UPDATE wfm.contact_event_raw SET event_ts = greatest(connected_ts, enqueue_ts)
WHERE event_ts IS NULL AND greatest(connected_ts, enqueue_ts) IS NOT NULL;
CREATE INDEX contact_event_raw_ts ON wfm.contact_event_raw (event_ts);
"""


def _lower(value: object) -> dict:
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _time(value: object) -> datetime | None:
    """A timestamp as ingest reads it, or None where ingest would not take it."""
    try:
        return timestamp(value, "", required=False)
    except InvalidRecord:
        return None


def _derived(key: str, payload: str) -> dict | None:
    """The new columns of one stored event (envelope or bare detail, any key casing)."""
    try:
        record = _lower(orjson.loads(payload))
    except orjson.JSONDecodeError:
        return None
    detail = _lower(record["detail"]) if "detail" in record else record
    previous = detail.get("previouscontactid")
    row = {
        "key": key,
        "enqueue": _time(_lower(detail.get("queueinfo")).get("enqueuetimestamp")),
        "connected": _time(_lower(detail.get("agentinfo")).get("connectedtoagenttimestamp")),
        "previous": previous if isinstance(previous, str) and previous else None,
    }
    return row if any(row[k] is not None for k in ("enqueue", "connected", "previous")) else None


def upgrade() -> None:
    op.execute(UPGRADE)
    bind = op.get_bind()
    select = sa.text(
        "SELECT event_key, payload FROM wfm.contact_event_raw WHERE event_key > :last "
        "ORDER BY event_key LIMIT :n"
    )
    update = sa.text(
        "UPDATE wfm.contact_event_raw SET enqueue_ts = :enqueue, connected_ts = :connected, "
        "previous_contact_id = :previous WHERE event_key = :key"
    )
    last = ""
    while rows := bind.execute(select, {"last": last, "n": BATCH}).fetchall():
        last = rows[-1][0]
        found = [row for key, payload in rows if (row := _derived(key, payload))]
        if found:
            bind.execute(update, found)
    op.execute(AFTER)  # the index after the backfill: not updated row by row


def downgrade() -> None:
    op.execute(DOWNGRADE)
