"""The agent asset's day: totals, occupancy and the split of staffed time into activities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.test_connect_parity import busy_evening, config, reconcile
from wfm_connector import agent_summary, pipeline

pytestmark = pytest.mark.integration


def test_day_totals_and_activity_split_worked_by_hand(db, tmp_path):
    # the busy evening of test_connect_parity (one agent, 20:00-20:14Z): online 710 s, on
    # contact 330, idle 105, non-productive 240 (Break), 80 s of a call placed from Offline;
    # occupancy 330 / (330 + 105) = 75.86 %. Staffed time = 710 + 80 = 790 s: talk 360
    # (45.57 %), hold 0, paused 120 (15.19 %), ACW 70 (8.86 %), ringing 55 (6.96 %), error 10
    # (1.27 %), no contact 175 (22.15 %)
    cfg = config(tmp_path)
    reconcile(db, cfg, busy_evening().events())
    day = agent_summary.day_totals(db, pipeline.window_for(cfg, date(2026, 11, 2)))
    assert (day["agents_online"], day["online_s"], day["on_contact_s"], day["idle_s"],
            day["npt_s"], day["occupancy_pct"]) == (
        1, Decimal(710), Decimal(330), Decimal(105), Decimal(240), Decimal("75.86"))  # fmt: skip
    table = agent_summary.markdown(day).splitlines()
    assert table[2] == "| 1 | 0.20 | 0.09 | 0.03 | 0.07 | 75.86 % |"
    assert table[6:] == [
        "| talk | 0.10 | 45.57 % |", "| hold | 0.00 | 0.00 % |", "| paused | 0.03 | 15.19 % |",
        "| after contact work | 0.02 | 8.86 % |", "| ringing | 0.02 | 6.96 % |",
        "| error | 0.00 | 1.27 % |", "| no contact | 0.05 | 22.15 % |"]  # fmt: skip


def test_a_day_without_agents_says_so(db, tmp_path):
    cfg = config(tmp_path)
    day = agent_summary.day_totals(db, pipeline.window_for(cfg, date(2026, 11, 2)))
    assert agent_summary.markdown(day) == "No agent was online on this day."
