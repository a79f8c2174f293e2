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
from wfm_connector import pipeline
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

    assert isinstance(evaluate(), dg.SkipReason)
    now = datetime.now(UTC)
    obj = tmp_path / "contact-records" / now.strftime("%Y/%m/%d/%H") / "delivery-1"
    obj.parent.mkdir(parents=True)
    obj.write_bytes(orjson.dumps({"ContactId": "c1"}))  # any object counts as new data
    request = evaluate()
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == today
    assert request.tags["wfm/new_data"] == "contact_records"

    cfg = load_config(config_path, environ={})
    local_today = datetime.fromisoformat(today).date()
    pipeline.ingest_day(db, cfg, Stream.CONTACT_RECORDS, pipeline.window_for(cfg, local_today))
    assert isinstance(evaluate(), dg.SkipReason)
