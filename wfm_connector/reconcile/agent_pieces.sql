-- The day's timeline segments split at interval boundaries (by when they happened, as
-- Connect's agent-activity metrics are), kept for this transaction only. on_channels: the
-- channels with a contact the agent is working on (connected, on hold, paused or in ACW).
CREATE TEMP TABLE agent_pieces ON COMMIT DROP AS
SELECT t.agent_arn, i AS idx, t.status_name, t.status_category, t.activity, t.channels,
       t.states,
       ARRAY(SELECT DISTINCT u.ch FROM unnest(t.channels, t.states) AS u(ch, st)
             WHERE st IN ('CONNECTED', 'CONNECTED_ONHOLD', 'PAUSED', 'ENDED')
               AND ch IS NOT NULL) AS on_channels,
       extract(epoch FROM least(t.end_ts, %(day_start)s + (i + 1) * %(step)s)
                        - greatest(t.start_ts, %(day_start)s + i * %(step)s)) AS seconds
FROM wfm.agent_state_timeline t
CROSS JOIN LATERAL generate_series(
    floor(extract(epoch FROM t.start_ts - %(day_start)s) / %(step_s)s)::int,
    ceil(extract(epoch FROM t.end_ts - %(day_start)s) / %(step_s)s)::int - 1
) AS i
WHERE t.day = %(day)s AND t.start_ts >= %(from_ts)s  -- the segments being rebuilt
