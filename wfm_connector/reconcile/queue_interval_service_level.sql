-- SERVICE_LEVEL per threshold X: contacts removed from the queue (answered by an agent,
-- abandoned, or callback requested) within X seconds of entering it / contacts queued * 100
-- (Administrator Guide, "Service level X"). "Within X" compares Queue.Duration (whole seconds,
-- enqueue to dequeue) with X using the API's comparison: LT (Connect's default: duration < X)
-- or LTE, as configured. Dense over queue_interval's rows.
INSERT INTO wfm.queue_interval_service_level (
    day, attribution, queue_arn, channel, interval_start, threshold_s,
    removed_within, answered_within, abandoned_within, service_level_pct)
WITH within AS (
    SELECT f.attribution, f.queue_arn, f.channel, f.idx, t.threshold_s,
           count(*) FILTER (WHERE f.handled OR f.abandoned OR f.callback_requested) AS removed,
           count(*) FILTER (WHERE f.handled) AS answered,
           count(*) FILTER (WHERE f.abandoned) AS abandoned
    FROM contact_facts f
    CROSS JOIN unnest(%(thresholds)s::int[]) AS t(threshold_s)
    WHERE f.queued AND (f.queue_s < t.threshold_s OR (%(inclusive)s AND f.queue_s = t.threshold_s))
    GROUP BY f.attribution, f.queue_arn, f.channel, f.idx, t.threshold_s
)
SELECT q.day, q.attribution, q.queue_arn, q.channel, q.interval_start, t.threshold_s,
       coalesce(w.removed, 0), coalesce(w.answered, 0), coalesce(w.abandoned, 0),
       round(100.0 * coalesce(w.removed, 0) / nullif(q.contacts_queued, 0), 2)
FROM wfm.queue_interval q
CROSS JOIN unnest(%(thresholds)s::int[]) AS t(threshold_s)
LEFT JOIN within w
       ON w.attribution = q.attribution AND w.queue_arn = q.queue_arn AND w.channel = q.channel
      AND w.idx = floor(extract(epoch FROM q.interval_start - %(day_start)s) / %(step_s)s)::int
      AND w.threshold_s = t.threshold_s
WHERE q.day = %(day)s AND q.interval_start >= %(from_ts)s
