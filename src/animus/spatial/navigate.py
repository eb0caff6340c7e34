"""Paths over the explored map, for `navigate_to`: cheapest moves from the player to a target cell, maybe on
another map through known warps.

Known walkable cells cost 1 move, cells nothing is known of cost `UNKNOWN_COST` (they may be tried, near what is
known), blocked cells and other characters' cells are not entered, and a way out not taken yet (a seen warp tile
with no known destination) is entered only when it is the target: it leads somewhere unknown. Entering a known
warp's cell continues on its destination map. The search expands at most `MAX_NODES` cells.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from animus.games.spatial import WALL, WARP, Cell
from animus.spatial.explored import DIRECTIONS, Area, ExploredMap, MapId

UNKNOWN_COST = 4  # an unknown cell costs as much as 4 known ones: a known way is preferred, but not at any length
MAX_NODES = 40_000
MARGIN = 2  # unknown cells are tried at most this far outside what is known of a map


@dataclass(frozen=True)
class Move:
    """One press of a planned path, and where it should leave the player (a warp's cell leads to its target)."""

    button: str
    map: MapId
    cell: Cell
    into: Cell  # the cell the move enters on the map it starts on (a warp's own cell when it warps)
    unknown: bool  # the cell entered was unknown when planned


Node = tuple[MapId, int, int]


def plan(
    explored: ExploredMap,
    start: Node,
    goal: Node,
    blocked_now: frozenset[Cell] = frozenset(),
    sight: dict[Cell, str] | None = None,
) -> list[Move] | None:
    """The cheapest moves from `start` to entering `goal`, or None when none is known. `blocked_now` are cells of
    the start map someone stands on now; `sight` is what the screen shows of the start map now."""
    sight = sight or {}
    bounds = {key: _bounds(area) for key, area in explored.areas.items()}
    best: dict[Node, int] = {start: 0}
    came: dict[Node, tuple[Node, Move]] = {}
    queue: list[tuple[int, int, Node]] = [(0, 0, start)]
    order = 0
    while queue and len(best) < MAX_NODES:
        cost, _, node = heapq.heappop(queue)
        if node == goal and node != start:
            return _path(came, node)
        if cost > best.get(node, cost):
            continue
        key, x, y = node
        area = explored.areas.get(key) or Area()
        for button, (dx, dy) in DIRECTIONS.items():
            into = (x + dx, y + dy)
            step = _enter(area, key, into, (key, *into) == goal, bounds.get(key), blocked_now, sight, start[0])
            if step is None:
                continue
            target, price, unknown = step
            new = cost + price
            if new < best.get(target, 1 << 60):
                best[target] = new
                came[target] = (node, Move(button, target[0], (target[1], target[2]), into, unknown))
                order += 1
                heapq.heappush(queue, (new, order, target))
            if (key, *into) == goal and target != goal:  # the goal is a warp's cell: entering it is arriving
                came[goal] = (node, Move(button, target[0], (target[1], target[2]), into, unknown))
                return _path(came, goal)
    return None


def _enter(
    area: Area,
    key: MapId,
    into: Cell,
    is_goal: bool,
    box: tuple[int, int, int, int] | None,
    blocked_now: frozenset[Cell],
    sight: dict[Cell, str],
    start_map: MapId,
) -> tuple[Node, int, bool] | None:
    """Where entering `into` on map `key` leads, its price, and whether it was unknown; None if it cannot."""
    if key == start_map and into in blocked_now:
        return None
    warp = area.warps.get(into)
    if warp is not None:
        return (warp.target, *warp.to), 1, False
    kind = sight.get(into) if key == start_map else None
    kind = kind or area.seen.get(into)
    if kind == WARP and into not in area.visited:
        return ((key, *into), 1, False) if is_goal else None
    walkable = area.walkable(into)
    if walkable is None and kind is not None:
        walkable = kind != WALL
    if walkable is False:
        return None
    if walkable is None:
        near = box is not None and box[0] - MARGIN <= into[0] <= box[2] + MARGIN
        if not near or box is None or not box[1] - MARGIN <= into[1] <= box[3] + MARGIN:
            return None
        return (key, *into), UNKNOWN_COST, True
    return (key, *into), 1, False


def _bounds(area: Area) -> tuple[int, int, int, int] | None:
    cells = area.cells()
    if not cells:
        return None
    xs, ys = [c[0] for c in cells], [c[1] for c in cells]
    return min(xs), min(ys), max(xs), max(ys)


def _path(came: dict[Node, tuple[Node, Move]], node: Node) -> list[Move]:
    moves: list[Move] = []
    while node in came:
        node, move = came[node]
        moves.append(move)
    return moves[::-1]
