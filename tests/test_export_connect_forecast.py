"""Golden files of the Amazon Connect forecasting import (wfm-formats.md section 3).

The hand-built day, 2026-11-02 in America/New_York (UTC-5, so the day starts 05:00Z), with
queue Sales (q-sales) and queue Support (q-support):

- V1 voice, inbound, queued 13:59:00, answered: talk 40 + hold 5 + ACW 15 = 60 s handled
- V2 voice, transferred in, queued 14:05:00, answered: talk 100 + ACW 20 = 120 s
- V3 voice, inbound, queued 14:20:00, abandoned after 30 s
- C1 chat started by the customer (InitiationMethod API), queued 14:10:00, answered: talk 300
- T1 task, queued 14:12:00, answered: left out (forecasts cover voice and chat only)
- S1 voice to Support, queued 15:29:00, abandoned
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest

from tests.test_connect_parity import AGENT, AGENT_2, QUEUE_2, config, ctr, reconcile
from wfm_connector import pipeline

pytestmark = pytest.mark.integration

DAY_CTRS = [
    ctr("V1", "14:00:10", enqueue="13:59:00", duration=10, agent=AGENT, connected="13:59:10",
        talk=40, hold=5, acw=15),
    ctr("V2", "14:07:20", enqueue="14:05:00", duration=20, agent=AGENT_2, connected="14:05:20",
        talk=100, acw=20, method="TRANSFER"),
    ctr("V3", "14:20:30", enqueue="14:20:00", duration=30, reason="CUSTOMER_DISCONNECT"),
    ctr("C1", "14:15:10", enqueue="14:10:00", duration=10, agent=AGENT, connected="14:10:10",
        talk=300, method="API", channel="CHAT"),
    ctr("T1", "14:13:00", enqueue="14:12:00", duration=5, agent=AGENT_2, connected="14:12:05",
        talk=55, method="API", channel="TASK"),
    ctr("S1", "15:29:40", enqueue="15:29:00", duration=40, reason="CUSTOMER_DISCONNECT",
        queue=QUEUE_2, queue_name="-Support/Billing"),
]  # fmt: skip


def export(db, tmp_path, grain: str) -> tuple[str, dict]:
    cfg = config(tmp_path, export_profiles=[{
        "name": "fc", "format": "connect_forecast_import", "grain": grain, "target": "local",
        "delimiter": ","}])  # fmt: skip
    window = reconcile(db, cfg, ctrs=DAY_CTRS)
    # a session (or server) in another time zone must not move the UTC timestamps
    db.execute("SET TIME ZONE 'Asia/Kolkata'")
    [result] = pipeline.export_day(db, cfg, window)
    path = Path(result.location("local"))
    manifest = orjson.loads(path.with_name(path.name + ".manifest.json").read_bytes())
    return path.read_text(encoding="utf-8"), manifest


def test_daily_grain_exact_bytes(db, tmp_path):
    text, manifest = export(db, tmp_path, "daily")
    # Sales voice: queued V1, V2, V3 = 3; handled V1, V2 = 2; AHT (60 + 120) / 2 = 90.00.
    # Sales chat: 1 queued, 1 handled, AHT 300. Support voice: 1 queued, 0 handled, AHT 0.
    # TimeStamp: local midnight 2026-11-02 = 05:00Z. Support's name loses its '/' and the
    # leading '-'.
    assert text == (
        "QueueName,QueueId,ChannelType,TimeStamp,IntervalDuration,IncomingContactVolume,"
        "AverageHandleTime,ContactsHandled\n"
        "Sales,q-sales,CHAT,2026-11-02T05:00:00Z,daily,1,300.00,1\n"
        "Sales,q-sales,VOICE,2026-11-02T05:00:00Z,daily,3,90.00,2\n"
        "Support Billing,q-support,VOICE,2026-11-02T05:00:00Z,daily,1,0.00,0\n"
    )
    assert manifest["files"][0]["rows"] == 3 and manifest["grain"] == "daily"
    assert manifest["left_out"] == {"channel TASK (forecasts cover VOICE and CHAT)": 1}


def test_thirty_minute_grain_pairs_quarter_hours(db, tmp_path):
    text, _ = export(db, tmp_path, "30mins")
    rows = list(csv.DictReader(io.StringIO(text)))
    # 3 queue-channels x 48 half hours, zeros included
    assert len(rows) == 3 * 48
    voice = {r["TimeStamp"]: r for r in rows if r["QueueId"] == "q-sales" and r["ChannelType"] == "VOICE"}
    # 13:59 falls in 13:30-14:00; 14:05 and 14:20 in 14:00-14:30
    assert [voice["2026-11-02T13:30:00Z"][k] for k in ("IncomingContactVolume", "AverageHandleTime",
                                                        "ContactsHandled")] == ["1", "60.00", "1"]  # fmt: skip
    assert [voice["2026-11-02T14:00:00Z"][k] for k in ("IncomingContactVolume", "AverageHandleTime",
                                                        "ContactsHandled")] == ["2", "120.00", "1"]  # fmt: skip
    assert voice["2026-11-02T15:00:00Z"]["IncomingContactVolume"] == "0"


def test_fifteen_minute_grain(db, tmp_path):
    text, _ = export(db, tmp_path, "15mins")
    lines = text.splitlines()
    assert len(lines) == 1 + 3 * 96
    assert "Sales,q-sales,VOICE,2026-11-02T14:15:00Z,15mins,1,0.00,0" in lines  # V3
    assert "Sales,q-sales,CHAT,2026-11-02T14:00:00Z,15mins,1,300.00,1" in lines  # C1


def test_fifteen_minutes_need_fifteen_minute_intervals(tmp_path):
    with pytest.raises(ValueError, match="export_profiles.0.grain: 15mins needs interval_minutes 15"):
        config(tmp_path, interval_minutes=30, export_profiles=[{
            "name": "fc", "format": "connect_forecast_import", "grain": "15mins",
            "target": "local"}])  # fmt: skip
    # without a grain the profile follows the interval
    config(tmp_path, interval_minutes=30, export_profiles=[
        {"name": "fc", "format": "connect_forecast_import", "target": "local"}])  # fmt: skip


def test_profile_names_are_unique(tmp_path):
    with pytest.raises(ValueError, match="export_profiles.1.name: 'q' is already the name"):
        config(tmp_path, export_profiles=[
            {"name": "q", "format": "calabrio_queue_log", "target": "local"},
            {"name": "q", "format": "connect_forecast_import", "target": "local"}])  # fmt: skip
