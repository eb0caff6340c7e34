"""The explored map as the model reads it: a text minimap of the current map around the player, and the known
warps between maps, nearest maps first. Its size is bounded: a window of `radius` cells on each side of the player,
shrunk until the whole text fits in `max_chars`, and the warp list cut to what is left.

The first line has a fixed form that programs may read (the mock does):
`Explored map of NAME (map ID): you are @ at x=X, y=Y[, facing F]. Shown: x X0-X1, y Y0-Y1.`
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from animus.games.spatial import OPEN, WALL, WARP, Cell, Spot
from animus.spatial.explored import Area, ExploredMap, MapId, Warp

LABELS = "123456789abcdefghijkmnopqrstuvwxyz"  # warp labels on the map (no l: it looks like 1)
KEY = (
    "Key: @ you | . walkable | # blocked | ? not seen yet | N someone standing there now | * a way out not taken "
    "yet | 1-9, a-z: the warps listed below"
)
MIN_RADIUS = 2


@dataclass(frozen=True)
class Now:
    """What is true only this moment, drawn over the explored map: the screen's cells and the other characters."""

    sight: dict[Cell, str]
    sprites: tuple[Cell, ...] = ()


def render(explored: ExploredMap, spot: Spot, now: Now | None = None, radius: int = 10, max_chars: int = 2400) -> str:
    """The minimap text for the player at `spot` (see the module docstring)."""
    now = now or Now({})
    area = explored.areas.get(spot.map) or Area()
    for r in range(max(radius, MIN_RADIUS), MIN_RADIUS - 1, -1):
        text = _map_text(explored, area, spot, now, r)
        if len(text) <= max_chars or r == MIN_RADIUS:
            break
    rest = max_chars - len(text) - 1
    warps = _warp_lines(explored, spot.map, rest)
    text = "\n".join([text, *warps]) if warps else text
    if len(text) > max_chars:  # even the smallest window is too big: cut whole lines (the header stays)
        text = text[: text.rfind("\n", 0, max_chars + 1)] if "\n" in text[: max_chars + 1] else text[:max_chars]
    return text


def _map_text(explored: ExploredMap, area: Area, spot: Spot, now: Now, radius: int) -> str:
    known = area.cells() | set(now.sight) | {spot.cell}
    xs, ys = [c[0] for c in known], [c[1] for c in known]
    x0, x1 = max(min(xs), spot.x - radius), min(max(xs), spot.x + radius)
    y0, y1 = max(min(ys), spot.y - radius), min(max(ys), spot.y + radius)
    labels = {w.cell: LABELS[i] for i, w in enumerate(_here(area)) if i < len(LABELS)}
    grid = _paint(area, now, spot, labels, (x0, y0, x1, y1))
    rows = [f"{y:3d} " + "".join(line) for y, line in zip(range(y0, y1 + 1), grid, strict=True)]
    facing = f", facing {spot.facing}" if spot.facing else ""
    head = (
        f"Explored map of {explored.name(spot.map) if not spot.name else spot.name} (map {spot.map}): you are @ at "
        f"x={spot.x}, y={spot.y}{facing}. Shown: x {x0}-{x1}, y {y0}-{y1}."
    )
    tens = "    " + "".join(str(abs(x) // 10 % 10) if x % 10 == 0 else " " for x in range(x0, x1 + 1))
    ones = "    " + "".join(str(abs(x) % 10) for x in range(x0, x1 + 1))
    lines = [head, tens.rstrip(), ones, *rows, KEY]
    here = [
        f"{labels[w.cell]} ({w.cell[0]},{w.cell[1]}) -> {_to(explored, w)}" for w in _here(area) if w.cell in labels
    ]
    if here:
        lines.append("Warps here: " + "; ".join(here) + ".")
    return "\n".join(lines)


def _paint(
    area: Area, now: Now, spot: Spot, labels: dict[Cell, str], box: tuple[int, int, int, int]
) -> list[list[str]]:
    """The window's characters, painted layer over layer, each layer winning over the ones before: what the screen
    shows (now, else before), blocked moves, known warps, ways out not taken, cells stood on, warp labels, people
    now, the player. The same as `Area.classify` cell by cell (a step's observation draws hundreds of cells: one
    pass over each set of facts is several times faster)."""
    x0, y0, x1, y1 = box
    grid = [["?"] * (x1 - x0 + 1) for _ in range(y1 - y0 + 1)]

    def put(cells: Iterable[Cell], char: str | dict[Cell, str]) -> None:
        for x, y in cells:
            if x0 <= x <= x1 and y0 <= y <= y1:
                grid[y - y0][x - x0] = char if isinstance(char, str) else char[(x, y)]

    kinds = {**area.seen, **now.sight}  # what the screen shows now wins over what it showed before
    put(kinds, {c: _CHARS[_KIND.get(k, "open")] for c, k in kinds.items()})
    put((c for c in area.blocked if kinds.get(c) != WARP or c in area.warps), "#")
    put((c for c in area.warps if kinds.get(c) != WARP), ".")
    put((c for c, k in kinds.items() if k == WARP and c in area.warps), ".")
    put((c for c, k in kinds.items() if k == WARP and c not in area.warps and c not in area.visited), "*")
    put(area.visited, ".")
    put(labels, labels)
    put(now.sprites, "N")
    put([spot.cell], "@")
    return grid


_KIND = {WALL: "wall", WARP: "exit", OPEN: "open"}


_CHARS = {"visited": ".", "exit": "*", "open": ".", "wall": "#", "unknown": "?"}


def _here(area: Area) -> list[Warp]:
    return sorted(area.warps.values(), key=lambda w: (w.cell[1], w.cell[0]))


def _to(explored: ExploredMap, warp: Warp) -> str:
    return f"{explored.name(warp.target)} (map {warp.target}) at ({warp.to[0]},{warp.to[1]})"


def _warp_lines(explored: ExploredMap, here: MapId, room: int) -> list[str]:
    """Known warps of the other maps, the maps fewest warps away first, as many lines as fit in `room`."""
    order = _by_distance(explored, here)
    lines: list[str] = []
    left = len(order)
    used = len("Known warps elsewhere (nearest maps first):") + 1
    for key in order:
        warps = _here(explored.areas[key])
        line = f"- {explored.name(key)} (map {key}): " + "; ".join(
            f"({w.cell[0]},{w.cell[1]}) -> {explored.name(w.target)} (map {w.target})" for w in warps
        )
        more = f"({left} more maps with warps not shown)"
        if used + len(line) + 1 + len(more) + 1 > room:
            if lines:  # the lines before left room for this one
                lines.append(more)
            break
        lines.append(line)
        used += len(line) + 1
        left -= 1
    return ["Known warps elsewhere (nearest maps first):", *lines] if lines else []


def _by_distance(explored: ExploredMap, here: MapId) -> Sequence[MapId]:
    """Maps other than `here` that have warps, by warps needed to reach them (unreachable ones last)."""
    dist: dict[MapId, int] = {here: 0}
    queue = deque([here])
    while queue:
        key = queue.popleft()
        for warp in _here(explored.areas.get(key) or Area()):
            if warp.target not in dist:
                dist[warp.target] = dist[key] + 1
                queue.append(warp.target)
    with_warps = [k for k, a in explored.areas.items() if a.warps and k != here]
    far = len(explored.areas) + 1
    return sorted(with_warps, key=lambda k: dist.get(k, far))
