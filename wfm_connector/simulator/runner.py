"""``simulate()``: a contact center simulated day by day, written in the wire formats.

In: where to write, how many agents and days, the seed, the contact center's time zone and
interval length, the instance ARN and the service-level thresholds. Out (under ``out_dir``):
``agent-events/``, ``contact-events/``, ``contact-records/`` (Firehose-style objects with
faults), ``schedule.csv`` and ``truth/`` (ground truth per day, ``malformed.csv``,
``summary.json``); returns the :class:`SimulationSummary`.

Deterministic: one ``random.Random(seed)`` drives everything (UUIDs included), nothing reads
the wall clock, so the same arguments give a byte-identical tree. Days are simulated one after
the other, each from local midnight to local midnight, and only one day is held in memory.
"""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import orjson

from wfm_connector.config import SERVICE_LEVEL_PRESETS
from wfm_connector.simulator.clock import make_day
from wfm_connector.simulator.delivery import STREAMS, Delivery
from wfm_connector.simulator.malformed import plan_malformed
from wfm_connector.simulator.model import DaySimulation
from wfm_connector.simulator.population import build_instance
from wfm_connector.simulator.publisher import Publisher
from wfm_connector.simulator.schedule import append_schedule, plan_day, schedule_rows
from wfm_connector.simulator.summary import Counters, SimulationSummary
from wfm_connector.simulator.truth import TruthWriter

TRUTH_FOLDER = "truth"
SCHEDULE_FILE = "schedule.csv"


MARKER = ".wfm-simulator"  # written into every output folder: "this is the simulator's"


class OutputInUse(ValueError):
    """The output folder holds data the simulator would have to delete."""


def _clear_previous_output(out_dir: Path, replace: bool) -> None:
    """Delete an earlier simulation in ``out_dir``, only if it is one and replacing is allowed.

    Nothing is deleted from a folder the simulator did not write (no marker, and not the
    simulator's ``truth/`` of older versions), and an earlier simulation only with ``replace``.
    """
    ours = [out_dir / n for n in (*STREAMS, TRUTH_FOLDER, SCHEDULE_FILE) if (out_dir / n).exists()]
    if not ours:
        return
    shown = ", ".join(p.name for p in ours)
    if not ((out_dir / MARKER).exists() or (out_dir / TRUTH_FOLDER).is_dir()):
        raise OutputInUse(
            f"{out_dir} already holds {shown}, not written by the simulator; nothing was "
            "deleted: choose an empty or new folder"
        )
    if not replace:
        raise OutputInUse(
            f"{out_dir} holds an earlier simulation ({shown}); pass --yes to replace it"
        )
    for path in ours:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def simulate(
    out_dir: Path,
    agents: int,
    start: date,
    days: int,
    seed: int,
    timezone: str,
    interval_minutes: int,
    instance_arn: str,
    service_level_seconds: int = 20,
    short_abandon_seconds: int = 5,
    service_level_thresholds: tuple[int, ...] = SERVICE_LEVEL_PRESETS,
    service_level_inclusive: bool = False,
    max_event_gap_seconds: int = 300,
    exception_min_seconds: int = 60,
    replace: bool = False,
) -> SimulationSummary:
    """Simulate ``days`` days of ``agents`` agents and write data, schedule and truth.

    Args:
        out_dir: Folder to write into (created if missing).
        agents: Number of agents (spread 40/30/30 % over the three routing profiles).
        start: First local day.
        days: Number of consecutive days.
        seed: Seed of the single random generator (same arguments, same bytes).
        timezone: IANA zone of the contact center (days and intervals are local).
        interval_minutes: Interval length of the truth (15 or 30).
        instance_arn: ``arn:aws:connect:<region>:<account>:instance/<id>``.
        service_level_seconds: Service-level threshold of the queue truth (added to the
            thresholds).
        short_abandon_seconds: Abandons faster than this are short abandons.
        service_level_thresholds: Every service-level threshold X of the truth.
        service_level_inclusive: Compare queue time with X as <= (LTE) instead of < (LT).
        max_event_gap_seconds: The connector's event-gap limit (lost events beyond it are
            unknown time in the truth).
        exception_min_seconds: The shortest non-adherent span the truth lists as an
            adherence exception.
        replace: Delete an earlier simulation in ``out_dir`` first (without it, one there is
            an error); data the simulator did not write is never deleted.

    Returns:
        The counts of what was written and injected.

    Raises:
        ValueError: for an invalid ARN, agent or day count, or an interval that does not
            divide a day.
        OutputInUse: ``out_dir`` holds other data, or an earlier simulation without
            ``replace``.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    out_dir = Path(out_dir)
    sim_days = [
        make_day(start + timedelta(days=i), timezone, interval_minutes) for i in range(days)
    ]
    rng = random.Random(seed)
    instance = build_instance(rng, agents, instance_arn)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous_output(out_dir, replace)
    (out_dir / MARKER).write_text("written by wfm-connector simulate; it may replace this folder\n")
    counters = Counters()
    delivery = Delivery(out_dir, rng, counters)
    publisher = Publisher(instance, rng, delivery, counters)
    truth = TruthWriter(
        out_dir / TRUTH_FOLDER,
        instance,
        tuple(sorted({*service_level_thresholds, service_level_seconds})),
        short_abandon_seconds,
        max_event_gap_seconds,
        service_level_inclusive,
        exception_min_seconds,
    )
    for day in sim_days:
        plans = plan_day(rng, instance, day, night_shifts=day is sim_days[-1])
        append_schedule(out_dir / SCHEDULE_FILE, schedule_rows(plans))
        malformed = plan_malformed(rng, day)
        timeline = DaySimulation(instance, day, plans, rng, publisher, malformed).run()
        timeline.lost = publisher.take_lost()
        truth.write_day(timeline)
        del timeline
    delivery.flush_all()
    delivery.write_malformed_csv(out_dir / TRUTH_FOLDER / "malformed.csv")
    # schedule.csv, ten truth CSVs and summary.json itself.
    counters.files_written += 12
    summary = counters.freeze(days=days, agents=agents)
    (out_dir / TRUTH_FOLDER / "summary.json").write_bytes(
        orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    )
    return summary
