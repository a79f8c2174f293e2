-- Seconds per agent, interval, status and wall-clock activity: the detail that every column
-- of agent_interval_activity is a sum of.
INSERT INTO wfm.agent_interval_states
    (day, agent_arn, interval_start, status_name, status_category, activity, seconds)
SELECT %(day)s, agent_arn, %(day_start)s + idx * %(step)s, status_name, status_category,
       activity, sum(seconds)
FROM agent_pieces
WHERE seconds > 0
GROUP BY agent_arn, idx, status_name, status_category, activity
