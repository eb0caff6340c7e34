"""`ExploredMap`: what a run has learnt of the game's maps from its own steps, and `MapDelta`, what one step added.

Per map id it keeps the cells the player stood on, the moves that were tried and blocked (a d-pad press on the
map that left the player where it was, while already facing that way), the cells the screen showed (walkable,
blocking or a warp, from the profile's `[collision]`), and the warps: stepping into a cell that took the player
to another map, from where to where. Facts only grow, with one rule between them: a cell the player stood on is
walkable whatever was believed before.

The loop adds facts as they happen (`see`, `walked`) and takes each step's new facts with `take_delta`, which the
run store keeps in the step's row (`steps.map_delta`). A resumed run, the viewer and the map chart fold the
stored deltas in order (`apply`): that gives back exactly the map the loop had, without replaying the game.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from animus.games.spatial import OPEN, WALL, WARP, Cell, Spot

MapId = int | str
DIRECTIONS: dict[str, Cell] = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


@dataclass(frozen=True)
class Warp:
    """Stepping into cell `cell` of map `source` leads to `target` (its map and cell)."""

    source: MapId
    cell: Cell
    target: MapId
    to: Cell


@dataclass
class Area:
    """One map as far as it is known."""

    name: str = ""
    visited: set[Cell] = field(default_factory=set)
    blocked: set[Cell] = field(default_factory=set)  # tried and blocked, never stood on
    seen: dict[Cell, str] = field(default_factory=dict)  # OPEN, WALL or WARP, as the screen showed it
    warps: dict[Cell, Warp] = field(default_factory=dict)

    def walkable(self, cell: Cell) -> bool | None:
        """True, False, or None when nothing is known of `cell`."""
        if cell in self.visited or cell in self.warps:
            return True
        if cell in self.blocked:
            return False
        kind = self.seen.get(cell)
        return None if kind is None else kind != WALL

    def classify(self, cell: Cell, now: str | None = None) -> str:
        """What `cell` is as far as known, `now` being what the screen shows of it this moment (if anything):
        "visited", "exit" (a warp tile never taken), "open", "wall" or "unknown"."""
        if cell in self.visited:
            return "visited"
        kind = now or self.seen.get(cell)
        if kind == WARP and cell not in self.warps:
            return "exit"
        if cell in self.warps:
            return OPEN
        if cell in self.blocked:
            return WALL
        return "unknown" if kind is None else OPEN if kind != WALL else WALL

    def cells(self) -> set[Cell]:
        """Every cell anything is known of."""
        return self.visited | self.blocked | set(self.seen) | set(self.warps)


@dataclass(frozen=True)
class MapDelta:
    """The facts one step added, in the order they were learnt. JSON: {"n": [[map, name]], "v": [[map, x, y]],
    "b": [[map, x, y]], "s": [[map, x, y, kind]], "w": [[map, x, y, to map, to x, to y]]}, empty lists left out."""

    names: tuple[tuple[MapId, str], ...] = ()
    visited: tuple[tuple[MapId, int, int], ...] = ()
    blocked: tuple[tuple[MapId, int, int], ...] = ()
    seen: tuple[tuple[MapId, int, int, str], ...] = ()
    warps: tuple[Warp, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.visited or self.blocked or self.seen or self.warps)

    def to_json(self) -> str | None:
        """Compact JSON, or None when the step added nothing."""
        if not self:
            return None
        data: dict[str, list[Any]] = {}
        for key, items in (("n", self.names), ("v", self.visited), ("b", self.blocked), ("s", self.seen)):
            if items:
                data[key] = [list(item) for item in items]
        if self.warps:
            data["w"] = [[w.source, *w.cell, w.target, *w.to] for w in self.warps]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> MapDelta:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            names=tuple((m, n) for m, n in data.get("n", [])),
            visited=tuple((m, x, y) for m, x, y in data.get("v", [])),
            blocked=tuple((m, x, y) for m, x, y in data.get("b", [])),
            seen=tuple((m, x, y, k) for m, x, y, k in data.get("s", [])),
            warps=tuple(Warp(m, (x, y), t, (tx, ty)) for m, x, y, t, tx, ty in data.get("w", [])),
        )


class ExploredMap:
    """Every map the run has seen, and the facts learnt since the last `take_delta`."""

    def __init__(self) -> None:
        self.areas: dict[MapId, Area] = {}
        self._journal: dict[str, list[Any]] = {"n": [], "v": [], "b": [], "s": [], "w": []}

    def area(self, key: MapId) -> Area:
        return self.areas.setdefault(key, Area())

    def name(self, key: MapId) -> str:
        """The map's name, or "map KEY" when the profile names none."""
        area = self.areas.get(key)
        return area.name if area is not None and area.name else f"map {key}"

    # -- learning ----------------------------------------------------------------------------------------------

    def stand(self, spot: Spot) -> None:
        """The player stands at `spot`."""
        area = self.area(spot.map)
        if spot.name and area.name != spot.name:
            area.name = spot.name
            self._journal["n"].append((spot.map, spot.name))
        if spot.cell not in area.visited:
            area.visited.add(spot.cell)
            area.blocked.discard(spot.cell)
            self._journal["v"].append((spot.map, *spot.cell))

    def see(self, key: MapId, sight: dict[Cell, str]) -> None:
        """The screen shows these cells of map `key` (cells already known the same way add nothing)."""
        area = self.area(key)
        for cell in sorted(sight):
            kind = sight[cell]
            if area.seen.get(cell) != kind:
                area.seen[cell] = kind
                self._journal["s"].append((key, *cell, kind))

    def walked(self, before: Spot | None, button: str, after: Spot | None, settled: bool = True) -> None:
        """One press: `button` pressed at `before` left the player at `after` (None: off the map). A press that
        was not `settled` (the one right after a warp, while the game may still draw the new map and drop it)
        teaches no blocked cell."""
        if after is not None:
            self.stand(after)
        move = DIRECTIONS.get(button)
        if before is None or after is None or move is None:
            return
        into = (before.x + move[0], before.y + move[1])
        if after.map != before.map:
            warp = Warp(before.map, into, after.map, after.cell)
            if self.area(before.map).warps.get(into) != warp:
                self.area(before.map).warps[into] = warp
                self._journal["w"].append(warp)
        elif settled and after.cell == before.cell and before.facing in (None, button):  # (a turn is no block)
            area = self.area(before.map)
            if into not in area.visited and into not in area.blocked and into not in area.warps:
                area.blocked.add(into)
                self._journal["b"].append((before.map, *into))

    def take_delta(self) -> MapDelta:
        """The facts learnt since the last call, and forget them (they are the step's to store)."""
        j = self._journal
        delta = MapDelta(tuple(j["n"]), tuple(j["v"]), tuple(j["b"]), tuple(j["s"]), tuple(j["w"]))
        self._journal = {key: [] for key in j}
        return delta

    # -- rebuilding --------------------------------------------------------------------------------------------

    def apply(self, delta: MapDelta) -> None:
        """Add a stored step's facts, as the loop learnt them (nothing goes to the journal)."""
        for key, name in delta.names:
            self.area(key).name = name
        for key, x, y in delta.visited:
            area = self.area(key)
            area.visited.add((x, y))
            area.blocked.discard((x, y))
        for key, x, y in delta.blocked:
            if (x, y) not in self.area(key).visited:  # blocked, then stood on in the same step: it is walkable
                self.area(key).blocked.add((x, y))
        for key, x, y, kind in delta.seen:
            self.area(key).seen[(x, y)] = kind
        for warp in delta.warps:
            self.area(warp.source).warps[warp.cell] = warp

    @classmethod
    def rebuild(cls, deltas: Iterable[str | None]) -> ExploredMap:
        """The map after the stored deltas (`steps.map_delta`, in step order)."""
        explored = cls()
        for text in deltas:
            explored.apply(MapDelta.from_json(text))
        return explored

    def warps(self) -> list[Warp]:
        """Every known warp, by source map then cell."""
        return [w for key in self.areas for w in sorted(self.areas[key].warps.values(), key=lambda w: w.cell)]


def map_order(key: MapId) -> tuple[int, int, str]:
    """A sort key for map ids: numbers by value, then names."""
    return (0, key, "") if isinstance(key, int) else (1, 0, key)


__all__ = ["DIRECTIONS", "OPEN", "WALL", "WARP", "Area", "ExploredMap", "MapDelta", "MapId", "Warp", "map_order"]
