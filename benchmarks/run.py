"""Ingest and reconciliation throughput on a simulated day, from the local folder source.

Usage: ``make bench`` (defaults: 1,000 agents, one day) or
``python benchmarks/run.py --agents 200``. Uses ``WFM_DATABASE_URL`` if set (its raw and
reconciled tables are emptied!), else an embedded server of its own in ``.wfm/bench/pgdata``,
apart from the demo's; the simulated files go to ``.wfm/bench``. Prints records/s per stream, the
reconciliation times, the time to render and write each export profile of config/demo.yaml,
and the peak resident memory of the process, then checks that every
reconciled table equals the simulator's ground truth exactly (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date
from pathlib import Path

from wfm_connector import pipeline, schedules
from wfm_connector.config import load_config
from wfm_connector.db import engine, migrate
from wfm_connector.db.connection import connect
from wfm_connector.simulator import simulate
from wfm_connector.simulator.compare import compare
from wfm_connector.sources.base import Stream

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("WFM_DATA_DIR", str(ROOT / ".wfm" / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--day", default="2026-11-02")
    parser.add_argument("--skip-simulate", action="store_true")
    args = parser.parse_args()
    day = date.fromisoformat(args.day)
    cfg = load_config(ROOT / "config" / "demo.yaml")
    out = ROOT / ".wfm" / "bench" / f"agents-{args.agents}"
    cfg = cfg.model_copy(
        update={"sources": {n: s.model_copy(update={"path": out}) for n, s in cfg.sources.items()}}
    )
    if not args.skip_simulate:
        t = time.perf_counter()
        simulate(
            out_dir=out,
            agents=args.agents,
            start=day,
            days=1,
            seed=1,
            timezone=cfg.timezone,
            interval_minutes=cfg.interval_minutes,
            instance_arn=cfg.connect.instance_arn,
            service_level_seconds=cfg.queue_log.service_level_seconds,
            short_abandon_seconds=cfg.queue_log.short_abandon_seconds,
            service_level_thresholds=cfg.queue_log.thresholds,
            service_level_inclusive=cfg.queue_log.service_level_comparison == "LTE",
            max_event_gap_seconds=cfg.max_event_gap_seconds,
            replace=True,  # the benchmark's own folder, rewritten on every run
        )
        print(f"simulate {args.agents} agents: {time.perf_counter() - t:.1f} s")
    url = engine.database_url()
    migrate.upgrade(url)
    window = pipeline.window_for(cfg, day)
    with connect(url) as conn:
        conn.execute(
            "TRUNCATE wfm.agent_event_raw, wfm.contact_event_raw, wfm.contact_record_raw, "
            "wfm.quarantine, wfm.agent_state_timeline, wfm.agent_interval_states, "
            "wfm.agent_interval_activity, wfm.queue_interval, wfm.queue_interval_service_level, "
            "wfm.agent_queue_interval, wfm.object_ledger, wfm.dirty_day"
        )
        conn.commit()
        for stream in Stream:
            t = time.perf_counter()
            stats = pipeline.ingest_day(conn, cfg, stream, window)
            dt = time.perf_counter() - t
            print(
                f"ingest {stream.value:16s} {stats.read:>9,} records {dt:7.1f} s "
                f"{stats.read / dt:>9,.0f} records/s  (new {stats.new:,}, "
                f"dup {stats.duplicates:,}, quarantined {stats.quarantined})"
            )
        # A 15-minute refresh re-asks every source: the ledger makes that nearly free.
        t = time.perf_counter()
        again = sum(pipeline.ingest_day(conn, cfg, s, window).read for s in Stream)
        print(
            f"ingest again (nothing new): {again} records read in {time.perf_counter() - t:.2f} s"
        )
        conn.execute("TRUNCATE wfm.schedule_version CASCADE")
        t = time.perf_counter()
        loaded = schedules.import_file(conn, out / "schedule.csv", cfg.timezone, 366)
        took = time.perf_counter() - t
        print(f"schedule import: {loaded.activities:,} activities in {took:.1f} s")
        for name, step in (
            ("agents", pipeline.reconcile_agents),
            ("adherence", pipeline.reconcile_adherence),
            ("queues", pipeline.reconcile_queues),
        ):
            t = time.perf_counter()
            stats = step(conn, cfg, window)
            print(f"reconcile {name:9s} {time.perf_counter() - t:7.1f} s  {stats}")
        t = time.perf_counter()
        png, _ = pipeline.adherence_heatmap(conn, cfg, window)
        print(f"adherence heatmap: {len(png):,} bytes of PNG in {time.perf_counter() - t:.2f} s")
        folder = ROOT / ".wfm" / "bench" / "exports"
        for profile in cfg.export_profiles:
            t = time.perf_counter()
            result = pipeline.export_profile(conn, cfg, window, profile.name,
                                             folders={"local": folder})  # fmt: skip
            print(f"export {profile.name:16s} {time.perf_counter() - t:6.2f} s  "
                  f"{result.file.rows:>9,} rows {len(result.file.data):>12,} bytes")  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:.0f} MiB")
        failed = False
        for table, result in compare(conn, out / "truth", day).items():
            verdict = "equals the truth" if result.equal else "DIFFERS from the truth"
            print(f"{table:30s} {len(result.ours):>9,} rows  {verdict}")
            if not result.equal:
                failed = True
                only_truth, only_ours = result.differences()
                print(f"  only in truth: {only_truth}\n  only in table: {only_ours}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
