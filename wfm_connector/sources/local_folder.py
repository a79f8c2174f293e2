"""A local folder as an object store: files laid out the way Firehose writes them to S3.

In: ``<root>/<folder>/YYYY/MM/DD/HH/<object>`` as written by the simulator or copied from a
bucket (``aws s3 sync``). Out: objects listed in key order; an object's ETag is its size and
modification time, so a re-written file is read again. Positions are the key relative to the
root plus the byte offset (``agent-events/2026/11/02/14/obj:1834``).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from wfm_connector.sources.objects import ObjectInfo


class LocalObjectStore:
    """Files below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.location = self.root.as_uri()

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Files directly in the folder ``prefix`` (an hour folder)."""
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                st = path.stat()
                key = path.relative_to(self.root).as_posix()
                out.append(
                    ObjectInfo(key=key, etag=f"{st.st_size}-{st.st_mtime_ns}", size=st.st_size)
                )
        return out

    def open(self, key: str) -> IO[bytes]:
        """The file, opened for binary reading."""
        return (self.root / key).open("rb")

    def read_all(self, key: str) -> bytes:
        """The file's bytes."""
        return (self.root / key).read_bytes()

    def position(self, key: str, offset: int | str) -> str:
        """``<key>:<offset>``."""
        return f"{key}:{offset}"
