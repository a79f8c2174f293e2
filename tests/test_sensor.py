"""The new-data sensor asks the sources and requests today's partition."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import orjson
import pytest
import yaml

from dagster_project.definitions import build_resources
from dagster_project.sensors import new_data_sensor
from tests.conftest import PROJECT_ROOT
from wfm_connector import pipeline, schedule_source
from wfm_connector.config import load_config
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.integration


def test_sensor_requests_today_when_an_object_arrives_and_skips_once_loaded(
    db, database_url, tmp_path
):
    config = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    config["sources"] = {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}}
    config_path = tmp_path / "wfm.yaml"
    config_path.write_text(yaml.safe_dump(config))
    resources = build_resources(config_path=str(config_path), database_url=database_url)
    today = datetime.now(UTC).astimezone(ZoneInfo(config["timezone"])).date().isoformat()

    def evaluate():
        with (
            dg.instance_for_test() as instance,
            dg.build_sensor_context(instance=instance, resources=resources) as context,
        ):
            return new_data_sensor(context)

    assert evaluate().skip_reason
    now = datetime.now(UTC)
    obj = tmp_path / "contact-records" / now.strftime("%Y/%m/%d/%H") / "delivery-1"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(orjson.dumps({"ContactId": "c1"}))  # any object counts as new data
    (request,) = evaluate().run_requests
    assert request.partition_key == today
    assert request.tags["wfm/new_data"] == "contact_records"

    cfg = load_config(config_path, environ={})
    local_today = datetime.fromisoformat(today).date()
    window = pipeline.window_for(cfg, local_today)
    pipeline.ingest_day(db, cfg, Stream.CONTACT_RECORDS, window)
    db.execute("DELETE FROM wfm.dirty_day")  # (the record above was invalid anyway)
    assert evaluate().skip_reason

    # A contact record for 2026-11-02 arrives late (today): that day is requested again.
    late = orjson.dumps(
        {"ContactId": "late", "Channel": "VOICE", "InitiationMethod": "INBOUND",
         "LastUpdateTimestamp": "2026-11-02T15:00:00Z", "DisconnectTimestamp": "2026-11-02T14:59:00Z",
         "Queue": {"ARN": "arn:q", "EnqueueTimestamp": "2026-11-02T14:50:00Z", "Duration": 9}}
    )  # fmt: skip
    obj.with_name("delivery-2").write_bytes(late)
    pipeline.ingest_day(db, cfg, Stream.CONTACT_RECORDS, window)
    (request,) = evaluate().run_requests
    assert (request.partition_key, request.tags["wfm/reason"]) == ("2026-11-02", "late data")


def test_sensor_requests_today_when_a_schedule_file_arrives(db, database_url, tmp_path):
    config = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    config["sources"] = {"agent_events": {"kind": "local_folder", "path": str(tmp_path / "none")}}
    folder = tmp_path / "schedules"
    folder.mkdir()
    config["schedules"] = {"source": {"kind": "local_folder", "path": str(folder)}}
    config_path = tmp_path / "wfm.yaml"
    config_path.write_text(yaml.safe_dump(config))
    resources = build_resources(config_path=str(config_path), database_url=database_url)

    def evaluate():
        with (
            dg.instance_for_test() as instance,
            dg.build_sensor_context(instance=instance, resources=resources) as context,
        ):
            return new_data_sensor(context)

    assert evaluate().skip_reason
    (folder / "week49.csv").write_text("agent,start,end,activity,productive\n")
    (request,) = evaluate().run_requests
    assert request.tags["wfm/new_data"] == "schedules"
    # once read (here: rejected, it has no activities), the file is not news any more
    schedule_source.load_new(db, load_config(config_path, environ={}))
    assert evaluate().skip_reason
