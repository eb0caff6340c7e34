"""The replay viewer's explored map: what `/api/map/N` returns, folded from the steps' stored map deltas.

Contracts:
- The map at step N is `ExploredMap.rebuild` of the `steps.map_delta` of steps 1..N, in order: the map the loop
  had after step N. The player is where step N's state puts it (`Profile.spot`); at a step off the map (a menu, a
  battle, a text box) it is the last step on the map before it, marked as such (`player.here` false).
- `MapFolds` caches the folding: a cursor (the last step asked for, folded forward on the next request) and copies
  of the map at checkpoints, at most `MAX_CHECKPOINTS` of them, spaced `CHECKPOINT_EVERY` steps apart and twice as
  far each time they would be more. A request therefore folds at most one spacing of steps (or, going forward
  from the cursor, only the new ones), whatever the run's length. Steps are never rewritten, so a cache stays
  true while a live run writes more. Thread-safe: one lock around folding and rendering.
- Nothing to show is an answer, not an error: a profile without a map position (`generic`), a run without a
  profile.toml, a store older than schema 6 (no `map_delta` column) and step 0 give `available` false (or no
  `map`) with a `reason` line. A delta that is not MapDelta JSON is a damaged store (`RunError`).
- It reads the run directory only: run.db through the `RunReader` it is given, and profile.toml beside it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animus.config import stored_config
from animus.errors import AnimusError, RunError
from animus.games import Profile, load_profile
from animus.games.spatial import Spot
from animus.runs.reader import RunReader
from animus.spatial import minimap
from animus.spatial.explored import Area, ExploredMap, MapDelta, MapId, map_order

JSONDict = dict[str, Any]

PROFILE_FILE = "profile.toml"  # beside run.db: the exact profile the run played with (written by the runner)
MAP_SCHEMA = 6  # the store schema that added `steps.map_delta`
CHECKPOINT_EVERY = 256  # steps between cached copies of the folded map, at first
MAX_CHECKPOINTS = 48  # more than this and the spacing doubles
MAX_SIDE = 160  # most cells drawn across or down: a bigger map is cut to this window around the player


@dataclass
class Fold:
    """The map after `step`, and where the player last stood on it (`spot`, at step `spot_step`)."""

    step: int
    explored: ExploredMap
    spot: Spot | None = None
    spot_step: int | None = None

    def copy(self) -> Fold:
        return Fold(self.step, copy_map(self.explored), self.spot, self.spot_step)


def copy_map(explored: ExploredMap) -> ExploredMap:
    """A copy of `explored` that shares nothing mutable with it (its journal left empty)."""
    out = ExploredMap()
    for key, a in explored.areas.items():
        out.areas[key] = Area(a.name, set(a.visited), set(a.blocked), dict(a.seen), dict(a.warps))
    return out


class MapFolds:
    """The explored map of one run at any step, folded incrementally and cached (see the module docstring)."""

    def __init__(self, run_dir: Path) -> None:
        self._run_dir = run_dir
        self._lock = threading.Lock()
        self._every = CHECKPOINT_EVERY
        self._checkpoints: dict[int, Fold] = {0: Fold(0, ExploredMap())}
        self._cursor = Fold(0, ExploredMap())
        self._profile: Profile | None = None
        self._why_not: str | None = None  # set once the profile is read: why this run has no map, or ""
        self._render = (10, 2400, True)  # the run's minimap radius, max chars, and whether its model read one

    def payload(self, store: RunReader, step: int) -> JSONDict:
        """What `/api/map/<step>` answers (see `map_json`); the caller has checked that the run has `step`."""
        with self._lock:
            why_not = self._setup(store)
            if why_not:
                return _unavailable(step, why_not)
            if store.schema_version < MAP_SCHEMA:
                return _unavailable(step, "this run was recorded before Animus kept the explored map (schema 6)")
            fold = self._fold(store, step)
            radius, max_chars, shown = self._render
            return map_json(fold, step, radius, max_chars, shown)

    # -- internals -------------------------------------------------------------------------------------------------

    def _setup(self, store: RunReader) -> str:
        """Read the profile and the minimap settings once; the reason the run has no map, or ""."""
        if self._why_not is not None:
            return self._why_not
        path = self._run_dir / PROFILE_FILE
        if not path.is_file():
            self._why_not = f"the run has no {PROFILE_FILE}"
            return self._why_not
        try:
            profile = load_profile(str(path))
        except AnimusError as exc:
            self._why_not = f"its {PROFILE_FILE} cannot be loaded: {exc}"
            return self._why_not
        if profile.map_fields is None:
            self._why_not = f"profile {profile.id!r} has no map position, so the run has no explored map"
            return self._why_not
        try:
            channels = stored_config(store.meta().config).channels
            self._render = (channels.minimap_radius, channels.minimap_max_chars, channels.minimap)
        except AnimusError:
            pass  # a config this Animus cannot read: draw the minimap with the default settings
        self._profile = profile
        self._why_not = ""
        return ""

    def _fold(self, store: RunReader, step: int) -> Fold:
        """The fold at `step`: forward from the cursor or the nearest checkpoint before it, whichever is later."""
        base = max(k for k in self._checkpoints if k <= step)
        if not base <= self._cursor.step <= step:
            self._cursor = self._checkpoints[base].copy()
        fold = self._cursor
        if fold.step < step:
            for row in store.steps(fold.step + 1, step):
                self._apply(fold, row.step, row.map_delta, row.state)
                if row.step % self._every == 0 and row.step not in self._checkpoints:
                    self._checkpoint(fold)
            fold.step = step
        return fold

    def _apply(self, fold: Fold, step: int, delta: str | None, state: str) -> None:
        try:
            fold.explored.apply(MapDelta.from_json(delta))
        except (ValueError, TypeError, KeyError) as exc:
            raise RunError(f"run {self._run_dir} has a damaged map delta at step {step} ({exc}).") from None
        fold.step = step
        assert self._profile is not None
        spot = self._profile.stored_spot(state)
        if spot is not None:
            fold.spot, fold.spot_step = spot, step

    def _checkpoint(self, fold: Fold) -> None:
        self._checkpoints[fold.step] = fold.copy()
        if len(self._checkpoints) > MAX_CHECKPOINTS:
            self._every *= 2
            self._checkpoints = {k: v for k, v in self._checkpoints.items() if k % self._every == 0}


def _unavailable(step: int, reason: str) -> JSONDict:
    return {"step": step, "available": False, "reason": reason, "map": None, "player": None, "warps": []}


def map_json(fold: Fold, step: int, radius: int, max_chars: int, shown: bool) -> JSONDict:
    """The map panel's data: the cells of the player's map as rows of one character each (`v` stood on, `.`
    walkable, `#` blocked, `*` a way out not taken yet, `?` unknown), the player, every known warp (this map's
    first, labelled as the minimap labels them) with its destination's name, and the minimap text."""
    explored, spot = fold.explored, fold.spot
    payload: JSONDict = {
        "step": step,
        "available": True,
        "reason": "",
        "map": None,
        "player": None,
        "warps": warps_json(explored, spot.map if spot is not None else None),
        "known_maps": len(explored.areas),
        "known_cells_total": sum(len(a.cells()) for a in explored.areas.values()),
        "minimap": "",
        "minimap_shown": shown,
    }
    if spot is None:
        payload["reason"] = "the player has not been on the map yet" if step else "the start state, before any step"
        return payload
    area = explored.areas.get(spot.map) or Area()
    payload["player"] = {
        "x": spot.x,
        "y": spot.y,
        "facing": spot.facing,
        "here": fold.spot_step == step,
        "step": fold.spot_step,
    }
    payload["map"] = grid_json(explored, area, spot)
    payload["minimap"] = minimap.render(explored, spot, None, radius, max_chars)
    if fold.spot_step != step:
        payload["reason"] = f"off the map at this step: the player as last seen on it, at step {fold.spot_step}"
    return payload


def grid_json(explored: ExploredMap, area: Area, spot: Spot) -> JSONDict:
    """The known cells of the player's map, in their bounding box (cut to `MAX_SIDE` around the player)."""
    known = area.cells() | {spot.cell}
    half = MAX_SIDE // 2
    x0 = max(min(c[0] for c in known), spot.x - half)
    x1 = min(max(c[0] for c in known), x0 + MAX_SIDE - 1)
    y0 = max(min(c[1] for c in known), spot.y - half)
    y1 = min(max(c[1] for c in known), y0 + MAX_SIDE - 1)
    rows = ["".join(_cell(area, (x, y)) for x in range(x0, x1 + 1)) for y in range(y0, y1 + 1)]
    return {
        "id": spot.map,
        "name": spot.name or explored.name(spot.map),
        "x0": x0,
        "y0": y0,
        "cols": x1 - x0 + 1,
        "rows": len(rows),
        "cells": rows,
        "known_cells": len(area.cells()),
    }


def _cell(area: Area, cell: tuple[int, int]) -> str:
    return _CELL_CHARS[area.classify(cell)]


_CELL_CHARS = {"visited": "v", "exit": "*", "open": ".", "wall": "#", "unknown": "?"}


def warps_json(explored: ExploredMap, here: MapId | None) -> list[JSONDict]:
    """Every known warp: those of map `here` first (labelled 1-9, a-z as the minimap does), then by map."""
    out: list[JSONDict] = []
    keys = sorted(explored.areas, key=lambda k: (k != here, *map_order(k)))
    for key in keys:
        warps = sorted(explored.areas[key].warps.values(), key=lambda w: (w.cell[1], w.cell[0]))
        for i, w in enumerate(warps):
            label = minimap.LABELS[i] if key == here and i < len(minimap.LABELS) else ""
            out.append(
                {
                    "map": key,
                    "map_name": explored.name(key),
                    "x": w.cell[0],
                    "y": w.cell[1],
                    "label": label,
                    "here": key == here,
                    "target": w.target,
                    "target_name": explored.name(w.target),
                    "to": list(w.to),
                }
            )
    return out


__all__ = ["CHECKPOINT_EVERY", "MAX_CHECKPOINTS", "Fold", "MapFolds", "copy_map", "grid_json", "map_json"]
