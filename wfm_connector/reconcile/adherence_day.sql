-- Adherence per agent and day: the intervals' sums, the same percentage; and conformance (ours:
-- Connect publishes none): seconds in a productive status over the whole day / scheduled
-- seconds of productive, tracked activities * 100 (more than 100 when the agent worked more).
INSERT INTO wfm.adherence_day (day, agent_arn, scheduled_s, adherent_s, non_adherent_s,
                               unknown_s, adherence_pct, scheduled_productive_s, productive_s,
                               conformance_pct)
WITH adherence AS (
    SELECT agent_arn, sum(scheduled_s) AS scheduled, sum(adherent_s) AS adherent,
           sum(non_adherent_s) AS non_adherent, sum(unknown_s) AS unknown
    FROM wfm.adherence_interval WHERE day = %(day)s
    GROUP BY agent_arn
), planned AS (
    SELECT agent_arn,
           sum(extract(epoch FROM least(end_ts, %(day_end)s) - greatest(start_ts, %(day_start)s)))
               AS seconds
    FROM wfm.schedule_current
    WHERE adherence_tracked AND productive AND start_ts < %(day_end)s AND end_ts > %(day_start)s
    GROUP BY agent_arn
), worked AS (
    SELECT agent_arn, sum(seconds) AS seconds
    FROM wfm.agent_interval_states
    WHERE day = %(day)s AND status_category = 'productive'
    GROUP BY agent_arn
)
SELECT %(day)s, a.agent_arn, a.scheduled, a.adherent, a.non_adherent, a.unknown,
       round(100 * a.adherent / nullif(a.scheduled - a.unknown, 0), 2),
       coalesce(p.seconds, 0), coalesce(w.seconds, 0),
       round(100 * coalesce(w.seconds, 0) / nullif(p.seconds, 0), 2)
FROM adherence a
LEFT JOIN planned p USING (agent_arn)
LEFT JOIN worked w USING (agent_arn)
