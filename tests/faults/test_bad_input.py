"""Every kind of bad input of the reliability issue at once, through the local folder source.

One hour folder of agent events holds good files and each fault: an identifier of 12,000
characters, a file name that is not UTF-8, a byte-order mark, NUL padding, a file that is one
JSON array, a record nested 900 levels deep, a 2 MiB record, a record with a bad UTF-8 byte.
The counts are exact: every good record loads, every bad one is quarantined with a reason,
nothing else; the run succeeds and the next one reads nothing and succeeds too.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date

import orjson
import pytest

from tests.conftest import SHARED
from tests.faults.summary import SUMMARY
from tests.test_connect_parity import config
from wfm_connector import pipeline
from wfm_connector.sources.base import Stream

pytestmark = pytest.mark.integration
SAMPLE = orjson.loads((SHARED / "reference" / "aws-samples" /
                       "agent_event__state_change_enter_acw__determine_acw_time.json").read_bytes())  # fmt: skip
HOUR = ("agent-events", "2026", "11", "02", "14")


def event(n: int) -> dict:
    e = json.loads(json.dumps(SAMPLE))
    e["EventId"] = str(uuid.UUID(int=n))
    e["EventTimestamp"] = f"2026-11-02T14:{n % 60:02d}:00.000Z"
    return e


def lines(*events: dict) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


def test_every_bad_input_is_quarantined_and_every_good_record_loads(db, tmp_path):
    folder = tmp_path.joinpath(*HOUR)
    folder.mkdir(parents=True)
    n = iter(range(1, 1000))
    good = 0

    def put(name: bytes, data: bytes) -> None:
        with open(bytes(folder) + b"/" + name, "wb") as fh:
            fh.write(data)

    put(b"a-good.json", lines(*(event(next(n)) for _ in range(5))))
    good += 5
    long_id = event(next(n))
    long_id["EventId"] = random.Random(3).randbytes(6000).hex()  # 12,000 characters
    put(b"b-long-id.json", lines(long_id, event(next(n))))
    good += 1
    put(b"c-name-\xff\xfe.json", lines(event(next(n)), event(next(n))))
    good += 2
    put(b"d-bom.json", b"\xef\xbb\xbf" + lines(event(next(n)), event(next(n))))
    good += 2
    put(b"e-nul.json", lines(event(next(n)), event(next(n))) + b"\x00" * 4096)
    good += 2
    put(b"f-array.json", orjson.dumps([event(next(n)) for _ in range(3)]))
    good += 3
    deep: dict = {"leaf": 1}
    for _ in range(900):
        deep = {"x": deep}
    nested = event(next(n))
    nested["CurrentAgentSnapshot"]["Contacts"] = [deep]
    put(b"g-deep.json", json.dumps(nested).encode() + b"\n")
    huge = event(next(n))
    huge["Padding"] = "p" * (2 << 20)
    put(b"h-huge.json", lines(huge))
    bad_utf8 = orjson.dumps(event(next(n))).replace(b'"Version"', b'"Ver\xffsion"')
    put(b"i-utf8.json", bad_utf8 + b"\n")
    bad = 4  # the long id, the deep one, the huge one, the bad byte

    cfg = config(tmp_path, sources={"agent_events": {"kind": "local_folder", "path": str(tmp_path),
                                                     "folder": "agent-events"}})  # fmt: skip
    window = pipeline.window_for(cfg, date(2026, 11, 2))
    stats = pipeline.ingest_day(db, cfg, Stream.AGENT_EVENTS, window)
    assert (stats.read, stats.new, stats.quarantined) == (good + bad, good, bad)
    reasons = sorted(r for (r,) in db.execute("SELECT reason FROM wfm.quarantine"))
    assert [r.split(" ")[0] for r in reasons] == ["EventId", "nested", "not", "record"]
    assert db.execute("SELECT count(*) FROM wfm.agent_event_raw").fetchone()[0] == good
    again = pipeline.ingest_day(db, cfg, Stream.AGENT_EVENTS, window)
    assert (again.read, again.new, again.quarantined) == (0, 0, 0)  # moved on
    SUMMARY["faults tried"] += 8
    SUMMARY["records in"] += good + bad
