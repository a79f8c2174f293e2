"""The quarantine can be seen (list, show) and replayed after a fix, loading exactly once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import orjson
import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED
from tests.test_connect_parity import config
from wfm_connector import quarantine
from wfm_connector.cli import app
from wfm_connector.ingest import Loader
from wfm_connector.parsing.framing import Framed
from wfm_connector.sources.base import SourceRecord, Stream

pytestmark = pytest.mark.integration
CTR = orjson.loads((SHARED / "reference" / "aws-samples" /
                    "ctr__redelivery_1_of_3__public_ctr_samples.json").read_bytes())  # fmt: skip


def big_ctr() -> bytes:
    # about 100 KB: over a 64 KiB max_record_bytes, well under the default 1 MiB
    return orjson.dumps({**CTR, "ContactId": "big-1", "Recordings": ["r" * 100_000]})


def load(db, cfg, records) -> None:
    Loader(db, Stream.CONTACT_RECORDS, timezone=cfg.timezone,
           max_record_bytes=cfg.ingest.max_record_bytes).load(records)  # fmt: skip


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM wfm.{table}").fetchone()[0]


def test_a_record_refused_under_a_strict_limit_loads_once_after_it_is_raised(db, tmp_path):
    strict = config(tmp_path, ingest={"max_record_bytes": 64 << 10})
    raw = big_ctr()
    load(db, strict, [SourceRecord("f:0", Framed(0, raw, orjson.loads(raw))),
                      SourceRecord("f:1", Framed(1, b"{not json", None, "not valid JSON"))])
    assert (count(db, "contact_record_raw"), count(db, "quarantine")) == (0, 2)
    [row] = [r for r in quarantine.list_rows(db, strict) if r["source_position"] == "f:0"]
    assert row["reason"].startswith(f"record is {len(raw):,} bytes, more than the 65,536 "
                                    "allowed (ingest.max_record_bytes); raw holds all of it")

    # replayed under the same limit: nothing changes
    assert quarantine.replay(db, strict) == quarantine.ReplayResult(2, 0, 2)
    relaxed = config(tmp_path)  # 1 MiB
    assert quarantine.replay(db, relaxed) == quarantine.ReplayResult(2, 1, 1)
    assert db.execute("SELECT contact_id, source_position FROM wfm.contact_record_raw"
                      ).fetchall() == [("big-1", "f:0")]  # fmt: skip
    assert [r["source_position"] for r in quarantine.list_rows(db, relaxed)] == ["f:1"]
    # again: the loaded record is not loaded twice, the bad one stays
    assert quarantine.replay(db, relaxed) == quarantine.ReplayResult(1, 0, 1)
    assert (count(db, "contact_record_raw"), count(db, "quarantine")) == (1, 1)


def test_list_show_and_replay_from_the_command_line(db, tmp_path, monkeypatch):
    import yaml

    from tests.conftest import PROJECT_ROOT

    raw = big_ctr()
    cfg_data = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    cfg_data["ingest"] = {"max_record_bytes": 64 << 10}
    path = tmp_path / "wfm.yaml"
    path.write_text(yaml.safe_dump(cfg_data))
    monkeypatch.setenv("WFM_CONFIG", str(path))
    from wfm_connector.config import load_config

    load(db, load_config(path), [SourceRecord("f:0", Framed(0, raw, orjson.loads(raw)))])
    [(row_id,)] = db.execute("SELECT id FROM wfm.quarantine").fetchall()

    listed = CliRunner().invoke(app, ["quarantine", "list", "--source", "contact_records"])
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in listed.output.splitlines()
             if "f:0" in line]  # fmt: skip
    assert listed.exit_code == 0 and cells[0][:3] == [str(row_id), "contact_records", "f:0"]
    # bytes kept: the record with personal data blanked by pattern (it was not parsed)
    from wfm_connector.privacy import Minimiser

    assert cells[0][4] == f"{len(Minimiser().redact(raw)):,}"
    assert cells[0][5].startswith("record is")
    other = CliRunner().invoke(app, ["quarantine", "list", "--source", "agent_events"])
    assert "f:0" not in other.output
    shown = CliRunner().invoke(app, ["quarantine", "show", str(row_id)])
    assert shown.exit_code == 0 and "source_position: f:0" in shown.output
    # the same time as list shows, in the contact center's zone (the demo's), with its offset
    [at] = db.execute("SELECT quarantined_at FROM wfm.quarantine").fetchone()
    local = at.astimezone(ZoneInfo(cfg_data["timezone"]))
    assert f"quarantined_at: {local:%Y-%m-%d %H:%M:%S %z} ({cfg_data['timezone']})" in shown.output
    assert cells[0][3] == f"{local:%Y-%m-%d %H:%M:%S}"
    assert '"ContactId":"big-1"' in shown.output.replace("\n", "")
    missing = CliRunner().invoke(app, ["quarantine", "show", "999999"])
    assert missing.exit_code == 2 and "no quarantined record has id 999999" in missing.output
    bad_day = CliRunner().invoke(app, ["quarantine", "list", "--day", "yesterday"])
    assert bad_day.exit_code == 2 and "--day: 'yesterday' is not a date" in bad_day.output

    del cfg_data["ingest"]
    path.write_text(yaml.safe_dump(cfg_data))
    replayed = CliRunner().invoke(app, ["quarantine", "replay", "--id", str(row_id)])
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 1: 1 loaded, 0 still quarantined" in replayed.output
    assert (count(db, "contact_record_raw"), count(db, "quarantine")) == (1, 0)


def test_the_quarantine_asset_shows_reasons_with_counts_and_an_example(db, database_url):
    import dagster as dg

    from dagster_project.assets import quarantine as quarantine_asset
    from dagster_project.definitions import build_resources

    # two bad records of one reason, one of another; a "|" in a reason must not break the table
    db.execute("INSERT INTO wfm.quarantine (stream, source_position, reason, raw) VALUES "
               "('agent_events', 'a:2', 'not valid JSON: x', 'x'), "
               "('agent_events', 'a:1', 'not valid JSON: x', 'x'), "
               "('contact_records', 'c:1', 'Queue.ARN: a|b too long', 'y')")  # fmt: skip
    result = dg.materialize([quarantine_asset], partition_key="2026-11-02",
                            resources=build_resources(database_url=database_url),
                            instance=dg.DagsterInstance.ephemeral())  # fmt: skip
    [event] = result.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    assert meta["dagster/row_count"] == 3 and meta["quarantined_on_this_day"] == 0
    assert meta["top_reasons"].splitlines()[2:] == [
        "| agent_events | not valid JSON: x | 2 | a:1 |",
        "| contact_records | Queue.ARN: a\\|b too long | 1 | c:1 |"]  # fmt: skip
