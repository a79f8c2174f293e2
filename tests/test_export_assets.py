"""The export asset of a profile, as the Dagster UI shows it: what was delivered where, a
preview of the file, and a failed delivery that fails the asset with the reason."""

from __future__ import annotations

import hashlib
from datetime import date

import dagster as dg
import pytest
import yaml

from dagster_project.definitions import build_resources
from dagster_project.export_assets import build_export_asset
from tests.test_connect_parity import AGENT, INSTANCE, config, ctr, reconcile
from wfm_connector import pipeline
from wfm_connector.exports.publish import manifest_bytes
from wfm_connector.exports.targets import build_target
from wfm_connector.exports.verify import delivered_match_manifest

pytestmark = pytest.mark.integration
DAY = "2026-11-02"


def write_config(tmp_path, targets: list[str]) -> tuple[str, object]:
    raw = {
        "connect": {"instance_arn": INSTANCE},
        "timezone": "America/New_York",
        "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
        "export_targets": {
            "local": {"kind": "local_folder", "path": str(tmp_path / "out")},
            # nothing listens on port 1: connection refused at once
            "down": {"kind": "sftp", "host": "127.0.0.1", "port": 1, "username": "wfm",
                     "password_env": "HOME", "host_key_checking": False},
            # configured but not used by the profile: must not bother the local export
            "unused_s3": {"kind": "s3", "bucket": "not-used-here"},
        },  # fmt: skip
        "export_delivery": {"attempts": 1},
        "export_profiles": [{"name": "q", "format": "calabrio_queue_log", "target": targets}],
    }
    path = tmp_path / "wfm.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path), config(tmp_path, **{k: v for k, v in raw.items() if k.startswith("export")})


def materialize(path: str, cfg, database_url: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [build_export_asset(cfg.export_profiles[0])],
        partition_key=DAY,
        resources=build_resources(config_path=path, database_url=database_url),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_the_export_asset_shows_the_delivery_and_a_preview(db, tmp_path, database_url):
    path, cfg = write_config(tmp_path, ["local"])
    reconcile(db, cfg, ctrs=[ctr("V1", "14:02:00", enqueue="14:00:30", duration=30, agent=AGENT,
                                 connected="14:01:00", talk=40)])  # fmt: skip
    result = materialize(path, cfg, database_url)
    assert result.success
    [event] = result.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    assert event.materialization.asset_key == dg.AssetKey("export_q")
    # one row per 15-minute interval of the day for the one queue: 96
    assert meta["dagster/row_count"] == 96 and meta["generation"] == 1
    assert meta["file"] == "calabrio_queue_q_20261102.csv"
    assert meta["target local"].startswith("delivered (1 attempt): ")
    assert str(meta["path local"]).endswith("out/calabrio_queue_q_20261102.csv")
    # the preview is the file's first lines: midnight's row of Sales first
    assert meta["preview"].startswith("```\n15;20261102;00:00;")
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "matches_manifest" and check.passed
    assert "generation 1, 96 rows" in check.description
    assert check.description.endswith("read back from local and matching its manifest")

    # someone cuts the delivered file's last row: read back, it no longer matches (one line
    # less: its hash, its bytes, and 95 rows)
    [export] = pipeline.export_day(db, cfg, pipeline.window_for(cfg, date(2026, 11, 2)))
    delivered = tmp_path / "out" / "calabrio_queue_q_20261102.csv"
    sent = delivered.read_bytes()
    cut = sent[: -len(sent.splitlines(keepends=True)[-1])]
    delivered.write_bytes(cut)
    manifest = manifest_bytes(export.manifest)
    outcome = delivered_match_manifest(export, lambda t: build_target(cfg, t), manifest)
    assert not outcome.passed
    assert outcome.metadata["problems"] == [
        f"local: the file's sha256 is {hashlib.sha256(cut).hexdigest()} where its manifest says "
        f"{hashlib.sha256(sent).hexdigest()}",
        f"local: the file's bytes is {len(cut)} where its manifest says {len(sent)}",
        "local: the file's rows is 95 where its manifest says 96"]  # fmt: skip
    # one appended: read no further than one byte past what was sent
    delivered.write_bytes(sent + sent)
    longer = delivered_match_manifest(export, lambda t: build_target(cfg, t), manifest)
    assert longer.metadata["problems"] == [
        f"local: the file is longer than the {len(sent):,} bytes its manifest says"]
    # the WFM system picked the file up (moved it away): nothing to compare, and no failure
    delivered.unlink()
    gone = delivered_match_manifest(export, lambda t: build_target(cfg, t), manifest)
    assert gone.passed and gone.metadata == {"targets": [], "picked_up": ["local"]}
    assert gone.description.endswith("already picked up from local")


def test_a_failed_delivery_fails_the_asset_with_the_reason(db, tmp_path, database_url):
    path, cfg = write_config(tmp_path, ["down", "local"])
    reconcile(db, cfg, ctrs=[ctr("V1", "14:02:00", enqueue="14:00:30", duration=30)])
    result = materialize(path, cfg, database_url)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    data = failure.step_failure_data
    assert "q: delivery failed to down" in data.user_failure_data.description
    meta = {k: v.value for k, v in data.user_failure_data.metadata.items()}
    assert meta["target down"].startswith("FAILED: target down: ")
    assert meta["target local"].startswith("delivered")  # the other target was served
    assert (tmp_path / "out" / "calabrio_queue_q_20261102.csv").exists()
