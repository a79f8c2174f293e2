"""The queue asset's day table: offered, handled, abandoned, SL, ASA, AHT per queue."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_connect_parity import AGENT, config, ctr, reconcile
from wfm_connector import pipeline, queue_summary

pytestmark = pytest.mark.integration


def test_day_by_queue_worked_by_hand(db, tmp_path):
    # Sales (service level at 20 s, Connect's default "less than"):
    #   V1 queued 12 s, answered, talk 100 + hold 20 + ACW 30 = 150 s handle time
    #   V2 queued 30 s, answered, talk 60 + ACW 0                = 60 s
    #   V3 queued 5 s, abandoned
    # offered 3, handled 2, abandoned 1; removed within 20 s: V1 and V3 -> SL 2/3 = 66.67 %;
    # ASA (12 + 30) / 2 answered = 21.0 s; AHT (150 + 60) / 2 handled = 105.0 s
    cfg = config(tmp_path, queue_log={"service_level_seconds": 20})
    reconcile(db, cfg, ctrs=[
        ctr("V1", "14:10:00", enqueue="14:00:00", duration=12, agent=AGENT,
            connected="14:00:12", talk=100, hold=20, acw=30, holds=1, longest=20),
        ctr("V2", "14:20:00", enqueue="14:05:00", duration=30, agent=AGENT,
            connected="14:05:30", talk=60),
        ctr("V3", "14:06:05", enqueue="14:06:00", duration=5, reason="CUSTOMER_DISCONNECT"),
    ])  # fmt: skip
    window = pipeline.window_for(cfg, date(2026, 11, 2))
    [row] = queue_summary.day_by_queue(db, cfg, window)
    assert {k: (float(v) if k.endswith(("_pct", "_s")) else v) for k, v in row.items()} == {
        "queue": "Sales", "channel": "VOICE", "offered": 3, "handled": 2, "abandoned": 1,
        "sl_pct": 66.67, "asa_s": 21.0, "aht_s": 105.0}  # fmt: skip
    table = queue_summary.markdown([row], 20).splitlines()
    assert table[0] == "| queue | channel | offered | handled | abandoned | SL 20s % | ASA s | AHT s |"
    assert table[2] == "| Sales | VOICE | 3 | 2 | 1 | 66.67 | 21.0 | 105.0 |"
