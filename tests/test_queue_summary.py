"""The queue asset's day table (offered, handled, abandoned, SL, ASA, AHT per queue) and its
heatmap of queues by intervals (offered, service level)."""

from __future__ import annotations

import base64
import io
from datetime import date

import dagster as dg
import pytest
import yaml
from PIL import Image

from dagster_project.assets import contact_statistics
from dagster_project.definitions import build_resources
from tests.test_connect_parity import AGENT, INSTANCE, QUEUE, config, ctr, reconcile
from wfm_connector import pipeline, queue_heatmap, queue_summary

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


def two_queues(db, tmp_path):
    # Sales as above (3 offered at 14:00Z, 2 within 20 s); Support: one call queued 40 s at
    # 15:00Z, answered (1 offered, 0 within 20 s)
    cfg = config(tmp_path, queue_log={"service_level_seconds": 20})
    reconcile(db, cfg, ctrs=[
        ctr("V1", "14:10:00", enqueue="14:00:00", duration=12, agent=AGENT,
            connected="14:00:12", talk=100),
        ctr("V2", "14:20:00", enqueue="14:05:00", duration=30, agent=AGENT,
            connected="14:05:30", talk=60),
        ctr("V3", "14:06:05", enqueue="14:06:00", duration=5, reason="CUSTOMER_DISCONNECT"),
        ctr("S1", "15:05:00", enqueue="15:00:00", duration=40, agent=AGENT, connected="15:00:40",
            talk=200, queue=f"{QUEUE.rsplit('/', 1)[0]}/q-support", queue_name="Support"),
    ])  # fmt: skip
    return cfg, pipeline.window_for(cfg, date(2026, 11, 2))


def test_the_queue_heatmap_grid_worked_by_hand(db, tmp_path):
    cfg, window = two_queues(db, tmp_path)
    grid = queue_heatmap.grid(db, cfg, window)
    # the New York day starts 05:00Z: 14:00Z is interval (14 - 5) * 4 = 36, 15:00Z is 40
    assert grid.queues == ["Sales", "Support"] and grid.left_out == 0
    assert (len(grid.offered[0]), sum(grid.offered[0]), sum(grid.offered[1])) == (96, 3, 1)
    assert (grid.offered[0][36], grid.within[0][36], grid.offered[1][40]) == (3, 2, 1)
    assert round(grid.service_level(0, 36), 2) == 66.67 and grid.service_level(1, 40) == 0.0
    assert grid.service_level(0, 40) is None  # nothing offered: no service level
    local = [s.astimezone(cfg.tz) for s in window.interval_starts()]
    png = queue_heatmap.render(grid, local, 20)
    # 12 x (1.6 + 0.44 per queue) inches at 80 dpi: 960 x 198 pixels
    assert Image.open(io.BytesIO(png)).size == (960, 198)


def test_the_queue_asset_shows_the_day_table_and_the_heatmap(db, tmp_path, database_url):
    cfg, _ = two_queues(db, tmp_path)
    path = tmp_path / "wfm.yaml"
    path.write_text(yaml.safe_dump({
        "connect": {"instance_arn": INSTANCE}, "timezone": "America/New_York",
        "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
        "queue_log": {"service_level_seconds": 20}}))  # fmt: skip
    result = dg.materialize(
        [contact_statistics], partition_key="2026-11-02",
        resources=build_resources(config_path=str(path), database_url=database_url),
        instance=dg.DagsterInstance.ephemeral(),
    )  # fmt: skip
    meta = {e.materialization.asset_key.to_user_string(): e.materialization.metadata
            for e in result.get_asset_materialization_events()}["queue_interval"]  # fmt: skip
    assert (meta["offered"].value, meta["handled"].value) == (4, 3)
    assert "| Sales | VOICE | 3 | 2 | 1 | 66.67 | 21.0 | 80.0 |" in meta["day_by_queue"].value
    picture = meta["heatmap"].value
    assert picture.startswith("**Queues, 2026-11-02** — 2 queues with contacts, busiest first")
    encoded = picture.split("(data:image/png;base64,", 1)[1].split(")", 1)[0]
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (960, 198)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["queue_outcomes_within_queued"].passed
    assert checks["agrees_with_contact_events"].passed  # no contact events: nothing to compare
