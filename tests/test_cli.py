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


def test_db_downgrade_needs_a_revision_and_yes(database_url):
    import psycopg

    from wfm_connector.db.connection import libpq_url

    def tables() -> int:
        with psycopg.connect(libpq_url(database_url)) as conn:
            return conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'wfm'"
            ).fetchone()[0]

    before = tables()
    no_revision = CliRunner().invoke(app, ["db", "downgrade"])
    assert no_revision.exit_code == 2  # no default revision, nothing dropped
    refused = CliRunner().invoke(app, ["db", "downgrade", "base"])
    assert refused.exit_code == 2
    assert "would drop the whole wfm schema and all its data; pass --yes" in refused.output
    assert tables() == before > 1


def test_simulate_never_deletes_what_it_did_not_write(tmp_path):
    out = tmp_path / "data"
    (out / "agent-events").mkdir(parents=True)
    (out / "agent-events" / "mine.json").write_text("{}")
    args = ["simulate", "--out", str(out), "--agents", "2"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "not written by the simulator; nothing was deleted" in (
        " ".join(refused.output.split()))  # fmt: skip
    assert (out / "agent-events" / "mine.json").exists()
    fresh = tmp_path / "sim"
    assert CliRunner().invoke(app, ["simulate", "--out", str(fresh), "--agents", "2"]).exit_code == 0
    again = CliRunner().invoke(app, ["simulate", "--out", str(fresh), "--agents", "2"])
    assert again.exit_code == 2 and "pass --yes to replace it" in again.output
    assert CliRunner().invoke(app, ["simulate", "--out", str(fresh), "--agents", "2",
                                    "--yes"]).exit_code == 0  # fmt: skip


@pytest.mark.parametrize("day", ["2024-12-31", "2999-01-01", "2026-13-01"])
def test_run_outside_the_partitions_is_one_line_naming_the_option(day):
    result = CliRunner().invoke(app, ["run", "--day", day])
    assert result.exit_code == 2
    assert result.output.startswith("error: --day: ") and len(result.output.splitlines()) <= 2
