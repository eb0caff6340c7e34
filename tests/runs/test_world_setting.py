"""`game.world`: a world number reaches a game with seeded worlds through its profile's `[world]`, and is
recorded, shown, verified and planned as a fleet dimension. Games without worlds refuse any other number."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from animus.config import load_config, stored_config
from animus.errors import ConfigError, ProfileError
from animus.fleet.plan import load_plan, resolve_runs
from animus.games import load_profile
from animus.games.loader import parse_profile
from tests.conftest import run_animus

CLASSIC = "animus-quest-classic"
WORLD_PROFILE = """
[game]
id = "w"
name = "W"
titles = ["W"]
[fields.magic]
address = 0xC000
type = "u8"
[fields.world]
address = 0xC01A
type = "{kind}"
[world]
field = "world"
ready = "magic == 0x57"
[state]
template = "x"
"""


def test_game_is_a_section_and_the_old_spellings_still_load() -> None:
    assert load_config(overrides={"game": "pokemon-red"}).game.profile == "pokemon-red"
    assert load_config(overrides={"game.world": 7}).game.world == 7
    assert load_config().game.world == 0
    assert stored_config({"game": None}).game.profile is None  # a config stored before [game] was a section
    assert stored_config({"game": "generic"}).game.profile == "generic"
    with pytest.raises(ConfigError, match=r"game\.world"):
        load_config(overrides={"game.world": 70000})


def test_a_profile_world_setting_is_checked_at_load() -> None:
    profile = parse_profile(WORLD_PROFILE.format(kind="u16le"), "w.toml")
    assert profile.world is not None and profile.world.encode(0x1234) == b"\x34\x12"
    with pytest.raises(ProfileError, match=r"\[world\] field 'nope' is not a u8 or u16 field"):
        parse_profile(WORLD_PROFILE.format(kind="u8").replace('field = "world"', 'field = "nope"'), "w.toml")
    with pytest.raises(ProfileError, match="ready"):
        parse_profile(WORLD_PROFILE.format(kind="u8").replace("magic == 0x57", "nope(("), "w.toml")


def test_a_world_on_a_game_without_worlds_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_animus("run", "--rom", CLASSIC, "--world", "5", "--runs-dir", str(tmp_path), "--name", "x")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "has no [world] setting" in result.stderr and "animus-quest-classic" in result.stderr
    assert not (tmp_path / "x").exists(), "a refused run leaves nothing behind"


def test_a_fleet_plan_crosses_worlds_with_seeds(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('seeds = [1, 2]\nworlds = [3, 40]\n[[run]]\nlabel = "Mock"\nmodel = "mock"\n')
    runs = resolve_runs(load_plan(plan))
    assert [(r.name, r.config.game.world, r.seed) for r in runs] == [
        ("mock-w3-s1", 3, 1),
        ("mock-w3-s2", 3, 2),
        ("mock-w40-s1", 40, 1),
        ("mock-w40-s2", 40, 2),
    ]
    plan.write_text('worlds = [3]\n[config]\n"game.world" = 4\n[[run]]\nlabel = "m"\nmodel = "mock"\n')
    with pytest.raises(ConfigError, match=r"game\.world comes from the plan's worlds"):
        resolve_runs(load_plan(plan))
    plan.write_text('worlds = [3, 3]\n[[run]]\nlabel = "m"\nmodel = "mock"\n')
    with pytest.raises(ConfigError, match="each world once"):
        load_plan(plan)


def test_the_bundled_game_takes_its_world_from_the_config_and_verify_checks_it(tmp_path: Path) -> None:
    args = ("--model", "random", "--steps", "6", "--runs-dir", str(tmp_path))
    for name, world in (("w3", "3"), ("w4", "4")):
        assert run_animus("run", "--rom", "animus-quest", "--world", world, *args, "--name", name).returncode == 0
    profile = load_profile("animus-quest")
    assert profile.world is not None
    starts = {}
    for name in ("w3", "w4"):
        with sqlite3.connect(tmp_path / name / "run.db") as db:
            config = json.loads(db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
            starts[name] = db.execute("SELECT state FROM keyframes WHERE step = 0").fetchone()[0]
        assert config["game"]["world"] == int(name[1:])
        shown = run_animus("show", name, "--runs-dir", str(tmp_path))
        assert f"· world {name[1:]} " in shown.stdout
        verified = run_animus("verify", name, "--runs-dir", str(tmp_path))
        assert verified.returncode == 0, verified.stdout + verified.stderr
    assert starts["w3"] != starts["w4"], "the world number is in the start state"

    # A config that claims another world than the start state holds is caught.
    with sqlite3.connect(tmp_path / "w3" / "run.db") as db:
        raw = json.loads(db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
        raw["game"]["world"] = 9
        db.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(raw),))
    verified = run_animus("verify", "w3", "--runs-dir", str(tmp_path))
    assert verified.returncode != 0
    assert "world 9" in verified.stdout + verified.stderr
