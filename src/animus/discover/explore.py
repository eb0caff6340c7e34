"""A seeded go-explore over an unknown game's screens, recording RAM and tiles around every press.

Deterministic for a ROM and a seed: the only randomness is the `random.Random` it is given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from animus.discover import screens
from animus.games.screen import visible_tiles

if TYPE_CHECKING:
    from animus.emulator import GameBoy

# A press long enough for slow games to finish what it started (a Pokémon step takes 16 frames), then time for
# the screen to settle after it (a door's fade, a redraw with the LCD off).
HOLD, WAIT = 10, 30
DIRECTIONS = ("right", "left", "down", "up")
BURST = 40  # presses played from one chosen screen before choosing again
MAX_CELLS = 5000  # distinct screens remembered as places to explore from, to bound memory
REPLAY = 16  # a screen reached by more presses than this from a saved state gets a saved state of its own


@dataclass(frozen=True)
class Layout:
    """Which address ranges a RAM snapshot holds: work RAM and high RAM, and cartridge RAM when there is some."""

    regions: tuple[tuple[int, int], ...]

    @classmethod
    def for_cartridge(cls, ram_size_kib: int) -> Layout:
        """The layout for a cartridge with `ram_size_kib` of its own RAM (0 for none)."""
        cart = ((0xA000, 0xC000),) if ram_size_kib else ()
        return cls(((0xC000, 0xE000), (0xFF80, 0xFFFF), *cart))

    def addresses(self) -> np.ndarray:
        """The address of each byte of a snapshot, in snapshot order."""
        return np.concatenate([np.arange(lo, hi) for lo, hi in self.regions])

    def snapshot(self, gb: GameBoy) -> np.ndarray:
        """The bytes of every region now, as one uint8 array."""
        return np.frombuffer(b"".join(gb.read(lo, hi - lo) for lo, hi in self.regions), dtype=np.uint8)


def tiles_now(gb: GameBoy) -> np.ndarray:
    """The 360 visible background tile ids now, as a uint8 array."""
    return np.frombuffer(visible_tiles(gb), dtype=np.uint8)


@dataclass
class Cell:
    """A distinct screen reached, as a recipe: load saved state `base`, then replay `presses`. Saving a state
    for every screen would cost more than everything else; replaying a few presses is cheap."""

    base: int
    presses: tuple[str, ...]
    visits: int = 0


@dataclass
class Explorer:
    """Bursts of presses from screens already reached, the least played from first, new places soonest.

    Screens are grouped by `screens.place`, so that one map seen with the player in many spots is one place with
    many screens to start from, and a new map is a new place whose few screens weigh more. Every press is kept as
    a transition (RAM and tiles before and after); `doors` are the screens on both sides of every wholesale screen
    change, where a map id changes.
    """

    gb: GameBoy
    layout: Layout
    rng: random.Random
    bases: list[bytes] = field(default_factory=list)
    places: dict[str, list[Cell]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    doors: list[Cell] = field(default_factory=list)
    before: list[np.ndarray] = field(default_factory=list)
    after: list[np.ndarray] = field(default_factory=list)
    tiles_before: list[np.ndarray] = field(default_factory=list)
    tiles_after: list[np.ndarray] = field(default_factory=list)

    def start(self) -> np.ndarray:
        """Make the state now the first screen to explore from; return its RAM."""
        self.bases.append(self.gb.save_state())
        self._note(tiles_now(self.gb), Cell(0, ()))
        return self.layout.snapshot(self.gb)

    def cells(self) -> list[Cell]:
        """Every screen reached, place by place in the order they were found."""
        return [cell for cells in self.places.values() for cell in cells]

    def restore(self, cell: Cell) -> None:
        """Bring the emulator to `cell`. A long replay is done once: a state is saved for it."""
        self.gb.load_state(self.bases[cell.base])
        for button in cell.presses:
            self.gb.press(button, HOLD, WAIT, render=False)
        if len(cell.presses) > REPLAY:
            self.bases.append(self.gb.save_state())
            cell.base, cell.presses = len(self.bases) - 1, ()

    def run(self, presses: int) -> None:
        """Play `presses` presses in bursts of BURST, each from a chosen screen."""
        done = 0
        while done < presses:
            cell = self._choose()
            self.restore(cell)
            ram, tiles = self.layout.snapshot(self.gb), tiles_now(self.gb)
            path = list(cell.presses)
            last, stuck = self.rng.choice(DIRECTIONS), 0
            for _ in range(min(BURST, presses - done)):
                last = pick(self.rng, last, stuck)
                self.gb.press(last, HOLD, WAIT, render=False)
                path.append(last)
                new_ram, new_tiles = self.layout.snapshot(self.gb), tiles_now(self.gb)
                self._note(new_tiles, Cell(cell.base, tuple(path)))
                if screens.wholesale(tiles, new_tiles):  # a door, most likely: probe from both sides of it
                    self.doors += [Cell(cell.base, tuple(path[:-1])), Cell(cell.base, tuple(path))]
                stuck = 0 if np.any(new_tiles != tiles) else stuck + 1
                self.before.append(ram)
                self.after.append(new_ram)
                self.tiles_before.append(tiles)
                self.tiles_after.append(new_tiles)
                ram, tiles = new_ram, new_tiles
                done += 1

    def _note(self, tiles: np.ndarray, cell: Cell) -> None:
        key = screens.key(tiles)
        if key not in self.seen and len(self.seen) < MAX_CELLS:
            self.seen.add(key)
            self.places.setdefault(screens.place(tiles), []).append(cell)

    def _choose(self) -> Cell:
        # Go-explore's rule: screens played from less often are likelier; each of a place's screens counts for
        # less when the place has many, so that a new map is explored soon after it is found.
        cells, weights = [], []
        for group in self.places.values():
            share = 1.0 / len(group) ** 0.5
            for cell in group:
                cells.append(cell)
                weights.append(share / (1 + cell.visits))
        cell = self.rng.choices(cells, weights)[0]
        cell.visits += 1
        return cell


def pick(rng: random.Random, last: str, stuck: int) -> str:
    """The next exploration button: mostly the d-pad, going on the same way while that changes the screen (it
    crosses rooms quickly), turning when it does not; A or B now and then, and more when nothing moves (a dialog).
    `stuck` is how many presses in a row left the screen as it was."""
    roll = rng.random()
    if roll < 0.08 or (stuck >= 3 and roll < 0.4):
        return "a"
    if roll < 0.12 or (stuck >= 3 and roll < 0.5):
        return "b"
    if not stuck and last in DIRECTIONS and roll < 0.85:
        return last
    return rng.choice([d for d in DIRECTIONS if d != last])
