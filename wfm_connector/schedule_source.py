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
(it may have named an agent whose first events had not arrived yet); when such a file finally
loads, the files after it in name order that were loaded meanwhile are loaded again, so the
later file still wins. A file that cannot be fetched is recorded ``unreadable`` and tried again
after a wait that doubles from 5 minutes to 6 hours (so the sensor does not start a run a
minute for it); it never stops the other files, and stands outstanding until it is read. A
file whose content breaks the import in an unforeseen way is rejected like a bad one.
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
from wfm_connector.sources.objects import ObjectInfo, ObjectStore, is_utf8, printable_key

log = logging.getLogger(__name__)
SUFFIXES = (".csv", ".json")
LOADED_BY = "schedule source"
FIRST_WAIT_S, LONGEST_WAIT_S = 300, 6 * 3600
# What a file's content can make the import raise (the database refusing a value included);
# anything else (a lost connection) is not the file's fault and propagates.
REJECTING = (schedules.ScheduleError, psycopg.DataError, ValueError, OverflowError,
             ArithmeticError)  # fmt: skip


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
    out = []
    for o in objects:
        if not is_utf8(o.key):  # its name could not even be recorded in the ledger
            log.error("schedule file %s/%s: the name is not UTF-8; rename the file to load it",
                      store.location, printable_key(o.key))  # fmt: skip
        elif o.key.lower().endswith(SUFFIXES):
            out.append(o)
    return out


def _agents(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM wfm.agent").fetchone()[0]


def _new(conn: psycopg.Connection, location: str, objects: list[ObjectInfo]) -> list[ObjectInfo]:
    """The objects not read before, and the rejected ones that may now load."""
    agents = _agents(conn)
    done = {
        (key, etag)
        for key, etag in conn.execute(
            "SELECT key, etag FROM wfm.schedule_file WHERE location = %s "
            "AND CASE outcome WHEN 'rejected' THEN agents_known >= %s "
            "                 WHEN 'unreadable' THEN retry_after > now() ELSE true END",
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
        "agents_known = EXCLUDED.agents_known, failures = 0, retry_after = NULL",
        (location, obj.key, obj.etag, outcome, version, problems, agents),
    )


def _unreadable(conn: psycopg.Connection, location: str, obj: ObjectInfo, why: str) -> None:
    conn.execute(
        "INSERT INTO wfm.schedule_file AS f (location, key, etag, outcome, problems, "
        "agents_known, failures, retry_after) VALUES (%(l)s, %(k)s, %(e)s, 'unreadable', "
        "%(why)s, 0, 1, now() + make_interval(secs => %(first)s)) "
        "ON CONFLICT (location, key, etag) DO UPDATE SET read_at = now(), "
        "outcome = 'unreadable', problems = EXCLUDED.problems, failures = f.failures + 1, "
        "retry_after = now() + make_interval(secs => least(%(first)s * 2 ^ f.failures, %(max)s))",
        {"l": location, "k": obj.key, "e": obj.etag, "why": why, "first": FIRST_WAIT_S,
         "max": LONGEST_WAIT_S},
    )  # fmt: skip


def _import(
    conn: psycopg.Connection, cfg: WfmConfig, store: ObjectStore, obj: ObjectInfo,
    data: bytes, result: SourceResult, today: date | None,
) -> bool:  # fmt: skip
    """Import one file's bytes and record the outcome; whether a new version loaded."""
    name = f"{store.location}/{obj.key}"
    agents = _agents(conn)
    try:
        imported = schedules.import_schedule(
            conn, data, name, cfg.timezone, cfg.schedules.recompute_days,
            loaded_by=LOADED_BY, today=today,
        )  # fmt: skip
    except REJECTING as exc:
        message = str(exc)
        if not isinstance(exc, schedules.ScheduleError):
            message = f"schedule rejected, nothing loaded:\n  {name}: {type(exc).__name__}: {exc}"
        log.error("%s", message)
        result.rejected.append((name, message))
        _ledger(conn, store.location, obj, "rejected", None, message, agents)
        return False
    if imported.unchanged:
        result.unchanged.append(name)
        _ledger(conn, store.location, obj, "unchanged", imported.version_id, None, agents)
        return False
    result.loaded.append((name, imported.version_id, imported.activities))
    result.days.update(imported.days)
    _ledger(conn, store.location, obj, "loaded", imported.version_id, None, agents)
    return True


def _read(
    conn: psycopg.Connection, store: ObjectStore, obj: ObjectInfo, result: SourceResult
) -> bytes | None:
    """The file's bytes, or None after recording why it could not be read."""
    name = f"{store.location}/{obj.key}"
    try:
        return store.read_all(obj.key)
    except (OSError, BotoCoreError, ClientError) as exc:
        log.warning("cannot read schedule file %s: %s", name, exc)
        result.failed.append((name, str(exc)))
        _unreadable(conn, store.location, obj, f"cannot be read: {exc}")
        return None


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
    loaded_now: list[str] = []
    for obj in objects:
        data = _read(conn, store, obj, result)
        if data is not None and _import(conn, cfg, store, obj, data, result, today):
            loaded_now.append(obj.key)
    if loaded_now:
        # A file that loads only now (retried after a rejection, or corrected) took the newest
        # version; files after it in name order, loaded in earlier passes, must win again.
        seen = {o.key for o in objects}
        in_force = {tuple(row) for row in conn.execute(
            "SELECT key, etag FROM wfm.schedule_file WHERE location = %s "
            "AND outcome IN ('loaded', 'unchanged')", (store.location,)
        )}  # fmt: skip
        first = min(loaded_now)
        for obj in listed:
            if obj.key > first and obj.key not in seen and (obj.key, obj.etag) in in_force:
                data = _read(conn, store, obj, result)
                if data is not None:
                    _import(conn, cfg, store, obj, data, result, today)
    current = {(o.key, o.etag) for o in listed}
    result.outstanding = [
        (f"{store.location}/{key}", problems)
        for key, etag, problems in conn.execute(
            "SELECT key, etag, problems FROM wfm.schedule_file "
            "WHERE location = %s AND outcome IN ('rejected', 'unreadable') ORDER BY key",
            (store.location,),
        )
        if (key, etag) in current
    ]
    return result
