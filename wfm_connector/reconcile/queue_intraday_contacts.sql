-- The contacts of the intraday queue view at %(as_of)s, one row each: what the contact events
-- (and, when %(with_records)s, the contact records) say had happened to them by then. A
-- contact is here when it queued in the day, in a contact-center queue (an agent's own queue,
-- .../queue/agent/..., is not one), at or before as_of. A fact counts only if its own time is
-- at or before as_of, so the view at any past instant can be rebuilt from what is stored.
-- - enqueue: queueInfo.enqueueTimestamp, which QUEUED carries and the contact's later events
--   repeat (a lost QUEUED event loses nothing); the latest, and its queue, as the contact
--   record's Queue is the last queue;
-- - answered: connected to an agent (agentInfo.connectedToAgentTimestamp, CONNECTED_TO_AGENT
--   or DISCONNECTED);
-- - left_unanswered: disconnected (a DISCONNECTED event) without a connection;
-- - followed / callback: a contact follows it (one naming it previousContactId, or the one its
--   contact record names NextContactId), and that contact was initiated by CALLBACK.
-- Contact records (published when a contact ends; DisconnectTimestamp at or before as_of)
-- fill in events that were lost: EventBridge delivers contact events at best effort. (An
-- event without a time of its own is timed on ingest by the latest time it names.) The
-- events are those up to as_of of contacts enqueued before the day's end: a check looking
-- past the day follows the day's contacts, not the next day's.
WITH facts AS (
    SELECT contact_id, channel, initiation_method, queue_arn, previous_contact_id,
           NULL::text AS next_contact_id,
           CASE WHEN enqueue_ts <= %(as_of)s THEN enqueue_ts END AS enqueue_ts,
           CASE WHEN connected_ts <= %(as_of)s THEN connected_ts END AS connected_ts,
           CASE WHEN event_type = 'DISCONNECTED' THEN event_ts END AS disconnect_ts
    FROM wfm.contact_event_raw
    WHERE event_ts >= %(day_start)s AND event_ts <= %(as_of)s
      AND (event_ts < %(day_end)s OR enqueue_ts < %(day_end)s)
    UNION ALL
    SELECT contact_id, channel, initiation_method, queue_arn, previous_contact_id,
           next_contact_id, enqueue_ts, connected_to_agent_ts, disconnect_ts
    FROM wfm.contact_record_raw
    WHERE %(with_records)s AND disconnect_ts >= %(day_start)s AND disconnect_ts <= %(as_of)s
      AND (disconnect_ts < %(day_end)s OR enqueue_ts < %(day_end)s)
), contact AS (
    SELECT contact_id, coalesce(min(channel), 'UNKNOWN') AS channel,
           (array_agg(queue_arn ORDER BY enqueue_ts DESC)
                FILTER (WHERE enqueue_ts IS NOT NULL AND queue_arn IS NOT NULL))[1] AS queue_arn,
           max(enqueue_ts) FILTER (WHERE queue_arn IS NOT NULL) AS enqueue_ts,
           min(connected_ts) AS connected_ts,
           min(disconnect_ts) AS disconnect_ts,
           coalesce(bool_or(initiation_method = 'CALLBACK'), false) AS is_callback
    FROM facts
    GROUP BY contact_id
), link AS (
    SELECT previous_contact_id AS contact_id, contact_id AS next_id
    FROM facts WHERE previous_contact_id IS NOT NULL
    UNION
    SELECT contact_id, next_contact_id FROM facts WHERE next_contact_id IS NOT NULL
), followed AS (
    SELECT l.contact_id, coalesce(bool_or(n.is_callback), false) AS callback
    FROM link l LEFT JOIN contact n ON n.contact_id = l.next_id
    GROUP BY l.contact_id
)
SELECT c.contact_id, c.queue_arn, c.channel, c.enqueue_ts, c.connected_ts, c.disconnect_ts,
       floor(extract(epoch FROM c.enqueue_ts - %(day_start)s) / %(step_s)s)::int AS idx,
       c.connected_ts IS NOT NULL AS answered,
       c.connected_ts IS NULL AND c.disconnect_ts IS NOT NULL AS left_unanswered,
       f.contact_id IS NOT NULL AS followed, coalesce(f.callback, false) AS callback
FROM contact c
LEFT JOIN followed f USING (contact_id)
WHERE c.enqueue_ts >= %(day_start)s AND c.enqueue_ts < %(day_end)s
  AND c.queue_arn NOT LIKE '%%/queue/agent/%%'
