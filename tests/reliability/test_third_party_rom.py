"""A cartridge that is not Animus Quest: Sketchpad, built here with SDCC from `tests/reliability/rom/`.

It differs from Quest in kind: an MBC1 cartridge with 8 KiB of battery RAM (type 0x03), where its picture lives;
a title no built-in profile and no PyBoy game wrapper knows; no game at all, only a cursor and a canvas that react
to every button. Animus must play it on the generic profile with the mock, record it, verify it and chart it.
Skipped only when SDCC is not installed (CI installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import animus
from animus.emulator import GameBoy, read_rom
from animus.games import choose_profile
from tests.conftest import run_animus
from tests.helpers import WRAPPER_TITLES

ROM_SOURCES = Path(__file__).resolve().parent / "rom"
STEPS = 300


@pytest.fixture(scope="session")
def sketchpad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built ROM (once per session)."""
    if not all(shutil.which(tool) for tool in ("sdcc", "sdasgb", "makebin")):
        pytest.skip("SDCC is not installed (apt-get install sdcc)")
    out = tmp_path_factory.mktemp("sketchpad") / "sketchpad.gb"
    build = subprocess.run(
        ["sh", str(ROM_SOURCES / "build.sh"), str(out)], capture_output=True, text=True, timeout=120, check=False
    )
    assert build.returncode == 0, build.stderr
    return out


@pytest.fixture(scope="module")
def played(sketchpad: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A run of a few hundred mock steps on Sketchpad, through the CLI."""
    runs = tmp_path_factory.mktemp("runs")
    sets = ["--set", "record.keyframe_every=50"]
    result = run_animus(
        "run", "--rom", str(sketchpad), "--steps", str(STEPS), *sets, "--runs-dir", str(runs), "--name", "s"
    )
    return runs / "s", result


def test_the_cartridge_is_mbc1_with_ram_and_known_to_nothing(sketchpad: Path) -> None:
    _, info = read_rom(sketchpad)
    assert (info.cartridge_type, info.cartridge_name, info.ram_size_kib) == (0x03, "MBC1+RAM+BATTERY", 8)
    assert info.title == "SKETCHPAD" and info.title not in WRAPPER_TITLES
    profile, notice = choose_profile(info.title, info.sha256)
    assert profile.id == "generic" and notice is not None and "SKETCHPAD" in notice


def test_buttons_change_the_screen_and_the_cartridge_ram(sketchpad: Path) -> None:
    """The picture is kept in cartridge RAM (0xA000), and a save state carries it."""
    with GameBoy(sketchpad) as gb:
        gb.tick(30)
        assert gb.read(0xA184)[0] == 0x5A  # the mark the cartridge leaves once it has set its RAM up
        cursor = bytes(gb.read(0xA180, 2))
        first = gb.frame_hash()
        gb.press("right")
        assert bytes(gb.read(0xA180, 2)) == bytes([cursor[0] + 1, cursor[1]]) and gb.frame_hash() != first
        gb.press("a")
        cell = 0xA000 + cursor[1] * 20 + cursor[0] + 1
        assert gb.read(cell)[0] == 2 and gb.read(0xA185)[0] == 1  # painted with brush 2; one stroke
        state = gb.save_state()
        gb.press("start")  # clears the canvas
        assert gb.read(cell)[0] == 0
        gb.load_state(state)
        assert gb.read(cell)[0] == 2


def test_the_mock_plays_it_on_the_generic_profile(played: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    run_dir, result = played
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "using the generic profile" in result.stderr
    with animus.open_run(run_dir) as run:
        assert run.meta.profile_id == "generic" and run.meta.rom_title == "SKETCHPAD"
        assert run.status == "done" and run.totals().steps == STEPS
        reached = [m.id for m in run.milestones()]
    assert reached[:3] == ["screens_5", "screens_10", "screens_25"], reached  # the screen milestones move


def test_the_run_verifies_and_charts(played: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    run_dir, _ = played
    verify = run_animus("verify", str(run_dir))
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith(f"OK: {STEPS} steps re-simulated")
    out = tmp_path / "chart.png"
    chart = run_animus("chart", str(run_dir), "-o", str(out))
    assert chart.returncode == 0, chart.stderr
    assert "6 milestones" in chart.stdout and out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    frame = run_animus("frame", str(run_dir), str(STEPS - 10), "-o", str(tmp_path / "f.png"))
    assert frame.returncode == 0, frame.stderr  # from the keyframe at step 250: its cartridge RAM included
