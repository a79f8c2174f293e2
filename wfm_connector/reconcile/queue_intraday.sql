-- The intraday queue view at %(as_of)s, from what the contact events (and, when
-- %(with_records)s, the contact records) say happened by then. Per contact-center queue (an
-- agent's own queue, .../queue/agent/..., is not one), channel and interval of the enqueue,
-- the contacts of the day that queued at or before as_of:
-- - queued: queueInfo.enqueueTimestamp in the interval (the QUEUED event, or any later event
--   of the contact, which repeats it);
-- - answered: connected to an agent by as_of (agentInfo.connectedToAgentTimestamp);
-- - left the queue unanswered by as_of (a DISCONNECTED event, no connection), split by what
--   follows it: a callback (a contact initiated by CALLBACK naming it previousContactId:
--   callback_requested), another contact (transferred_out_from_queue), or nothing
--   (abandoned; contact events carry no disconnect reason, so this also counts a contact the
--   flow or an expiry ended, which the contact records' CONTACTS_ABANDONED leaves out);
-- - in_queue: neither yet (real-time CONTACTS_IN_QUEUE), and longest_wait_s the whole seconds
--   the longest of them has waited since its enqueue (OLDEST_CONTACT_AGE, which Connect
--   measures from the enqueue time). Administrator Guide, "Real-time metrics definitions";
--   API reference, GetCurrentMetricData.
-- A fact counts only if its own time is at or before as_of, so the view at any past instant
-- can be rebuilt. Contact records (published when a contact ends) fill in events that were
-- lost: EventBridge delivers contact events at best effort.
-- The columns are those of wfm.queue_intraday, in its order.
WITH facts AS (
    SELECT contact_id, channel, initiation_method, queue_arn, previous_contact_id,
           CASE WHEN enqueue_ts <= %(as_of)s THEN enqueue_ts END AS enqueue_ts,
           CASE WHEN connected_ts <= %(as_of)s THEN connected_ts END AS connected_ts,
           CASE WHEN event_type = 'DISCONNECTED' THEN event_ts END AS disconnect_ts
    FROM wfm.contact_event_raw
    WHERE event_ts >= %(day_start)s AND event_ts <= %(as_of)s
    UNION ALL
    SELECT contact_id, channel, initiation_method, queue_arn, previous_contact_id, enqueue_ts,
           connected_to_agent_ts, disconnect_ts
    FROM wfm.contact_record_raw
    WHERE %(with_records)s AND disconnect_ts >= %(day_start)s AND disconnect_ts <= %(as_of)s
), contact AS (
    SELECT contact_id, coalesce(min(channel), 'UNKNOWN') AS channel,
           min(queue_arn) AS queue_arn, min(enqueue_ts) AS enqueue_ts,
           min(connected_ts) AS connected_ts, min(disconnect_ts) AS disconnect_ts
    FROM facts
    GROUP BY contact_id
    HAVING min(enqueue_ts) >= %(day_start)s AND min(enqueue_ts) < %(day_end)s
), followed AS (
    SELECT previous_contact_id AS contact_id, bool_or(initiation_method = 'CALLBACK') AS callback
    FROM facts
    WHERE previous_contact_id IS NOT NULL
    GROUP BY previous_contact_id
), placed AS (
    SELECT c.queue_arn, c.channel, c.enqueue_ts, f.callback,
           floor(extract(epoch FROM c.enqueue_ts - %(day_start)s) / %(step_s)s)::int AS idx,
           c.connected_ts IS NOT NULL AS answered,
           c.connected_ts IS NULL AND c.disconnect_ts IS NOT NULL AS left_unanswered
    FROM contact c
    LEFT JOIN followed f USING (contact_id)
    WHERE c.queue_arn IS NOT NULL AND c.queue_arn NOT LIKE '%%/queue/agent/%%'
)
SELECT %(day)s::date AS day, %(as_of)s::timestamptz AS as_of, queue_arn, channel,
       %(day_start)s + idx * %(step)s AS interval_start,
       count(*) AS queued,
       count(*) FILTER (WHERE answered) AS answered,
       count(*) FILTER (WHERE left_unanswered AND callback IS NULL) AS abandoned,
       count(*) FILTER (WHERE left_unanswered AND callback) AS callback_requested,
       count(*) FILTER (WHERE left_unanswered AND NOT callback) AS transferred_out_from_queue,
       count(*) FILTER (WHERE NOT answered AND NOT left_unanswered) AS in_queue,
       coalesce(max(floor(extract(epoch FROM %(as_of)s - enqueue_ts)))
                    FILTER (WHERE NOT answered AND NOT left_unanswered), 0) AS longest_wait_s
FROM placed
GROUP BY queue_arn, channel, idx
