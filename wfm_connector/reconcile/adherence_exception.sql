-- Adherence exceptions: the day's non-adherent spans of each tracked activity, at least
-- %(exception_min_s)s seconds long, with what the agent was in instead. Non-adherent (as in
-- adherence_interval.sql): a status of the other kind, Offline, or no timeline at all (logged
-- out). Unknown time is not an exception. Consecutive pieces with the same actual status
-- within one activity are one span (a contact starting or ending does not split it).
INSERT INTO wfm.adherence_exception (day, agent_arn, start_ts, end_ts, activity, productive,
                                     actual_status, actual_category, seconds)
WITH act AS (
    SELECT agent_arn, activity, productive,
           greatest(start_ts, %(day_start)s) AS s, least(end_ts, %(day_end)s) AS e
    FROM wfm.schedule_current
    WHERE adherence_tracked AND start_ts < %(day_end)s AND end_ts > %(day_start)s
), overlap AS (
    SELECT a.agent_arn, a.activity, a.productive, a.s AS act_s, a.e AS act_e,
           greatest(a.s, t.start_ts) AS s, least(a.e, t.end_ts) AS e,
           t.status_name, t.status_category
    FROM act a
    JOIN wfm.agent_state_timeline t
      ON t.day = %(day)s AND t.agent_arn = a.agent_arn AND t.start_ts < a.e AND t.end_ts > a.s
), gaps AS (
    -- time of an activity no timeline segment covers: before each piece, after the last one,
    -- and whole activities without any
    SELECT agent_arn, activity, productive, act_s,
           coalesce(lag(e) OVER w, act_s) AS s, s AS e
    FROM overlap
    WINDOW w AS (PARTITION BY agent_arn, act_s ORDER BY s)
    UNION ALL
    SELECT agent_arn, activity, productive, act_s, max(e), act_e
    FROM overlap GROUP BY agent_arn, activity, productive, act_s, act_e
    UNION ALL
    SELECT a.agent_arn, a.activity, a.productive, a.s, a.s, a.e
    FROM act a
    WHERE NOT EXISTS (SELECT 1 FROM overlap o WHERE o.agent_arn = a.agent_arn AND o.act_s = a.s)
), wrong AS (
    SELECT agent_arn, activity, productive, act_s, s, e, status_name AS actual,
           status_category AS category
    FROM overlap
    WHERE status_category <> 'unknown'
      AND NOT ((productive AND status_category = 'productive')
               OR (NOT productive AND status_category = 'non_productive'))
    UNION ALL
    SELECT agent_arn, activity, productive, act_s, s, e, 'logged out', 'logged_out'
    FROM gaps WHERE e > s
), marked AS (
    SELECT *, CASE WHEN lag(e) OVER w = s AND lag(actual) OVER w = actual THEN 0 ELSE 1 END AS new_span
    FROM wrong
    WINDOW w AS (PARTITION BY agent_arn, act_s ORDER BY s)
), spans AS (
    SELECT *, sum(new_span) OVER (PARTITION BY agent_arn, act_s ORDER BY s) AS span
    FROM marked
)
SELECT %(day)s, agent_arn, min(s), max(e), activity, productive, actual, category,
       extract(epoch FROM max(e) - min(s))
FROM spans
GROUP BY agent_arn, act_s, span, activity, productive, actual, category
HAVING extract(epoch FROM max(e) - min(s)) >= %(exception_min_s)s
