"""The command line reports bad input in one readable line and exits with status 2."""

import pytest
from typer.testing import CliRunner

from wfm_connector.cli import app

pytestmark = pytest.mark.unit


def test_unknown_stream_is_named(database_url):
    result = CliRunner().invoke(app, ["ingest", "--source", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("error: --source: 'nope' is not a stream; streams are "
                                    "agent_events, contact_events, contact_records")  # fmt: skip


def test_a_bad_ingest_day_names_the_option(database_url):
    result = CliRunner().invoke(app, ["ingest", "--day", "2026-11-31"])
    assert result.exit_code == 2
    assert result.output == "error: --day: '2026-11-31' is not a date (YYYY-MM-DD)\n"


def test_version_and_short_help():
    from importlib.metadata import version

    shown = CliRunner().invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.output == f"wfm-connector {version('wfm-connector')}\n"
    for args in (["-h"], ["db", "-h"], ["report", "-h"], ["schedule", "import", "-h"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and "Usage: " in result.output, args
        assert "``" not in result.output  # plain text, no reStructuredText markup


@pytest.mark.integration
def test_db_psql_opens_the_connectors_database_with_wfm_first(database_url):
    import subprocess
    import sys
    from pathlib import Path

    cli = str(Path(sys.executable).parent / "wfm-connector")
    done = subprocess.run([cli, "db", "psql", "--", "-Atc", "SHOW search_path",
                           "-c", "SELECT count(*) FROM queue_interval"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    search_path, count = done.stdout.splitlines()  # the table found unqualified: wfm first
    assert search_path == "wfm,public" and count.isdigit()


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
