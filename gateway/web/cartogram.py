"""The competence map's geometry: a grid cartogram, one square per region, each placed on the
free grid cell nearest to where its organisations are (`models.places`). No maintained package
ships NUTS boundaries for offline use (see models/data/SOURCES.md), so the map says plainly that
it is a grid, not borders. Regions far from mainland Europe (outermost regions, overseas
departments) sit in a row of their own below the grid.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

from models import reference
from models.places import region_points

__all__ = ["Cell", "Grid", "grid"]

LEVEL_LENGTH = {"country": 2, "nuts1": 3, "nuts2": 4}
LEVEL_NUMBER = {"country": 0, "nuts1": 1, "nuts2": 2}
# Degrees of latitude per grid cell: about as many cells as regions fill the mainland.
CELL_DEGREES = {"country": 3.0, "nuts1": 1.7, "nuts2": 1.05}
MAINLAND = (34.0, 72.0, -25.0, 45.0)  # lat min/max, lon min/max
X_SCALE = math.cos(math.radians(52))  # longitude shrinks with latitude around central Europe


class Cell(NamedTuple):
    code: str
    col: int
    row: int


class Grid(NamedTuple):
    cols: int
    rows: int
    cells: list[Cell]
    outside: list[str]  # placed in the last row, after a gap


def _candidates(level: str) -> dict[str, tuple[float, float]]:
    table = reference.nuts_table()
    points = region_points(LEVEL_LENGTH[level])
    if level == "country":
        return points
    return {
        c: p
        for c, p in points.items()
        if (e := table.get(c)) is not None and e.level == LEVEL_NUMBER[level]
    }


def _nearest_free(x: float, y: float, taken: set[tuple[int, int]]) -> tuple[int, int]:
    cx, cy = round(x), round(y)
    for ring in range(0, 60):
        ring_cells = [
            (cx + dx, cy + dy)
            for dx in range(-ring, ring + 1)
            for dy in range(-ring, ring + 1)
            if max(abs(dx), abs(dy)) == ring and (cx + dx, cy + dy) not in taken
        ]
        if ring_cells:
            return min(ring_cells, key=lambda c: ((c[0] - x) ** 2 + (c[1] - y) ** 2, c))
    raise RuntimeError("no free grid cell")  # 60 rings hold far more cells than regions


@cache
def grid(level: str) -> Grid:
    """The layout of one level ('country', 'nuts1', 'nuts2'), the same on every request."""
    points = _candidates(level)
    lat_min, lat_max, lon_min, lon_max = MAINLAND
    inside = {
        c: p for c, p in points.items() if lat_min <= p[0] <= lat_max and lon_min <= p[1] <= lon_max
    }
    outside = sorted(set(points) - set(inside))
    size = CELL_DEGREES[level]
    taken: set[tuple[int, int]] = set()
    placed: dict[str, tuple[int, int]] = {}
    # Regions near the middle first, so the outline keeps its shape and the edges give way.
    mid_lat = sum(p[0] for p in inside.values()) / max(len(inside), 1)
    mid_lon = sum(p[1] for p in inside.values()) / max(len(inside), 1)
    order = sorted(
        inside, key=lambda c: ((inside[c][0] - mid_lat) ** 2 + (inside[c][1] - mid_lon) ** 2, c)
    )
    for code in order:
        lat, lon = inside[code]
        cell = _nearest_free(lon * X_SCALE / size, (lat_max - lat) / size, taken)
        taken.add(cell)
        placed[code] = cell
    if not placed:
        return Grid(0, 0, [], outside)
    min_col = min(c for c, _ in placed.values())
    min_row = min(r for _, r in placed.values())
    cells = [Cell(code, c - min_col, r - min_row) for code, (c, r) in sorted(placed.items())]
    cols = max(c.col for c in cells) + 1
    rows = max(c.row for c in cells) + 1
    if outside:
        cols = max(cols, len(outside))
        cells += [Cell(code, i, rows + 1) for i, code in enumerate(outside)]
        rows += 2
    return Grid(cols, rows, cells, outside)
