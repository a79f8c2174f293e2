-- What each contact of the day counts as, from the newest version of its contact record
-- (greatest LastUpdateTimestamp; a contact is delivered at least once), kept for this
-- transaction only. A contact belongs to the day under 'disconnect' attribution by its
-- DisconnectTimestamp (as Connect's historical metrics) and under 'enqueue' attribution by its
-- EnqueueTimestamp, or InitiationTimestamp when it never queued (outbound contacts).
-- Every rule cites the Connect metric it implements (Administrator Guide, "Historical metrics
-- definitions"; API reference, GetMetricDataV2); README, "Definitions", states them in full.
CREATE TEMP TABLE contact_facts ON COMMIT DROP AS
WITH touched AS (
    SELECT contact_id FROM wfm.contact_record_raw
    WHERE enqueue_ts >= %(from_ts)s AND enqueue_ts < %(day_end)s
    UNION
    SELECT contact_id FROM wfm.contact_record_raw
    WHERE disconnect_ts >= %(from_ts)s AND disconnect_ts < %(day_end)s
    UNION
    SELECT contact_id FROM wfm.contact_record_raw
    WHERE initiation_ts >= %(from_ts)s AND initiation_ts < %(day_end)s
), latest AS (
    -- the newest version of each, one index probe per contact (a join could read every
    -- record stored, and cost more with each day of history kept)
    SELECT r.*
    FROM touched t
    CROSS JOIN LATERAL (SELECT * FROM wfm.contact_record_raw r WHERE r.contact_id = t.contact_id
                        ORDER BY r.last_update_ts DESC LIMIT 1) r
), linked AS (
    -- a callback is a next contact initiated by CALLBACK, found from either side; looked up
    -- per contact of the day (LATERAL ... LIMIT 1: an index probe each, never a hashed scan
    -- of every record stored, whose cost would grow with the history kept)
    SELECT l.*, by_next.found IS NOT NULL OR by_previous.found IS NOT NULL AS next_is_callback
    FROM latest l
    LEFT JOIN LATERAL (SELECT true AS found FROM wfm.contact_record_raw n
                       WHERE n.contact_id = l.next_contact_id
                         AND n.initiation_method = 'CALLBACK' LIMIT 1) by_next ON true
    LEFT JOIN LATERAL (SELECT true AS found FROM wfm.contact_record_raw n
                       WHERE n.previous_contact_id = l.contact_id
                         AND n.initiation_method = 'CALLBACK' LIMIT 1) by_previous ON true
), base AS (
    SELECT contact_id, channel, initiation_method, agent_arn,
           CASE WHEN queue_arn LIKE '%%/queue/agent/%%' THEN NULL ELSE queue_arn END AS queue_arn,
           disconnect_ts,
           coalesce(enqueue_ts, initiation_ts) AS arrival_ts,
           enqueue_ts IS NOT NULL AND queue_arn IS NOT NULL
               AND queue_arn NOT LIKE '%%/queue/agent/%%' AS queued,
           connected_to_agent_ts IS NOT NULL AS handled,
           -- Queue.Duration: whole seconds from EnqueueTimestamp to DequeueTimestamp (agent
           -- whisper included); when absent, the same difference from the timestamps (never
           -- negative: clocks of a broken record must not put it "within" every threshold)
           CASE WHEN enqueue_ts IS NOT NULL THEN
               greatest(coalesce(queue_duration_s::bigint,
                                 floor(extract(epoch FROM coalesce(dequeue_ts, disconnect_ts)
                                                        - enqueue_ts))::bigint, 0), 0) END AS queue_s,
           next_contact_id IS NOT NULL AS has_next,
           next_is_callback,
           disconnect_reason,
           transfer_completed_ts IS NOT NULL AND transferred_to_endpoint AS to_external,
           coalesce(agent_interaction_s, 0)::bigint AS interaction_s,
           coalesce(customer_hold_s, 0)::bigint AS hold_s,
           -- records without NumberOfHolds / LongestHoldDuration: a hold time is one hold
           coalesce(number_of_holds, CASE WHEN customer_hold_s > 0 THEN 1 ELSE 0 END) AS holds,
           coalesce(longest_hold_s,
                    CASE WHEN number_of_holds IS NULL THEN customer_hold_s END, 0) AS longest_hold_s,
           coalesce(acw_s, 0)::bigint AS acw_s
    FROM linked
)
SELECT b.*,
       -- callback requested: removed from the queue by a queued callback (not an abandon)
       b.queued AND NOT b.handled AND b.next_is_callback AS callback_requested,
       -- CONTACTS_ABANDONED: disconnected by the customer while in queue, never connected to an
       -- agent, not queued for callback. A missing DisconnectReason is not the customer.
       b.queued AND NOT b.handled AND NOT b.next_is_callback AND NOT b.has_next
           AND b.disconnect_reason = 'CUSTOMER_DISCONNECT' AS abandoned,
       -- CONTACTS_TRANSFERRED_OUT_INTERNAL: an agent transferred it on (quick connect to a
       -- queue or agent), which gives it a NextContactId
       b.handled AND b.has_next AND NOT b.next_is_callback AS transferred_out_internal,
       -- CONTACTS_TRANSFERRED_OUT_EXTERNAL: an agent transferred it out of Connect
       -- (TransferCompletedTimestamp and TransferredToEndpoint, no next contact)
       b.handled AND b.to_external AND NOT b.has_next AS transferred_out_external,
       -- CONTACTS_TRANSFERRED_OUT_FROM_QUEUE: moved on from the queue unanswered by a flow's
       -- Transfer to queue (its next contact is a QUEUE_TRANSFER; as that record may arrive
       -- later, any next contact but a callback counts)
       b.queued AND NOT b.handled AND b.has_next AND NOT b.next_is_callback AS transferred_out_from_queue,
       b.handled AND b.initiation_method IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER') AS handled_incoming,
       b.handled AND b.initiation_method = 'OUTBOUND' AS handled_outbound,
       b.handled AND b.initiation_method = 'CALLBACK' AS handled_callback,
       b.handled AND b.initiation_method = 'API' AS handled_api,
       b.handled AND (b.holds > 0 OR b.hold_s > 0) AS put_on_hold,
       a.attribution,
       floor(extract(epoch FROM a.ts - %(day_start)s) / %(step_s)s)::int AS idx
FROM base b
CROSS JOIN LATERAL (VALUES ('enqueue', b.arrival_ts), ('disconnect', b.disconnect_ts)) AS a(attribution, ts)
WHERE a.ts >= %(from_ts)s AND a.ts < %(day_end)s
