"""The local folder source: hour-folder window and unreadable objects."""

import gzip
from datetime import UTC, datetime

import pytest

from wfm_connector.config import LocalFolderSource as LocalFolderConfig
from wfm_connector.sources.base import Stream
from wfm_connector.sources.local_folder import LocalFolderSource

pytestmark = pytest.mark.unit


def write(root, key, data):
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_window_reads_hour_folders_with_lookback_and_lookahead(tmp_path):
    for hour in ("03", "04", "05", "10", "11", "12"):
        write(
            tmp_path, f"contact-records/2026/11/02/{hour}/obj", b'{"h": "' + hour.encode() + b'"}'
        )
    source = LocalFolderSource(
        LocalFolderConfig(path=tmp_path, lookback_hours=1, lookahead_hours=2)
    )
    start, end = datetime(2026, 11, 2, 5, tzinfo=UTC), datetime(2026, 11, 2, 9, tzinfo=UTC)
    got = [r.framed.value["h"] for r in source.records(Stream.CONTACT_RECORDS, start, end)]
    assert got == ["04", "05", "10"]  # 04 (look-back), 05..08 (day), 09..10 (look-ahead)


def test_a_truncated_gzip_object_keeps_its_good_records_and_quarantines_the_object(tmp_path):
    body = b"".join(b'{"n": %d}' % i for i in range(2000))
    damaged = gzip.compress(body, mtime=0)[:-40]
    write(tmp_path, "agent-events/2026/11/02/05/obj", damaged)
    source = LocalFolderSource(LocalFolderConfig(path=tmp_path))
    start, end = datetime(2026, 11, 2, 5, tzinfo=UTC), datetime(2026, 11, 2, 6, tzinfo=UTC)
    records = list(source.records(Stream.AGENT_EVENTS, start, end))
    good = [r for r in records if r.framed.error is None]
    bad = [r for r in records if r.framed.error is not None]
    assert [r.framed.value["n"] for r in good] == list(range(len(good)))
    assert len(bad) == 1
    assert bad[0].position == "agent-events/2026/11/02/05/obj:object"
    assert "object cannot be read to its end (EOFError" in bad[0].framed.error
    assert bad[0].framed.raw == damaged
