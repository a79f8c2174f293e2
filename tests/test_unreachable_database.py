"""A database that does not answer is reported within seconds, naming where it was looked for,
and neither the CLI nor Dagster retries it for minutes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (a hung or firewalled host)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"postgresql://wfm@127.0.0.1:{sock.getsockname()[1]}/wfm", sock.getsockname()[1]
    sock.close()


def test_the_cli_fails_within_seconds_naming_host_and_port(silent_server):
    url, port = silent_server
    # the demo configuration, whose agent_events source exists: the database is what fails
    env = {**os.environ, "WFM_DATABASE_URL": url,
           "WFM_CONFIG": str(ROOT / "config" / "demo.yaml")}  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "wfm-connector"), "ingest", "--source", "agent_events"],
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode == 2, result.stdout + result.stderr
    assert took < 10
    out = " ".join(result.stdout.split())
    assert f"cannot reach the database at 127.0.0.1:{port}/wfm within 5 s" in out
    assert "Traceback" not in result.stdout + result.stderr


def test_dagster_does_not_retry_an_unreachable_database(silent_server):
    from dagster_project.assets import agent_events_raw
    from dagster_project.definitions import build_resources

    url, port = silent_server
    started = time.monotonic()
    result = dg.materialize(
        [agent_events_raw],
        partition_key="2026-11-02",
        resources=build_resources(database_url=url),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert time.monotonic() - started < 15  # the asset's retry policy (30 s, 60 s...) unused
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert f"127.0.0.1:{port}" in failure.step_failure_data.user_failure_data.description
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
