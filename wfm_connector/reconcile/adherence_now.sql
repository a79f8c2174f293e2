-- The intraday view at %(as_of)s: every agent with a tracked activity scheduled at that instant,
-- the status the day's timeline has for it then (the timeline already applies the event-gap,
-- heartbeat and LOGOUT rules: no segment means logged out), since when the agent has been in
-- that status (AgentStatus.StartTimestamp of its latest event), and whether that is adherent
-- by the rules of adherence_interval.sql (NULL while unknown).
INSERT INTO wfm.adherence_now (day, as_of, agent_arn, activity, productive, status_name,
                               status_category, since, adherent)
WITH scheduled AS (
    SELECT agent_arn, activity, productive
    FROM wfm.schedule_current
    WHERE adherence_tracked AND start_ts <= %(as_of)s AND end_ts > %(as_of)s
), state AS (
    SELECT DISTINCT ON (agent_arn) agent_arn, status_name, status_category
    FROM wfm.agent_state_timeline
    WHERE day = %(day)s AND start_ts <= %(as_of)s AND end_ts >= %(as_of)s
    ORDER BY agent_arn, start_ts DESC
), latest AS (
    SELECT DISTINCT ON (agent_arn) agent_arn, status_start_ts
    FROM wfm.agent_event_raw
    WHERE event_ts <= %(as_of)s AND event_ts > %(as_of)s - %(lookback)s
    ORDER BY agent_arn, event_ts DESC
)
SELECT %(day)s, %(as_of)s, s.agent_arn, s.activity, s.productive,
       nullif(t.status_name, ''), coalesce(t.status_category, 'logged_out'),
       CASE WHEN t.status_category NOT IN ('unknown') THEN l.status_start_ts END,
       CASE WHEN t.status_category = 'unknown' THEN NULL
            ELSE coalesce((s.productive AND t.status_category = 'productive')
                          OR (NOT s.productive AND t.status_category = 'non_productive'), false)
       END
FROM scheduled s
LEFT JOIN state t USING (agent_arn)
LEFT JOIN latest l USING (agent_arn)
