"""Timing and memory of one benchmark phase, and the median over runs.

In: a phase to run (a block under :func:`measured`). Out: its wall-clock seconds and the peak
resident memory of this process while it ran (``VmRSS`` sampled every 10 ms from
``/proc/self/status``; ``ru_maxrss`` only ever grows, so it cannot tell phases apart).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = Path("/proc/self/status")


def rss_mib() -> float:
    """This process's resident memory now, in MiB (0 where /proc is not there)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Measure:
    """What :func:`measured` found; ``seconds`` and ``peak_mib`` are set when the block ends."""

    seconds: float = 0.0
    peak_mib: float = 0.0
    extra: dict = field(default_factory=dict)


@contextmanager
def measured(interval: float = 0.01) -> Iterator[Measure]:
    """Time the block and sample its peak resident memory."""
    result = Measure(peak_mib=rss_mib())
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            result.peak_mib = max(result.peak_mib, rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        result.peak_mib = max(result.peak_mib, rss_mib())


def median(values: list[float]) -> float:
    """The median (of at least one value)."""
    return statistics.median(values)
