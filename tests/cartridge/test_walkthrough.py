"""Animus Quest played to the end by its committed walkthrough, in the real emulator through the facade."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from animus.emulator import GameBoy
from tests.conftest import CLASSIC_DIR

MAGIC, VERSION, MODE, MAP, X, Y, FLAGS, INVENTORY, PLAYTHROUGHS = (
    0xC000,
    0xC001,
    0xC002,
    0xC003,
    0xC004,
    0xC005,
    0xC007,
    0xC008,
    0xC010,
)
TITLE, OVERWORLD, DIALOG, BATTLE, ENDING = range(5)


def u16(gb: GameBoy, address: int) -> int:
    return int.from_bytes(gb.read(address, 2), "little")


@pytest.mark.parametrize(("hold", "wait"), [(4, 12), (2, 6), (8, 30)])
def test_walkthrough_sets_every_milestone_in_order(
    quest_rom: Path, walkthrough: list[str], hold: int, wait: int
) -> None:
    order: list[int] = []
    modes_seen: set[int] = set()
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        assert gb.read(MAGIC, 2) == b"A\x01"
        assert gb.read(MODE)[0] == TITLE
        flags = 0
        for button in walkthrough:
            gb.press(button, hold, wait)
            now = gb.read(FLAGS)[0]
            assert now & flags == flags, "a milestone flag was cleared during the playthrough"
            for bit in range(8):
                if now & ~flags & (1 << bit):
                    order.append(bit)
            flags = now
            modes_seen.add(gb.read(MODE)[0])
        assert order == list(range(8)), f"milestones were set in the order {order}"
        assert gb.read(MODE)[0] == ENDING
        assert u16(gb, PLAYTHROUGHS) == 1
        assert modes_seen == {OVERWORLD, DIALOG, BATTLE, ENDING}

        gb.press("start", hold, wait)
        assert gb.read(MODE)[0] == OVERWORLD
        assert gb.read(MAP)[0] == 0
        assert gb.read(FLAGS)[0] == 0
        assert gb.read(INVENTORY)[0] == 0
        assert u16(gb, PLAYTHROUGHS) == 1


def test_second_playthrough_counts_again(quest_rom: Path, walkthrough: list[str]) -> None:
    """The walkthrough's first press is START: on the ending screen it begins the next playthrough."""
    with GameBoy(quest_rom) as gb:
        for button in walkthrough + walkthrough:
            gb.press(button)
        assert gb.read(MODE)[0] == ENDING
        assert gb.read(FLAGS)[0] == 0xFF
        assert u16(gb, PLAYTHROUGHS) == 2


def test_readme_states_the_walkthrough_length(walkthrough: list[str]) -> None:
    readme = (CLASSIC_DIR / "README.md").read_text()
    stated = {int(n) for n in re.findall(r"(\d+) presses", readme)}
    assert len(walkthrough) in stated, f"cartridge/classic/README.md should state {len(walkthrough)} presses"
