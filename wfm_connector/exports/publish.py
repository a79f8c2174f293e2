"""Exporting one profile's day: render, number the generation, write the manifest, deliver.

In: a connection, the configuration, the day's window, a profile name and optionally the
targets to use instead of the profile's own. Out: :class:`ExportResult`: the file (name, rows,
bytes, SHA-256), its generation, the manifest, and one delivery outcome per target; and two
ledger tables: ``wfm.export_generation`` (one row per distinct content of a profile's day)
and ``wfm.export_delivery`` (the latest delivery of it to each target).

Generations: the first export of a profile's day is generation 1. Exporting it again with the
same bytes keeps the number (re-running is idempotent: the same file replaces itself); when
late data changed the numbers, the bytes differ and the next generation is recorded. File
names do not carry the generation, so the new file replaces the old one at every target; the
manifest ``<file>.manifest.json`` beside it says which generation is current.

The manifest (JSON, sorted keys, no wall-clock time, so the same data gives the same bytes):
profile, format, day, time zone and the options that shaped the file, ``generation``,
``files`` (name, rows, bytes, sha256), ``source_watermark`` (per raw stream the records whose
time falls in the day and the newest of those times: what the numbers were computed from) and
``left_out`` (reason -> count: channels a format cannot carry, queues with no contacts...).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
import psycopg

from wfm_connector.checks import Outcome
from wfm_connector.config import WfmConfig
from wfm_connector.exports.delivery import Delivery, deliver
from wfm_connector.exports.formats import FORMATS
from wfm_connector.exports.rendered import Rendered
from wfm_connector.exports.targets import Files, Target, build_target
from wfm_connector.exports.verify import delivered_match_manifest
from wfm_connector.faults import crash_point
from wfm_connector.intervals import DayWindow

# Records of the day per raw stream, and the newest time among them. Contact records count
# every version (a late update of a contact changes the count), placed by disconnect.
WATERMARK = """
SELECT 'agent_events', count(*), max(event_ts) FROM wfm.agent_event_raw
WHERE event_ts >= %(start)s AND event_ts < %(end)s
UNION ALL
SELECT 'contact_records', count(*), max(last_update_ts) FROM wfm.contact_record_raw
WHERE disconnect_ts >= %(start)s AND disconnect_ts < %(end)s
"""

NEXT_GENERATION = """
WITH latest AS (
    SELECT generation, sha256 FROM wfm.export_generation
    WHERE profile = %(profile)s AND day = %(day)s ORDER BY generation DESC LIMIT 1
), added AS (
    INSERT INTO wfm.export_generation (profile, day, generation, file_name, sha256, rows, bytes)
    SELECT %(profile)s, %(day)s, coalesce((SELECT generation FROM latest), 0) + 1,
           %(file_name)s, %(sha256)s, %(rows)s, %(bytes)s
    WHERE NOT EXISTS (SELECT 1 FROM latest WHERE sha256 = %(sha256)s)
    RETURNING generation
)
SELECT coalesce((SELECT generation FROM added), (SELECT generation FROM latest))
"""

RECORD_DELIVERY = """
INSERT INTO wfm.export_delivery AS d
    (profile, day, target, generation, outcome, attempts, error, locations, delivered_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (profile, day, target) DO UPDATE
SET generation = EXCLUDED.generation, outcome = EXCLUDED.outcome,
    attempts = EXCLUDED.attempts, error = EXCLUDED.error, locations = EXCLUDED.locations,
    delivered_at = EXCLUDED.delivered_at
"""


@dataclass(frozen=True)
class ExportResult:
    """One profile's export of one day."""

    profile: str
    day: str
    generation: int
    file: Rendered
    manifest: dict[str, Any]
    deliveries: list[Delivery] = field(default_factory=list)
    read_back: Outcome | None = None  # the files read back from the targets, when asked

    @property
    def ok(self) -> bool:
        """Whether every target received the files."""
        return all(d.ok for d in self.deliveries)

    def location(self, target: str) -> str:
        """Where the data file went at ``target`` (a path, ``s3://`` or ``sftp://`` URL)."""
        for d in self.deliveries:
            if d.target == target and d.ok:
                return d.locations[0]
        raise KeyError(f"{self.file.name} was not delivered to {target!r}")

    @property
    def failed(self) -> list[Delivery]:
        """The deliveries that failed."""
        return [d for d in self.deliveries if not d.ok]


def source_watermark(conn: psycopg.Connection, window: DayWindow) -> dict[str, Any]:
    """Per raw stream: records of the day and the newest time among them (UTC, ISO 8601)."""
    rows = conn.execute(WATERMARK, {"start": window.start, "end": window.end}).fetchall()
    return {
        stream: {"records": count,
                 "newest": newest.astimezone(UTC).isoformat() if newest else None}
        for stream, count, newest in rows
    }


def _generation(conn: psycopg.Connection, profile: str, window: DayWindow, file: Rendered) -> int:
    params = {"profile": profile, "day": window.day, "file_name": file.name,
              "sha256": file.sha256, "rows": file.rows, "bytes": len(file.data)}  # fmt: skip
    with conn.transaction():
        return conn.execute(NEXT_GENERATION, params).fetchone()[0]


@contextmanager
def _exclusive(conn: psycopg.Connection, profile: str, window: DayWindow) -> Iterator[None]:
    """One export of a profile's day at a time, from rendering to the last delivery.

    Otherwise a re-export that rendered before late data was reconciled could take the next
    generation after the run that rendered the new numbers, and deliver stale bytes last; or
    two runs could interleave one's file with the other's manifest.
    """
    key = (f"{profile}/{window.day}",)
    conn.execute("SELECT pg_advisory_lock(hashtext('wfm.export'), hashtext(%s))", key)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext('wfm.export'), hashtext(%s))", key)


class _Deferred:
    """A target built on its first delivery.

    A fault while building it (an STS role that cannot be assumed) is then that target's failed
    delivery, retried and recorded, and the other targets are still served.
    """

    def __init__(self, name: str, build: Callable[[str], Target]) -> None:
        self.name = name
        self._build = build
        self._target: Target | None = None

    def _built(self) -> Target:
        if self._target is None:
            self._target = self._build(self.name)
        return self._target

    def put(self, profile: str, files: Files) -> list[str]:
        return self._built().put(profile, files)

    def fetch(self, profile: str, name: str, limit: int) -> bytes | None:
        return self._built().fetch(profile, name, limit)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as stable, readable JSON."""
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def export_profile(
    conn: psycopg.Connection,
    cfg: WfmConfig,
    window: DayWindow,
    name: str,
    targets: Sequence[str] | None = None,
    folders: dict[str, Path] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    build: Callable[[str], Target] | None = None,
    verify: bool = False,
) -> ExportResult:
    """Render the profile's file for the day and deliver it (see the module docstring).

    Raises ValueError naming what is configured when ``name`` or a target is unknown.
    ``folders`` overrides local target paths; ``build`` makes a target from its name.
    """
    by_name = {p.name: p for p in cfg.export_profiles}
    if name not in by_name:
        raise ValueError(f"no export profile named {name!r} (configured: {sorted(by_name)})")
    profile = by_name[name]
    chosen = list(targets or profile.targets)
    for target in chosen:
        if target not in cfg.export_targets:
            known = sorted(cfg.export_targets)
            raise ValueError(f"no export target named {target!r} (configured: {known})")
    with _exclusive(conn, profile.name, window):
        file = FORMATS[profile.format](conn, window, profile, cfg)
        generation = _generation(conn, profile.name, window, file)
        manifest = {
            "profile": profile.name,
            "format": profile.format,
            "day": window.day.isoformat(),
            **file.options,
            "generation": generation,
            "files": [{"name": file.name, "rows": file.rows, "bytes": len(file.data),
                       "sha256": file.sha256}],  # fmt: skip
            "source_watermark": source_watermark(conn, window),
            "left_out": file.left_out,
        }
        files = [(file.name, file.data), (f"{file.name}.manifest.json", manifest_bytes(manifest))]
        make = build or (lambda t: build_target(cfg, t, folders))
        reached = {t: _Deferred(t, make) for t in chosen}
        deliveries = deliver(list(reached.values()), profile.name, files,
                             cfg.export_delivery, sleep)  # fmt: skip
        crash_point("export.before_ledger")
        with conn.transaction():
            for d in deliveries:
                conn.execute(RECORD_DELIVERY, (
                    profile.name, window.day, d.target, generation,
                    "delivered" if d.ok else "failed", d.attempts, d.error,
                    orjson.dumps(d.locations).decode(),
                ))  # fmt: skip
        result = ExportResult(profile.name, window.day.isoformat(), generation, file, manifest,
                              deliveries)  # fmt: skip
        if verify:  # still under the lock: no other export of the day can interleave
            read_back = delivered_match_manifest(result, reached.__getitem__, files[1][1])
            result = replace(result, read_back=read_back)
        return result
