"""``make bench`` (1,000 agents) and ``make bench-quick`` (200 agents): how fast, how far from
the floor, and whether the tables still equal the simulator's truth.

Usage: ``python benchmarks/run.py [--agents N] [--runs R] [--history 1,7]``. Simulates two
days once (kept in ``.wfm/bench/sim-...`` and reused while its summary matches); the second
is the measured day. Then it measures, each phase ``--runs`` times on a fresh database copied
from a template built once (the median is reported, every run is kept in the JSON):

- **ingest**: per stream, records/s and MB/s (bytes of the files as stored) from the files of
  the last simulated day to committed raw tables (``pipeline.ingest_day``);
- **reconcile**: seconds for the day: agent timelines and intervals, adherence, queue and
  agent-queue intervals, the intraday queue view;
- **export**: seconds for every profile of ``config/demo.yaml``;
- **intraday refresh**: the day loaded and reconciled up to 14:00 local (once, as a
  template), then the files of 14:00-14:15 arrive: seconds to ingest them and bring every
  table up to date;
- **floor** and **naive peer** (``benchmarks/reference.py``) on the same files: ours/floor
  (seconds, all streams) and naive/ours (records/s; the naive peer loads ``--naive-limit``
  records per stream);
- **history**: the same ingest and reconcile of the day with 1 and with 7 earlier days
  already stored: the simulated day before it, ingested and reconciled, and copies of it
  further back (``benchmarks/history.py``), built once and copied per run with ``CREATE
  DATABASE ... TEMPLATE``; database bytes per stored day;
- **peak RSS** of this process during each phase.

Prints one table and writes it as JSON to ``benchmarks/results/`` (``--out``). Uses
``WFM_DATABASE_URL``'s server if set, else an embedded server in ``.wfm/bench/pgdata``; it
creates and drops its own databases (``wfm_bench_*``) there. Exit status 1 when a reconciled
table differs from the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WFM_DATA_DIR", str(ROOT / ".wfm" / "bench"))

from benchmarks import reference  # noqa: E402
from benchmarks.feed import STREAM_FOLDERS, Feed, SimFile, between, sim_files  # noqa: E402
from benchmarks.history import add_earlier_days  # noqa: E402
from benchmarks.measure import measured, median  # noqa: E402
from wfm_connector import pipeline, queue_intraday, schedules  # noqa: E402
from wfm_connector.config import WfmConfig, load_config  # noqa: E402
from wfm_connector.db import engine, migrate  # noqa: E402
from wfm_connector.db.connection import connect, libpq_url  # noqa: E402
from wfm_connector.intervals import DayWindow  # noqa: E402
from wfm_connector.simulator import simulate  # noqa: E402
from wfm_connector.simulator.compare import compare  # noqa: E402
from wfm_connector.sources.base import Stream  # noqa: E402

FOLDER_OF = dict(zip(Stream, STREAM_FOLDERS, strict=True))
BENCH = ROOT / ".wfm" / "bench"
FIRST_DAY = date(2026, 10, 26)  # history copies go back from here: no daylight-saving change
SIM_DAYS = 2  # the day before the measured one, and the measured one
REFRESH_AT = time(14, 0)  # local: the intraday refresh brings 14:00-14:15 in
TARGETS = {  # name -> (limit, "max" or "min"): issue 12's targets for a 1,000-agent day
    "ingest_vs_floor": (2.5, "max"),
    "naive_vs_ours": (20.0, "min"),
    "reconcile_s": (60.0, "max"),
    "refresh_share_of_reconcile": (0.10, "max"),
    "history_7_ingest_ratio": (1.10, "max"),
    "history_7_reconcile_ratio": (1.10, "max"),
    "peak_rss_mib": (1024.0, "max"),
}


@dataclass
class Results:
    """Every run's figures by name; the medians and the table come from here."""

    runs: dict[str, list[float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str) -> None:
        self.runs.setdefault(name, []).append(round(value, 4))
        self.units[name] = unit

    def med(self, name: str) -> float:
        return median(self.runs[name])


class Databases:
    """Databases on the benchmark's server: a migrated empty template, copied per run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = libpq_url(str(make_url(url).set(database="postgres")))

    def url_of(self, name: str) -> str:
        return str(make_url(self.url).set(database=name))

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def fresh(self, name: str, template: str = "wfm_bench_empty") -> str:
        """Database ``name`` as a copy of ``template``; its URL."""
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                    f"CREATE DATABASE {name} TEMPLATE {template}")  # fmt: skip
        return self.url_of(name)

    def prepare(self) -> None:
        self._admin("DROP DATABASE IF EXISTS wfm_bench_empty WITH (FORCE)",
                    "CREATE DATABASE wfm_bench_empty")  # fmt: skip
        migrate.upgrade(self.url_of("wfm_bench_empty"))

    def size(self, name: str) -> int:
        with psycopg.connect(self.admin) as conn:
            return conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]

    def drop(self, *names: str) -> None:
        self._admin(*(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names))


def simulated(agents: int, days: int, cfg: WfmConfig, fresh: bool) -> Path:
    """The simulation folder, simulated now unless an identical one is there."""
    out = BENCH / f"sim-{agents}a-{days}d-seed1"
    summary = out / "truth" / "summary.json"
    if not fresh and summary.exists():
        known = orjson.loads(summary.read_bytes())
        if known.get("agents") == agents and known.get("days") == days:
            return out
    with measured() as m:
        simulate(
            out_dir=out, agents=agents, start=FIRST_DAY, days=days, seed=1,
            timezone=cfg.timezone, interval_minutes=cfg.interval_minutes,
            instance_arn=cfg.connect.instance_arn,
            service_level_seconds=cfg.queue_log.service_level_seconds,
            short_abandon_seconds=cfg.queue_log.short_abandon_seconds,
            service_level_thresholds=cfg.queue_log.thresholds,
            service_level_inclusive=cfg.queue_log.service_level_comparison == "LTE",
            max_event_gap_seconds=cfg.max_event_gap_seconds, replace=True,
        )  # fmt: skip
    print(f"simulated {agents} agents x {days} days in {m.seconds:.0f} s ({out})")
    return out


def ingest(conn, cfg: WfmConfig, window: DayWindow, res: Results | None, fed: list[SimFile]):
    """Every stream of the day; per stream figures into ``res`` (when given)."""
    peak, total = 0.0, 0.0
    for stream in Stream:
        with measured() as m:
            stats = pipeline.ingest_day(conn, cfg, stream, window)
        peak, total = max(peak, m.peak_mib), total + m.seconds
        if res is not None:
            name = stream.value
            size = sum(f.size for f in fed if f.stream == FOLDER_OF[stream])
            res.add(f"ingest_{name}_records_per_s", stats.read / m.seconds, "records/s")
            res.add(f"ingest_{name}_mb_per_s", size / 1e6 / m.seconds, "MB/s")
            res.add(f"ingest_{name}_s", m.seconds, "s")
            res.add(f"ingest_{name}_records", stats.read, "records")
    return total, peak


def reconcile(conn, cfg: WfmConfig, window: DayWindow, as_of: datetime | None = None,
              incremental: bool = False):  # fmt: skip
    """Every reconcile step of the day: {step: seconds}, peak MiB.

    ``incremental``: the agent and queue tables only from what changed since their last build
    (the intraday refresh).
    """
    steps: dict[str, float] = {}
    peak = 0.0

    def intraday(c, g, w):
        return queue_intraday.build(c, g, w, as_of)

    def agents(c, g, w):
        return pipeline.reconcile_agents(c, g, w, incremental)

    def queues(c, g, w):
        return pipeline.reconcile_queues(c, g, w, incremental)

    for name, step in (("agents", agents), ("adherence", pipeline.reconcile_adherence),
                       ("queues", queues), ("intraday", intraday)):  # fmt: skip
        with measured() as m:
            step(conn, cfg, window)
        steps[name], peak = m.seconds, max(peak, m.peak_mib)
    return steps, peak


def load_schedule(conn, cfg: WfmConfig, sim: Path) -> None:
    """The simulated schedule of the agents stored so far (a schedule naming an agent the
    connector has never seen is refused whole; the simulation's covers all its days)."""
    conn.execute("TRUNCATE wfm.schedule_version CASCADE")
    known = {arn for (arn,) in conn.execute("SELECT agent_arn FROM wfm.agent")}
    lines = (sim / "schedule.csv").read_text().splitlines(keepends=True)
    kept = [lines[0], *(line for line in lines[1:] if line.split(",", 1)[0] in known)]
    path = BENCH / "schedule-known.csv"
    path.write_text("".join(kept))
    schedules.import_file(conn, path, cfg.timezone, 366)


def config_for(feed: Feed) -> WfmConfig:
    cfg = load_config(ROOT / "config" / "demo.yaml")
    sources = {n: s.model_copy(update={"path": feed.root}) for n, s in cfg.sources.items()}
    return cfg.model_copy(update={"sources": sources})


def day_files(files: list[SimFile], windows: list[DayWindow], day: int) -> list[SimFile]:
    """The files delivered in day ``day``'s window (the last day also gets every later one)."""
    last = day == len(windows) - 1
    return between(files, None if day == 0 else windows[day].start,
                   None if last else windows[day].end)  # fmt: skip


def main() -> None:  # noqa: PLR0915 - one phase after another, each printed as it ends
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--history", default="1,7", help="earlier days stored, comma-separated")
    parser.add_argument("--naive-limit", type=int, default=5000)
    parser.add_argument("--fresh-sim", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    history = sorted({int(k) for k in args.history.split(",") if k.strip()})
    started = datetime.now(UTC)
    feed = Feed(BENCH / "feed")
    cfg = config_for(feed)
    days = SIM_DAYS
    sim = simulated(args.agents, days, cfg, args.fresh_sim)
    windows = [pipeline.window_for(cfg, FIRST_DAY + timedelta(days=i)) for i in range(days)]
    target = windows[-1]
    files = sim_files(sim)
    today = day_files(files, windows, days - 1)
    dbs = Databases(engine.database_url())
    dbs.prepare()
    res = Results()
    failed: list[str] = []

    def check_truth(conn, label: str) -> None:
        for table, result in compare(conn, sim / "truth", target.day).items():
            if not result.equal:
                only_truth, only_ours = result.differences(3)
                failed.append(f"{label}: {table} differs; only in truth {only_truth}, "
                              f"only in ours {only_ours}")  # fmt: skip

    for run in range(args.runs):
        # the day from nothing: ingest, reconcile, export
        url = dbs.fresh("wfm_bench_run")
        feed.clear()
        feed.add(today)
        with connect(url) as conn:
            seconds, peak = ingest(conn, cfg, target, res, today)
            res.add("ingest_s", seconds, "s")
            res.add("ingest_peak_rss_mib", peak, "MiB")
            load_schedule(conn, cfg, sim)
            steps, peak = reconcile(conn, cfg, target)
            for name, value in steps.items():
                res.add(f"reconcile_{name}_s", value, "s")
            res.add("reconcile_s", sum(steps.values()), "s")
            res.add("reconcile_peak_rss_mib", peak, "MiB")
            with measured() as m:
                for profile in cfg.export_profiles:
                    pipeline.export_profile(conn, cfg, target, profile.name,
                                            folders={"local": BENCH / "exports"})  # fmt: skip
            res.add("export_s", m.seconds, "s")
            res.add("export_peak_rss_mib", m.peak_mib, "MiB")
            if run == 0 and not history:
                check_truth(conn, "the day alone")
        # the intraday refresh: up to 14:00 loaded (the template), then 14:00-14:15 arrives
        at = datetime.combine(target.day, REFRESH_AT, ZoneInfo(cfg.timezone)).astimezone(UTC)
        feed.clear()
        feed.add(between(today, None, at))
        if run == 0:
            with connect(dbs.fresh("wfm_bench_at_14")) as conn:
                ingest(conn, cfg, target, None, [])
                load_schedule(conn, cfg, sim)
                reconcile(conn, cfg, target, as_of=at)
        url = dbs.fresh("wfm_bench_run", template="wfm_bench_at_14")
        with connect(url) as conn:
            feed.add(between(today, at, at + timedelta(minutes=15)))
            with measured() as m:
                ingest(conn, cfg, target, None, [])
                steps, _ = reconcile(conn, cfg, target, as_of=at + timedelta(minutes=15),
                                     incremental=True)  # fmt: skip
            res.add("refresh_s", m.seconds, "s")
            for name, value in steps.items():
                res.add(f"refresh_{name}_s", value, "s")
            res.add("refresh_peak_rss_mib", m.peak_mib, "MiB")
        # the reference points, on the same files
        url = dbs.fresh("wfm_bench_run")
        with connect(url) as conn:
            floor_total, naive_rates = 0.0, []
            for folder in STREAM_FOLDERS:
                paths = [f.path for f in today if f.stream == folder]
                with measured() as m:
                    count = reference.floor(conn, folder, paths)
                floor_total += m.seconds
                res.add(f"floor_{folder}_records_per_s", count / m.seconds, "records/s")
                ours = res.runs[f"ingest_{Stream(folder.replace('-', '_')).value}_records"][-1]
                if count != ours:  # a malformed record may split differently
                    print(f"note: the floor read {count:,} {folder} records, ours {ours:,.0f}")
                n, took = reference.naive(conn, folder, paths, args.naive_limit)
                naive_rates.append(n / took)
                res.add(f"naive_{folder}_records_per_s", n / took, "records/s")
            res.add("floor_s", floor_total, "s")
            records = sum(res.runs[f"ingest_{s.value}_records"][-1] for s in Stream)
            res.add("ingest_vs_floor", res.runs["ingest_s"][-1] / floor_total, "ratio")
            naive_total = sum(res.runs[f"ingest_{s.value}_records"][-1]
                              / res.runs[f"naive_{FOLDER_OF[s]}_records_per_s"][-1]
                              for s in Stream)  # fmt: skip
            res.add("naive_vs_ours", naive_total / res.runs["ingest_s"][-1], "ratio")
            res.add("records", records, "records")
        print(f"run {run + 1}/{args.runs}: ingest {res.runs['ingest_s'][-1]:.1f} s, reconcile "
              f"{res.runs['reconcile_s'][-1]:.1f} s, refresh {res.runs['refresh_s'][-1]:.1f} s, "
              f"floor {res.runs['floor_s'][-1]:.1f} s")  # fmt: skip

    # history: the same day with k earlier days stored (the simulated day before, and copies)
    if history:
        feed.clear()
        before = day_files(files, windows, 0)
        feed.add(before)
        with connect(dbs.fresh("wfm_bench_history")) as conn:
            ingest(conn, cfg, windows[0], None, [])
            load_schedule(conn, cfg, sim)  # its agents are known once their events are in
            reconcile(conn, cfg, windows[0])
        stored = 1
        for k in history:
            with connect(dbs.url_of("wfm_bench_history")) as conn:
                add_earlier_days(conn, windows[0], stored, k - 1)
            stored = k
            size = dbs.size("wfm_bench_history") - dbs.size("wfm_bench_empty")
            res.add(f"history_{k}_db_bytes_per_day", size / k, "bytes")
            for run in range(args.runs):
                url = dbs.fresh("wfm_bench_run", template="wfm_bench_history")
                feed.add(today)
                with connect(url) as conn:
                    seconds, _ = ingest(conn, cfg, target, None, [])
                    steps, _ = reconcile(conn, cfg, target)
                    res.add(f"history_{k}_ingest_s", seconds, "s")
                    res.add(f"history_{k}_reconcile_s", sum(steps.values()), "s")
                    if k == max(history) and run == 0:
                        check_truth(conn, f"the day after {k} stored days")
                feed.remove(today)
            for part in ("ingest", "reconcile"):
                ratio = res.med(f"history_{k}_{part}_s") / res.med(f"{part}_s")
                res.add(f"history_{k}_{part}_ratio", ratio, "ratio")
            print(f"history {k}: ingest {res.med(f'history_{k}_ingest_s'):.1f} s, reconcile "
                  f"{res.med(f'history_{k}_reconcile_s'):.1f} s")  # fmt: skip
        if len(history) > 1:  # the most days against the fewest: both have the day before
            few, many = history[0], history[-1]
            for part in ("ingest", "reconcile"):
                ratio = res.med(f"history_{many}_{part}_s") / res.med(f"history_{few}_{part}_s")
                res.add(f"history_{many}_vs_{few}_{part}_ratio", ratio, "ratio")
    dbs.drop("wfm_bench_run", "wfm_bench_history", "wfm_bench_at_14")

    res.add("refresh_share_of_reconcile", res.med("refresh_s") / res.med("reconcile_s"), "ratio")
    peaks = [v for name, runs in res.runs.items() if name.endswith("peak_rss_mib") for v in runs]
    res.add("peak_rss_mib", max(peaks), "MiB")
    report(args, res, started, failed)
    if failed:
        print("\n".join(failed))
        raise SystemExit(1)


def report(args, res: Results, started: datetime, failed: list[str]) -> None:
    """Print the table and write the JSON."""
    took = (datetime.now(UTC) - started).total_seconds()
    print(f"\n{'figure':44s} {'median':>14s}  unit        runs")
    for name in res.runs:
        runs = " ".join(f"{v:g}" for v in res.runs[name])
        print(f"{name:44s} {res.med(name):>14,.3f}  {res.units[name]:10s}  {runs}")
    targets = {}
    print(f"\n{'target':44s} {'value':>10s} {'limit':>8s}  met")
    for name, (limit, kind) in TARGETS.items():
        if name not in res.runs:
            continue
        value = res.med(name)
        met = value <= limit if kind == "max" else value >= limit
        targets[name] = {"value": round(value, 4), "limit": limit, "kind": kind, "met": met}
        print(f"{name:44s} {value:>10.3f} {limit:>8g}  {'yes' if met else 'NO'}")
    print(f"\n{args.agents} agents, {args.runs} runs, {took / 60:.1f} minutes")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started:%Y%m%dT%H%M%SZ}-{args.agents}-agents.json"
    document = {
        "started": started.isoformat(), "seconds": round(took, 1), "agents": args.agents,
        "runs": args.runs, "history": args.history, "naive_limit": args.naive_limit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "figures": {n: {"median": res.med(n), "unit": res.units[n], "runs": v}
                    for n, v in res.runs.items()},
        "targets": targets, "truth": failed or "every table equals the truth",
    }  # fmt: skip
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
