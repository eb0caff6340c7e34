"""Where runs went: visits per (x, y) on each map, from the positions a profile reads.

Contracts:
- A profile's `[position] fields` give the map id (the first field) and x and y (the next two). A profile with
  fewer than three position fields, or one whose position is the screen hash (`generic`), has no map position:
  `BadInputError`.
- Unlike the progress chart, this scans every step of every run (`RunReader.steps()`), once. A step whose x or y
  is not an integer is skipped.
- Map names come from the profile's `[maps]` table named by the map field's `map` key, else the id is used.
"""

from __future__ import annotations

import sqlite3
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from animus.errors import BadInputError, ProfileError, RunError
from animus.games import GameState, Profile
from animus.runs.reader import RunReader


@dataclass(frozen=True)
class MapVisits:
    """Steps that ended on each (x, y) of one map, over all runs charted."""

    key: str  # the map id as text
    name: str
    counts: dict[tuple[int, int], int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def map_fields(profile: Profile) -> tuple[str, str, str]:
    """The (map, x, y) position fields of `profile`; `BadInputError` if it has no map position."""
    fields = profile.map_fields
    if fields is None:
        raise BadInputError(
            f"profile {profile.id!r} has no map position (its [position] fields are "
            f"{list(profile.position_fields or ())}): a map chart needs a map id, x and y; use --kind progress."
        )
    return fields


def map_names(profile: Profile) -> dict[str, str]:
    """Map id (as text) -> name, from the `[maps]` table the map field names; {} when there is none."""
    field = map_fields(profile)[0]
    try:
        data = tomllib.loads(profile.source)
    except tomllib.TOMLDecodeError:  # a loaded profile parsed once already; be safe rather than crash a chart
        return {}
    table = data.get("fields", {}).get(field, {}).get("map")
    names = data.get("maps", {}).get(table, {}) if isinstance(table, str) else {}
    return {str(k): str(v) for k, v in names.items()}


def count_visits(run_dirs: Sequence[Path], profiles: Sequence[Profile]) -> list[MapVisits]:
    """Visits per map over all `run_dirs` (each with its own profile), ordered by map id. Raises when none."""
    counts: dict[str, Counter[tuple[int, int]]] = {}
    for run_dir, profile in zip(run_dirs, profiles, strict=True):
        map_fields(profile)  # every run must have a map position, not only the first
        try:
            with RunReader.open(run_dir) as store:
                for row in store.steps():
                    position = GameState.from_json(row.state).position
                    if position is None or len(position) < 3:
                        continue
                    key, x, y = position[0], position[1], position[2]
                    if isinstance(x, int) and isinstance(y, int) and x >= 0 and y >= 0:
                        counts.setdefault(str(key), Counter())[(x, y)] += 1
        except sqlite3.DatabaseError as exc:
            raise RunError(f"run {run_dir} cannot be read ({exc}): its run.db is damaged.") from None
        except ProfileError as exc:
            raise RunError(f"run {run_dir} has a damaged step: {exc}") from None
    if not counts:
        raise BadInputError("the runs have no steps with a map position yet: nothing to draw on a map chart.")
    names = map_names(profiles[0])
    return [
        MapVisits(key, f"{names[key]} (map {key})" if key in names else f"map {key}", dict(counts[key]))
        for key in sorted(counts, key=_map_order)
    ]


def _map_order(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.lstrip("-").isdigit() else (1, key)
