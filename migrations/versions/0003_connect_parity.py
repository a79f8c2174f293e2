"""Connect's own metric definitions: status types, stable ids and names, new reconciled tables.

- agent_event_raw gains the status Type (ROUTABLE / CUSTOM / OFFLINE) and ARN, backfilled from
  the stored payloads; contact_record_raw gains whether the contact was transferred to an
  external endpoint (never the endpoint itself: it is a phone number).
- wfm.queue / wfm.agent ids are derived from the ARN (wfm.stable_id), so the same input gives
  the same ids whatever the load order, rollbacks or rebuilds; names keep their history and
  the newest one is current.
- The reconciled tables are replaced: agent_state_timeline (status type, wall-clock activity,
  the contacts' channels and states), agent_interval_states (detail by status and activity),
  agent_interval_activity (one row per agent and interval, Connect's agent metrics),
  queue_interval + queue_interval_service_level (queue statistics, service level per
  threshold) and agent_queue_interval (per agent, queue, channel and interval). Every day
  that had reconciled rows is marked dirty so the sensor rebuilds it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
-- The activity stored at ingest used an older reading of the contacts' states; the timeline now
-- derives it from the stored contacts itself.
ALTER TABLE wfm.agent_event_raw DROP COLUMN activity;
ALTER TABLE wfm.agent_event_raw ADD COLUMN status_type text, ADD COLUMN status_arn text;
UPDATE wfm.agent_event_raw
SET status_type = upper(nullif(payload::jsonb #>> '{CurrentAgentSnapshot,AgentStatus,Type}', '')),
    status_arn = nullif(payload::jsonb #>> '{CurrentAgentSnapshot,AgentStatus,ARN}', '');

ALTER TABLE wfm.contact_record_raw
    ADD COLUMN transferred_to_endpoint boolean NOT NULL DEFAULT false;
UPDATE wfm.contact_record_raw
SET transferred_to_endpoint = true
WHERE coalesce(payload::jsonb #>> '{TransferredToEndpoint,Address}', '') <> '';
-- A callback or transfer is found from either side of the link.
CREATE INDEX contact_record_raw_previous ON wfm.contact_record_raw (previous_contact_id)
    WHERE previous_contact_id IS NOT NULL;
-- Contacts that never queued (outbound) count in the interval they began under 'enqueue'.
CREATE INDEX contact_record_raw_initiation ON wfm.contact_record_raw (initiation_ts);

-- Ids from the ARN: 1 + the first 32 bits of its md5 modulo 2^31 - 2 (with a salt on the rare
-- collision), so the same ARN gets the same id in every database built from the same input.
CREATE FUNCTION wfm.stable_id(key text, salt integer DEFAULT 0) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 1 + (('x' || substr(md5(CASE WHEN salt = 0 THEN key ELSE key || '#' || salt END),
                                1, 8))::bit(32)::bigint % 2147483646)::integer
$$;

ALTER TABLE wfm.queue ALTER COLUMN queue_id DROP IDENTITY IF EXISTS;
ALTER TABLE wfm.agent ALTER COLUMN agent_id DROP IDENTITY IF EXISTS;
DROP TABLE wfm.queue_interval_handle_time;
DELETE FROM wfm.queue WHERE queue_arn LIKE '%/queue/agent/%';  -- agent queues are not queues
-- New ids, one ARN at a time in ARN order, with the next salt on a collision (as ingest does).
DO $$
DECLARE
    r record;
    salt integer;
BEGIN
    UPDATE wfm.queue SET queue_id = -queue_id;
    FOR r IN SELECT queue_arn FROM wfm.queue ORDER BY queue_arn LOOP
        salt := 0;
        WHILE EXISTS (SELECT 1 FROM wfm.queue WHERE queue_id = wfm.stable_id(r.queue_arn, salt))
        LOOP
            salt := salt + 1;
        END LOOP;
        UPDATE wfm.queue SET queue_id = wfm.stable_id(r.queue_arn, salt)
        WHERE queue_arn = r.queue_arn;
    END LOOP;
    UPDATE wfm.agent SET agent_id = -agent_id;
    FOR r IN SELECT agent_arn FROM wfm.agent ORDER BY agent_arn LOOP
        salt := 0;
        WHILE EXISTS (SELECT 1 FROM wfm.agent WHERE agent_id = wfm.stable_id(r.agent_arn, salt))
        LOOP
            salt := salt + 1;
        END LOOP;
        UPDATE wfm.agent SET agent_id = wfm.stable_id(r.agent_arn, salt)
        WHERE agent_arn = r.agent_arn;
    END LOOP;
END
$$;

-- Every name a queue or agent had, with when it was first and last seen: an agent event's
-- time, or a contact's own time (disconnect), never LastUpdateTimestamp, so a contact record
-- republished later does not bring an old name back.
CREATE TABLE wfm.queue_name (
    queue_arn     text NOT NULL,
    queue_name    text NOT NULL,
    first_seen_ts  timestamptz NOT NULL,
    last_seen_ts   timestamptz NOT NULL,
    last_update_ts timestamptz NOT NULL,    -- the record version of the last sighting
    PRIMARY KEY (queue_arn, queue_name)
);
CREATE TABLE wfm.agent_name (
    agent_arn     text NOT NULL,
    username      text NOT NULL,
    first_seen_ts  timestamptz NOT NULL,
    last_seen_ts   timestamptz NOT NULL,
    last_update_ts timestamptz NOT NULL,    -- the record version of the last sighting
    PRIMARY KEY (agent_arn, username)
);
INSERT INTO wfm.queue_name
SELECT queue_arn, queue_name,
       min(coalesce(disconnect_ts, initiation_ts, last_update_ts)),
       max(coalesce(disconnect_ts, initiation_ts, last_update_ts)),
       (array_agg(last_update_ts ORDER BY coalesce(disconnect_ts, initiation_ts, last_update_ts)
                  DESC, last_update_ts DESC))[1]
FROM wfm.contact_record_raw
WHERE queue_name IS NOT NULL AND queue_arn NOT LIKE '%/queue/agent/%'
GROUP BY queue_arn, queue_name;
INSERT INTO wfm.agent_name
SELECT agent_arn, u, min(ts), max(ts), (array_agg(updated ORDER BY ts DESC, updated DESC))[1]
FROM (
    SELECT agent_arn, payload::jsonb #>> '{CurrentAgentSnapshot,Configuration,Username}' AS u,
           event_ts AS ts, event_ts AS updated
    FROM wfm.agent_event_raw
    UNION ALL
    SELECT agent_arn, payload::jsonb #>> '{Agent,Username}',
           coalesce(disconnect_ts, initiation_ts, last_update_ts), last_update_ts
    FROM wfm.contact_record_raw WHERE agent_arn IS NOT NULL
) sightings
WHERE u IS NOT NULL
GROUP BY agent_arn, u;

-- The current name is the newest one seen.
UPDATE wfm.queue d SET queue_name = n.queue_name FROM (
    SELECT DISTINCT ON (queue_arn) queue_arn, queue_name FROM wfm.queue_name
    ORDER BY queue_arn, last_seen_ts DESC, last_update_ts DESC, queue_name) n
WHERE d.queue_arn = n.queue_arn;
UPDATE wfm.agent d SET username = n.username FROM (
    SELECT DISTINCT ON (agent_arn) agent_arn, username FROM wfm.agent_name
    ORDER BY agent_arn, last_seen_ts DESC, last_update_ts DESC, username) n
WHERE d.agent_arn = n.agent_arn;

DROP TABLE wfm.agent_interval_states;
DROP TABLE wfm.agent_state_timeline;

-- Each agent's day as segments. status_category: productive (ROUTABLE), non_productive
-- (CUSTOM), offline (OFFLINE, logged in), unknown (a silence longer than the event-gap limit
-- while logged in). activity: the wall-clock contact activity by the written precedence
-- CONNECTED > ON_HOLD > PAUSED > ACW > RINGING > ERROR > NO_CONTACT (UNKNOWN for unknown).
-- channels/states: every contact of the snapshot, in contact id order.
CREATE TABLE wfm.agent_state_timeline (
    day                 date NOT NULL,
    agent_arn           text NOT NULL,
    start_ts            timestamptz NOT NULL,
    end_ts              timestamptz NOT NULL,
    status_name         text NOT NULL,
    status_category     text NOT NULL,
    activity            text NOT NULL,
    routing_profile_arn text,
    channels            text[] NOT NULL,
    states              text[] NOT NULL,
    PRIMARY KEY (agent_arn, start_ts),
    CHECK (end_ts > start_ts)
);
CREATE INDEX agent_state_timeline_day ON wfm.agent_state_timeline (day);

-- Seconds per agent, interval, status and wall-clock activity (the detail every agent metric
-- is a sum of).
CREATE TABLE wfm.agent_interval_states (
    day             date NOT NULL,
    agent_arn       text NOT NULL,
    interval_start  timestamptz NOT NULL,
    status_name     text NOT NULL,
    status_category text NOT NULL,
    activity        text NOT NULL,
    seconds         numeric(12, 3) NOT NULL,
    PRIMARY KEY (agent_arn, interval_start, status_category, status_name, activity)
);
CREATE INDEX agent_interval_states_day ON wfm.agent_interval_states (day);

-- One row per agent and interval with Connect's agent metrics (README, "Definitions").
CREATE TABLE wfm.agent_interval_activity (
    day                  date NOT NULL,
    agent_arn            text NOT NULL,
    interval_start       timestamptz NOT NULL,
    online_s             numeric(12, 3) NOT NULL,
    on_contact_s         numeric(12, 3) NOT NULL,
    contact_handle_s     numeric(12, 3) NOT NULL,
    idle_s               numeric(12, 3) NOT NULL,
    npt_s                numeric(12, 3) NOT NULL,
    npt_by_status        jsonb NOT NULL,
    error_s              numeric(12, 3) NOT NULL,
    ringing_s            numeric(12, 3) NOT NULL,
    unknown_s            numeric(12, 3) NOT NULL,
    offline_contact_s    numeric(12, 3) NOT NULL,
    talk_wall_s          numeric(12, 3) NOT NULL,
    hold_wall_s          numeric(12, 3) NOT NULL,
    paused_wall_s        numeric(12, 3) NOT NULL,
    acw_wall_s           numeric(12, 3) NOT NULL,
    ringing_wall_s       numeric(12, 3) NOT NULL,
    error_wall_s         numeric(12, 3) NOT NULL,
    no_contact_s         numeric(12, 3) NOT NULL,
    on_contact_voice_s   numeric(12, 3) NOT NULL,
    on_contact_chat_s    numeric(12, 3) NOT NULL,
    on_contact_task_s    numeric(12, 3) NOT NULL,
    on_contact_email_s   numeric(12, 3) NOT NULL,
    interaction_s        numeric(12, 3) NOT NULL,
    hold_s               numeric(12, 3) NOT NULL,
    acw_s                numeric(12, 3) NOT NULL,
    paused_s             numeric(12, 3) NOT NULL,
    interaction_voice_s  numeric(12, 3) NOT NULL,
    interaction_chat_s   numeric(12, 3) NOT NULL,
    interaction_task_s   numeric(12, 3) NOT NULL,
    interaction_email_s  numeric(12, 3) NOT NULL,
    hold_voice_s         numeric(12, 3) NOT NULL,
    hold_chat_s          numeric(12, 3) NOT NULL,
    hold_task_s          numeric(12, 3) NOT NULL,
    hold_email_s         numeric(12, 3) NOT NULL,
    acw_voice_s          numeric(12, 3) NOT NULL,
    acw_chat_s           numeric(12, 3) NOT NULL,
    acw_task_s           numeric(12, 3) NOT NULL,
    acw_email_s          numeric(12, 3) NOT NULL,
    occupancy_pct        numeric(6, 2),
    contacts_routed      integer NOT NULL,
    contacts_missed      integer NOT NULL,
    PRIMARY KEY (agent_arn, interval_start)
);
CREATE INDEX agent_interval_activity_day ON wfm.agent_interval_activity (day);

-- Queue statistics per attribution, queue, channel and interval, from the newest version of
-- each contact record of a contact-center queue (agent queues excluded).
CREATE TABLE wfm.queue_interval (
    day                        date NOT NULL,
    attribution                text NOT NULL CHECK (attribution IN ('enqueue', 'disconnect')),
    queue_arn                  text NOT NULL,
    channel                    text NOT NULL,
    interval_start             timestamptz NOT NULL,
    contacts_queued            integer NOT NULL,
    offered_direct             integer NOT NULL,
    transferred_in             integer NOT NULL,
    transferred_in_by_agent    integer NOT NULL,
    transferred_in_from_queue  integer NOT NULL,
    callback_contacts          integer NOT NULL,
    handled                    integer NOT NULL,
    handled_incoming           integer NOT NULL,
    handled_outbound           integer NOT NULL,
    handled_callback           integer NOT NULL,
    handled_api                integer NOT NULL,
    answered                   integer NOT NULL,
    abandoned                  integer NOT NULL,
    abandoned_short            integer NOT NULL,
    callback_requested         integer NOT NULL,
    transferred_out            integer NOT NULL,
    transferred_out_internal   integer NOT NULL,
    transferred_out_external   integer NOT NULL,
    transferred_out_from_queue integer NOT NULL,
    queue_answer_time_s        bigint NOT NULL,
    queue_abandon_time_s       bigint NOT NULL,
    longest_answer_s           bigint NOT NULL,
    longest_abandon_s          bigint NOT NULL,
    interaction_s              bigint NOT NULL,
    hold_s                     bigint NOT NULL,
    holds                      bigint NOT NULL,
    contacts_put_on_hold       integer NOT NULL,
    longest_hold_s             integer NOT NULL,
    acw_s                      bigint NOT NULL,
    handle_time_s              bigint NOT NULL,
    aht_s                      numeric(12, 3),
    asa_s                      numeric(12, 3),
    avg_interaction_s          numeric(12, 3),
    avg_hold_s                 numeric(12, 3),
    agent_available_s          numeric(14, 3) NOT NULL,
    PRIMARY KEY (attribution, queue_arn, channel, interval_start)
);
CREATE INDEX queue_interval_day ON wfm.queue_interval (day, attribution);

-- Contacts removed from the queue (answered, abandoned, callback requested) within each
-- configured threshold, and the service level they give.
CREATE TABLE wfm.queue_interval_service_level (
    day               date NOT NULL,
    attribution       text NOT NULL,
    queue_arn         text NOT NULL,
    channel           text NOT NULL,
    interval_start    timestamptz NOT NULL,
    threshold_s       integer NOT NULL,
    removed_within    integer NOT NULL,
    answered_within   integer NOT NULL,
    abandoned_within  integer NOT NULL,
    service_level_pct numeric(5, 2),
    PRIMARY KEY (attribution, queue_arn, channel, interval_start, threshold_s)
);
CREATE INDEX queue_interval_service_level_day ON wfm.queue_interval_service_level (day);

-- Per agent, queue (NULL: a contact sent to the agent directly, through its agent queue or
-- with no queue), channel and interval, from the newest contact record.
CREATE TABLE wfm.agent_queue_interval (
    day                       date NOT NULL,
    attribution               text NOT NULL CHECK (attribution IN ('enqueue', 'disconnect')),
    agent_arn                 text NOT NULL,
    queue_arn                 text,
    channel                   text NOT NULL,
    interval_start            timestamptz NOT NULL,
    handled                   integer NOT NULL,
    handled_incoming          integer NOT NULL,
    handled_outbound          integer NOT NULL,
    handled_callback          integer NOT NULL,
    handled_transfer          integer NOT NULL,
    interaction_s             bigint NOT NULL,
    hold_s                    bigint NOT NULL,
    holds                     bigint NOT NULL,
    contacts_put_on_hold      integer NOT NULL,
    longest_hold_s            integer NOT NULL,
    acw_s                     bigint NOT NULL,
    handle_time_s             bigint NOT NULL,
    transferred_out_internal  integer NOT NULL,
    transferred_out_external  integer NOT NULL
);
CREATE UNIQUE INDEX agent_queue_interval_key ON wfm.agent_queue_interval
    (attribution, agent_arn, coalesce(queue_arn, ''), channel, interval_start);
CREATE INDEX agent_queue_interval_day ON wfm.agent_queue_interval (day, attribution);

-- Rebuild every day with data (the sensor requests them). The contact center's time zone is
-- not known here: the UTC date and its neighbours cover every zone.
INSERT INTO wfm.dirty_day (day, marked_at)
SELECT DISTINCT d.day, now()
FROM (SELECT DISTINCT (event_ts AT TIME ZONE 'UTC')::date AS utc_day FROM wfm.agent_event_raw
      UNION
      SELECT DISTINCT (disconnect_ts AT TIME ZONE 'UTC')::date FROM wfm.contact_record_raw
      WHERE disconnect_ts IS NOT NULL) e
CROSS JOIN LATERAL (VALUES (e.utc_day - 1), (e.utc_day), (e.utc_day + 1)) AS d(day)
ON CONFLICT (day) DO UPDATE SET marked_at = EXCLUDED.marked_at;
"""

DOWNGRADE = """
DROP TABLE wfm.agent_queue_interval;
DROP TABLE wfm.queue_interval_service_level;
DROP TABLE wfm.queue_interval;
DROP TABLE wfm.agent_interval_activity;
DROP TABLE wfm.agent_interval_states;
DROP TABLE wfm.agent_state_timeline;
DROP TABLE wfm.agent_name;
DROP TABLE wfm.queue_name;
DROP FUNCTION wfm.stable_id(text, integer);
DROP INDEX wfm.contact_record_raw_previous;
DROP INDEX wfm.contact_record_raw_initiation;
ALTER TABLE wfm.contact_record_raw DROP COLUMN transferred_to_endpoint;
ALTER TABLE wfm.agent_event_raw DROP COLUMN status_type, DROP COLUMN status_arn;
ALTER TABLE wfm.agent_event_raw ADD COLUMN activity text NOT NULL DEFAULT 'IDLE';

CREATE TABLE wfm.agent_state_timeline (
    day                 date NOT NULL,
    agent_arn           text NOT NULL,
    start_ts            timestamptz NOT NULL,
    end_ts              timestamptz NOT NULL,
    status_name         text NOT NULL,
    activity            text NOT NULL,
    routing_profile_arn text,
    PRIMARY KEY (agent_arn, start_ts),
    CHECK (end_ts > start_ts)
);
CREATE INDEX agent_state_timeline_day ON wfm.agent_state_timeline (day);
CREATE TABLE wfm.agent_interval_states (
    day             date NOT NULL,
    agent_arn       text NOT NULL,
    interval_start  timestamptz NOT NULL,
    status_name     text NOT NULL,
    status_category text NOT NULL,
    activity        text NOT NULL,
    seconds         numeric(12, 3) NOT NULL,
    PRIMARY KEY (agent_arn, interval_start, status_name, activity)
);
CREATE INDEX agent_interval_states_day ON wfm.agent_interval_states (day);
CREATE TABLE wfm.queue_interval_handle_time (
    day                       date NOT NULL,
    attribution               text NOT NULL CHECK (attribution IN ('enqueue', 'disconnect')),
    queue_arn                 text NOT NULL,
    channel                   text NOT NULL,
    interval_start            timestamptz NOT NULL,
    contacts_queued           integer NOT NULL,
    offered_direct            integer NOT NULL,
    transferred_in            integer NOT NULL,
    transferred_out           integer NOT NULL,
    overflow_out              integer NOT NULL,
    handled                   integer NOT NULL,
    abandoned                 integer NOT NULL,
    abandoned_short           integer NOT NULL,
    abandoned_within_sl       integer NOT NULL,
    answered_within_sl        integer NOT NULL,
    queue_answer_time_s       bigint NOT NULL,
    queue_abandon_time_s      bigint NOT NULL,
    longest_answer_s          integer NOT NULL,
    longest_abandon_s         integer NOT NULL,
    interaction_s             bigint NOT NULL,
    hold_s                    bigint NOT NULL,
    acw_s                     bigint NOT NULL,
    aht_s                     numeric(12, 3),
    asa_s                     numeric(12, 3),
    agent_available_s         numeric(14, 3) NOT NULL,
    PRIMARY KEY (attribution, queue_arn, channel, interval_start)
);
CREATE INDEX queue_interval_handle_time_day ON wfm.queue_interval_handle_time (day, attribution);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
