-- Each agent's day as contiguous (status, activity, routing profile) segments.
-- A snapshot holds from its event until the agent's next event, but never longer than
-- %(max_gap)s: heartbeats come every 120 s, so a longer silence is lost data, not state.
-- Segments are clipped to the day (and to now) and offline statuses are left out (not online
-- time).
INSERT INTO wfm.agent_state_timeline
    (day, agent_arn, start_ts, end_ts, status_name, activity, routing_profile_arn)
WITH ev AS (
    SELECT agent_arn,
           event_ts AS start_ts,
           least(coalesce(lead(event_ts) OVER w, event_ts + %(max_gap)s), event_ts + %(max_gap)s) AS end_ts,
           status_name, activity, routing_profile_arn
    FROM wfm.agent_event_raw
    WHERE event_ts >= %(day_start)s - %(max_gap)s AND event_ts < %(day_end)s + %(max_gap)s
    -- Events at the same instant: a heartbeat only restates, so the change event wins (last).
    WINDOW w AS (PARTITION BY agent_arn ORDER BY event_ts,
                 array_position(ARRAY['HEART_BEAT', 'LOGIN', 'STATE_CHANGE', 'LOGOUT'], event_type),
                 event_id)
), clipped AS (
    SELECT agent_arn,
           greatest(start_ts, %(day_start)s) AS start_ts,
           least(end_ts, %(day_end)s, %(now)s) AS end_ts,  -- today: nothing after now
           status_name, activity, routing_profile_arn
    FROM ev
    WHERE status_name IS NOT NULL AND NOT (status_name = ANY(%(offline_statuses)s))
), marked AS (
    SELECT *,
           CASE WHEN lag(end_ts) OVER w = start_ts
                 AND lag(status_name) OVER w = status_name
                 AND lag(activity) OVER w = activity
                 AND lag(routing_profile_arn) OVER w IS NOT DISTINCT FROM routing_profile_arn
                THEN 0 ELSE 1 END AS starts_island
    FROM clipped
    WHERE end_ts > start_ts
    WINDOW w AS (PARTITION BY agent_arn ORDER BY start_ts)
), islands AS (
    SELECT *, sum(starts_island) OVER (PARTITION BY agent_arn ORDER BY start_ts) AS island
    FROM marked
)
SELECT %(day)s, agent_arn, min(start_ts), max(end_ts), status_name, activity, routing_profile_arn
FROM islands
GROUP BY agent_arn, island, status_name, activity, routing_profile_arn
