"""What `discover` sees of an unknown ROM: past the title, a seeded exploration, then scripted d-pad probes.

Everything here is deterministic for a ROM and a seed: the only randomness is one `random.Random(seed)`, and the
emulator is deterministic. Nothing is rendered (`render=False`): the screen is read from VRAM as tile ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from animus.discover.explore import DIRECTIONS, HOLD, WAIT, Cell, Explorer, Layout, tiles_now

if TYPE_CHECKING:
    from animus.emulator import GameBoy

T = TypeVar("T")

# Past the title: START and A a few times, with time for each screen to appear. Games that ignore one use the other.
TITLE_PRESSES = ("start", "a", "start", "a", "a")
TITLE_WAIT = 60
BOOT_FRAMES = 120
PRESSES = 2000  # exploration presses, at least
MORE_PRESSES = 1000  # played on when the exploration has crossed fewer than MIN_DOORS wholesale screen changes
MIN_DOORS = 3
# Long enough for a frame counter's high byte, an animation or a wandering sprite to show itself.
IDLE_FRAMES = 300
IDLE_STATES = 8


@dataclass
class Observations:
    """What the exploration and the probes saw. RAM arrays are uint8 with one column per `addresses` entry.

    A probe is two presses of one d-pad direction: `probe_ram[p]` holds the RAM before, after the first and after
    the second press, `probe_tiles[p]` the visible tile ids at the same three moments. From each probe state the
    four directions are probed one after another (RIGHT, LEFT, DOWN, UP), each from where the last one ended.
    """

    addresses: np.ndarray
    probe_dirs: list[str]
    probe_ram: np.ndarray  # (P, 3, N)
    probe_tiles: np.ndarray  # (P, 3, 360)
    step_ram: np.ndarray  # (T, 2, N): before and after every exploration press
    step_tiles: np.ndarray  # (T, 2, 360)
    idle_ram: np.ndarray  # (I, 2, N): before and after IDLE_FRAMES without input
    first_ram: np.ndarray  # (N,): the RAM once past the title, where exploration starts
    states: int  # probe states
    presses: int  # exploration presses
    screens: int  # distinct screens seen
    doors: int  # wholesale screen changes seen while exploring


def pass_title(gb: GameBoy) -> None:
    """Press START and A a few times, with waits, to get from power-on into the game."""
    gb.tick(BOOT_FRAMES, render=False)
    for button in TITLE_PRESSES:
        gb.press(button, HOLD, TITLE_WAIT, render=False)


def spread(items: list[T], count: int) -> list[T]:
    """`count` items evenly spaced over `items`, first and last included (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    if count <= 1:
        return items[:count]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def _probe(explorer: Explorer, cells: list[Cell]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Press each direction twice, in turn, from each cell: (directions, RAM (P, 3, N), tiles (P, 3, 360))."""
    gb, layout = explorer.gb, explorer.layout
    dirs: list[str] = []
    rams: list[np.ndarray] = []
    tiles: list[np.ndarray] = []
    for cell in cells:
        explorer.restore(cell)
        ram, screen = layout.snapshot(gb), tiles_now(gb)
        for direction in DIRECTIONS:
            taken, shown = [ram], [screen]
            for _ in range(2):  # some games turn the player on the first press and only walk on the second
                gb.press(direction, HOLD, WAIT, render=False)
                taken.append(layout.snapshot(gb))
                shown.append(tiles_now(gb))
            dirs.append(direction)
            rams.append(np.stack(taken))
            tiles.append(np.stack(shown))
            ram, screen = taken[-1], shown[-1]
    return dirs, np.stack(rams), np.stack(tiles)


def _idle(explorer: Explorer, cells: list[Cell]) -> np.ndarray:
    """RAM before and after IDLE_FRAMES without input, from each cell: (I, 2, N)."""
    out = []
    for cell in cells:
        explorer.restore(cell)
        before = explorer.layout.snapshot(explorer.gb)
        explorer.gb.tick(IDLE_FRAMES, render=False)
        out.append(np.stack([before, explorer.layout.snapshot(explorer.gb)]))
    return np.stack(out)


def observe(gb: GameBoy, seed: int, probe_states: int) -> Observations:
    """Get past the title, explore with `random.Random(seed)`, then probe from `probe_states` of the screens
    reached: a third of them at doors (both sides of a wholesale screen change), the rest spread over the rest."""
    explorer = Explorer(gb, Layout.for_cartridge(gb.rom_info.ram_size_kib), random.Random(seed))
    pass_title(gb)
    first_ram = explorer.start()
    explorer.run(max(PRESSES, probe_states * 8))
    if len(explorer.doors) < 2 * MIN_DOORS:
        explorer.run(MORE_PRESSES)
    doors = spread(explorer.doors, probe_states // 3)
    # Not the screen exploration started from (it may still be a title), unless it never left it.
    reached = explorer.cells()[1:] or explorer.cells()
    cells = doors + spread(reached, probe_states - len(doors))
    dirs, probe_ram, probe_tiles = _probe(explorer, cells)
    return Observations(
        addresses=explorer.layout.addresses(),
        probe_dirs=dirs,
        probe_ram=probe_ram,
        probe_tiles=probe_tiles,
        step_ram=np.stack([np.stack(explorer.before), np.stack(explorer.after)], axis=1),
        step_tiles=np.stack([np.stack(explorer.tiles_before), np.stack(explorer.tiles_after)], axis=1),
        idle_ram=_idle(explorer, spread(cells, IDLE_STATES)),
        first_ram=first_ram,
        states=len(cells),
        presses=len(explorer.before),
        screens=len(explorer.seen),
        doors=len(explorer.doors) // 2,
    )
