"""`animus profile discover`: drafting a profile for a ROM from RAM diffs, checked against cartridges whose RAM is
documented: Animus Quest (both builds; cartridge/DESIGN.md, cartridge/classic/README.md), Sketchpad (its cursor in
cartridge RAM, tests/reliability/rom/sketchpad.c) and PKMN LAYOUT (Pokémon Red's addresses, tests/games/pokecart).
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest

from animus.discover import Discovery, discover
from animus.discover.draft import game_id
from animus.discover.probe import Observations
from animus.discover.score import score
from animus.emulator import bundled_rom
from animus.errors import ConfigError, RomError
from animus.games import load_profile
from animus.games.loader import parse_profile
from tests.conftest import CLASSIC, run_animus
from tests.games.pokecart_rom import CUR_MAP, X_COORD, Y_COORD
from tests.games.pokecart_rom import build as build_pokecart

SKETCHPAD = Path(__file__).resolve().parent.parent / "reliability" / "rom" / "build.sh"
QUEST_MAP, QUEST_X, QUEST_Y = 0xC003, 0xC004, 0xC005  # cartridge/DESIGN.md's RAM map (the classic's is the same)
SKETCH_X, SKETCH_Y = 0xA180, 0xA181  # CUR_X, CUR_Y in sketchpad.c: cartridge RAM


def _best(found: Discovery) -> tuple[int | None, ...]:
    """The addresses ranked first for the map id, x and y (None where nothing was found)."""
    s = found.scores
    return tuple(c[0].address if c else None for c in (s.map, s.x, s.y))


def _fields(draft: str) -> dict[str, int]:
    return {name: spec["address"] for name, spec in tomllib.loads(draft)["fields"].items()}


@pytest.fixture(scope="module")
def quest() -> Discovery:
    return discover(bundled_rom("animus-quest"), seed=0)


@pytest.fixture(scope="module")
def classic_cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`animus profile discover` on the classic cartridge, over a file that --force replaces."""
    out = tmp_path_factory.mktemp("draft") / "classic.toml"
    out.write_text("old contents\n")
    done = run_animus("profile", "discover", CLASSIC, "-o", str(out), "--seed", "0", "--force")
    return out, done


# -- Animus Quest -----------------------------------------------------------------------------------------------


def test_finds_the_quest_map_x_and_y_first(quest: Discovery) -> None:
    assert _best(quest) == (QUEST_MAP, QUEST_X, QUEST_Y)
    x, y, area = quest.scores.x[0], quest.scores.y[0], quest.scores.map[0]
    assert (x.type, x.step, y.type, y.step) == ("u8", 1, "u8", 1)
    # The evidence: it moved with most horizontal probes and never with a vertical one (and the other way round).
    assert x.evidence.startswith("moved with RIGHT/LEFT in ") and x.evidence.endswith("never with UP/DOWN")
    assert y.evidence.startswith("moved with DOWN/UP in ") and y.evidence.endswith("never with LEFT/RIGHT")
    moved, probes = (int(n) for n in x.evidence.split(" in ")[1].split(" probes")[0].split(" of "))
    assert probes == quest.probes // 2 and moved > probes // 2
    assert "while walking on one screen" in area.evidence and "never while walking" in area.evidence
    assert area.first == 0  # HOME is area 0
    assert all(x.score > 2 * other.score for other in quest.scores.x[1:])  # no close second


def test_the_quest_progress_flags_are_found(quest: Discovery) -> None:
    """Leaving home sets bit 0 of the milestone flags (0xC007): a byte that only gains bits."""
    flags = [c for c in quest.scores.progress if c.address == 0xC007]
    assert flags and flags[0].role == "flags" and (flags[0].first, flags[0].last) == (0, 1)
    assert quest.scores.progress[0].address == 0xC007


def test_the_quest_draft_loads_and_says_why(quest: Discovery) -> None:
    data = tomllib.loads(quest.draft)
    assert data["game"] == {"id": "animusquest2", "name": "ANIMUSQUEST2", "titles": ["ANIMUSQUEST2"]}
    assert _fields(quest.draft)["map"] == QUEST_MAP and data["fields"]["x"] == {"address": QUEST_X, "type": "u8"}
    assert data["position"]["fields"] == ["map", "x", "y"]
    assert data["milestone"][0]["when"] == "screens_seen >= 5" and data["milestone"][-1]["id"] == "screens_250"
    assert {"id": "flags_c007_set", "label": "flags_c007 became nonzero", "when": "flags_c007 != 0"} in data[
        "milestone"
    ]
    # Every field carries its evidence as the comment just above it.
    lines = quest.draft.splitlines()
    for name in data["fields"]:
        above = lines[lines.index(f"[fields.{name}]") - 1]
        assert above.startswith(f"# {name}: ") and any(w in above for w in ("probes", "changes", "times"))
    profile = parse_profile(quest.draft, "draft.toml")
    assert profile.map_fields == ("map", "x", "y") and profile.id == "animusquest2"


# -- the command ------------------------------------------------------------------------------------------------


def test_the_command_writes_a_draft_that_runs(
    classic_cli: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out, done = classic_cli
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("discover ANIMUSQUEST (animus_quest_classic.gb), seed 0: ")
    assert any(line.split()[:3] == ["x", "0xC004", "u8"] for line in lines)
    assert any(line.split()[:3] == ["map", "0xC003", "u8"] for line in lines)
    assert lines[-1] == f"next: edit the draft, then animus run --rom {CLASSIC} --game {out}"
    profile = load_profile(str(out))  # --force replaced the old file with a draft that loads
    assert (profile.id, profile.titles, profile.map_fields) == ("animusquest", ("ANIMUSQUEST",), ("map", "x", "y"))
    assert _fields(out.read_text())["x"] == QUEST_X and _fields(out.read_text())["y"] == QUEST_Y
    run = run_animus(
        "run", "--rom", CLASSIC, "--game", str(out), "--steps", "30", "--runs-dir", str(tmp_path), "--name", "d"
    )
    assert run.returncode == 0, run.stderr
    assert "30 steps" in run.stdout and "Traceback" not in run.stderr


def test_same_seed_same_draft(classic_cli: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """The command's draft is the API's draft for the same ROM and seed, byte for byte."""
    out, done = classic_cli
    assert done.returncode == 0, done.stderr
    again = discover(bundled_rom(CLASSIC), seed=0, draft_path=str(out))
    assert again.draft == out.read_text()


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("my own profile\n")
    done = run_animus("profile", "discover", CLASSIC, "-o", str(out))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: {out} exists: pass --force to overwrite it, or choose another path with -o."
    ]
    assert out.read_text() == "my own profile\n"


@pytest.mark.parametrize("kind", ["missing", "not a rom", "directory"])
def test_a_bad_rom_is_one_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    rom = tmp_path / "game.gb"
    if kind == "not a rom":
        rom.write_bytes(b"\x00" * 32768)  # the right size, but no valid header
    elif kind == "directory":
        rom.mkdir()
    done = run_animus("profile", "discover", str(rom), "-o", str(tmp_path / "out.toml"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr
    assert {"missing": "ROM not found", "not a rom": "bad header checksum", "directory": "is a directory"}[
        kind
    ] in lines[0]
    assert not (tmp_path / "out.toml").exists()


def test_bad_options_are_refused(tmp_path: Path) -> None:
    done = run_animus("profile", "discover", CLASSIC, "--probes", "3", "-o", str(tmp_path / "x.toml"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --probes 3 is out of range: give from 8 to 400 states to probe from (default 48)."
    ]
    with pytest.raises(ConfigError):
        discover(bundled_rom(CLASSIC), probes=1000)
    with pytest.raises(RomError):
        discover(tmp_path / "nothing.gb")


def test_game_ids_are_safe() -> None:
    assert game_id("POKEMON RED") == "pokemon-red"
    assert game_id("ANIMUSQUEST2") == "animusquest2"
    assert game_id("") == game_id("???") == "draft"


# -- other cartridges ---------------------------------------------------------------------------------------------


def test_sketchpad_cursor_in_cartridge_ram(tmp_path: Path) -> None:
    """Sketchpad keeps its cursor in cartridge RAM and has no maps: x and y are found, the map is the screen."""
    if not all(shutil.which(tool) for tool in ("sdcc", "sdasgb", "makebin")):
        pytest.skip("SDCC is not installed (apt-get install sdcc)")
    rom = tmp_path / "sketchpad.gb"
    built = subprocess.run(["sh", str(SKETCHPAD), str(rom)], capture_output=True, text=True, timeout=120, check=False)
    assert built.returncode == 0, built.stderr
    found = discover(rom, seed=0)
    assert _best(found) == (None, SKETCH_X, SKETCH_Y)
    assert found.scores.x[0].evidence.endswith("never with UP/DOWN")
    assert any(c.address == 0xA185 and c.role == "counter" for c in found.scores.progress)  # STROKES
    data = tomllib.loads(found.draft)
    assert data["position"]["fields"] == ["screen", "x", "y"] and "map" not in data["fields"]


def test_pokemon_layout_cartridge(tmp_path: Path) -> None:
    """PKMN LAYOUT keeps Pokémon Red's addresses; its screen scrolls with the player, 2x2 tiles a cell."""
    found = discover(build_pokecart(tmp_path / "pokecart.gb"), seed=0)
    assert _best(found) == (CUR_MAP, X_COORD, Y_COORD)
    assert found.scores.x[0].step == 1 and found.scores.y[0].step == 1  # one cell a move, though it scrolls
    flags = {c.address for c in found.scores.progress}
    assert {0xD74B, 0xD74E, 0xD755, 0xD356} <= flags  # event flags and badges only ever gain bits


# -- scoring on made-up observations --------------------------------------------------------------------------------


def _made_up(states: int = 12) -> Observations:
    """Probes of a game that keeps x in pixels as a u16 (8 a move, crossing 0xFF/0x100), y in cells as a u8, and a
    facing byte that every direction changes: one snapshot column per address 0xC000-0xC007."""
    dirs, rams = [], []
    for s in range(states):
        x, y = 232 + 8 * (s % 5), 3 + s % 4  # some states start just below 256: RIGHT carries into the high byte
        for direction, dx, dy, facing in (("right", 8, 0, 3), ("left", -8, 0, 2), ("down", 0, 1, 0), ("up", 0, -1, 1)):
            moments = []
            for press in range(3):
                px, py = x + dx * press, y + dy * press
                moments.append([px & 0xFF, px >> 8, py, facing if press else 9, 0x42, 0, 0, 0])
            x, y = x + 2 * dx, y + 2 * dy
            dirs.append(direction)
            rams.append(moments)
    ram = np.array(rams, dtype=np.uint8)
    return Observations(
        addresses=np.arange(0xC000, 0xC008),
        probe_dirs=dirs,
        probe_ram=ram,
        probe_tiles=np.ones((len(dirs), 3, 360), dtype=np.uint8),
        step_ram=ram[:, :2],
        step_tiles=np.ones((len(dirs), 2, 360), dtype=np.uint8),
        idle_ram=np.stack([ram[:4, 0], ram[:4, 0]], axis=1),
        first_ram=ram[0, 0],
        states=states,
        presses=len(dirs),
        screens=1,
        doors=0,
    )


def test_a_pixel_position_in_16_bits_is_found_with_its_step() -> None:
    scores = score(_made_up())
    x, y = scores.x[0], scores.y[0]
    assert (x.address, x.type, x.step) == (0xC000, "u16le", 8)
    assert x.evidence == "moved with RIGHT/LEFT in 24 of 24 probes (+8 a move), never with UP/DOWN"
    assert (y.address, y.type, y.step) == (0xC002, "u8", 1)
    assert 0xC003 not in {c.address for c in scores.x + scores.y}  # the facing moves with every direction
    assert scores.map == []  # the screen never changed wholesale
