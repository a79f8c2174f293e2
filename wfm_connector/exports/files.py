"""Writing export files so a WFM system never sees a half-written or duplicated day.

In: the file's bytes, a target folder and a file name unique per profile and day.
Out: the file (replaced atomically: write to a temporary name, fsync, rename) and a
``<name>.manifest.json`` beside it with row count and SHA-256, written the same way.
Identical content gives byte-identical files and manifests (no wall-clock stamps inside).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class WrittenFile:
    """An export file on disk."""

    path: Path
    rows: int
    sha256: str


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_export(
    folder: Path, name: str, data: bytes, rows: int, manifest: dict[str, Any]
) -> WrittenFile:
    """Write ``data`` as ``folder/name`` and its manifest."""
    path = folder / name
    digest = hashlib.sha256(data).hexdigest()
    _atomic_write(path, data)
    body = {**manifest, "file": name, "rows": rows, "bytes": len(data), "sha256": digest}
    _atomic_write(
        folder / f"{name}.manifest.json",
        orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n",
    )
    return WrittenFile(path=path, rows=rows, sha256=digest)
