"""Running the CLI in a child process that may die by SIGKILL, and digesting what it left.

Shared by the ``kill -9`` tests: :func:`command` runs ``wfm-connector`` with a configuration
of its own (exports in its own folder) and, optionally, ``WFM_FAULT``; :func:`state` digests
every compared table and export file, so two databases can be compared whole.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import yaml

from tests.faults.summary import SUMMARY
from wfm_connector.db.connection import libpq_url

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-02"
RAW = ("agent_event_raw", "contact_event_raw", "contact_record_raw")
TABLES = (*RAW, "quarantine", "agent", "queue", "agent_interval_activity", "queue_interval",
          "agent_queue_interval", "adherence_interval", "adherence_day", "export_generation",
          "export_delivery", "object_ledger", "dirty_day", "kinesis_checkpoint")  # fmt: skip


def command(folder: Path, config: dict, args: list[str], url: str, fault: str | None,
            extra_env: dict[str, str] | None = None) -> int:  # fmt: skip
    """Run ``wfm-connector ARGS`` with ``config`` (exports under ``folder``); its exit code."""
    config = {**config, "export_targets": {
        "local": {"kind": "local_folder", "path": str(folder / "exports")}}}  # fmt: skip
    folder.mkdir(exist_ok=True)
    (folder / "wfm.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "WFM_DATABASE_URL": url, "WFM_CONFIG": str(folder / "wfm.yaml"),
           "DAGSTER_HOME": str(folder / "dagster"), **(extra_env or {})}  # fmt: skip
    env.pop("WFM_FAULT", None)
    if fault:
        env["WFM_FAULT"] = fault
    cli = str(Path(sys.executable).parent / "wfm-connector")
    done = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=600,
                          cwd=ROOT)  # fmt: skip
    assert done.returncode in (0, -signal.SIGKILL), done.stdout + done.stderr
    return done.returncode


def state(url: str, exports: Path, positions: bool = True) -> dict[str, str]:
    """A digest of every compared table and every export file.

    Wall-clock columns (``*_at``) and surrogate ids (a rolled-back insert uses up sequence
    numbers) are left out, and paths of the export folder are written
    ``<exports>``. ``positions=False`` leaves out ``source_position`` too (SQS names a record
    by its message id, new for every queue the same bodies are sent to).
    """
    out = {}
    with psycopg.connect(libpq_url(url)) as conn:
        for table in TABLES:
            columns = [c for (c, kind) in conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'wfm' AND table_name = %s ORDER BY ordinal_position",
                (table,)) if not (c.endswith("_at") and kind.startswith("timestamp"))
                and c != "id" and (positions or c != "source_position")]  # fmt: skip
            rows = sorted(repr(r).replace(str(exports), "<exports>") for r in conn.execute(
                f"SELECT {', '.join(columns)} FROM wfm.{table}"))  # fmt: skip
            out[table] = f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()
    for path in sorted(exports.iterdir()):
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def tally(after: dict[str, str], reference: dict[str, str]) -> None:
    """Add one fault's records in, lost and duplicated to the suite's summary."""
    tables = (*RAW, "quarantine")
    counts = {t: int(after[t].split(":")[0]) for t in tables}
    expected = {t: int(reference[t].split(":")[0]) for t in tables}
    SUMMARY["faults tried"] += 1
    SUMMARY["records in"] += sum(expected.values())
    SUMMARY["records lost"] += sum(max(expected[t] - counts[t], 0) for t in tables)
    SUMMARY["records duplicated"] += sum(max(counts[t] - expected[t], 0) for t in tables)
