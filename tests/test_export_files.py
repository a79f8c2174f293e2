"""Export files appear whole or not at all, with the configured mode, and never through a
symlink someone planted in the export folder."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from wfm_connector.config import LocalExportTarget
from wfm_connector.exports import files


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_default_mode_is_0640_whatever_the_umask(tmp_path):
    old = os.umask(0o077)  # a umask that would otherwise leave 0600
    try:
        path = files.atomic_write(tmp_path, "a.csv", b"x\n")
    finally:
        os.umask(old)
    assert mode_of(path) == 0o640
    assert mode_of(files.atomic_write(tmp_path, "b.csv", b"x\n", mode=0o600)) == 0o600


def test_the_target_reads_the_mode_in_octal():
    assert LocalExportTarget(path="/x").mode == 0o640
    assert LocalExportTarget(path="/x", file_mode="0644").mode == 0o644
    assert LocalExportTarget(path="/x", file_mode=0o600).mode == 0o600  # YAML's unquoted 0600
    with pytest.raises(ValueError, match="file_mode"):
        LocalExportTarget(path="/x", file_mode="0999")


def test_a_symlink_at_the_final_name_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "q.csv").symlink_to(victim)
    files.atomic_write(out, "q.csv", b"new\n")
    assert victim.read_text() == "precious"
    assert not (out / "q.csv").is_symlink() and (out / "q.csv").read_bytes() == b"new\n"


def test_a_symlink_at_the_temporary_name_stops_the_write(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".q.csv.planted.tmp").symlink_to(victim)  # as if the random name had been guessed
    with pytest.raises(FileExistsError):
        files.atomic_write(out, "q.csv", b"new\n", tmp_name=lambda n: f".{n}.planted.tmp")
    assert victim.read_text() == "precious" and not (out / "q.csv").exists()
    # the temporary names are random: two writes never use the same one
    assert files.temporary_name("q.csv") != files.temporary_name("q.csv")


def test_a_reader_polling_during_writes_never_sees_a_partial_file(tmp_path):
    big = [bytes([65 + i]) * (8 << 20) for i in range(4)]  # four 8 MiB versions of the file
    seen: set[int] = set()
    bad: list[int] = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            try:
                data = (tmp_path / "big.csv").read_bytes()
            except FileNotFoundError:
                continue
            seen.add(len(data))
            if data not in big:  # one whole version, never a mix or a prefix
                bad.append(len(data))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for version in big:
            files.atomic_write(tmp_path, "big.csv", version)
    finally:
        done.set()
        reader.join()
    assert bad == [] and seen == {8 << 20}
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]  # no temporary file left


def test_a_temporary_left_by_a_killed_writer_is_removed_an_hour_later(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    old = out / f".x.csv.{'a' * 32}.tmp"  # what a writer killed mid-file leaves behind
    old.write_bytes(b"half")
    young = out / f".x.csv.{'b' * 32}.tmp"  # maybe another writer's, right now
    young.write_bytes(b"half")
    planted = out / f".x.csv.{'c' * 32}.tmp"
    planted.symlink_to(victim)
    other = out / ".x.csv.notours.tmp"
    other.write_bytes(b"keep")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(planted, (two_hours_ago, two_hours_ago), follow_symlinks=False)
    files.atomic_write(out, "x.csv", b"data\n")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [young.name, other.name, "x.csv"])  # fmt: skip
    assert victim.read_text() == "precious\n"  # the link went, not what it pointed to
