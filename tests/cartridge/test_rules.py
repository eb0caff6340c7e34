"""The classic Animus Quest's rules, in the real emulator: walls, dialogs, the one-time hint, the gate, the battle.

Paths between places come from the cartridge's own map data (cartridge/classic/art/maps.txt, via
cartridge/classic/solve.py), so a test fails if the ROM and its documented map disagree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from animus.emulator import GameBoy
from tests.conftest import CLASSIC_DIR


def _classic_tools() -> tuple[ModuleType, ModuleType]:
    """cartridge/classic/solve.py and the tools/world.py it imports, loaded without leaving a `solve` or `world` on
    sys.path or in sys.modules: another cartridge's tools may use the same module names."""
    names = ("solve", "world")
    saved_path, saved = list(sys.path), {n: sys.modules.pop(n) for n in names if n in sys.modules}
    sys.path.insert(0, str(CLASSIC_DIR))
    try:
        return importlib.import_module("solve"), importlib.import_module("world")
    finally:
        sys.path[:] = saved_path
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


solve, world = _classic_tools()

TILEMAP = 0x9800
KEY, BADGE = 1, 2


@dataclass
class Quest:
    """A GameBoy playing Animus Quest, with readers for the RAM map of cartridge/classic/README.md."""

    gb: GameBoy
    gate_open: bool = False
    guardian_gone: bool = False

    def press(self, *buttons: str) -> None:
        for button in buttons:
            self.gb.press(button, hold_frames=3, wait_frames=8)

    def byte(self, address: int) -> int:
        return self.gb.read(address)[0]

    @property
    def mode(self) -> int:
        return self.byte(0xC002)

    @property
    def where(self) -> tuple[int, int, int, int]:
        """(map, x, y, facing)."""
        return tuple(self.gb.read(0xC003, 4))  # type: ignore[return-value]

    @property
    def flags(self) -> int:
        return self.byte(0xC007)

    @property
    def dialog(self) -> int:
        return self.byte(0xC00C)

    @property
    def text(self) -> str:
        return self.gb.read(0xC020, 36).decode("ascii")

    def box_row(self, row: int) -> str:
        """Text row 15 or 16 of the screen's text box, read from the background tile map."""
        return self.gb.read(TILEMAP + row * 32 + 1, 18).decode("ascii")

    def go_face(self, script: str) -> None:
        presses, _ = solve.path_to_face(self.where, script, self.gate_open, self.guardian_gone)
        self.press(*(world.DIR_NAME[d].lower() for d in presses))

    def talk(self, script: str) -> None:
        self.go_face(script)
        self.press("a")

    def close_dialog(self) -> None:
        for _ in range(10):
            if self.mode != 2:
                return
            self.press("a")
        raise AssertionError("the dialog did not close within 10 presses of A")


@pytest.fixture
def quest(quest_rom: Path) -> Iterator[Quest]:
    with GameBoy(quest_rom) as gb:
        q = Quest(gb)
        q.press("start")
        assert q.mode == 1 and q.where[0] == 0
        yield q


def test_screen_shows_the_documented_map(quest: Quest) -> None:
    area = solve.AREAS[0]
    _, x, y, _ = quest.where
    for row in range(world.H):
        tiles = quest.gb.read(TILEMAP + row * 32, world.W)
        expected = bytes(world.TILE[ch] for ch in area.rows[row])
        if row == y:  # the player is a background tile too (0x8B-0x8E by facing)
            assert 0x8B <= tiles[x] <= 0x8E
            tiles = tiles[:x] + expected[x : x + 1] + tiles[x + 1 :]
        assert tiles == expected, f"row {row} of the house differs from cartridge/classic/art/maps.txt"
    assert quest.box_row(15).strip() == "MY HOUSE"
    assert quest.box_row(16).strip() == "ITEMS: NONE"


def test_one_tile_per_press_and_walls_block(quest: Quest) -> None:
    _, x, y, _ = quest.where
    quest.press("left")
    assert quest.where[1:3] == (x - 1, y)
    assert int.from_bytes(quest.gb.read(0xC00E, 2), "little") == 1
    for _ in range(20):
        quest.press("up")
    _, x2, y2, facing = quest.where
    assert (x2, y2) == (x - 1, 1), "the player should stop at the wall below row 0"
    assert facing == world.UP
    assert int.from_bytes(quest.gb.read(0xC00E, 2), "little") == 1 + (y - 1)


def test_dialog_opens_advances_and_closes(quest: Quest) -> None:
    quest.talk("MOTHER")
    assert quest.mode == 2
    assert quest.text[:18].strip() == quest.box_row(15).strip() == "BE CAREFUL OUT"
    before = quest.where
    quest.press("down")
    assert quest.where == before, "the d-pad does nothing while a dialog is open"
    quest.close_dialog()
    assert quest.dialog == 0 and quest.text == " " * 36
    assert quest.box_row(15).strip() == "MY HOUSE"


def test_the_elder_gives_the_hint_only_once(quest: Quest) -> None:
    quest.talk("ELDER")
    pages = []
    while quest.mode == 2:
        pages.append(quest.text)
        quest.press("a")
    hint = " ".join(pages)
    assert "WELL" in hint and "FOREST" in hint, hint
    assert quest.flags & 0b10
    quest.press("a")  # still facing him
    again = []
    while quest.mode == 2:
        again.append(quest.text)
        quest.press("a")
    assert again and "WELL" not in " ".join(again), again


def test_only_the_east_well_holds_the_key_and_the_gate_needs_it(quest: Quest) -> None:
    quest.talk("GATE")
    assert "LOCKED" in quest.text
    quest.close_dialog()
    assert not quest.flags & 0b1000
    quest.talk("WELL_MUD")
    assert "MUDDY" in quest.text and quest.byte(0xC008) == 0
    quest.close_dialog()
    quest.talk("WELL_KEY")
    assert "KEY" in quest.text and quest.byte(0xC008) == KEY
    quest.close_dialog()
    quest.press("a")
    assert "EMPTY" in quest.text
    quest.close_dialog()
    quest.talk("GATE")
    assert quest.flags & 0b1000, "the gate should open with the key"
    quest.close_dialog()
    quest.gate_open = True
    quest.go_face("GUARDIAN")
    assert quest.where[0] == 4 and quest.flags & 0b10000, "walking through the open gate reaches the cave"


def test_battle_menu_fixed_damage_and_run(quest: Quest) -> None:
    quest.talk("WELL_KEY")
    quest.close_dialog()
    quest.talk("GATE")
    quest.close_dialog()
    quest.gate_open = True
    quest.talk("GUARDIAN")
    quest.close_dialog()
    assert quest.mode == 3
    assert (quest.byte(0xC009), quest.byte(0xC00A), quest.byte(0xC00B)) == (20, 30, 0)
    quest.press("a")  # FIGHT
    assert (quest.byte(0xC009), quest.byte(0xC00A)) == (16, 20)
    quest.press("down", "a")  # RUN
    assert quest.mode == 1 and not quest.flags & 0b100000
    quest.talk("GUARDIAN")
    quest.close_dialog()
    assert (quest.byte(0xC009), quest.byte(0xC00A)) == (20, 30), "HP resets for a new battle"
    quest.press("a", "a", "a")
    assert quest.flags & 0b100000 and quest.mode == 2
    quest.close_dialog()
    assert quest.gb.read(TILEMAP + 4 * 32 + 16)[0] == 0x80, "the guardian's tile becomes floor"
