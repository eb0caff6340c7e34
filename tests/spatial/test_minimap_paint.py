"""The minimap paints its window layer by layer (for speed); every cell must read as `Area.classify` says, with
warp labels, people and the player on top. Random explored maps, including what the screen shows now disagreeing
with what it showed before."""

from __future__ import annotations

import random

import pytest

from animus.games.spatial import OPEN, WALL, WARP, Spot
from animus.spatial import minimap
from animus.spatial.explored import Area, Warp

CHARS = {"visited": ".", "exit": "*", "open": ".", "wall": "#", "unknown": "?"}


def cell_by_cell(area: Area, now: minimap.Now, spot: Spot, labels: dict[tuple[int, int], str], x: int, y: int) -> str:
    if (x, y) == spot.cell:
        return "@"
    if (x, y) in now.sprites:
        return "N"
    if (x, y) in labels:
        return labels[(x, y)]
    return CHARS[area.classify((x, y), now.sight.get((x, y)))]


@pytest.mark.parametrize("seed", range(40))
def test_the_painted_window_reads_cell_by_cell_as_classify_says(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        area = Area()
        for _ in range(rng.randint(0, 90)):
            cell, r = (rng.randint(0, 12), rng.randint(0, 10)), rng.random()
            if r < 0.3:
                area.visited.add(cell)
            elif r < 0.45:
                area.blocked.add(cell)
            elif r < 0.85:
                area.seen[cell] = rng.choice([OPEN, WALL, WARP])
            else:
                area.warps[cell] = Warp(0, cell, 1, (1, 1))
        sight = {(rng.randint(0, 12), rng.randint(0, 10)): rng.choice([OPEN, WALL, WARP]) for _ in range(20)}
        now = minimap.Now(sight, tuple((rng.randint(0, 12), rng.randint(0, 10)) for _ in range(rng.randint(0, 3))))
        spot = Spot(0, rng.randint(0, 12), rng.randint(0, 10))
        labels = {w.cell: minimap.LABELS[i] for i, w in enumerate(minimap._here(area))}
        grid = minimap._paint(area, now, spot, labels, (0, 0, 12, 10))
        for y in range(11):
            assert "".join(grid[y]) == "".join(cell_by_cell(area, now, spot, labels, x, y) for x in range(13))
