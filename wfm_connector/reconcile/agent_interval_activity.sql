-- One row per agent and interval: Connect's agent-activity metrics (Administrator Guide,
-- "Historical metrics definitions"; README, "Definitions"). Wall-clock columns count an
-- instant once whatever the concurrency; the per-contact sums (interaction, hold, ACW, paused)
-- count every contact, so with two chats they can exceed the wall clock.
INSERT INTO wfm.agent_interval_activity (
    day, agent_arn, interval_start, online_s, on_contact_s, contact_handle_s, idle_s, npt_s,
    npt_by_status, error_s, ringing_s, unknown_s, offline_contact_s, talk_wall_s, hold_wall_s,
    paused_wall_s, acw_wall_s, ringing_wall_s, error_wall_s, no_contact_s, on_contact_voice_s,
    on_contact_chat_s, on_contact_task_s, on_contact_email_s, interaction_s, hold_s, acw_s,
    paused_s, interaction_voice_s, interaction_chat_s, interaction_task_s, interaction_email_s,
    hold_voice_s, hold_chat_s, hold_task_s, hold_email_s, acw_voice_s, acw_chat_s, acw_task_s,
    acw_email_s, occupancy_pct, contacts_routed, contacts_missed)
WITH wall AS (
    SELECT agent_arn, idx,
           -- SUM_ONLINE_TIME_AGENT: any status other than Offline (custom statuses included)
           sum(seconds) FILTER (WHERE status_category IN ('productive', 'non_productive')) AS online_s,
           -- SUM_CONTACT_TIME_AGENT: on a contact (incl. hold and ACW), not in a custom or
           -- Offline status
           sum(seconds) FILTER (WHERE status_category = 'productive'
                                  AND activity IN ('CONNECTED', 'ON_HOLD', 'PAUSED', 'ACW')) AS on_contact_s,
           -- SUM_HANDLE_TIME (Contact handle time): on a contact in any status
           sum(seconds) FILTER (WHERE activity IN ('CONNECTED', 'ON_HOLD', 'PAUSED', 'ACW')) AS contact_handle_s,
           -- SUM_IDLE_TIME_AGENT: Available (routable) and not handling contacts, plus time its
           -- contacts were in error; ringing is not idle
           sum(seconds) FILTER (WHERE status_category = 'productive'
                                  AND activity IN ('NO_CONTACT', 'ERROR')) AS idle_s,
           -- SUM_NON_PRODUCTIVE_TIME_AGENT: in a custom status, on a contact or not
           sum(seconds) FILTER (WHERE status_category = 'non_productive') AS npt_s,
           sum(seconds) FILTER (WHERE activity = 'RINGING') AS ringing_wall_s,
           sum(seconds) FILTER (WHERE activity = 'ERROR') AS error_wall_s,
           sum(seconds) FILTER (WHERE status_category = 'unknown') AS unknown_s,
           sum(seconds) FILTER (WHERE status_category = 'offline'
                                  AND activity NOT IN ('NO_CONTACT')) AS offline_contact_s,
           sum(seconds) FILTER (WHERE activity = 'CONNECTED') AS talk_wall_s,
           sum(seconds) FILTER (WHERE activity = 'ON_HOLD') AS hold_wall_s,
           sum(seconds) FILTER (WHERE activity = 'PAUSED') AS paused_wall_s,
           sum(seconds) FILTER (WHERE activity = 'ACW') AS acw_wall_s,
           sum(seconds) FILTER (WHERE activity = 'NO_CONTACT'
                                  AND status_category IN ('productive', 'non_productive')) AS no_contact_s,
           sum(seconds) FILTER (WHERE status_category = 'productive' AND 'VOICE' = ANY(on_channels)) AS on_voice,
           sum(seconds) FILTER (WHERE status_category = 'productive' AND 'CHAT' = ANY(on_channels)) AS on_chat,
           sum(seconds) FILTER (WHERE status_category = 'productive' AND 'TASK' = ANY(on_channels)) AS on_task,
           sum(seconds) FILTER (WHERE status_category = 'productive' AND 'EMAIL' = ANY(on_channels)) AS on_email
    FROM agent_pieces
    GROUP BY agent_arn, idx
), npt AS (
    SELECT agent_arn, idx, jsonb_object_agg(status_name, seconds ORDER BY status_name) AS by_status
    FROM (SELECT agent_arn, idx, status_name, sum(seconds) AS seconds
          FROM agent_pieces WHERE status_category = 'non_productive'
          GROUP BY agent_arn, idx, status_name) s
    GROUP BY agent_arn, idx
), per_contact AS (
    -- SUM_INTERACTION_TIME, SUM_HOLD_TIME, SUM_AFTER_CONTACT_WORK_TIME per contact, by channel
    SELECT p.agent_arn, p.idx,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED') AS interaction_s,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED_ONHOLD') AS hold_s,
           sum(p.seconds) FILTER (WHERE u.st = 'ENDED') AS acw_s,
           sum(p.seconds) FILTER (WHERE u.st = 'PAUSED') AS paused_s,
           -- SUM_CONNECTING_TIME_AGENT: each contact's time ringing (routed, not yet answered)
           sum(p.seconds) FILTER (WHERE u.st IN ('INCOMING', 'PENDING', 'CONNECTING')) AS ringing_s,
           -- SUM_ERROR_STATUS_TIME_AGENT: "the total time contacts were in an error status"
           sum(p.seconds) FILTER (WHERE u.st IN ('MISSED', 'REJECTED', 'ERROR')) AS error_s,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED' AND u.ch = 'VOICE') AS i_voice,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED' AND u.ch = 'CHAT') AS i_chat,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED' AND u.ch = 'TASK') AS i_task,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED' AND u.ch = 'EMAIL') AS i_email,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED_ONHOLD' AND u.ch = 'VOICE') AS h_voice,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED_ONHOLD' AND u.ch = 'CHAT') AS h_chat,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED_ONHOLD' AND u.ch = 'TASK') AS h_task,
           sum(p.seconds) FILTER (WHERE u.st = 'CONNECTED_ONHOLD' AND u.ch = 'EMAIL') AS h_email,
           sum(p.seconds) FILTER (WHERE u.st = 'ENDED' AND u.ch = 'VOICE') AS a_voice,
           sum(p.seconds) FILTER (WHERE u.st = 'ENDED' AND u.ch = 'CHAT') AS a_chat,
           sum(p.seconds) FILTER (WHERE u.st = 'ENDED' AND u.ch = 'TASK') AS a_task,
           sum(p.seconds) FILTER (WHERE u.st = 'ENDED' AND u.ch = 'EMAIL') AS a_email
    FROM agent_pieces p
    CROSS JOIN LATERAL unnest(p.channels, p.states) AS u(ch, st)
    GROUP BY p.agent_arn, p.idx
), seen AS (
    -- AGENT_ANSWER_RATE inputs: a contact counts as routed to the agent in the interval of the
    -- first event that lists it (agent-initiated outbound contacts are not routed); it is a
    -- non-response (AGENT_NON_RESPONSE: routed but not answered, customer hang-ups while it
    -- rang included) when no event shows the agent working on it, counted where it was routed.
    SELECT e.agent_arn, x ->> 'contact_id' AS contact_id,
           min(e.event_ts) FILTER (WHERE coalesce(x ->> 'initiation_method', '') <> 'OUTBOUND') AS routed_ts,
           bool_or(x ->> 'state' IN ('CONNECTED', 'CONNECTED_ONHOLD', 'PAUSED', 'ENDED')) AS answered
    FROM wfm.agent_event_raw e
    CROSS JOIN LATERAL jsonb_array_elements(e.contacts) AS x
    -- (after the day too: a contact routed at 23:59:50 may be answered after midnight)
    WHERE e.event_ts >= %(from_ts)s - %(lookback)s AND e.event_ts < %(day_end)s + %(lookback)s
      AND e.contacts <> '[]'::jsonb
    GROUP BY e.agent_arn, x ->> 'contact_id'
), offered AS (
    SELECT agent_arn, idx, count(*) FILTER (WHERE kind = 'routed') AS routed,
           count(*) FILTER (WHERE kind = 'missed') AS missed
    FROM seen
    CROSS JOIN LATERAL (VALUES ('routed', routed_ts),
                               ('missed', CASE WHEN NOT answered THEN routed_ts END)) AS v(kind, ts)
    CROSS JOIN LATERAL (SELECT floor(extract(epoch FROM v.ts - %(day_start)s) / %(step_s)s)::int AS idx) i
    WHERE v.ts >= %(from_ts)s AND v.ts < %(day_end)s
    GROUP BY agent_arn, idx
), keys AS (
    SELECT agent_arn, idx FROM wall UNION SELECT agent_arn, idx FROM offered
)
SELECT %(day)s, k.agent_arn, %(day_start)s + k.idx * %(step)s,
       coalesce(w.online_s, 0), coalesce(w.on_contact_s, 0), coalesce(w.contact_handle_s, 0),
       coalesce(w.idle_s, 0), coalesce(w.npt_s, 0), coalesce(n.by_status, '{}'),
       coalesce(c.error_s, 0), coalesce(c.ringing_s, 0), coalesce(w.unknown_s, 0),
       coalesce(w.offline_contact_s, 0), coalesce(w.talk_wall_s, 0), coalesce(w.hold_wall_s, 0),
       coalesce(w.paused_wall_s, 0), coalesce(w.acw_wall_s, 0), coalesce(w.ringing_wall_s, 0),
       coalesce(w.error_wall_s, 0), coalesce(w.no_contact_s, 0),
       coalesce(w.on_voice, 0), coalesce(w.on_chat, 0), coalesce(w.on_task, 0),
       coalesce(w.on_email, 0),
       coalesce(c.interaction_s, 0), coalesce(c.hold_s, 0), coalesce(c.acw_s, 0),
       coalesce(c.paused_s, 0),
       coalesce(c.i_voice, 0), coalesce(c.i_chat, 0), coalesce(c.i_task, 0), coalesce(c.i_email, 0),
       coalesce(c.h_voice, 0), coalesce(c.h_chat, 0), coalesce(c.h_task, 0), coalesce(c.h_email, 0),
       coalesce(c.a_voice, 0), coalesce(c.a_chat, 0), coalesce(c.a_task, 0), coalesce(c.a_email, 0),
       -- AGENT_OCCUPANCY: on contact (wall clock) / (on contact + idle), two decimals
       round(100 * coalesce(w.on_contact_s, 0) / nullif(coalesce(w.on_contact_s, 0) + coalesce(w.idle_s, 0), 0), 2),
       coalesce(o.routed, 0), coalesce(o.missed, 0)
FROM keys k
LEFT JOIN wall w USING (agent_arn, idx)
LEFT JOIN npt n USING (agent_arn, idx)
LEFT JOIN per_contact c USING (agent_arn, idx)
LEFT JOIN offered o USING (agent_arn, idx)
