"""The day's schedule adherence as a picture: one row per agent, one column per interval.

In: the day's ``wfm.adherence_interval`` rows and the number of intervals in the day. Out: a PNG
(and Markdown that shows it, with a legend and the agents needing attention) for the adherence
asset's metadata in the Dagster UI, because a WFM analyst spots a bad afternoon faster in
colour than in 96 columns of numbers.

A cell's colour is its adherence: adherent / (scheduled - unknown), on a scale from red (0 %)
through yellow (85 %) to green (100 %). A cell with no scheduled time is light grey; a
scheduled cell whose time is all unknown (lost events) is slate blue, since it is neither
adherent nor not. Agents are sorted by their day's adherence, worst first, so the rows that
need attention are at the top; beyond :data:`MAX_ROWS` agents, neighbouring agents share a row
(their seconds summed). Hour ticks are drawn along the top.
"""

from __future__ import annotations

import base64
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from PIL import Image, ImageDraw

MAX_ROWS = 1_000
WIDTH = 768  # pixels for the intervals of the day
AXIS = 12  # pixels above the cells for the hour ticks
UNSCHEDULED = (236, 236, 236)
ALL_UNKNOWN = (96, 125, 139)
STOPS = ((0.0, (215, 48, 39)), (85.0, (254, 224, 139)), (100.0, (26, 152, 80)))


@dataclass(frozen=True)
class Cell:
    """One agent-interval of ``wfm.adherence_interval``."""

    agent: str
    index: int  # interval number within the day
    scheduled_s: Decimal
    adherent_s: Decimal
    unknown_s: Decimal


def colour(scheduled: Decimal, adherent: Decimal, unknown: Decimal) -> tuple[int, int, int]:
    """The colour of a cell with these seconds."""
    if scheduled <= 0:
        return UNSCHEDULED
    known = scheduled - unknown
    if known <= 0:
        return ALL_UNKNOWN
    pct = float(100 * adherent / known)
    for (low, a), (high, b) in zip(STOPS, STOPS[1:], strict=False):
        if pct <= high:
            f = (pct - low) / (high - low)
            return tuple(round(x + (y - x) * f) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]
    return STOPS[-1][1]


def _day_pct(cells: list[Cell]) -> float:
    scheduled = sum(c.scheduled_s for c in cells)
    known = scheduled - sum(c.unknown_s for c in cells)
    return float(100 * sum(c.adherent_s for c in cells) / known) if known > 0 else 101.0


def render(
    cells: list[Cell], intervals: int, interval_starts: list[datetime] | None = None
) -> bytes:
    """PNG bytes of the heatmap (``interval_starts`` in local time place the hour ticks)."""
    by_agent: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_agent[cell.agent].append(cell)
    agents = sorted(by_agent, key=lambda a: (_day_pct(by_agent[a]), a))
    per_row = max(1, math.ceil(len(agents) / MAX_ROWS))
    rows = [agents[i : i + per_row] for i in range(0, len(agents), per_row)] or [[]]
    cell_w = max(2, WIDTH // max(intervals, 1))
    row_h = max(1, min(12, 600 // len(rows)))
    image = Image.new("RGB", (cell_w * intervals, AXIS + row_h * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    for r, group in enumerate(rows):
        sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
        for agent in group:
            for c in by_agent[agent]:
                s = sums[c.index]
                s[0], s[1], s[2] = s[0] + c.scheduled_s, s[1] + c.adherent_s, s[2] + c.unknown_s
        y = AXIS + r * row_h
        for i in range(intervals):
            fill = colour(*sums[i]) if i in sums else UNSCHEDULED
            draw.rectangle((i * cell_w, y, (i + 1) * cell_w - 1, y + row_h - 1), fill=fill)
    for i, start in enumerate(interval_starts or []):
        if start.minute == 0:  # an hour tick; a labelled one every three hours
            draw.line((i * cell_w, AXIS - (6 if start.hour % 3 else 12), i * cell_w, AXIS - 1),
                      fill=(90, 90, 90))  # fmt: skip
            if start.hour % 3 == 0 and i * cell_w + 14 < image.width:
                draw.text((i * cell_w + 2, 0), f"{start.hour:02d}", fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def markdown(png: bytes, cells: list[Cell], day: str, worst: int = 10) -> str:
    """Markdown showing the PNG inline, a legend and the agents with the lowest adherence."""
    by_agent: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_agent[cell.agent].append(cell)
    ranked = sorted((_day_pct(v), a) for a, v in by_agent.items() if _day_pct(v) <= 100)
    lines = [
        f"**Schedule adherence, {day}** — {len(by_agent)} scheduled agents, worst first; "
        "one column per interval.",
        "",
        f"![adherence heatmap](data:image/png;base64,{base64.b64encode(png).decode()})",
        "",
        "Colour: red 0 % → yellow 85 % → green 100 % adherent; light grey: not scheduled; "
        "slate: scheduled but unknown (lost events).",
    ]
    if ranked:
        lines += ["", "| agent | adherence % |", "|---|---:|"]
        lines += [f"| {agent} | {pct:.2f} |" for pct, agent in ranked[:worst]]
    return "\n".join(lines)
