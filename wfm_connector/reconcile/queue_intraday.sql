-- The intraday queue view at %(as_of)s: per contact-center queue, channel and interval of the
-- enqueue, the contacts of queue_intraday_contacts.sql (each rule is there):
-- - queued; answered; left the queue unanswered, split by what follows it: a callback
--   (callback_requested), another contact (transferred_out_from_queue) or nothing (abandoned;
--   contact events carry no disconnect reason, so this also counts a contact the flow or an
--   expiry ended, which the contact records' CONTACTS_ABANDONED leaves out);
-- - in_queue: neither yet (real-time CONTACTS_IN_QUEUE), and longest_wait_s the whole seconds
--   the longest of them has waited since its enqueue (OLDEST_CONTACT_AGE, which Connect
--   measures from the enqueue time). Administrator Guide, "Real-time metrics definitions";
--   API reference, GetCurrentMetricData.
-- The columns are those of wfm.queue_intraday, in its order.
SELECT %(day)s::date AS day, %(as_of)s::timestamptz AS as_of, queue_arn, channel,
       %(day_start)s + idx * %(step)s AS interval_start,
       count(*) AS queued,
       count(*) FILTER (WHERE answered) AS answered,
       count(*) FILTER (WHERE left_unanswered AND NOT followed) AS abandoned,
       count(*) FILTER (WHERE left_unanswered AND callback) AS callback_requested,
       count(*) FILTER (WHERE left_unanswered AND followed AND NOT callback)
           AS transferred_out_from_queue,
       count(*) FILTER (WHERE NOT answered AND NOT left_unanswered) AS in_queue,
       coalesce(max(floor(extract(epoch FROM %(as_of)s - enqueue_ts)))
                    FILTER (WHERE NOT answered AND NOT left_unanswered), 0) AS longest_wait_s
FROM ({contacts}) c
GROUP BY queue_arn, channel, idx
