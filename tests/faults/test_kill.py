"""kill -9 at every commit point of ingest, reconcile and export, then a normal run.

A small simulated day is run once cleanly (the reference). Then, for each crash point of
``wfm_connector.faults``, a new database gets the same command with ``WFM_FAULT`` set: the
process dies by SIGKILL at that point; the same command is run again without it and must
succeed, leaving every raw, quarantine and reconciled table and every export file exactly as
the reference: records in = loaded + quarantined, nothing duplicated, the stream moves on.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.faults.summary import SUMMARY
from wfm_connector.db.connection import libpq_url
from wfm_connector.faults import POINTS
from wfm_connector.simulator import simulate

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-02"
RAW = ("agent_event_raw", "contact_event_raw", "contact_record_raw")
TABLES = (*RAW, "quarantine", "agent", "queue", "agent_interval_activity", "queue_interval",
          "agent_queue_interval", "adherence_interval", "adherence_day", "export_generation")  # fmt: skip
# which command reaches the point, and the how-many-th time it dies there
WHERE = {
    "ingest.before_commit": ("ingest", 3),
    "ingest.after_commit": ("ingest", 3),
    "reconcile.after_agents": ("run", 1),
    "reconcile.after_queues": ("run", 1),
    "export.between_file_and_manifest": ("run", 2),
    "export.before_ledger": ("run", 2),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    data = root / "data"
    base = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    summary = simulate(out_dir=data, agents=6, start=__import__("datetime").date(2026, 11, 2),
                       days=1, seed=11, timezone=base["timezone"],
                       interval_minutes=base.get("interval_minutes", 15),
                       instance_arn=base["connect"]["instance_arn"])  # fmt: skip
    for source in base["sources"].values():
        source["path"] = str(data)
    base["schedules"] = {"source": {"kind": "local_folder", "path": str(data / "schedule.csv")}}
    return {"root": root, "config": base, "summary": summary}


def command(world, name: str, args: list[str], url: str, fault: str | None) -> int:
    folder = world["root"] / name
    config = {**world["config"], "export_targets": {
        "local": {"kind": "local_folder", "path": str(folder / "exports")}}}  # fmt: skip
    folder.mkdir(exist_ok=True)
    (folder / "wfm.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "WFM_DATABASE_URL": url, "WFM_CONFIG": str(folder / "wfm.yaml"),
           "DAGSTER_HOME": str(folder / "dagster")}  # fmt: skip
    env.pop("WFM_FAULT", None)
    if fault:
        env["WFM_FAULT"] = fault
    cli = str(Path(sys.executable).parent / "wfm-connector")
    done = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=600,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode in (0, -signal.SIGKILL), done.stdout + done.stderr
    return done.returncode


def state(url: str, exports: Path) -> dict[str, str]:
    """A digest of every compared table (no wall-clock columns) and every export file."""
    out = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for table in TABLES:
            columns = [c for (c, kind) in conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'wfm' AND table_name = %s ORDER BY ordinal_position",
                (table,)) if not (c.endswith("_at") and kind.startswith("timestamp"))]  # fmt: skip
            rows = sorted(repr(r) for r in conn.execute(
                f"SELECT {', '.join(columns)} FROM wfm.{table}"))  # fmt: skip
            out[table] = f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()
    for path in sorted(exports.iterdir()):
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def reference(world, fresh_database):
    url = fresh_database()
    assert command(world, "reference", ["run", "--day", DAY], url, None) == 0
    return state(url, world["root"] / "reference" / "exports")


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_then_a_normal_run_gives_exactly_the_reference(world, reference, fresh_database,
                                                              point):  # fmt: skip
    url = fresh_database()
    what, times = WHERE[point]
    args = ["ingest", "--day", DAY] if what == "ingest" else ["run", "--day", DAY]
    assert command(world, point, args, url, f"{point}:{times}") == -signal.SIGKILL  # it died
    assert command(world, point, ["run", "--day", DAY], url, None) == 0  # and moves on
    after = state(url, world["root"] / point / "exports")
    counts = {t: int(after[t].split(":")[0]) for t in RAW + ("quarantine",)}
    expected = {t: int(reference[t].split(":")[0]) for t in RAW + ("quarantine",)}
    SUMMARY["faults tried"] += 1
    SUMMARY["records in"] += sum(expected.values())
    SUMMARY["records lost"] += sum(max(expected[t] - counts[t], 0) for t in counts)
    SUMMARY["records duplicated"] += sum(max(counts[t] - expected[t], 0) for t in counts)
    assert after == reference
