"""The day's queues as a picture: one row per queue, one column per interval.

In: the day's ``wfm.queue_interval`` rows with their ``wfm.queue_interval_service_level`` at
``queue_log.service_level_seconds`` (enqueue attribution, as Connect's historical metrics
report counts a contact: in the interval it entered the queue; the channels of a queue summed)
and the day's interval starts. Out: a PNG drawn with matplotlib, two panels on one time axis
(local time of the contact center): contacts offered (queued) per interval, and service level
% per interval (contacts removed from the queue within X seconds / contacts queued,
Administrator Guide "Service level X"), blank where nothing was offered; and Markdown that
shows it inline, for the queue asset's metadata in the Dagster UI.

Queues are ordered busiest first; beyond :data:`MAX_QUEUES`, the quieter ones are left out
and the caption says how many.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime

import psycopg

from wfm_connector.config import WfmConfig
from wfm_connector.intervals import DayWindow
from wfm_connector.queue_summary import QUEUE_DAY

MAX_QUEUES = 40

QUERY = f"""
SELECT q.queue_arn, coalesce(max(n.queue_name), q.queue_arn), q.interval_start,
       sum(q.contacts_queued)::int, coalesce(sum(s.removed_within), 0)::int
{QUEUE_DAY}
GROUP BY q.queue_arn, q.interval_start
"""


@dataclass(frozen=True)
class Grid:
    """Queues (busiest first) by intervals: contacts offered, and removed within X seconds."""

    queues: list[str]
    offered: list[list[int]]
    within: list[list[int]]
    left_out: int  # queues beyond MAX_QUEUES

    def service_level(self, row: int, column: int) -> float | None:
        """Service level % of a cell; None where nothing was offered."""
        offered = self.offered[row][column]
        return 100.0 * self.within[row][column] / offered if offered else None


def grid(conn: psycopg.Connection, cfg: WfmConfig, window: DayWindow) -> Grid:
    """The day's queue-intervals as a :class:`Grid`."""
    starts = {start: i for i, start in enumerate(window.interval_starts())}
    cells: dict[str, tuple[str, dict[int, tuple[int, int]]]] = {}
    for arn, name, start, offered, within in conn.execute(
        QUERY, {"day": window.day, "threshold": cfg.queue_log.service_level_seconds}
    ):
        if start in starts:
            cells.setdefault(arn, (name, {}))[1][starts[start]] = (offered, within)
    busiest = sorted(cells, key=lambda a: (-sum(o for o, _ in cells[a][1].values()), cells[a][0]))
    shown = [a for a in busiest if any(o for o, _ in cells[a][1].values())][:MAX_QUEUES]
    width = len(starts)
    return Grid(
        queues=[cells[a][0] for a in shown],
        offered=[[cells[a][1].get(i, (0, 0))[0] for i in range(width)] for a in shown],
        within=[[cells[a][1].get(i, (0, 0))[1] for i in range(width)] for a in shown],
        left_out=max(0, sum(1 for a in busiest if any(o for o, _ in cells[a][1].values()))
                     - MAX_QUEUES),
    )  # fmt: skip


def render(g: Grid, local_starts: list[datetime], threshold: int) -> bytes:
    """PNG bytes of the two panels (``local_starts`` label the time axis)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(g.queues), 1)
    offered = np.array(g.offered or [[0] * len(local_starts)], dtype=float)
    level = np.ma.masked_invalid(np.array(
        [[np.nan if (s := g.service_level(r, c)) is None else s for c in range(len(local_starts))]
         for r in range(len(g.queues))] or [[np.nan] * len(local_starts)]))  # fmt: skip
    fig = Figure(figsize=(12, 1.6 + 0.44 * rows), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    panels = (
        (top, offered, "Blues", None, "Contacts offered (queued)"),
        (bottom, level, "RdYlGn", (0, 100), f"Service level {threshold} s (%)"),
    )
    for ax, values, cmap, limits, title in panels:
        image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap,
                          vmin=limits[0] if limits else 0, vmax=limits[1] if limits else None)
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_yticks(range(len(g.queues)), labels=g.queues, fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    hours = [i for i, s in enumerate(local_starts) if s.minute == 0 and s.hour % 3 == 0]
    bottom.set_xticks([i - 0.5 for i in hours],
                      labels=[local_starts[i].strftime("%H:%M") for i in hours], fontsize=8)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def markdown(png: bytes, g: Grid, day: str, threshold: int) -> str:
    """Markdown showing the PNG inline, with what it shows."""
    left = f"; {g.left_out} quieter queues not shown" if g.left_out else ""
    return "\n".join([
        f"**Queues, {day}** — {len(g.queues)} queues with contacts, busiest first; one column "
        f"per interval (local time), contacts counted when they entered the queue{left}.",
        "",
        f"![queue heatmap](data:image/png;base64,{base64.b64encode(png).decode()})",
        "",
        f"Service level: contacts removed from the queue within {threshold} s / contacts "
        "queued (red 0 % → green 100 %); blank where nothing was offered.",
    ])  # fmt: skip
