"""Schedule files the WFM system drops in a folder or an S3 prefix, each loaded once.

In: ``schedules.source`` of the configuration (a local folder or one file, or an S3 bucket and
prefix), and the ledger ``wfm.schedule_file`` of what became of every file version read before.

Out: every ``.csv`` or ``.json`` file version (name or key plus ETag) not in the ledger is
imported with :func:`wfm_connector.schedules.import_schedule`, in name order, so a later file
wins where it overlaps an earlier one. Its outcome is written to the ledger: ``loaded`` (a new
schedule version), ``unchanged`` (the same bytes as a version already loaded) or ``rejected``
(with the problems, naming line and column; the version in force stays in force); every file
whose current version stands rejected is reported on each pass until it is replaced. A rejected
file is read again when it changes, or when more agents are known than when it was rejected
(it may have named an agent whose first events had not arrived yet). A file that cannot be
fetched is reported and retried on the next run; it never stops the other files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from wfm_connector import schedules
from wfm_connector.config import ScheduleFolderSource, WfmConfig
from wfm_connector.sources.local_folder import LocalObjectStore
from wfm_connector.sources.objects import ObjectInfo, ObjectStore

log = logging.getLogger(__name__)
SUFFIXES = (".csv", ".json")
LOADED_BY = "schedule source"


@dataclass
class SourceResult:
    """What one pass over the schedule source did."""

    loaded: list[tuple[str, int, int]] = field(default_factory=list)  # name, version, activities
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # name, problems
    # every file of the source whose current version stands rejected, this run or before
    outstanding: list[tuple[str, str]] = field(default_factory=list)  # name, problems
    failed: list[tuple[str, str]] = field(default_factory=list)  # name, why it was not read
    days: set[date] = field(default_factory=set)  # days marked for recomputing


def _store(cfg: WfmConfig) -> tuple[ObjectStore, str, str | None] | None:
    """(store, prefix, the one file's key or None) of the configured source."""
    source = cfg.schedules.source
    if source is None:
        return None
    if isinstance(source, ScheduleFolderSource):
        path = Path(source.path)
        if path.is_file():
            return LocalObjectStore(path.parent), "", path.name
        return LocalObjectStore(path), "", None
    from wfm_connector.sources.aws import AwsClients
    from wfm_connector.sources.s3 import S3ObjectStore

    client = AwsClients(cfg.aws_for(source)).client("s3")
    return S3ObjectStore(client, source.bucket), source.prefix, None


def _candidates(store: ObjectStore, prefix: str, only: str | None) -> list[ObjectInfo]:
    objects = store.list(prefix)
    if only is not None:
        objects = [o for o in objects if o.key == only]
    return [o for o in objects if o.key.lower().endswith(SUFFIXES)]


def _agents(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM wfm.agent").fetchone()[0]


def _new(conn: psycopg.Connection, location: str, objects: list[ObjectInfo]) -> list[ObjectInfo]:
    """The objects not read before, and the rejected ones that may now load."""
    agents = _agents(conn)
    done = {
        (key, etag)
        for key, etag in conn.execute(
            "SELECT key, etag FROM wfm.schedule_file WHERE location = %s "
            "AND (outcome <> 'rejected' OR agents_known >= %s)",
            (location, agents),
        )
    }
    return [o for o in objects if (o.key, o.etag) not in done]


def pending(conn: psycopg.Connection, cfg: WfmConfig) -> bool:
    """Whether the source holds a file to read (a cheap listing, for the sensor)."""
    found = _store(cfg)
    if found is None:
        return False
    store, prefix, only = found
    try:
        return bool(_new(conn, store.location, _candidates(store, prefix, only)))
    except (OSError, BotoCoreError, ClientError) as exc:
        log.warning("cannot list the schedule source %s: %s", store.location, exc)
        return False


def _ledger(
    conn: psycopg.Connection, location: str, obj: ObjectInfo, outcome: str,
    version: int | None, problems: str | None, agents: int,
) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO wfm.schedule_file (location, key, etag, outcome, version_id, problems, "
        "agents_known) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (location, key, etag) "
        "DO UPDATE SET read_at = now(), outcome = EXCLUDED.outcome, "
        "version_id = EXCLUDED.version_id, problems = EXCLUDED.problems, "
        "agents_known = EXCLUDED.agents_known",
        (location, obj.key, obj.etag, outcome, version, problems, agents),
    )


def load_new(conn: psycopg.Connection, cfg: WfmConfig, today: date | None = None) -> SourceResult:
    """Import every new schedule file of the configured source, in name order."""
    result = SourceResult()
    found = _store(cfg)
    if found is None:
        return result
    store, prefix, only = found
    try:
        listed = _candidates(store, prefix, only)
        objects = _new(conn, store.location, listed)
    except (OSError, BotoCoreError, ClientError) as exc:
        result.failed.append((store.location, f"cannot list: {exc}"))
        return result
    for obj in objects:
        name = f"{store.location}/{obj.key}"
        try:
            data = store.read_all(obj.key)
        except (OSError, BotoCoreError, ClientError) as exc:
            log.warning("cannot read schedule file %s: %s", name, exc)
            result.failed.append((name, str(exc)))
            continue
        agents = _agents(conn)
        try:
            imported = schedules.import_schedule(
                conn, data, name, cfg.timezone, cfg.schedules.recompute_days,
                loaded_by=LOADED_BY, today=today,
            )  # fmt: skip
        except schedules.ScheduleError as exc:
            log.error("%s", exc)
            result.rejected.append((name, str(exc)))
            _ledger(conn, store.location, obj, "rejected", None, str(exc), agents)
            continue
        if imported.unchanged:
            result.unchanged.append(name)
            _ledger(conn, store.location, obj, "unchanged", imported.version_id, None, agents)
            continue
        result.loaded.append((name, imported.version_id, imported.activities))
        result.days.update(imported.days)
        _ledger(conn, store.location, obj, "loaded", imported.version_id, None, agents)
    current = {(o.key, o.etag) for o in listed}
    result.outstanding = [
        (f"{store.location}/{key}", problems)
        for key, etag, problems in conn.execute(
            "SELECT key, etag, problems FROM wfm.schedule_file "
            "WHERE location = %s AND outcome = 'rejected' ORDER BY key",
            (store.location,),
        )
        if (key, etag) in current
    ]
    return result
