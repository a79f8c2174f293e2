-- Queue statistics per attribution, queue, channel and interval, from contact_facts: every
-- contact of a contact-center queue (agent queues are not queues), queued or not (outbound
-- contacts have handle time but no queue time). Rows are dense: every queue/channel seen that
-- day gets every interval of the day under both attributions. An incremental rebuild (from
-- %(from_ts)s, interval %(from_idx)s) writes the intervals from there, for the queues and
-- channels already in the day's earlier rows and those of the facts (a pair new to the day
-- needs its earlier intervals too: the caller rebuilds the whole day then).
INSERT INTO wfm.queue_interval (
    day, attribution, queue_arn, channel, interval_start,
    contacts_queued, offered_direct, transferred_in, transferred_in_by_agent,
    transferred_in_from_queue, callback_contacts, handled, handled_incoming, handled_outbound,
    handled_callback, handled_api, answered, abandoned, abandoned_short, callback_requested,
    transferred_out, transferred_out_internal, transferred_out_external,
    transferred_out_from_queue, queue_answer_time_s, queue_abandon_time_s, longest_answer_s,
    longest_abandon_s, interaction_s, hold_s, holds, contacts_put_on_hold, longest_hold_s, acw_s,
    handle_time_s, aht_s, asa_s, avg_interaction_s, avg_hold_s, agent_available_s)
WITH agg AS (
    SELECT attribution, queue_arn, channel, idx,
           count(*) FILTER (WHERE queued) AS contacts_queued,                    -- CONTACTS_QUEUED
           count(*) FILTER (WHERE queued AND initiation_method NOT IN ('TRANSFER', 'QUEUE_TRANSFER')) AS offered_direct,
           count(*) FILTER (WHERE initiation_method IN ('TRANSFER', 'QUEUE_TRANSFER')) AS transferred_in,  -- CONTACTS_TRANSFERRED_IN
           count(*) FILTER (WHERE initiation_method = 'TRANSFER') AS transferred_in_by_agent,
           count(*) FILTER (WHERE initiation_method = 'QUEUE_TRANSFER') AS transferred_in_from_queue,
           count(*) FILTER (WHERE initiation_method = 'CALLBACK') AS callback_contacts,
           count(*) FILTER (WHERE handled) AS handled,                           -- CONTACTS_HANDLED
           count(*) FILTER (WHERE handled_incoming) AS handled_incoming,
           count(*) FILTER (WHERE handled_outbound) AS handled_outbound,
           count(*) FILTER (WHERE handled_callback) AS handled_callback,
           count(*) FILTER (WHERE handled_api) AS handled_api,
           count(*) FILTER (WHERE handled AND queued) AS answered,
           count(*) FILTER (WHERE abandoned) AS abandoned,                       -- CONTACTS_ABANDONED
           count(*) FILTER (WHERE abandoned AND queue_s < %(short_abandon_s)s) AS abandoned_short,
           count(*) FILTER (WHERE callback_requested) AS callback_requested,
           count(*) FILTER (WHERE transferred_out_internal OR transferred_out_external
                                  OR transferred_out_from_queue) AS transferred_out,  -- CONTACTS_TRANSFERRED_OUT
           count(*) FILTER (WHERE transferred_out_internal) AS transferred_out_internal,
           count(*) FILTER (WHERE transferred_out_external) AS transferred_out_external,
           count(*) FILTER (WHERE transferred_out_from_queue) AS transferred_out_from_queue,
           coalesce(sum(queue_s) FILTER (WHERE handled AND queued), 0) AS queue_answer_time_s,
           coalesce(sum(queue_s) FILTER (WHERE abandoned), 0) AS queue_abandon_time_s,
           coalesce(max(queue_s) FILTER (WHERE handled AND queued), 0) AS longest_answer_s,
           coalesce(max(queue_s) FILTER (WHERE abandoned), 0) AS longest_abandon_s,
           coalesce(sum(interaction_s) FILTER (WHERE handled), 0) AS interaction_s,
           coalesce(sum(hold_s) FILTER (WHERE handled), 0) AS hold_s,
           coalesce(sum(holds) FILTER (WHERE handled), 0) AS holds,
           count(*) FILTER (WHERE put_on_hold) AS contacts_put_on_hold,          -- CONTACTS_PUT_ON_HOLD
           coalesce(max(longest_hold_s) FILTER (WHERE handled), 0) AS longest_hold_s,
           coalesce(sum(acw_s) FILTER (WHERE handled), 0) AS acw_s
    FROM contact_facts
    WHERE queue_arn IS NOT NULL
    GROUP BY attribution, queue_arn, channel, idx
), pairs AS (
    SELECT queue_arn, channel FROM agg
    UNION
    SELECT queue_arn, channel FROM wfm.queue_interval WHERE day = %(day)s  -- (before from_ts)
), available AS (
    -- Seconds the agents whose routing profile serves the queue were idle (Connect's idle:
    -- routable status, no contact or a contact in error).
    SELECT q.queue_arn, i AS idx,
           sum(extract(epoch FROM least(t.end_ts, %(day_start)s + (i + 1) * %(step)s)
                                - greatest(t.start_ts, %(day_start)s + i * %(step)s))) AS seconds
    FROM wfm.agent_state_timeline t
    JOIN wfm.routing_profile_queue q ON q.routing_profile_arn = t.routing_profile_arn
    JOIN (SELECT DISTINCT queue_arn FROM pairs) used ON used.queue_arn = q.queue_arn
    CROSS JOIN LATERAL generate_series(
        greatest(floor(extract(epoch FROM t.start_ts - %(day_start)s) / %(step_s)s)::int,
                 %(from_idx)s),
        ceil(extract(epoch FROM t.end_ts - %(day_start)s) / %(step_s)s)::int - 1
    ) AS i
    WHERE t.day = %(day)s AND t.end_ts > %(from_ts)s AND t.status_category = 'productive'
      AND t.activity IN ('NO_CONTACT', 'ERROR')
    GROUP BY q.queue_arn, i
), grid AS (
    SELECT a.attribution, qc.queue_arn, qc.channel, i AS idx
    FROM pairs qc
    CROSS JOIN (VALUES ('enqueue'), ('disconnect')) AS a(attribution)
    CROSS JOIN generate_series(%(from_idx)s, %(intervals)s - 1) AS i
)
SELECT %(day)s, g.attribution, g.queue_arn, g.channel, %(day_start)s + g.idx * %(step)s,
       coalesce(a.contacts_queued, 0), coalesce(a.offered_direct, 0),
       coalesce(a.transferred_in, 0), coalesce(a.transferred_in_by_agent, 0),
       coalesce(a.transferred_in_from_queue, 0), coalesce(a.callback_contacts, 0),
       coalesce(a.handled, 0), coalesce(a.handled_incoming, 0), coalesce(a.handled_outbound, 0),
       coalesce(a.handled_callback, 0), coalesce(a.handled_api, 0), coalesce(a.answered, 0),
       coalesce(a.abandoned, 0), coalesce(a.abandoned_short, 0),
       coalesce(a.callback_requested, 0), coalesce(a.transferred_out, 0),
       coalesce(a.transferred_out_internal, 0), coalesce(a.transferred_out_external, 0),
       coalesce(a.transferred_out_from_queue, 0),
       coalesce(a.queue_answer_time_s, 0), coalesce(a.queue_abandon_time_s, 0),
       coalesce(a.longest_answer_s, 0), coalesce(a.longest_abandon_s, 0),
       coalesce(a.interaction_s, 0), coalesce(a.hold_s, 0), coalesce(a.holds, 0),
       coalesce(a.contacts_put_on_hold, 0), coalesce(a.longest_hold_s, 0), coalesce(a.acw_s, 0),
       coalesce(a.interaction_s + a.hold_s + a.acw_s, 0),
       -- AVG_HANDLE_TIME: (interaction + hold + ACW) / contacts handled
       round((a.interaction_s + a.hold_s + a.acw_s)::numeric / nullif(a.handled, 0), 3),
       -- AVG_QUEUE_ANSWER_TIME: mean Queue.Duration of answered contacts
       round(a.queue_answer_time_s::numeric / nullif(a.answered, 0), 3),
       -- AVG_INTERACTION_TIME
       round(a.interaction_s::numeric / nullif(a.handled, 0), 3),
       -- AVG_HOLD_TIME: only contacts that went on hold
       round(a.hold_s::numeric / nullif(a.contacts_put_on_hold, 0), 3),
       coalesce(v.seconds, 0)
FROM grid g
LEFT JOIN agg a USING (attribution, queue_arn, channel, idx)
LEFT JOIN available v ON v.queue_arn = g.queue_arn AND v.idx = g.idx
