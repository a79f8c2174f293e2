"""Schedules published by the WFM system, kept as versions, and the adherence to them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
-- One row per imported schedule file: where it came from, its checksum, when and by whom.
CREATE TABLE wfm.schedule_version (
    version_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL,                  -- file path or object key
    sha256      text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    loaded_by   text NOT NULL,                  -- OS user or Dagster run
    activities  integer NOT NULL
);
CREATE INDEX schedule_version_sha256 ON wfm.schedule_version (sha256);

CREATE TABLE wfm.schedule_activity (
    version_id        bigint NOT NULL REFERENCES wfm.schedule_version ON DELETE CASCADE,
    agent_arn         text NOT NULL,
    start_ts          timestamptz NOT NULL,
    end_ts            timestamptz NOT NULL,
    activity          text NOT NULL,
    productive        boolean NOT NULL,
    adherence_tracked boolean NOT NULL,
    line              integer NOT NULL,          -- where it was in the file
    PRIMARY KEY (version_id, agent_arn, start_ts),
    CHECK (end_ts > start_ts)
);
CREATE INDEX schedule_activity_agent ON wfm.schedule_activity (agent_arn, start_ts);

-- What each version speaks for: per agent, the span from its first activity's start to its
-- last one's end. A newer version replaces every older activity of the agent it overlaps.
CREATE TABLE wfm.schedule_coverage (
    version_id bigint NOT NULL REFERENCES wfm.schedule_version ON DELETE CASCADE,
    agent_arn  text NOT NULL,
    span       tstzrange NOT NULL,
    PRIMARY KEY (version_id, agent_arn)
);

-- The schedule in force: activities no newer version's coverage overlaps.
CREATE VIEW wfm.schedule_current AS
SELECT a.*
FROM wfm.schedule_activity a
WHERE NOT EXISTS (
    SELECT 1 FROM wfm.schedule_coverage c
    WHERE c.agent_arn = a.agent_arn AND c.version_id > a.version_id
      AND c.span && tstzrange(a.start_ts, a.end_ts)
);

-- Schedule adherence per agent and interval (Amazon Connect's definition; README,
-- "Schedule adherence"): scheduled = tracked activities; adherent = a routable status during
-- a productive activity or a custom status during a non-productive one; unknown = lost events.
CREATE TABLE wfm.adherence_interval (
    day            date NOT NULL,
    agent_arn      text NOT NULL,
    interval_start timestamptz NOT NULL,
    scheduled_s    numeric(12, 3) NOT NULL,
    adherent_s     numeric(12, 3) NOT NULL,
    non_adherent_s numeric(12, 3) NOT NULL,
    unknown_s      numeric(12, 3) NOT NULL,
    adherence_pct  numeric(5, 2),
    PRIMARY KEY (agent_arn, interval_start)
);
CREATE INDEX adherence_interval_day ON wfm.adherence_interval (day);

CREATE TABLE wfm.adherence_day (
    day                      date NOT NULL,
    agent_arn                text NOT NULL,
    scheduled_s              numeric(12, 3) NOT NULL,
    adherent_s               numeric(12, 3) NOT NULL,
    non_adherent_s           numeric(12, 3) NOT NULL,
    unknown_s                numeric(12, 3) NOT NULL,
    adherence_pct            numeric(5, 2),
    scheduled_productive_s   numeric(12, 3) NOT NULL,
    productive_s             numeric(12, 3) NOT NULL,
    conformance_pct          numeric(7, 2),
    PRIMARY KEY (day, agent_arn)
);

-- Non-adherent spans at least schedules.exception_min_seconds long: the scheduled activity,
-- what the agent was in instead (a status, or logged out) and when.
CREATE TABLE wfm.adherence_exception (
    day             date NOT NULL,
    agent_arn       text NOT NULL,
    start_ts        timestamptz NOT NULL,
    end_ts          timestamptz NOT NULL,
    activity        text NOT NULL,
    productive      boolean NOT NULL,
    actual_status   text NOT NULL,              -- the status name, or 'logged out'
    actual_category text NOT NULL,              -- productive, non_productive, offline, logged_out
    seconds         numeric(12, 3) NOT NULL,
    PRIMARY KEY (agent_arn, start_ts)
);
CREATE INDEX adherence_exception_day ON wfm.adherence_exception (day);

-- The intraday view: at as_of, each agent with a tracked activity scheduled then, what it is
-- in and since when (its status's StartTimestamp), and whether that is adherent.
CREATE TABLE wfm.adherence_now (
    day             date NOT NULL,
    as_of           timestamptz NOT NULL,
    agent_arn       text NOT NULL,
    activity        text NOT NULL,
    productive      boolean NOT NULL,
    status_name     text,                        -- NULL: logged out
    status_category text NOT NULL,               -- productive, non_productive, offline,
                                                 -- unknown, logged_out
    since           timestamptz,
    adherent        boolean,                     -- NULL while unknown
    PRIMARY KEY (day, agent_arn)
);
"""

DOWNGRADE = """
DROP TABLE wfm.adherence_now;
DROP TABLE wfm.adherence_exception;
DROP TABLE wfm.adherence_day;
DROP TABLE wfm.adherence_interval;
DROP VIEW wfm.schedule_current;
DROP TABLE wfm.schedule_coverage;
DROP TABLE wfm.schedule_activity;
DROP TABLE wfm.schedule_version;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
