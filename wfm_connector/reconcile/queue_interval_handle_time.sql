-- Queue statistics per queue, channel and interval, from contact records, under both
-- interval attributions: 'enqueue' (the interval the contact entered the queue, as Calabrio
-- and forecasting imports want) and 'disconnect' (the interval it ended, as Connect's
-- historical reports do). Only contacts that entered a queue count; each contact counts
-- once, in its newest delivered version (greatest LastUpdateTimestamp).
-- Rows are dense: every queue/channel seen that day gets every interval of the day.
INSERT INTO wfm.queue_interval_handle_time (
    day, attribution, queue_arn, channel, interval_start,
    contacts_queued, offered_direct, transferred_in, transferred_out, overflow_out,
    handled, abandoned, abandoned_short, abandoned_within_sl, answered_within_sl,
    queue_answer_time_s, queue_abandon_time_s, longest_answer_s, longest_abandon_s,
    interaction_s, hold_s, acw_s, aht_s, asa_s, agent_available_s)
WITH touched AS (
    SELECT DISTINCT contact_id FROM wfm.contact_record_raw
    WHERE (enqueue_ts >= %(day_start)s AND enqueue_ts < %(day_end)s)
       OR (disconnect_ts >= %(day_start)s AND disconnect_ts < %(day_end)s)
), latest AS (
    SELECT DISTINCT ON (r.contact_id) r.*
    FROM wfm.contact_record_raw r JOIN touched USING (contact_id)
    ORDER BY r.contact_id, r.last_update_ts DESC
), classified AS (
    SELECT l.queue_arn, l.channel, l.enqueue_ts, l.disconnect_ts, l.initiation_method,
           -- Queue.Duration, else dequeue (or disconnect) minus enqueue
           coalesce(l.queue_duration_s::bigint,
                    floor(extract(epoch FROM coalesce(l.dequeue_ts, l.disconnect_ts) - l.enqueue_ts))::bigint,
                    0) AS queue_s,
           l.connected_to_agent_ts IS NOT NULL AS handled,
           l.next_contact_id IS NOT NULL AS moved_on,
           coalesce(l.disconnect_reason, 'CUSTOMER_DISCONNECT') = 'CUSTOMER_DISCONNECT' AS by_customer,
           coalesce(l.agent_interaction_s, 0) AS interaction_s,
           coalesce(l.customer_hold_s, 0) AS hold_s,
           coalesce(l.acw_s, 0) AS acw_s
    FROM latest l
    WHERE l.enqueue_ts IS NOT NULL AND l.queue_arn IS NOT NULL
), facts AS (
    SELECT a.attribution, c.*,
           floor(extract(epoch FROM a.ts - %(day_start)s) / %(step_s)s)::int AS idx,
           -- abandoned: the customer hung up in queue (a callback or transfer is not an abandon)
           NOT c.handled AND NOT c.moved_on AND c.by_customer AS abandoned
    FROM classified c
    CROSS JOIN LATERAL (VALUES ('enqueue', c.enqueue_ts), ('disconnect', c.disconnect_ts)) AS a(attribution, ts)
    WHERE a.ts >= %(day_start)s AND a.ts < %(day_end)s
), agg AS (
    SELECT attribution, queue_arn, channel, idx,
           count(*) AS contacts_queued,
           count(*) FILTER (WHERE initiation_method NOT IN ('TRANSFER', 'QUEUE_TRANSFER')) AS offered_direct,
           count(*) FILTER (WHERE initiation_method IN ('TRANSFER', 'QUEUE_TRANSFER')) AS transferred_in,
           count(*) FILTER (WHERE handled AND moved_on) AS transferred_out,
           count(*) FILTER (WHERE NOT handled AND moved_on) AS overflow_out,
           count(*) FILTER (WHERE handled) AS handled,
           count(*) FILTER (WHERE abandoned) AS abandoned,
           count(*) FILTER (WHERE abandoned AND queue_s < %(short_abandon_s)s) AS abandoned_short,
           count(*) FILTER (WHERE abandoned AND queue_s >= %(short_abandon_s)s
                                             AND queue_s <= %(service_level_s)s) AS abandoned_within_sl,
           count(*) FILTER (WHERE handled AND queue_s <= %(service_level_s)s) AS answered_within_sl,
           coalesce(sum(queue_s) FILTER (WHERE handled), 0) AS queue_answer_time_s,
           coalesce(sum(queue_s) FILTER (WHERE abandoned), 0) AS queue_abandon_time_s,
           coalesce(max(queue_s) FILTER (WHERE handled), 0) AS longest_answer_s,
           coalesce(max(queue_s) FILTER (WHERE abandoned), 0) AS longest_abandon_s,
           coalesce(sum(interaction_s) FILTER (WHERE handled), 0) AS interaction_s,
           coalesce(sum(hold_s) FILTER (WHERE handled), 0) AS hold_s,
           coalesce(sum(acw_s) FILTER (WHERE handled), 0) AS acw_s
    FROM facts
    GROUP BY attribution, queue_arn, channel, idx
), available AS (
    -- Seconds agents who serve the queue were Available with nothing to do.
    SELECT q.queue_arn, i AS idx,
           sum(extract(epoch FROM least(t.end_ts, %(day_start)s + (i + 1) * %(step)s)
                                - greatest(t.start_ts, %(day_start)s + i * %(step)s))) AS seconds
    FROM wfm.agent_state_timeline t
    JOIN wfm.routing_profile_queue q ON q.routing_profile_arn = t.routing_profile_arn
    JOIN (SELECT DISTINCT queue_arn FROM facts) used ON used.queue_arn = q.queue_arn
    CROSS JOIN LATERAL generate_series(
        floor(extract(epoch FROM t.start_ts - %(day_start)s) / %(step_s)s)::int,
        ceil(extract(epoch FROM t.end_ts - %(day_start)s) / %(step_s)s)::int - 1
    ) AS i
    WHERE t.day = %(day)s AND t.status_name = 'Available' AND t.activity = 'IDLE'
    GROUP BY q.queue_arn, i
), grid AS (
    SELECT a.attribution, qc.queue_arn, qc.channel, i AS idx
    FROM (SELECT DISTINCT queue_arn, channel FROM facts) qc
    CROSS JOIN (VALUES ('enqueue'), ('disconnect')) AS a(attribution)
    CROSS JOIN generate_series(0, %(intervals)s - 1) AS i
)
SELECT %(day)s, g.attribution, g.queue_arn, g.channel, %(day_start)s + g.idx * %(step)s,
       coalesce(a.contacts_queued, 0), coalesce(a.offered_direct, 0),
       coalesce(a.transferred_in, 0), coalesce(a.transferred_out, 0),
       coalesce(a.overflow_out, 0), coalesce(a.handled, 0), coalesce(a.abandoned, 0),
       coalesce(a.abandoned_short, 0), coalesce(a.abandoned_within_sl, 0),
       coalesce(a.answered_within_sl, 0),
       coalesce(a.queue_answer_time_s, 0), coalesce(a.queue_abandon_time_s, 0),
       coalesce(a.longest_answer_s, 0), coalesce(a.longest_abandon_s, 0),
       coalesce(a.interaction_s, 0), coalesce(a.hold_s, 0), coalesce(a.acw_s, 0),
       round((a.interaction_s + a.hold_s + a.acw_s)::numeric / nullif(a.handled, 0), 3),
       round(a.queue_answer_time_s::numeric / nullif(a.handled, 0), 3),
       coalesce(v.seconds, 0)
FROM grid g
LEFT JOIN agg a USING (attribution, queue_arn, channel, idx)
LEFT JOIN available v ON v.queue_arn = g.queue_arn AND v.idx = g.idx
