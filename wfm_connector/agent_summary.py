"""The day of all agents, as a WFM analyst reads it in the Dagster UI.

In: the day's ``wfm.agent_interval_activity`` rows. Out: the day's totals (agents online,
online, on-contact, idle and non-productive hours, occupancy) and the split of staffed time
into the seven wall-clock activities, with a Markdown table of both for asset metadata.

Occupancy is Connect's AGENT_OCCUPANCY over the day: on-contact time / (on-contact time + idle
time) of the day's sums (README, Definitions), not an average of interval percentages. The
activity split shares the asset check's identity: talk + hold + paused + ACW + ringing + error
+ no contact = online time + on-contact time under Offline (its 100 %), so the shares add up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from wfm_connector.intervals import DayWindow

ACTIVITIES = (
    ("talk", "talk_wall_s"), ("hold", "hold_wall_s"), ("paused", "paused_wall_s"),
    ("after contact work", "acw_wall_s"), ("ringing", "ringing_wall_s"),
    ("error", "error_wall_s"), ("no contact", "no_contact_s"),
)  # fmt: skip

QUERY = f"""
SELECT count(DISTINCT agent_arn) FILTER (WHERE online_s > 0) AS agents_online,
       coalesce(sum(online_s), 0) AS online_s, coalesce(sum(on_contact_s), 0) AS on_contact_s,
       coalesce(sum(idle_s), 0) AS idle_s, coalesce(sum(npt_s), 0) AS npt_s,
       coalesce(sum(offline_contact_s), 0) AS offline_contact_s,
       round(100 * sum(on_contact_s) / nullif(sum(on_contact_s) + sum(idle_s), 0), 2)
         AS occupancy_pct,
       {", ".join(f"coalesce(sum({c}), 0) AS {c}" for _, c in ACTIVITIES)}
FROM wfm.agent_interval_activity WHERE day = %(day)s
"""


def day_totals(conn: psycopg.Connection, window: DayWindow) -> dict[str, Any]:
    """The day's sums over all agents, occupancy, and each activity's seconds."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(QUERY, {"day": window.day}).fetchone()


def _hours(seconds: Decimal) -> str:
    return f"{seconds / 3600:,.2f}"


def markdown(day: dict[str, Any]) -> str:
    """The totals and the activity split as Markdown tables."""
    if not day["agents_online"]:
        return "No agent was online on this day."
    occupancy = "–" if day["occupancy_pct"] is None else f"{day['occupancy_pct']:.2f} %"
    lines = [
        "| agents online | online h | on contact h | idle h | non-productive h | occupancy |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {day['agents_online']} | {_hours(day['online_s'])} | {_hours(day['on_contact_s'])} "
        f"| {_hours(day['idle_s'])} | {_hours(day['npt_s'])} | {occupancy} |",
        "",
        "| activity | hours | share of staffed time |",
        "|---|---:|---:|",
    ]
    staffed = day["online_s"] + day["offline_contact_s"]
    for label, column in ACTIVITIES:
        share = f"{100 * day[column] / staffed:.2f} %" if staffed else "–"
        lines.append(f"| {label} | {_hours(day[column])} | {share} |")
    return "\n".join(lines)
