"""Delivery of records as Firehose would write them to S3, with the faults of real pipelines.

In: records (bytes) with the time they became available (event time, or CTR publish time).
Out: objects under ``<out>/<stream>/YYYY/MM/DD/HH/wfm-<stream>-1-YYYY-MM-DD-HH-MM-SS-<hex>``,
one per stream per 5-minute window of *arrival* (UTC of the window start), records in arrival
order: ``agent-events`` newline-delimited, ``contact-events`` and ``contact-records``
concatenated with no delimiter, every third contact-records object gzip-compressed (no
``.gz`` suffix). Also the rows of ``truth/malformed.csv`` (where each malformed record landed).

Faults: arrival 0.2-5 s after the event (CTRs 10-90 s after publication); ~5 % out of order
(30 s-20 min instead); ~1 % delivered twice with identical bytes, the copy 1 s-10 min later.

Objects are written as soon as no later record can arrive in their window (the caller passes a
watermark), so memory holds minutes of records, not days.
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

from wfm_connector.simulator.clock import MINUTE, SECOND, window_stamp
from wfm_connector.simulator.summary import Counters

AGENT_EVENTS = "agent-events"
CONTACT_EVENTS = "contact-events"
CONTACT_RECORDS = "contact-records"
STREAMS = (AGENT_EVENTS, CONTACT_EVENTS, CONTACT_RECORDS)
WINDOW_MS = 5 * MINUTE
DUPLICATE_SHARE = 0.01
OUT_OF_ORDER_SHARE = 0.05
GZIP_EVERY = 3
MALFORMED_HEADER = ("stream", "key", "offset", "kind")
# Normal delay between availability and arrival, per stream (ms).
NORMAL_DELAY = {
    AGENT_EVENTS: (200, 5 * SECOND),
    CONTACT_EVENTS: (200, 5 * SECOND),
    CONTACT_RECORDS: (10 * SECOND, 90 * SECOND),
}
OUT_OF_ORDER_DELAY = (30 * SECOND, 20 * MINUTE)
DUPLICATE_DELAY = (1 * SECOND, 10 * MINUTE)


class Delivery:
    """Buffers records by arrival window and writes each window's object once complete."""

    def __init__(self, out_dir: Path, rng: random.Random, counters: Counters) -> None:
        self.out_dir = out_dir
        self.rng = rng
        self.counters = counters
        # stream -> window start -> [(arrival ms, sequence, bytes, malformed kind or None)]
        self._pending: dict[str, dict[int, list[tuple[int, int, bytes, str | None]]]] = {
            stream: {} for stream in STREAMS
        }
        self._seq = 0
        self._flushed_to = 0  # every window ending at or before this is written
        self._record_objects = 0
        self.malformed_rows: list[tuple[str, str, int, str]] = []

    def _put(self, stream: str, arrival: int, data: bytes, kind: str | None) -> None:
        window = arrival - arrival % WINDOW_MS
        if window + WINDOW_MS <= self._flushed_to:
            raise RuntimeError(f"record arrives at {arrival} in a window already written")
        self._pending[stream].setdefault(window, []).append((arrival, self._seq, data, kind))
        self._seq += 1

    def deliver(self, stream: str, available_ms: int, data: bytes) -> None:
        """Deliver a real record, with the usual delay, or late, and maybe twice."""
        rng = self.rng
        if rng.random() < OUT_OF_ORDER_SHARE:
            delay = rng.randint(*OUT_OF_ORDER_DELAY)
            self.counters.out_of_order_injected += 1
        else:
            delay = rng.randint(*NORMAL_DELAY[stream])
        arrival = available_ms + delay
        self._put(stream, arrival, data, None)
        if rng.random() < DUPLICATE_SHARE:
            self._put(stream, arrival + rng.randint(*DUPLICATE_DELAY), data, None)
            self.counters.duplicates_injected += 1

    def deliver_at(
        self, stream: str, arrival_ms: int, data: bytes, malformed_kind: str | None = None
    ) -> None:
        """Deliver a record at an exact arrival time (re-deliveries, malformed records)."""
        self._put(stream, arrival_ms, data, malformed_kind)

    def flush(self, watermark_ms: int) -> None:
        """Write every window that ends at or before ``watermark_ms``."""
        self._flushed_to = max(self._flushed_to, watermark_ms)
        for stream in STREAMS:
            pending = self._pending[stream]
            for window in sorted(w for w in pending if w + WINDOW_MS <= watermark_ms):
                self._write(stream, window, pending.pop(window))

    def flush_all(self) -> None:
        """Write every window still buffered (end of the run)."""
        for stream in STREAMS:
            pending = self._pending[stream]
            for window in sorted(pending):
                self._write(stream, window, pending.pop(window))

    def _write(
        self, stream: str, window: int, items: list[tuple[int, int, bytes, str | None]]
    ) -> None:
        items.sort(key=lambda item: (item[0], item[1]))
        folder, stamp = window_stamp(window)
        key = f"{stream}/{folder}/wfm-{stream}-1-{stamp}-{self.rng.getrandbits(32):08x}"
        separator = b"\n" if stream == AGENT_EVENTS else b""
        parts: list[bytes] = []
        offset = 0
        for _, _, data, kind in items:
            if kind is not None:
                self.malformed_rows.append((stream, key, offset, kind))
            parts.append(data)
            offset += len(data)
            if separator:
                parts.append(separator)
                offset += len(separator)
        body = b"".join(parts)
        if stream == CONTACT_RECORDS:
            self._record_objects += 1
            if self._record_objects % GZIP_EVERY == 0:
                body = gzip.compress(body, mtime=0)
        path = self.out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.counters.files_written += 1

    def write_malformed_csv(self, path: Path) -> None:
        """``truth/malformed.csv``: where every malformed record landed."""
        rows = sorted(self.malformed_rows)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(MALFORMED_HEADER)
            writer.writerows(rows)
        self.counters.files_written += 1
