"""A profile's [defaults] (button timing, watchdog thresholds) under the user's settings, and its overworld mode.

The runs play the real bundled cartridge with a copy of the Animus Quest profile that adds a [defaults] table and,
for the mode, `[position] overworld = "mode == 1"` (walking; the title screen, dialogs and battles are off the
map).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import animus
from animus.agent.watchdog import OFF_MAP, Watchdog
from animus.config import WatchdogConfig, load_config
from animus.errors import ProfileError
from animus.games import load_profile
from animus.games.defaults import apply_profile_defaults
from animus.games.loader import parse_profile
from tests.conftest import CLASSIC, CLASSIC_ROM, REPO, run_animus
from tests.games.fakes import FakeMemory

POSITION = 'fields = ["map", "x", "y", "mode"]'
# The classic profile as it was before it declared its mode: the tests add `overworld` themselves.
QUEST = (REPO / "src" / "animus" / "games" / "profiles" / f"{CLASSIC}.toml").read_text(encoding="utf-8").replace(
    POSITION + '\noverworld = "mode == 1"', POSITION
)
DEFAULTS = """
[defaults.tools]
hold_frames = 5
wait_frames = 20

[defaults.watchdog]
same_position_actions = 10
escalate_actions = 5
no_milestone_actions = 900
"""


def profile_file(tmp_path: Path, extra: str = DEFAULTS, overworld: bool = False, name: str = "custom") -> Path:
    """The classic Animus Quest profile with `extra` appended (and, with `overworld`, its mode declared)."""
    assert POSITION in QUEST
    source = QUEST.replace(POSITION, POSITION + '\noverworld = "mode == 1"') if overworld else QUEST
    path = tmp_path / f"{name}.toml"
    path.write_text(source + extra, encoding="utf-8")
    return path


def script(tmp_path: Path, buttons: list[str]) -> Path:
    """A scripted model: one press_buttons call of one button per reply, with no hold or wait of its own."""
    path = tmp_path / "script.jsonl"
    lines = [{"tool_calls": [{"name": "press_buttons", "input": {"buttons": [b]}}]} for b in buttons]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def played(tmp_path: Path, name: str) -> tuple[dict[str, dict[str, object]], set[tuple[int, int]]]:
    """The run's stored config and the (hold, wait) frames its presses used."""
    with animus.open_run(tmp_path / name) as run:
        config = dict(run.meta.config)
        timings = {(h, w) for row in run.steps() for _, h, w in row.input_ops()}
    return config, timings  # type: ignore[return-value]


def watchdog_events(tmp_path: Path, name: str) -> list[tuple[int, str]]:
    with animus.open_run(tmp_path / name) as run:
        return [(e.step, e.kind) for e in run.memory_events() if e.source == "watchdog"]


# -- loading and applying ------------------------------------------------------------------------------------------


def test_defaults_apply_under_what_the_user_set(tmp_path: Path) -> None:
    profile = load_profile(str(profile_file(tmp_path)))
    assert profile.defaults == {
        "tools": {"hold_frames": 5, "wait_frames": 20},
        "watchdog": {"same_position_actions": 10, "escalate_actions": 5, "no_milestone_actions": 900},
    }
    plain = apply_profile_defaults(load_config(), profile)
    assert (plain.tools.hold_frames, plain.tools.wait_frames) == (5, 20)
    assert plain.watchdog.same_position_actions == 10 and plain.watchdog.loop_actions == 80
    # Set explicitly, even to the built-in default, a key keeps the user's value.
    user = load_config(sets=["tools.hold_frames=4", "watchdog.escalate_actions=40"])
    mixed = apply_profile_defaults(user, profile)
    assert (mixed.tools.hold_frames, mixed.tools.wait_frames) == (4, 20)
    assert (mixed.watchdog.escalate_actions, mixed.watchdog.same_position_actions) == (40, 10)
    assert user.tools.hold_frames == 4 and user.tools.wait_frames == 12, "the config given is not changed"


def test_builtin_profiles_defaults() -> None:
    assert load_profile(CLASSIC).defaults == {}, "the classic Animus Quest keeps the built-in defaults"
    assert load_profile("generic").defaults == {}
    red = load_profile("pokemon-red")
    assert red.defaults["tools"] == {"hold_frames": 10, "wait_frames": 120}
    assert red.defaults["watchdog"]["same_position_actions"] > 40
    assert red.defaults["watchdog"]["no_milestone_actions"] > 600
    assert red.overworld is not None


def test_pokemon_red_is_off_the_map_in_battle_and_in_text() -> None:
    def memory(poke: dict[int, int]) -> FakeMemory:
        mem = FakeMemory()
        for address, value in poke.items():
            mem.put(address, [value])
        return mem

    red = load_profile("pokemon-red")
    walking = {0xD35E: 0x01, 0xD361: 7, 0xD362: 9}
    assert red.read(memory(walking)).position == (1, 9, 7)  # map, x, y
    assert red.read(memory(walking | {0xD057: 1})).position == OFF_MAP, "wIsInBattle: a wild battle"
    assert red.read(memory(walking | {0xCFC4: 1})).position == OFF_MAP, "wFontLoaded: a text box or the menu"


BAD = [
    ('[defaults.model]\nname = "mock"\n', "[defaults] cannot set 'model'"),
    ('[defaults]\n"tools.hold_frames" = 10\n', "[defaults] cannot set 'tools.hold_frames'"),
    ('[defaults.watchdog]\non_stuck = "stop"\n', "[defaults] cannot set watchdog.on_stuck"),
    ("[defaults.tools]\nmax_hold_frames = 90\n", "[defaults] cannot set tools.max_hold_frames"),
    ("[defaults.tools]\nhold_frames = 0\n", "tools.hold_frames = 0 is not allowed; use an integer from 1 to 60"),
    ("[defaults.tools]\nwait_frames = 601\n", "tools.wait_frames = 601 is not allowed; use an integer from 1 to 600"),
    ('[defaults.tools]\nhold_frames = "10"\n', "tools.hold_frames = '10' is not allowed"),
    ("[defaults.watchdog]\nloop_positions = true\n", "watchdog.loop_positions = True is not allowed"),
    ("[defaults.watchdog]\nno_milestone_actions = 1.5\n", "watchdog.no_milestone_actions = 1.5 is not allowed"),
    ("defaults = 3\n", "[defaults] must be a table"),
]


@pytest.mark.parametrize(("extra", "message"), BAD)
def test_bad_defaults_are_one_profile_error(extra: str, message: str) -> None:
    source = extra + QUEST if not extra.startswith("[") else QUEST + "\n" + extra
    with pytest.raises(ProfileError) as info:
        parse_profile(source, "bad.toml")
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith(f"profile '{CLASSIC}' (bad.toml): ")


def test_bad_overworld_expression_is_refused() -> None:
    with pytest.raises(ProfileError, match=r"\[position\]: overworld = 'mode\.x == 1' is rejected"):
        parse_profile(QUEST.replace(POSITION, POSITION + '\noverworld = "mode.x == 1"'), "bad.toml")


@pytest.mark.parametrize(("extra", "words"), [BAD[2], BAD[4]])
def test_bad_defaults_end_the_cli_with_one_line_and_exit_2(tmp_path: Path, extra: str, words: str) -> None:
    bad = profile_file(tmp_path, "\n" + extra, name="bad")
    result = run_animus("run", *CLASSIC_ROM, "--game", str(bad), "--steps", "1", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir()), "a refused run leaves nothing"


# -- the watchdog off the map ---------------------------------------------------------------------------------------


def dog(**overrides: int) -> Watchdog:
    settings = {"same_position_actions": 10, "loop_actions": 12, "loop_positions": 3, "no_milestone_actions": 500}
    return Watchdog(WatchdogConfig(**(settings | overrides)))  # type: ignore[arg-type]


def alarms(watchdog: Watchdog, positions: list[object]) -> list[tuple[int, str, int]]:
    """(action, kind, stage) of every alarm, one action per position."""
    out = []
    for n, position in enumerate(positions, start=1):
        alarm = watchdog.update(n, position, False)
        if alarm is not None:
            out.append((n, alarm.kind, alarm.stage))
    return out


def test_steps_off_the_map_are_not_standing_still() -> None:
    # The alarm comes 10 actions on the map after A was first seen (action 1): 5 actions at A, a 50-action
    # battle, then A again, so at action 1 + 10 + 50.
    paused = ["A"] * 5 + [OFF_MAP] * 50 + ["A"] * 20
    assert alarms(dog(), paused)[0] == (61, "same_position", 1)
    # The same actions with the battle fought "at A" (no overworld declared) raise it at action 11.
    assert alarms(dog(), ["A"] * 75)[0] == (11, "same_position", 1)
    # A new place after the pause starts the clock again.
    assert alarms(dog(loop_actions=100), ["A"] * 9 + [OFF_MAP] * 30 + ["B"] * 9) == []


def test_loop_window_counts_only_actions_on_the_map() -> None:
    pacing = ["A", "B"] * 3 + [OFF_MAP] * 40 + ["A", "B"] * 6
    first = alarms(dog(same_position_actions=1000), pacing)[0]
    assert first[1] == "loop" and first[0] == 6 + 40 + 6, "12 actions of pacing on the map fill the window"


def test_an_alarm_holds_its_stage_off_the_map_and_no_milestone_keeps_counting() -> None:
    watchdog = dog(escalate_actions=5)
    seen = alarms(watchdog, ["A"] * 11 + [OFF_MAP] * 100 + ["A"] * 10)
    assert seen == [(11, "same_position", 1), (116, "same_position", 2), (121, "same_position", 3)]
    # no_milestone is not a position clock: it fires in the middle of a long battle.
    assert alarms(dog(no_milestone_actions=30), [OFF_MAP] * 40)[0] == (30, "no_milestone", 1)


def test_a_milestone_off_the_map_resets_the_stage() -> None:
    watchdog = dog(escalate_actions=5)
    for n in range(1, 12):
        watchdog.update(n, "A", False)
    assert watchdog.stage == 1
    watchdog.update(12, OFF_MAP, True)
    assert watchdog.stage == 0


# -- runs on the bundled cartridge ----------------------------------------------------------------------------------


def test_run_stores_the_effective_config_and_the_cli_overrides_it(tmp_path: Path) -> None:
    custom = profile_file(tmp_path)
    moves = script(tmp_path, ["start"] + ["down"] * 5)
    common = ["--game", str(custom), "--model", f"scripted:{moves}", "--runs-dir", str(tmp_path)]
    assert run_animus("run", *CLASSIC_ROM, *common, "--name", "p").returncode == 0
    config, timings = played(tmp_path, "p")
    assert (config["tools"]["hold_frames"], config["tools"]["wait_frames"]) == (5, 20)
    assert config["watchdog"]["same_position_actions"] == 10 and config["watchdog"]["escalate_actions"] == 5
    assert config["watchdog"]["loop_actions"] == 80, "keys the profile leaves alone keep the built-in default"
    assert timings == {(5, 20)}, "the presses were played with the profile's defaults"

    result = run_animus("run", *CLASSIC_ROM, *common, "--name", "u", "--set", "tools.hold_frames=6")
    assert result.returncode == 0, result.stderr
    config, timings = played(tmp_path, "u")
    assert (config["tools"]["hold_frames"], config["tools"]["wait_frames"]) == (6, 20)
    assert timings == {(6, 20)}

    shown = run_animus("show", "u", "--runs-dir", str(tmp_path)).stdout
    assert "tools.hold_frames = 6" in shown and "tools.wait_frames = 20" in shown


def test_watchdog_ignores_the_title_screen_with_a_mode_and_resume_keeps_it_all(tmp_path: Path) -> None:
    # 30 presses of A on the title screen (mode 0: only START starts), then into the house's wall.
    moves = script(tmp_path, ["a"] * 30 + ["start"] + ["up"] * 20)
    for name, overworld in (("stock", False), ("mode", True)):
        custom = profile_file(tmp_path, overworld=overworld, name=name)
        args = ["--game", str(custom), "--model", f"scripted:{moves}", "--runs-dir", str(tmp_path), "--name", name]
        assert run_animus("run", *CLASSIC_ROM, *args).returncode == 0
    stock, mode = watchdog_events(tmp_path, "stock"), watchdog_events(tmp_path, "mode")
    assert stock[0] == (11, "stuck_warn"), "without a mode, pressing A on the title screen is standing still"
    assert mode[0][1] == "stuck_warn" and mode[0][0] >= 31 + 10, "with one, only the 20 presses in the house count"

    # The same run cut in the middle of the title screen and resumed: the same alarms and the same settings,
    # with the user's --set kept over the profile's default.
    custom = tmp_path / "mode.toml"
    args = ["--game", str(custom), "--model", f"scripted:{moves}", "--runs-dir", str(tmp_path), "--name", "cut"]
    result = run_animus("run", *CLASSIC_ROM, *args, "--steps", "20", "--set", "tools.hold_frames=6")
    assert result.returncode == 0, result.stderr
    result = run_animus("resume", "cut", "--steps", "51", "--runs-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    config, timings = played(tmp_path, "cut")
    assert (config["tools"]["hold_frames"], config["tools"]["wait_frames"]) == (6, 20)
    assert config["watchdog"]["same_position_actions"] == 10
    assert timings == {(6, 20)}, "the resumed steps play with the stored effective config"
    uncut = [(s, k) for s, k in watchdog_events(tmp_path, "cut")]
    args[-1] = "whole"
    assert run_animus("run", *CLASSIC_ROM, *args, "--set", "tools.hold_frames=6").returncode == 0
    assert uncut == watchdog_events(tmp_path, "whole"), "resume rebuilds the held clocks"
    assert uncut[0][0] >= 41


def test_a_fleet_run_takes_the_profile_defaults_under_its_plan(tmp_path: Path) -> None:
    from tests.fleet.helpers import fleet, write_plan

    custom = profile_file(tmp_path)
    moves = script(tmp_path, ["start"] + ["down"] * 5)
    plan = write_plan(
        tmp_path / "plan.toml",
        f"""
        seeds = [1]
        [config]
        rom = "{CLASSIC}"
        game = "{custom}"
        [[run]]
        label = "profile"
        model = "scripted:{moves}"
        [[run]]
        label = "planned"
        model = "scripted:{moves}"
        set = {{ "tools.hold_frames" = 6 }}
        """,
    )
    out = fleet(str(plan), "--runs-dir", str(tmp_path / "runs"), "--workers", "2")
    assert out.returncode == 0, out.stdout + out.stderr
    profile, timings = played(tmp_path / "runs", "profile-s1")
    assert (profile["tools"]["hold_frames"], profile["tools"]["wait_frames"]) == (5, 20) and timings == {(5, 20)}
    planned, timings = played(tmp_path / "runs", "planned-s1")
    assert (planned["tools"]["hold_frames"], planned["tools"]["wait_frames"]) == (6, 20) and timings == {(6, 20)}
    again = fleet(str(plan), "--runs-dir", str(tmp_path / "runs"), "--workers", "2")
    assert again.returncode == 0, again.stdout + again.stderr  # a rerun finds the plan's config, defaults and all
