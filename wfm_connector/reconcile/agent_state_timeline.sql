-- Each agent's day as contiguous segments of (status, wall-clock activity, contacts).
--
-- A snapshot holds from its event until the agent's next event (ordered by EventTimestamp,
-- never by arrival). Connect publishes a HEART_BEAT every 120 s when nothing else happened, so:
-- * next event within %(max_gap)s: the snapshot holds until it;
-- * next event later (up to %(lookback)s): the snapshot holds %(max_gap)s, and the rest of the
--   silence is an 'unknown' segment (the agent was logged in, but what it did is lost);
-- * no next event (or a silence beyond %(lookback)s, taken as a lost LOGOUT): the snapshot
--   holds one heartbeat period, %(heartbeat)s;
-- * LOGOUT ends the session at its timestamp (no segment after it).
-- Segments are clipped to the day (from %(from_ts)s: the whole day, or where an incremental
-- rebuild starts) and to now.
--
-- status_category, in this order: a configured override for the status ARN or name; the
-- snapshot's AgentStatus.Type (ROUTABLE -> productive, CUSTOM -> non_productive, OFFLINE ->
-- offline); the configured name mapping (old payloads without Type); else non_productive
-- (an unknown name is a custom status).
--
-- activity: the wall-clock contact activity, by this precedence over the snapshot's contacts:
-- CONNECTED > ON_HOLD (CONNECTED_ONHOLD) > PAUSED > ACW (ENDED, still listed) > RINGING
-- (INCOMING, PENDING, CONNECTING) > ERROR (MISSED, REJECTED, ERROR) > NO_CONTACT.
INSERT INTO wfm.agent_state_timeline (day, agent_arn, start_ts, end_ts, status_name,
                                      status_category, activity, routing_profile_arn,
                                      channels, states)
WITH ev AS (
    SELECT agent_arn, event_type, event_ts, lead(event_ts) OVER w AS next_ts,
           status_name, status_type, status_arn, routing_profile_arn, contacts
    FROM wfm.agent_event_raw
    WHERE event_ts >= %(from_ts)s - %(lookback)s AND event_ts < %(day_end)s + %(lookback)s
    -- Events at the same instant: a heartbeat only restates, so the change event wins (last).
    WINDOW w AS (PARTITION BY agent_arn ORDER BY event_ts,
                 array_position(ARRAY['HEART_BEAT', 'LOGIN', 'STATE_CHANGE', 'LOGOUT'], event_type),
                 event_id)
), known AS (
    SELECT e.agent_arn, e.event_ts AS start_ts,
           e.event_ts + CASE
               WHEN e.next_ts - e.event_ts <= %(max_gap)s THEN e.next_ts - e.event_ts
               WHEN e.next_ts - e.event_ts <= %(lookback)s THEN %(max_gap)s
               ELSE %(heartbeat)s
           END AS end_ts,
           CASE WHEN e.next_ts - e.event_ts > %(max_gap)s
                 AND e.next_ts - e.event_ts <= %(lookback)s THEN e.next_ts END AS unknown_until,
           e.status_name,
           coalesce(%(overrides)s::jsonb ->> e.status_arn, %(overrides)s::jsonb ->> e.status_name,
                    CASE e.status_type WHEN 'ROUTABLE' THEN 'productive'
                                       WHEN 'CUSTOM' THEN 'non_productive'
                                       WHEN 'OFFLINE' THEN 'offline' END,
                    %(names)s::jsonb ->> e.status_name, 'non_productive') AS status_category,
           e.routing_profile_arn, c.channels, c.states
    FROM ev e
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(x ->> 'channel' ORDER BY x ->> 'contact_id'), '{}') AS channels,
               coalesce(array_agg(x ->> 'state' ORDER BY x ->> 'contact_id'), '{}') AS states
        FROM jsonb_array_elements(e.contacts) AS x
    ) c
    WHERE e.event_type <> 'LOGOUT' AND e.status_name IS NOT NULL
), segments AS (
    SELECT agent_arn, start_ts, end_ts, status_name, status_category,
           CASE WHEN 'CONNECTED' = ANY(states) THEN 'CONNECTED'
                WHEN 'CONNECTED_ONHOLD' = ANY(states) THEN 'ON_HOLD'
                WHEN 'PAUSED' = ANY(states) THEN 'PAUSED'
                WHEN 'ENDED' = ANY(states) THEN 'ACW'
                WHEN states && ARRAY['INCOMING', 'PENDING', 'CONNECTING'] THEN 'RINGING'
                WHEN states && ARRAY['MISSED', 'REJECTED', 'ERROR'] THEN 'ERROR'
                ELSE 'NO_CONTACT' END AS activity,
           routing_profile_arn, channels, states
    FROM known
    UNION ALL
    SELECT agent_arn, end_ts, unknown_until, '', 'unknown', 'UNKNOWN', NULL, '{}', '{}'
    FROM known
    WHERE unknown_until IS NOT NULL
), clipped AS (
    SELECT agent_arn,
           greatest(start_ts, %(from_ts)s) AS start_ts,
           least(end_ts, %(day_end)s, %(now)s) AS end_ts,  -- today: nothing after now
           status_name, status_category, activity, routing_profile_arn, channels, states
    FROM segments
), marked AS (
    SELECT *,
           CASE WHEN lag(end_ts) OVER w = start_ts
                 AND lag(status_name) OVER w = status_name
                 AND lag(status_category) OVER w = status_category
                 AND lag(activity) OVER w = activity
                 AND lag(routing_profile_arn) OVER w IS NOT DISTINCT FROM routing_profile_arn
                 AND lag(channels) OVER w = channels
                 AND lag(states) OVER w = states
                THEN 0 ELSE 1 END AS starts_island
    FROM clipped
    WHERE end_ts > start_ts
    WINDOW w AS (PARTITION BY agent_arn ORDER BY start_ts)
), islands AS (
    SELECT *, sum(starts_island) OVER (PARTITION BY agent_arn ORDER BY start_ts) AS island
    FROM marked
)
SELECT %(day)s, agent_arn, min(start_ts), max(end_ts), status_name, status_category, activity,
       routing_profile_arn, channels, states
FROM islands
GROUP BY agent_arn, island, status_name, status_category, activity, routing_profile_arn,
         channels, states
