"""The generic profile on the bundled ROM: milestones count distinct screens."""

from __future__ import annotations

from pathlib import Path

from animus.emulator import GameBoy
from animus.games import Tracker, load_profile


def test_screens_milestones_are_reached_in_order(quest_rom: Path, walkthrough: list[str]) -> None:
    generic = load_profile("generic")
    tracker = Tracker(generic)
    order: list[str] = []
    counts = []
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        for button in walkthrough[:120]:
            gb.press(button)
            state = generic.read(gb)
            order += [m.id for m in tracker.update(state)]
            counts.append(tracker.screens_seen)
            assert state.position == (state.screen,)
    assert counts == sorted(counts) and counts[-1] >= 25
    assert order[:2] == ["screens_5", "screens_10"]
    assert order == [m.id for m in generic.milestones][: len(order)]
    assert not tracker.finished
    assert 'Unknown game (cartridge title "ANIMUSQUEST")' in state.text


def test_the_title_screen_alone_reaches_nothing(quest_rom: Path) -> None:
    generic = load_profile("generic")
    tracker = Tracker(generic)
    with GameBoy(quest_rom) as gb:
        for _ in range(10):
            gb.tick(30)
            assert tracker.update(generic.read(gb)) == []
    assert tracker.screens_seen < 5 and tracker.reached == frozenset()
