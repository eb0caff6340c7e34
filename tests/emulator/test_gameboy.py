"""The GameBoy facade on the real bundled cartridge: determinism, save states, inputs, side effects."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from animus.emulator import GameBoy
from animus.emulator.savestate import SaveState
from animus.errors import ButtonError, RomError, StateError
from tests.conftest import retitled

MODE = 0xC002


def play(gb: GameBoy, presses: list[str]) -> list[tuple[str, str]]:
    """Press each button in turn; return (frame hash, RAM hash) after each press."""
    hashes = []
    for button in presses:
        gb.press(button, hold_frames=4, wait_frames=12)
        hashes.append((gb.frame_hash(), gb.ram_hash()))
    return hashes


def test_boots_to_the_cartridge_and_renders_rgb(quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        assert gb.rom_info.title == "ANIMUSQUEST"
        assert 0 < gb.frame_count < 600
        assert gb.read(0x0134, 11) == b"ANIMUSQUEST"
        gb.tick(30)
        frame = gb.frame()
        assert frame.shape == (144, 160, 3) and frame.dtype == np.uint8
        assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 1, "the title screen should not be blank"
        assert gb.read(0xC000) == b"A"  # the cartridge's magic byte: its RAM map is live


def test_frame_is_a_copy(quest_rom: Path, walkthrough: list[str]) -> None:
    with GameBoy(quest_rom) as gb:
        gb.tick(30)
        before = gb.frame()
        snapshot = before.copy()
        play(gb, walkthrough[:3])
        assert np.array_equal(before, snapshot)
        assert not np.array_equal(before, gb.frame())


def test_same_inputs_give_the_same_hashes(quest_rom: Path, walkthrough: list[str]) -> None:
    presses = walkthrough[:80]
    with GameBoy(quest_rom) as a, GameBoy(quest_rom) as b:
        first, second = play(a, presses), play(b, presses)
    assert first == second
    assert len({f for f, _ in first}) > 10, "the walkthrough should change the screen"
    assert len({r for _, r in first}) > 10, "the walkthrough should change RAM"


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-instance", "same-instance"])
def test_save_load_continue_matches_uninterrupted(quest_rom: Path, walkthrough: list[str], fresh: bool) -> None:
    presses = walkthrough[:120]
    with GameBoy(quest_rom) as gb:
        uninterrupted = play(gb, presses)
    with GameBoy(quest_rom) as gb:
        play(gb, presses[:60])
        state, frames = gb.save_state(), gb.frame_count
        if fresh:
            gb.close()
            gb = GameBoy(quest_rom)
        else:
            play(gb, presses[60:75])  # wander off, then come back
        gb.load_state(state)
        assert gb.frame_count == frames
        assert (gb.frame_hash(), gb.ram_hash()) == uninterrupted[59], "a load restores the last frame and RAM"
        resumed = play(gb, presses[60:])
        gb.close()
    assert resumed == uninterrupted[60:]


def test_random_schedule_resumes_exactly(quest_rom: Path) -> None:
    """Arbitrary hold/wait lengths, many buttons, a save in the middle of a dialog or a walk."""
    rng = random.Random(3)
    schedule = [("start", 4, 20)] + [
        (rng.choice(["up", "down", "left", "right", "a", "a", "b"]), rng.randint(1, 8), rng.randint(1, 30))
        for _ in range(200)
    ]

    def run(gb: GameBoy, part: list[tuple[str, int, int]]) -> list[tuple[str, str]]:
        out = []
        for button, hold, wait in part:
            gb.press(button, hold, wait)
            out.append((gb.frame_hash(), gb.ram_hash()))
        return out

    with GameBoy(quest_rom) as gb:
        full = run(gb, schedule)
    with GameBoy(quest_rom) as gb:
        run(gb, schedule[:101])
        state = gb.save_state()
    with GameBoy(quest_rom) as gb:
        gb.load_state(state)
        assert run(gb, schedule[101:]) == full[101:]


def test_reset_returns_to_power_on(quest_rom: Path, walkthrough: list[str]) -> None:
    with GameBoy(quest_rom) as gb:
        start = gb.frame_count
        first = play(gb, walkthrough[:10])
        gb.reset()
        assert gb.frame_count == start
        assert play(gb, walkthrough[:10]) == first


def test_state_from_another_rom_is_refused(quest_rom: Path, quest_bytes: bytes, tmp_path: Path) -> None:
    other = tmp_path / "other.gb"
    other.write_bytes(retitled(quest_bytes, "OTHERQUEST"))
    with GameBoy(other) as gb:
        foreign = gb.save_state()
    with GameBoy(quest_rom) as gb, pytest.raises(StateError, match="open the ROM it was made with"):
        gb.load_state(foreign)


def test_state_from_another_pyboy_version_is_refused(quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        state = SaveState.unpack(gb.save_state())
        newer = SaveState(
            rom_sha256=state.rom_sha256,
            state_version=state.state_version + 1,
            frame_count=state.frame_count,
            pyboy_state=bytes([state.state_version + 1]) + state.pyboy_state[1:],
        )
        with pytest.raises(StateError, match="PyBoy state version"):
            gb.load_state(newer.pack())
        with pytest.raises(StateError, match="not an Animus save state"):
            gb.load_state(state.pyboy_state)


def test_bad_buttons_and_timings_are_refused(quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        with pytest.raises(ButtonError, match="unknown button 'jump'"):
            gb.press("jump")
        with pytest.raises(ButtonError, match="at least 1 frame"):
            gb.press("a", hold_frames=0)
        with pytest.raises(ButtonError, match="at least 1 frame"):
            gb.press("a", wait_frames=0)
        with pytest.raises(ButtonError, match="at least one button"):
            gb.press([])


def test_several_buttons_at_once_and_case_insensitive(quest_rom: Path) -> None:
    with GameBoy(quest_rom) as gb:
        gb.tick(10)
        gb.press(["START", "a"])
        assert gb.read(0xC002) == b"\x01", "START (held with A) should leave the title screen"


def test_nothing_is_written_beside_the_rom(quest_bytes: bytes, tmp_path: Path, walkthrough: list[str]) -> None:
    rom = tmp_path / "quest.gb"
    rom.write_bytes(quest_bytes)
    with GameBoy(rom) as gb:
        play(gb, walkthrough[:5])
        gb.save_state()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quest.gb"]


WRAPPED_TITLES = ["TETRIS", "2048", "POKEMON RED", "SUPER MARIOLAND", "KIRBY DREAM LAN", "DMGTRIS"]


@pytest.mark.parametrize("title", WRAPPED_TITLES)
def test_titles_that_match_pyboy_wrappers_run_quietly(
    title: str, quest_bytes: bytes, tmp_path: Path, capfd: pytest.CaptureFixture[str], walkthrough: list[str]
) -> None:
    rom = tmp_path / "wrapped.gb"
    rom.write_bytes(retitled(quest_bytes, title))
    with GameBoy(rom) as gb:
        play(gb, walkthrough[:6])
        mode = gb.read(MODE)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert mode != b"\x00", "the game should have left its title screen"


def test_a_wrapper_that_cannot_start_gives_a_rom_error(quest_bytes: bytes, tmp_path: Path) -> None:
    """PyBoy's Pinball wrapper hooks a ROM bank a 32 KiB cartridge does not have, inside PyBoy's constructor."""
    rom = tmp_path / "pinball.gb"
    rom.write_bytes(retitled(quest_bytes, "POKEPINBALLVPH"))
    with pytest.raises(RomError, match=r"PyBoy could not start .*different build"):
        GameBoy(rom)
