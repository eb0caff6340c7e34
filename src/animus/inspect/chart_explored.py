"""The explored map of runs after their last step, one panel per map, drawn with matplotlib to a PNG (or SVG).

    draw_explored([run_a, run_b], Path("explored.png"))   # -> "wrote explored.png (png, 183,204 bytes): ..."

Contracts:
- A run is read from its directory alone: its profile.toml, and its run.db through `RunReader`: every step's map
  delta (`steps.map_delta`, folded in step order as `ExploredMap.rebuild` does) and every step's state (where the
  player stood: visit counts, and the cell it was on after its last step). A store older than schema 6 has no
  deltas; its map is the cells its steps stood on.
- Every run must have a map position, and all of one profile (map ids of different games name different places):
  otherwise `BadInputError`, one line naming the run, before anything is drawn. So are: no runs, runs with no step
  on the map yet, an output that is not .png or .svg. A damaged store or delta is a `RunError`.
- Several runs share one panel per map id: the union of their facts (each run's deltas applied in turn), visits
  summed. Each panel shows the cells (stood on, walkable, blocked, a way out not taken, unknown), the known warps
  numbered with their destinations' names listed under the panel, the visits as a heat overlay (log scale), and
  where each run ended. At most `MAX_MAPS` panels, the most visited maps, in map id order; the summary says how
  many were left out.
- The file is written atomically (`write_output`): a failure leaves no file and no partial file.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from animus.errors import BadInputError, RunError
from animus.games import Profile, load_profile
from animus.games.spatial import Spot
from animus.inspect.chart_plot import figure, save_figure
from animus.inspect.output import check_writable, write_output
from animus.runs.reader import RunReader
from animus.spatial.explored import Area, ExploredMap, MapDelta, MapId, map_order
from animus.spatial.minimap import LABELS  # warps are numbered as the minimap numbers them

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

PROFILE_FILE = "profile.toml"  # beside run.db: the exact profile the run played with (written by the runner)
FORMATS = (".png", ".svg")
MAX_MAPS = 24
MAX_WARP_LINES = 8  # destinations listed under a panel; the rest are counted
# Cell codes drawn, and their colors: unknown, walkable (seen), stood on, blocked, a way out not taken, a warp.
UNKNOWN, OPEN_CELL, STOOD, BLOCKED, WAY_OUT, WARP_CELL = range(6)
COLORS = ("#f4f4f4", "#cfe8d5", "#7cc98f", "#5b606c", "#f2c14e", "#9b6bd6")
HEAT = ((0.85, 0.15, 0.1, 0.12), (0.55, 0.0, 0.1, 0.8))  # RGBA of one visit and of the most visited cell
NAMES = ("unknown", "walkable", "stood on", "blocked", "a way out not taken", "warp (numbered)")


@dataclass
class Explored:
    """What the runs charted know together: the folded map, visits per (map, cell), and where each run ended."""

    explored: ExploredMap = field(default_factory=ExploredMap)
    visits: dict[MapId, Counter[tuple[int, int]]] = field(default_factory=dict)
    ends: list[Spot] = field(default_factory=list)


def read_explored(run_dirs: Sequence[Path]) -> tuple[Explored, Profile]:
    """Fold every run of `run_dirs` into one `Explored` (see the module docstring); the first run's profile."""
    if not run_dirs:
        raise BadInputError("no runs to draw: give one or more run directories.")
    profiles = [_profile(Path(d)) for d in run_dirs]
    first = profiles[0]
    for run_dir, profile in zip(run_dirs, profiles, strict=True):
        if profile.id != first.id:
            raise BadInputError(
                f"run {run_dir} played profile {profile.id!r}, not {first.id!r} as {run_dirs[0]} did: an explored "
                "map charts runs of one game (map ids of different games name different places)."
            )
    out = Explored()
    for run_dir, profile in zip(run_dirs, profiles, strict=True):
        _fold_run(Path(run_dir), profile, out)
    if not any(out.visits.values()):
        raise BadInputError("the runs have no steps on the map yet: nothing to draw on an explored map.")
    return out, first


def explored_image(run_dirs: Sequence[Path], title: str | None, fmt: str) -> bytes:
    """The explored map of `run_dirs` after their last step as `fmt` ("png" or "svg") bytes, for
    `animus chart --kind map`; the same refusals as `draw_explored`."""
    return _image(*read_explored(run_dirs), len(run_dirs), title, fmt)[0]


def _image(data: Explored, profile: Profile, runs: int, title: str | None, fmt: str) -> tuple[bytes, int]:
    """The drawing of the most visited maps (at most `MAX_MAPS`), and how many maps it draws."""
    keys = sorted(data.visits, key=lambda k: -sum(data.visits[k].values()))[:MAX_MAPS]
    keys.sort(key=map_order)
    heading = title if title is not None else f"Explored map · {profile.name} · {runs} run(s)"
    return _draw(data, keys, heading, fmt), len(keys)


def draw_explored(run_dirs: Sequence[Path], out: Path, title: str | None = None) -> str:
    """Draw the explored map of `run_dirs` after their last step to `out` (.png or .svg); one line saying what it
    wrote. `BadInputError` for runs without a map position, of different profiles, or with no step on the map."""
    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in FORMATS:
        raise BadInputError(f"cannot draw an explored map to {out}: the file must end in {' or '.join(FORMATS)}.")
    check_writable(out, "the chart")
    data, profile = read_explored(run_dirs)
    image, drawn = _image(data, profile, len(run_dirs), title, fmt[1:])
    write_output(out, image, "the chart")
    areas = data.explored.areas
    cells = sum(len(areas[k].cells()) for k in areas)
    warps = sum(len(areas[k].warps) for k in areas)
    left = len(data.visits) - drawn
    more = f" ({left} more maps not drawn)" if left > 0 else ""
    return (
        f"wrote {out} ({fmt[1:]}, {len(image):,} bytes): {len(run_dirs)} run(s), {drawn} maps{more}, "
        f"{cells:,} known cells, {warps} warps"
    )


# -- reading -----------------------------------------------------------------------------------------------------


def _profile(run_dir: Path) -> Profile:
    path = run_dir / PROFILE_FILE
    if not path.is_file():
        raise RunError(f"run {run_dir} has no {PROFILE_FILE}: it is incomplete (or not a run), so it has no map.")
    profile = load_profile(str(path))
    if profile.map_fields is None:
        raise BadInputError(
            f"run {run_dir} has no map position (profile {profile.id!r} reads no map id, x and y): "
            "an explored map needs one; chart its progress instead."
        )
    return profile


def _fold_run(run_dir: Path, profile: Profile, out: Explored) -> None:
    """Apply the run's deltas to `out.explored`, stand at each step's spot, count the visits, note the end."""
    last: Spot | None = None
    try:
        with RunReader.open(run_dir) as store:
            for row in store.steps():
                try:
                    out.explored.apply(MapDelta.from_json(row.map_delta))
                except (ValueError, TypeError, KeyError) as exc:
                    raise RunError(f"run {run_dir} has a damaged map delta at step {row.step} ({exc}).") from None
                spot = profile.stored_spot(row.state)
                if spot is not None:
                    out.explored.stand(spot)  # what a store without deltas knows; nothing new in one with them
                    out.visits.setdefault(spot.map, Counter())[spot.cell] += 1
                    last = spot
    except sqlite3.DatabaseError as exc:
        raise RunError(f"run {run_dir} cannot be read ({exc}): its run.db is damaged.") from None
    out.explored.take_delta()  # the stands' journal: nothing to keep
    if last is not None:
        out.ends.append(last)


# -- drawing -------------------------------------------------------------------------------------------------------


def cell_code(area: Area, cell: tuple[int, int]) -> int:
    """What a cell is drawn as (one of the cell codes)."""
    if cell in area.warps:
        return WARP_CELL
    return _CODES[area.classify(cell)]


_CODES = {"visited": STOOD, "exit": WAY_OUT, "open": OPEN_CELL, "wall": BLOCKED, "unknown": UNKNOWN}


def _draw(data: Explored, keys: Sequence[MapId], title: str, fmt: str) -> bytes:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = figure(4.6 * cols, 0.6 + 4.6 * rows)
    fig.suptitle(title)
    top = max(max(c.values()) for c in data.visits.values())
    for i, key in enumerate(keys):
        _panel(fig.add_subplot(rows, cols, i + 1), data, key, top)
    handles: list[Artist] = [
        Patch(facecolor=c, edgecolor="#999999", label=n) for c, n in zip(COLORS, NAMES, strict=True)
    ]
    handles.append(Line2D([], [], marker="*", color="#1f6feb", linestyle="none", markersize=10, label="a run's end"))
    handles.append(Patch(facecolor=HEAT[1], label="visits (log scale: darker, more)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return save_figure(fig, fmt)


def _panel(ax: Axes, data: Explored, key: MapId, top: int) -> None:
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap, LogNorm
    from matplotlib.ticker import MaxNLocator

    explored = data.explored
    area = explored.areas.get(key) or Area()
    visits = data.visits.get(key, Counter())
    known = area.cells() | set(visits)
    x0, x1 = min(c[0] for c in known), max(c[0] for c in known)
    y0, y1 = min(c[1] for c in known), max(c[1] for c in known)
    extent = (x0 - 0.5, x1 + 0.5, y1 + 0.5, y0 - 0.5)
    codes = np.array([[cell_code(area, (x, y)) for x in range(x0, x1 + 1)] for y in range(y0, y1 + 1)])
    ax.imshow(codes, cmap=ListedColormap(COLORS), vmin=0, vmax=len(COLORS) - 1, extent=extent, interpolation="nearest")
    heat = np.zeros(codes.shape, dtype=float)
    for (x, y), n in visits.items():
        heat[y - y0, x - x0] = n
    ramp = LinearSegmentedColormap.from_list("visits", HEAT)  # from nearly clear to deep red: cells show through
    norm = LogNorm(vmin=1, vmax=max(2, top))
    ax.imshow(np.ma.masked_equal(heat, 0), cmap=ramp, norm=norm, extent=extent, interpolation="nearest")
    warps = sorted(area.warps.values(), key=lambda w: (w.cell[1], w.cell[0]))
    lines = []
    for i, w in enumerate(warps):
        label = LABELS[i] if i < len(LABELS) else "+"
        ax.text(*w.cell, label, ha="center", va="center", fontsize=7, color="white", fontweight="bold")
        if i < MAX_WARP_LINES:
            lines.append(f"{label} ({w.cell[0]},{w.cell[1]}) → {explored.name(w.target)}")
    if len(warps) > MAX_WARP_LINES:
        lines.append(f"… {len(warps) - MAX_WARP_LINES} more warps")
    for end in data.ends:
        if end.map == key:
            ax.plot(end.x, end.y, marker="*", markersize=11, color="#1f6feb", markeredgecolor="white", linestyle="none")
    total = sum(visits.values())
    ax.set_title(f"{explored.name(key)} (map {key}) · {len(area.cells()):,} cells · {total:,} steps", fontsize=9)
    ax.set_xlabel("\n".join(lines) if lines else "no warps known", fontsize=7, loc="left")
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


__all__ = ["MAX_MAPS", "Explored", "cell_code", "draw_explored", "read_explored"]
