"""Reading the harness's minimap (`animus.spatial.minimap`) out of an observation: the map's name, the player's
cell and facing, the explored cells, and the known warps. The minimap's form is the harness's, the same for
every game, so a profile's own wording of its state text does not matter to what is read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Pos = tuple[int, int]

HEADER = re.compile(
    r"^Explored map of (?P<name>.+?) \(map (?P<key>[^)]*)\): you are @ at x=(?P<x>-?\d+), y=(?P<y>-?\d+)"
    r"(?:, facing (?P<facing>\w+))?\. Shown: x (?P<x0>-?\d+)-(?P<x1>-?\d+), y (?P<y0>-?\d+)-(?P<y1>-?\d+)\.",
    re.M,
)
_ROW = re.compile(r"^\s*(-?\d+) (\S+)$")
_WARP = re.compile(r"\((-?\d+),(-?\d+)\) -> (.+?) \(map [^)]*\)")
# What the minimap's characters mean, in the words the mock's legend rules read ("block", "door", "A to").
LEGEND = {
    ".": "floor",
    "#": "wall (blocks)",
    "?": "unknown",
    "*": "door (step on it)",
    "N": "person (blocks; face it and press A to talk)",
}


@dataclass(frozen=True)
class Minimap:
    """What one minimap says. `grid` is indexed from cell (0, 0) ('?' where it shows nothing)."""

    name: str
    pos: Pos
    facing: str | None
    grid: tuple[str, ...]
    legend: dict[str, str]
    warps: dict[Pos, str] = field(default_factory=dict)  # this map's warps: cell -> destination name
    elsewhere: dict[tuple[str, Pos], str] = field(default_factory=dict)  # (map name, cell) -> destination name


def split(text: str) -> tuple[str, str]:
    """The observation without its minimap, and the minimap ("" when there is none)."""
    m = HEADER.search(text)
    return (text, "") if m is None else (text[: m.start()], text[m.start() :])


def read(text: str) -> Minimap | None:
    """The minimap in `text` (as `split` returns it), or None."""
    m = HEADER.search(text)
    if m is None:
        return None
    x0, y0 = int(m["x0"]), int(m["y0"])
    rows: dict[int, str] = {}
    warps: dict[Pos, str] = {}
    elsewhere: dict[tuple[str, Pos], str] = {}
    for line in text[m.end() :].splitlines():
        if (row := _ROW.match(line)) and not rows.get(int(row.group(1))):
            rows[int(row.group(1))] = row.group(2)
        elif line.startswith("Warps here:"):
            warps = {(int(a), int(b)): dest for a, b, dest in _WARP.findall(line)}
        elif line.startswith("- ") and ": " in line:
            name = re.sub(r" \(map [^)]*\)$", "", line[2:].split(": ", 1)[0])
            for a, b, dest in _WARP.findall(line.split(": ", 1)[1]):
                elsewhere[(name, (int(a), int(b)))] = dest
    grid = _grid(rows, max(x0, 0), max(y0, 0), x0)
    legend = dict(LEGEND)
    legend.update({ch: "door (step on it)" for row in grid for ch in row if ch.isalnum() and ch not in legend})
    return Minimap(m["name"], (int(m["x"]), int(m["y"])), m["facing"], grid, legend, warps, elsewhere)


def _grid(rows: dict[int, str], left: int, top: int, x0: int) -> tuple[str, ...]:
    """The rows padded with '?' so that grid[y][x] is cell (x, y) (cells left of x = 0 or above y = 0 dropped)."""
    if not rows:
        return ()
    width = max(len(r) for r in rows.values()) + left
    out = []
    for y in range(0, max(rows) + 1):
        row = rows.get(y)
        if row is None:
            out.append("?" * width)
            continue
        row = row[-x0:] if x0 < 0 else "?" * left + row
        out.append(row.ljust(width, "?"))
    return tuple(out) if top <= max(rows) else ()
