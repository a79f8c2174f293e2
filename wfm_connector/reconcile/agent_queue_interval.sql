-- Per agent, queue, channel and interval, under both attributions: the contacts the agent
-- handled, from contact_facts. queue_arn is NULL for contacts that reached the agent directly
-- (through its agent queue, e.g. a quick-connect transfer to the agent, or with no queue).
INSERT INTO wfm.agent_queue_interval (
    day, attribution, agent_arn, queue_arn, channel, interval_start, handled, handled_incoming,
    handled_outbound, handled_callback, handled_transfer, interaction_s, hold_s, holds,
    contacts_put_on_hold, longest_hold_s, acw_s, handle_time_s, transferred_out_internal,
    transferred_out_external, outbound_talk_s)
SELECT %(day)s, attribution, agent_arn, queue_arn, channel, %(day_start)s + idx * %(step)s,
       count(*), count(*) FILTER (WHERE handled_incoming), count(*) FILTER (WHERE handled_outbound),
       count(*) FILTER (WHERE handled_callback),
       count(*) FILTER (WHERE initiation_method IN ('TRANSFER', 'QUEUE_TRANSFER')),
       sum(interaction_s), sum(hold_s), sum(holds), count(*) FILTER (WHERE put_on_hold),
       max(longest_hold_s), sum(acw_s), sum(interaction_s + hold_s + acw_s),
       count(*) FILTER (WHERE transferred_out_internal),
       count(*) FILTER (WHERE transferred_out_external),
       coalesce(sum(interaction_s + hold_s) FILTER (WHERE handled_outbound), 0)
FROM contact_facts
WHERE handled AND agent_arn IS NOT NULL
GROUP BY attribution, agent_arn, queue_arn, channel, idx
