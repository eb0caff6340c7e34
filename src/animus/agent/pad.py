"""`Pad`: plays a step's inputs on the emulator one press at a time, so the explored map learns from every press
(where it left the player, whether it was blocked, whether it warped), and walks `navigate_to`'s paths.

Every press is an `InputOp` in `ops`, in order: the run store logs exactly these, and a replay (resume, verify)
applies them with `apply_ops` without looking at positions again. Each press here renders its last frame, so the
step's final frame is the one a replay renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from animus.games.spatial import Cell, Spot
from animus.games.state import Value
from animus.spatial import navigate
from animus.spatial.explored import DIRECTIONS, ExploredMap, MapId
from animus.spatial.minimap import Now

if TYPE_CHECKING:
    from animus.agent.tools import InputOp
    from animus.emulator.gameboy import GameBoy
    from animus.games import Profile

MAX_REPLANS = 8  # a navigate_to call plans again at most this often (a move into an unknown cell that blocked)


@dataclass(frozen=True)
class Target:
    """Where navigate_to should go: a cell, on the current map or on map `map`."""

    x: int
    y: int
    map: MapId | None = None


class Pad:
    """A step's inputs, played as they come. `spot` is where the player stands now (None: off the map)."""

    def __init__(self, gb: GameBoy, profile: Profile, explored: ExploredMap) -> None:
        self.gb, self.profile, self.explored = gb, profile, explored
        self.ops: list[InputOp] = []
        self.spot = profile.locate(gb)
        self._warped = False  # the last press changed the map: the game may not take the next one yet

    def play(self, op: InputOp) -> Spot | None:
        """Apply one input and learn where it left the player."""
        before = self.spot
        if op.buttons:
            self.gb.press(op.buttons, op.hold, op.wait)
        else:
            self.gb.tick(op.wait)
        self.ops.append(op)
        self.spot = self.profile.locate(self.gb)
        button = op.buttons[0] if len(op.buttons) == 1 else ""
        self.explored.walked(before, button, self.spot, settled=not self._warped)
        self._warped = before is not None and self.spot is not None and self.spot.map != before.map
        return self.spot

    def look(self, values: Mapping[str, Value] | None = None) -> Now | None:
        """Learn what the screen shows of the map now; return it with where others stand (None: off the map).
        `values` are the fields as just read, if the caller has them (the state after the last step)."""
        values = self.profile.values(self.gb) if values is None else values
        spot = self.spot = self.profile.spot(values)
        if spot is None:
            return None
        self.explored.stand(spot)
        sight: dict[Cell, str] = {}
        sprites: tuple[Cell, ...] = ()
        if self.profile.collision is not None:
            sight = self.profile.collision.sight(self.gb, values, spot.cell)
            self.explored.see(spot.map, sight)
        if self.profile.sprites is not None:
            sprites = self.profile.sprites.cells(self.gb)
        return Now(sight, sprites)

    def navigate(self, target: Target, hold: int, wait: int, max_moves: int) -> str:
        """Walk toward `target` over the explored map; return what happened, as the model will read it."""
        from animus.agent.tools import InputOp

        start = self.spot
        if start is None:
            return "not moved: you are not walking on the map now (a dialog, a menu or a battle?); close it first."
        key = start.map if target.map is None else self._map_key(target.map)
        if key is None:
            return (
                f"no known path: no map {target.map!r} is known yet. Maps known: {self._known_maps()}. "
                "Explore to find it."
            )
        goal = (key, target.x, target.y)
        if (start.map, start.x, start.y) == goal:
            return f"arrived: you are already at ({target.x},{target.y}) in {self._name(key)}."
        moves = 0
        for _ in range(MAX_REPLANS + 1):
            here = self.spot
            if here is None:
                break
            now = self.look()
            path = navigate.plan(
                self.explored,
                (here.map, here.x, here.y),
                goal,
                frozenset(now.sprites) if now else frozenset(),
                now.sight if now else None,
            )
            if path is None:
                return self._no_path(here, goal, moves)
            for move in path:
                if moves >= max_moves:
                    return f"stopped after {moves} moves (tools.max_navigate_moves) at {self._where(self.spot)}."
                before = self.spot
                after = self.play(InputOp((move.button,), hold, wait))
                moves += 1
                if after is not None and before is not None and after.same_place(before):
                    turned = before.facing not in (None, move.button) and after.facing == move.button
                    if turned and moves < max_moves:  # the press only turned the player that way: press again
                        after = self.play(InputOp((move.button,), hold, wait))
                        moves += 1
                if after is None:
                    return (
                        f"stopped after {moves} moves at {self._where(before)}: the game left the map (a dialog, "
                        "a menu or a battle?)."
                    )
                if (after.map, after.cell) == (move.map, move.cell):
                    if (move.map, *move.cell) == goal or (before is not None and (before.map, *move.into) == goal):
                        return f"arrived at ({target.x},{target.y}) after {moves} moves; {self._where(after)}."
                    continue
                if before is not None and after.same_place(before):
                    blocked = f"blocked at ({before.x},{before.y}) after {moves} moves: ({move.into[0]},{move.into[1]})"
                    if not move.unknown:
                        return f"{blocked} did not let you pass; you are at {self._where(after)}."
                    break  # an unknown cell that blocks: plan again with what was just learnt
                if before is not None and after.map != before.map:
                    if before.map == key and move.into == goal[1:]:
                        return f"arrived at ({target.x},{target.y}) after {moves} moves; {self._where(after)}."
                    if after.map != move.map:
                        return (
                            f"stopped after {moves} moves: ({move.into[0]},{move.into[1]}) was a warp; you are now "
                            f"at {self._where(after)}."
                        )
                break  # moved somewhere the plan did not expect (a ledge, a slide): plan again from there
        return f"stopped after {moves} moves at {self._where(self.spot)}: the way kept changing; try another route."

    def _no_path(self, here: Spot, goal: tuple[MapId, int, int], moves: int) -> str:
        key, x, y = goal
        done = f" after {moves} moves" if moves else ""
        if key != here.map:
            return (
                f"no known path{done} from {self._where(here)} to ({x},{y}) in {self._name(key)}: no known warps "
                f"lead there yet. Explore toward it."
            )
        dx, dy = x - here.x, y - here.y
        way = [
            f"{abs(dx)} {'right' if dx > 0 else 'left'}" if dx else "",
            f"{abs(dy)} {'down' if dy > 0 else 'up'}" if dy else "",
        ]
        return (
            f"no known path{done} to ({x},{y}) from ({here.x},{here.y}): explore toward it "
            f"({', '.join(w for w in way if w)} of you)."
        )

    def _map_key(self, wanted: MapId) -> MapId | None:
        """The known map `wanted` names: its id (as a number or text) or its name, any case."""
        for key, area in self.explored.areas.items():
            if str(key) == str(wanted).strip() or (area.name and area.name.lower() == str(wanted).strip().lower()):
                return key
        return None

    def _known_maps(self) -> str:
        return ", ".join(f"{self._name(k)} (map {k})" for k in list(self.explored.areas)[:20]) or "none"

    def _name(self, key: MapId) -> str:
        return self.explored.name(key)

    def _where(self, spot: Spot | None) -> str:
        if spot is None:
            return "off the map"
        return f"({spot.x},{spot.y}) in {spot.name or self._name(spot.map)}"


__all__ = ["DIRECTIONS", "Pad", "Target"]
