-- After an incremental rebuild from %(from_ts)s: an agent's segment cut at that instant and
-- the first rebuilt one are one segment when nothing differs between them (a whole-day
-- rebuild merges contiguous equal segments the same way): the first is extended, the second
-- goes.
WITH pair AS (
    SELECT a.agent_arn, a.start_ts AS kept, b.start_ts AS dropped, b.end_ts
    FROM wfm.agent_state_timeline a
    JOIN wfm.agent_state_timeline b
      ON b.agent_arn = a.agent_arn AND b.day = a.day AND b.start_ts = a.end_ts
    WHERE a.day = %(day)s AND a.end_ts = %(from_ts)s
      AND b.status_name = a.status_name AND b.status_category = a.status_category
      AND b.activity = a.activity
      AND b.routing_profile_arn IS NOT DISTINCT FROM a.routing_profile_arn
      AND b.channels = a.channels AND b.states = a.states
), dropped AS (
    DELETE FROM wfm.agent_state_timeline t USING pair p
    WHERE t.agent_arn = p.agent_arn AND t.start_ts = p.dropped
)
UPDATE wfm.agent_state_timeline t SET end_ts = p.end_ts
FROM pair p
WHERE t.agent_arn = p.agent_arn AND t.start_ts = p.kept
