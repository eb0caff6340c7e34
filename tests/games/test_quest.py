"""The Animus Quest profile on the real bundled ROM, played through the emulator facade."""

from __future__ import annotations

from pathlib import Path

import pytest

from animus.emulator import GameBoy
from animus.games import Tracker, load_profile
from animus.games.profile import Profile
from tests.conftest import CLASSIC

MILESTONES = [
    "left_house",
    "talked_elder",
    "found_key",
    "opened_gate",
    "reached_cave",
    "beat_guardian",
    "got_badge",
    "finished",
]

# What the model sees right after START: cartridge/classic/art/maps.txt area 0 in the profile's legend, '@' at (8,5).
HOUSE_MAP = """\
Map, 20 columns x 14 rows (x = column from 0 at left, y = row from 0 at top; @ = you at x=8, y=5):
   0         1
   01234567890123456789
 0 ####################
 1 #..................#
 2 #.####.......N.....#
 3 #..................#
 4 #..................#
 5 #.......@..........#
 6 #..................#
 7 #....###...........#
 8 #....###...........#
 9 #..................#
10 #..................#
11 #..................#
12 #..................#
13 #########D##########
Legend: . floor | # wall, tree or rock (blocks) | D door (step on it to change area) \
| N person (blocks; face it and press A to talk) | @ you
Next to you: up (8,4) floor; down (8,6) floor; left (7,5) floor; right (9,5) floor."""


@pytest.fixture(scope="module")
def quest() -> Profile:
    return load_profile(CLASSIC)


def test_the_walkthrough_reaches_every_milestone_in_order(
    quest: Profile, quest_rom: Path, walkthrough: list[str]
) -> None:
    tracker = Tracker(quest)
    order: list[str] = []
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        assert tracker.update(quest.read(gb)) == []
        for button in walkthrough:
            gb.press(button)
            state = quest.read(gb)
            order += [m.id for m in tracker.update(state)]
            place = (state.value("map"), state.value("x"), state.value("y"), state.value("mode"))
            assert state.position == (place if state.value("mode") == 1 else ()), "off the map but when walking"
            assert not tracker.finished or order[-1] == "finished"
    assert order == MILESTONES == [m.id for m in quest.milestones]
    assert tracker.finished and tracker.reached == frozenset(MILESTONES)
    assert state.value("playthroughs") == 1 and "ending screen" in state.text


def test_the_house_as_the_model_sees_it(quest: Profile, quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        title = quest.read(gb)
        assert "title screen" in title.text and "Press START" in title.text and "Map," not in title.text
        gb.press("start")
        state = quest.read(gb)
    assert state.text.startswith(
        "Game: Animus Quest, a top-down adventure. Mode: walking (overworld).\n"
        "Area: HOUSE (area id 0). You are at x=8, y=5, facing down.\n"
        "Items: key no, badge no. Steps this playthrough: 0.\n"
    )
    assert state.text.endswith(HOUSE_MAP)
    assert state.dialog == "" and "Dialog" not in state.text
    assert state.value("text") == ""
    rows = [line[3:] for line in HOUSE_MAP.splitlines()[3:17]]
    assert all(len(row) == 20 for row in rows) and len(rows) == 14


def test_dialog_text_appears_while_a_dialog_is_open(quest: Profile, quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        for button in ["start", "up", "up", *["right"] * 5, "up"]:
            gb.press(button)
        facing_mother = quest.read(gb)
        assert (facing_mother.value("x"), facing_mother.value("y"), facing_mother.value("facing")) == (13, 3, 1)
        assert "up (13,2) npc" in facing_mother.text
        gb.press("a")
        talking = quest.read(gb)
        gb.press("a")
        closed = quest.read(gb)
    assert talking.value("mode") == 2
    assert talking.dialog.replace("\n", " ") == "BE CAREFUL OUT THERE!"
    assert "Dialog text on screen:\n  | BE CAREFUL" in talking.text
    assert "press A to show the next page or to close it" in talking.text
    assert "Mode: dialog." in talking.text and "Map, 20 columns" in talking.text
    assert closed.value("mode") == 1 and closed.dialog == "" and "Dialog" not in closed.text


def test_battle_state_shows_hp_and_the_menu_cursor(quest: Profile, quest_rom: Path, walkthrough: list[str]) -> None:
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        for button in walkthrough:
            gb.press(button)
            state = quest.read(gb)
            if state.value("mode") == 3:
                break
        assert "Battle with the GUARDIAN. Your HP: 20. Guardian HP: 30." in state.text
        assert "the cursor is on FIGHT" in state.text and "Map," not in state.text
        gb.press("down")
        assert "the cursor is on RUN" in quest.read(gb).text


def test_tracker_rebuilds_from_what_a_store_keeps(quest: Profile) -> None:
    tracker = Tracker(quest, reached=["left_house", "finished", "not-a-milestone"], screens=["a", "b", "a"])
    assert tracker.reached == {"left_house", "finished"}
    assert tracker.screens_seen == 2 and tracker.screens == {"a", "b"}
    assert tracker.finished
