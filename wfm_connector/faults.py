"""Crash points for the fault-injection suite (``tests/faults/``): ``kill -9`` on purpose.

``WFM_FAULT=<point>[:<n>]`` in the environment makes the process kill itself with SIGKILL the
n-th time (default the first) it reaches ``crash_point(<point>)``; ``<point>@<where>`` (for
ingest, ``where`` is the stream: ``ingest.after_commit@contact_events:2``) counts only the
times it is reached there. It dies exactly as an operator's
``kill -9`` or the OOM killer would: no ``finally``, no rollback handler, no flush. Without the
variable a crash point costs one dictionary lookup. The points sit at the commit boundaries of
ingest, reconcile and export (:data:`POINTS`).
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "ingest.before_commit",  # a batch written, its checkpoint too, not committed
    "ingest.after_commit",  # a batch committed, the source not yet told (SQS delete)
    "reconcile.after_agents",  # agent tables committed, queues not reconciled
    "reconcile.after_queues",  # queue tables committed, adherence not reconciled
    "export.between_file_and_manifest",  # the new file in place, its manifest still the old
    "export.before_ledger",  # files delivered, the delivery not yet recorded
)
_reached: dict[str, int] = {}


def crash_point(name: str, where: str | None = None) -> None:
    """Die here (SIGKILL) when ``WFM_FAULT`` names this point and its count is reached."""
    spec = os.environ.get("WFM_FAULT")
    if not spec:
        return
    point, _, times = spec.partition(":")
    point, _, place = point.partition("@")
    if point != name or (place and place != where):
        return
    _reached[spec] = _reached.get(spec, 0) + 1
    if _reached[spec] >= int(times or 1):
        os.kill(os.getpid(), signal.SIGKILL)
