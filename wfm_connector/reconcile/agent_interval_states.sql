-- Seconds per agent, interval, status and activity: every timeline segment is split at
-- interval boundaries (by when the activity happened, as Connect's agent metrics do).
INSERT INTO wfm.agent_interval_states
    (day, agent_arn, interval_start, status_name, status_category, activity, seconds)
WITH pieces AS (
    SELECT t.agent_arn, t.status_name, t.activity,
           %(day_start)s + i * %(step)s AS interval_start,
           extract(epoch FROM least(t.end_ts, %(day_start)s + (i + 1) * %(step)s)
                            - greatest(t.start_ts, %(day_start)s + i * %(step)s)) AS seconds
    FROM wfm.agent_state_timeline t
    CROSS JOIN LATERAL generate_series(
        floor(extract(epoch FROM t.start_ts - %(day_start)s) / %(step_s)s)::int,
        ceil(extract(epoch FROM t.end_ts - %(day_start)s) / %(step_s)s)::int - 1
    ) AS i
    WHERE t.day = %(day)s
), categories AS (
    SELECT * FROM unnest(%(status_names)s::text[], %(status_categories)s::text[]) AS c(name, category)
)
SELECT %(day)s, p.agent_arn, p.interval_start, p.status_name,
       coalesce(c.category, 'non_productive'), p.activity, sum(p.seconds)
FROM pieces p
LEFT JOIN categories c ON c.name = p.status_name
WHERE p.seconds > 0
GROUP BY p.agent_arn, p.interval_start, p.status_name, c.category, p.activity
