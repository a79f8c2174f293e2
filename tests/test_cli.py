"""The command line reports bad input in one readable line and exits with status 2."""

import pytest
from typer.testing import CliRunner

from wfm_connector.cli import app

pytestmark = pytest.mark.unit


def test_unknown_stream_is_named(database_url):
    result = CliRunner().invoke(app, ["ingest", "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown stream 'nope'" in result.output


def test_invalid_config_names_key(tmp_path, monkeypatch):
    bad = tmp_path / "wfm.yaml"
    monkeypatch.setenv("WFM_CONFIG", str(bad))  # the CLI sets it too; undone after the test
    bad.write_text("connect: {instance_arn: x}\ntimezone: UTC\nsources: {}\n")
    result = CliRunner().invoke(app, ["run", "--day", "2026-11-02", "--config", str(bad)])
    assert result.exit_code == 2
    assert "connect.instance_arn: must be an ARN" in result.output
