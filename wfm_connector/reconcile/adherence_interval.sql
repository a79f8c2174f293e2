-- Schedule adherence per agent and interval, from the schedule in force (wfm.schedule_current)
-- and the day's agent timeline (Administrator Guide, "Schedule adherence"; README):
-- * scheduled: time in activities whose adherence tracking is on, clipped to the day; time
--   outside every scheduled activity counts nowhere (starting early or staying late is free);
-- * adherent: a productive (routable) status during a productive activity, or any custom
--   status during any non-productive activity (the activity's name does not matter, nor
--   whether the agent handles contacts);
-- * unknown: the timeline's unknown time (lost events), neither adherent nor not;
-- * non-adherent: the rest of the scheduled time: Offline, logged out, the wrong kind of
--   status;
-- * adherence_pct: adherent / (adherent + non-adherent) * 100, two decimals (equal to
--   Connect's adherent / scheduled when nothing is unknown).
INSERT INTO wfm.adherence_interval (day, agent_arn, interval_start, scheduled_s, adherent_s,
                                    non_adherent_s, unknown_s, adherence_pct)
WITH act AS (
    SELECT agent_arn, greatest(start_ts, %(day_start)s) AS s, least(end_ts, %(day_end)s) AS e,
           productive
    FROM wfm.schedule_current
    WHERE adherence_tracked AND start_ts < %(day_end)s AND end_ts > %(day_start)s
), spans AS (
    SELECT agent_arn, s, e, 'scheduled' AS kind FROM act
    UNION ALL
    SELECT a.agent_arn, greatest(a.s, t.start_ts), least(a.e, t.end_ts),
           CASE WHEN t.status_category = 'unknown' THEN 'unknown'
                WHEN (a.productive AND t.status_category = 'productive')
                  OR (NOT a.productive AND t.status_category = 'non_productive') THEN 'adherent'
                ELSE 'other' END
    FROM act a
    JOIN wfm.agent_state_timeline t
      ON t.day = %(day)s AND t.agent_arn = a.agent_arn AND t.start_ts < a.e AND t.end_ts > a.s
), pieces AS (
    SELECT agent_arn, kind, i AS idx,
           extract(epoch FROM least(e, %(day_start)s + (i + 1) * %(step)s)
                            - greatest(s, %(day_start)s + i * %(step)s)) AS seconds
    FROM spans
    CROSS JOIN LATERAL generate_series(
        floor(extract(epoch FROM s - %(day_start)s) / %(step_s)s)::int,
        ceil(extract(epoch FROM e - %(day_start)s) / %(step_s)s)::int - 1
    ) AS i
), sums AS (
    SELECT agent_arn, idx,
           coalesce(sum(seconds) FILTER (WHERE kind = 'scheduled'), 0) AS scheduled,
           coalesce(sum(seconds) FILTER (WHERE kind = 'adherent'), 0) AS adherent,
           coalesce(sum(seconds) FILTER (WHERE kind = 'unknown'), 0) AS unknown
    FROM pieces
    GROUP BY agent_arn, idx
)
SELECT %(day)s, agent_arn, %(day_start)s + idx * %(step)s, scheduled, adherent,
       scheduled - adherent - unknown, unknown,
       round(100 * adherent / nullif(scheduled - unknown, 0), 2)
FROM sums
WHERE scheduled > 0
