"""Dagster resources: configuration, database, source and export target.

Each builds its client lazily on first use; none opens a connection at definition load.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import psycopg
from pydantic import Field

from wfm_connector import pipeline
from wfm_connector.config import (
    LocalExportTarget,
    WfmConfig,
    default_config_path,
    load_config,
)
from wfm_connector.db import connection, engine, migrate
from wfm_connector.ingest import IngestStats
from wfm_connector.intervals import DayWindow
from wfm_connector.sources.base import Stream

_MIGRATED: set[str] = set()


class WfmConfigResource(dg.ConfigurableResource):
    """The connector's YAML configuration (``WFM_CONFIG``)."""

    config_path: str = Field(description="Path of wfm.yaml; empty means WFM_CONFIG or the default.")

    def get(self) -> WfmConfig:
        """The validated configuration."""
        return load_config(self.config_path or default_config_path())


class DatabaseResource(dg.ConfigurableResource):
    """PostgreSQL holding the ``wfm`` schema; embedded server when no URL is given."""

    url: str = Field(
        default="", description="Database URL; empty means WFM_DATABASE_URL or embedded."
    )
    migrate_on_first_use: bool = Field(
        default=True, description="Run Alembic upgrade head once per process."
    )

    def resolved_url(self) -> str:
        """The URL in use."""
        return engine.psycopg_url(self.url) if self.url else engine.database_url()

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection]:
        """A psycopg connection, closed after use."""
        url = self.resolved_url()
        try:
            if self.migrate_on_first_use and url not in _MIGRATED:
                migrate.upgrade(url)
                _MIGRATED.add(url)
            conn = connection.open_connection(url)
        except connection.DatabaseUnreachable as exc:
            # the environment, not the data: fail now, loudly, instead of minutes of retries
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        with conn:
            yield conn


class ConnectSourceResource(dg.ConfigurableResource):
    """Where Amazon Connect data is read from: the ``sources`` section of wfm.yaml.

    Readers (local folder, S3, Kinesis, SQS) and their AWS clients are built on use, never at
    definition load.
    """

    config: WfmConfigResource

    def ingest(self, conn: psycopg.Connection, stream: Stream, window: DayWindow) -> IngestStats:
        """Load what is new for ``stream``."""
        return pipeline.ingest_day(conn, self.config.get(), stream, window)

    def pending_streams(self, conn: psycopg.Connection, window: DayWindow) -> list[Stream]:
        """Streams with something new to load."""
        return pipeline.pending_streams(conn, self.config.get(), window)


class ExportTargetResource(dg.ConfigurableResource):
    """Local folders the WFM systems pick files up from (overriding wfm.yaml's paths).

    S3 and SFTP targets are taken from wfm.yaml as they are.
    """

    config: WfmConfigResource
    overrides: dict[str, str] = Field(default_factory=dict, description="target name -> folder")

    def folders(self) -> dict[str, Path]:
        """Target name -> folder."""
        cfg = self.config.get()
        folders = {
            name: target.path
            for name, target in cfg.export_targets.items()
            if isinstance(target, LocalExportTarget)
        }
        folders.update({name: Path(p) for name, p in self.overrides.items()})
        return folders
