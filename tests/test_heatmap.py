"""The adherence heatmap: which colour a cell gets and where agents and intervals are drawn."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta
from decimal import Decimal as D

from PIL import Image

from wfm_connector import heatmap
from wfm_connector.heatmap import Cell


def test_cell_colours():
    # fully adherent: green; none: red; 85 %: yellow (the middle stop)
    assert heatmap.colour(D(900), D(900), D(0)) == (26, 152, 80)
    assert heatmap.colour(D(900), D(0), D(0)) == (215, 48, 39)
    assert heatmap.colour(D(1000), D(850), D(0)) == (254, 224, 139)
    # unknown time is left out: 450 adherent of 900 scheduled, 450 unknown -> 100 % -> green
    assert heatmap.colour(D(900), D(450), D(450)) == (26, 152, 80)
    assert heatmap.colour(D(900), D(0), D(900)) == heatmap.ALL_UNKNOWN
    assert heatmap.colour(D(0), D(0), D(0)) == heatmap.UNSCHEDULED
    # 42.5 %: half-way from red to yellow, channel by channel (215+254)/2 = 234.5 -> 234 (round
    # half to even), (48+224)/2 = 136, (39+139)/2 = 89
    assert heatmap.colour(D(1000), D(425), D(0)) == (234, 136, 89)


def test_rows_are_agents_worst_first_and_columns_are_intervals():
    # 4 intervals of 15 min from 09:00; "ada" fully adherent in intervals 0-1, "ben" 0 % in
    # interval 2: ben's day is 0 %, so ben is the first row
    cells = [Cell("ada", 0, D(900), D(900), D(0)), Cell("ada", 1, D(900), D(900), D(0)),
             Cell("ben", 2, D(900), D(0), D(0))]  # fmt: skip
    starts = [datetime(2026, 11, 2, 9) + timedelta(minutes=15 * i) for i in range(4)]
    png = heatmap.render(cells, 4, starts)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    cell_w, row_h = heatmap.WIDTH // 4, 12  # 192 px wide cells; 2 rows -> the 12 px maximum
    assert image.size == (4 * cell_w, heatmap.AXIS + 2 * row_h)

    def pixel(row: int, column: int) -> tuple[int, int, int]:
        return image.getpixel((column * cell_w + cell_w // 2, heatmap.AXIS + row * row_h + 5))

    assert [pixel(0, c) for c in range(4)] == [heatmap.UNSCHEDULED, heatmap.UNSCHEDULED,
                                               (215, 48, 39), heatmap.UNSCHEDULED]  # fmt: skip
    assert [pixel(1, c) for c in range(4)] == [(26, 152, 80), (26, 152, 80),
                                               heatmap.UNSCHEDULED, heatmap.UNSCHEDULED]  # fmt: skip
    text = heatmap.markdown(png, cells, "2026-11-02")
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in text
    # the worst agents, worst first
    assert text.index("| ben | 0.00 |") < text.index("| ada | 100.00 |")


def test_many_agents_share_rows():
    # 2,500 agents: 3 per row (ceil(2500 / 1000)), 834 rows of 1 px
    cells = [Cell(f"a{i:04d}", 0, D(900), D(900), D(0)) for i in range(2500)]
    image = Image.open(io.BytesIO(heatmap.render(cells, 96))).convert("RGB")
    assert image.size == (96 * 8, heatmap.AXIS + 834)
