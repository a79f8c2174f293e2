"""The simulated files a benchmark phase lets the connector see, by when they were delivered.

In: a simulation folder (``agent-events/``, ``contact-events/``, ``contact-records/`` in the
Firehose layout, object names ending ``-YYYY-MM-DD-HH-MM-SS-<hex>`` with the UTC start of
their 5-minute delivery window). Out: :class:`SimFile` per object, and a :class:`Feed`: a
folder of hard links that the benchmark's ``local_folder`` sources read, so a phase can show
the connector one day, or a day up to 14:00 and then its next 15 minutes, without copying.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STREAM_FOLDERS = ("agent-events", "contact-events", "contact-records")
_WINDOW = re.compile(r"-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f]+$")


@dataclass(frozen=True)
class SimFile:
    """One delivered object of the simulation."""

    stream: str  # its folder: agent-events, contact-events, contact-records
    path: Path
    key: str  # relative to the simulation folder
    delivered: datetime  # UTC start of its delivery window
    size: int


def sim_files(root: Path) -> list[SimFile]:
    """Every delivered object below ``root``, in delivery order."""
    out = []
    for stream in STREAM_FOLDERS:
        for path in sorted((root / stream).rglob("*")):
            match = _WINDOW.search(path.name)
            if path.is_file() and match:
                delivered = datetime(*map(int, match.groups()), tzinfo=UTC)
                key = path.relative_to(root).as_posix()
                out.append(SimFile(stream, path, key, delivered, path.stat().st_size))
    out.sort(key=lambda f: (f.delivered, f.key))
    return out


def between(files: list[SimFile], start: datetime | None, end: datetime | None) -> list[SimFile]:
    """The files delivered in ``[start, end)`` (an open side when None)."""
    return [
        f for f in files
        if (start is None or f.delivered >= start) and (end is None or f.delivered < end)
    ]  # fmt: skip


class Feed:
    """A folder of hard links to simulated files, laid out as the simulation has them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def clear(self) -> None:
        """Show nothing."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)

    def add(self, files: list[SimFile]) -> None:
        """Show these files too."""
        for f in files:
            target = self.root / f.key
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(f.path, target)

    def remove(self, files: list[SimFile]) -> None:
        """Stop showing these files."""
        for f in files:
            (self.root / f.key).unlink(missing_ok=True)
