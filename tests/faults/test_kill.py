"""kill -9 at every commit point of ingest, reconcile and export, then a normal run.

A small simulated day is run once cleanly (the reference). Then, for each crash point of
``wfm_connector.faults``, a new database gets the same command with ``WFM_FAULT`` set: the
process dies by SIGKILL at that point; the same command is run again without it and must
succeed, leaving every raw, quarantine and reconciled table and every export file exactly as
the reference: records in = loaded + quarantined, nothing duplicated, the stream moves on.
"""

from __future__ import annotations

import signal
from datetime import date

import pytest
import yaml

from tests.faults.runs import DAY, ROOT, command, state, tally
from wfm_connector.faults import POINTS
from wfm_connector.simulator import simulate

pytestmark = pytest.mark.slow
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
    simulate(out_dir=data, agents=6, start=date(2026, 11, 2), days=1, seed=11,
             timezone=base["timezone"], interval_minutes=base.get("interval_minutes", 15),
             instance_arn=base["connect"]["instance_arn"])  # fmt: skip
    for source in base["sources"].values():
        source["path"] = str(data)
    base["schedules"] = {"source": {"kind": "local_folder", "path": str(data / "schedule.csv")}}
    return {"root": root, "config": base}


@pytest.fixture(scope="module")
def reference(world, fresh_database):
    url = fresh_database()
    assert command(world["root"] / "reference", world["config"], ["run", "--day", DAY], url,
                   None) == 0  # fmt: skip
    return state(url, world["root"] / "reference" / "exports")


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_then_a_normal_run_gives_exactly_the_reference(world, reference, fresh_database,
                                                              point):  # fmt: skip
    url = fresh_database()
    what, times = WHERE[point]
    args = ["ingest", "--day", DAY] if what == "ingest" else ["run", "--day", DAY]
    folder = world["root"] / point
    assert command(folder, world["config"], args, url, f"{point}:{times}") == -signal.SIGKILL
    assert command(folder, world["config"], ["run", "--day", DAY], url, None) == 0  # moves on
    after = state(url, folder / "exports")
    tally(after, reference)
    assert after == reference
