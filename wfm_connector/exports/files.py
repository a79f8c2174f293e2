"""Writing export files so a WFM system never sees a half-written, duplicated or planted file.

In: the file's bytes, a target folder, a file name unique per profile and day, and the mode
(the local-folder target; :mod:`wfm_connector.exports.targets` has the others).
Out: the file, replaced atomically: the bytes go to a temporary name in the same folder that
cannot be guessed (128 random bits), created exclusively and without following a symlink
(``O_CREAT|O_EXCL|O_NOFOLLOW`` relative to the folder's descriptor), flushed to disk, given
the configured mode (default 0640, whatever the umask), and renamed over the final name; the
folder is then flushed so the rename survives a crash. A symlink planted at the final name is
replaced, never written through; one planted at a temporary name makes the write fail rather
than follow it. A temporary left by a process killed mid-write (its name ends in 32 hex digits
and ``.tmp``) is removed by a later write of the same file once it is an hour old.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_MODE = 0o640
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


STALE_AFTER_S = 3600


def temporary_name(name: str) -> str:
    """A hidden name beside ``name`` that nobody can predict."""
    return f".{name}.{secrets.token_hex(16)}.tmp"


def is_our_temporary(candidate: str, name: str) -> bool:
    """Whether ``candidate`` has the shape of a temporary of ``name`` (see temporary_name)."""
    return re.fullmatch(re.escape(f".{name}.") + r"[0-9a-f]{32}\.tmp", candidate) is not None


def remove_stale_temporaries(directory: int, name: str, now: float | None = None) -> int:
    """Remove temporaries of ``name`` older than an hour in the folder open as ``directory``."""
    removed = 0
    now = time.time() if now is None else now
    for entry in os.listdir(directory):
        if not is_our_temporary(entry, name):
            continue
        with contextlib.suppress(FileNotFoundError):
            st = os.stat(entry, dir_fd=directory, follow_symlinks=False)
            if now - st.st_mtime > STALE_AFTER_S:
                os.unlink(entry, dir_fd=directory)  # unlinks a link itself, never its target
                removed += 1
    return removed


def atomic_write(
    folder: Path,
    name: str,
    data: bytes,
    mode: int = DEFAULT_MODE,
    tmp_name: Callable[[str], str] = temporary_name,
) -> Path:
    """Write ``data`` as ``folder/name`` atomically (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        remove_stale_temporaries(directory, name)
        tmp = tmp_name(name)
        fd = os.open(tmp, _FLAGS, mode, dir_fd=directory)
        try:
            with os.fdopen(fd, "wb", closefd=True) as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), mode)  # the umask narrowed what os.open gave
                os.fsync(fh.fileno())
            os.rename(tmp, name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=directory)
            raise
        os.fsync(directory)
    finally:
        os.close(directory)
    return folder / name
