"""The explored map, learnt press by press on the real cartridge: each step stores exactly the facts it taught
(`steps.map_delta`), the stored deltas fold into the world the cartridge generated, a resumed run rebuilds the same
map and plays on identically, and the minimap the model reads shows the true position within its size cap."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import animus
from animus.agent.loop import Agent
from animus.config import load_config
from animus.games.spatial import OPEN, WALL, WARP
from animus.runs.runner import resume_run, start_run
from animus.spatial.explored import ExploredMap, Warp
from tests.conftest import deterministic_steps, run_animus
from tests.spatial import (
    FACING,
    HEIGHT,
    HOME,
    START,
    TOWN,
    WIDTH,
    act_texts,
    call,
    delta,
    folded,
    minimap_of,
    nav,
    play,
    press,
    reply,
    results,
    steps,
    truth,
    value,
    where,
    world0,
)

# From the start (9,5): 8 left along row 5 to (1,5), 1 up to (1,4), then left twice into the wall at (0,4): the
# first press only turns (the player faced up), the second is the blocked move. Then along row 4 to (10,4), down
# to (10,12) and down onto the door (10,13), into MISTY CROSS at (10,1).
EXPLORE = [
    START,
    reply(press(*["left"] * 8)),
    reply(press("up")),
    reply(press("left")),
    reply(press("left")),
    reply(press(*["right"] * 9)),
    reply(press(*["down"] * 8)),
    reply(press("down")),
]
EXPLORE_WHERE = [(0, 9, 5), (0, 1, 5), (0, 1, 4), (0, 1, 4), (0, 1, 4), (0, 10, 4), (0, 10, 12), (14, 10, 1)]
HOME_WALKED = (
    {(9, 5), (1, 4)} | {(x, 5) for x in range(1, 9)} | {(x, 4) for x in range(2, 11)} | {(10, y) for y in range(5, 13)}
)


@pytest.fixture(scope="module")
def explore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return play(tmp_path_factory.mktemp("runs"), "explore", EXPLORE)


def test_world_0_is_the_one_these_tests_know() -> None:
    world = world0()
    assert (world.town, world.names[HOME], world.names[TOWN]) == (TOWN, "MY HOUSE", "MISTY CROSS")
    assert truth(HOME)[(14, 8)] == WALL and truth(HOME)[(10, 13)] == WARP, "MOTHER and the house door"


def test_each_step_stores_exactly_what_it_taught_the_map(explore: Path) -> None:
    rows = steps(explore)
    assert [where(r) for r in rows] == EXPLORE_WHERE
    first = delta(rows[0])
    assert first["n"] == [[HOME, "MY HOUSE"]] and first["v"] == [[HOME, 9, 5]]
    assert len(first["s"]) == WIDTH * HEIGHT - 1, "the whole screen but the player's own cell"
    assert {(x, y): kind for _, x, y, kind in first["s"]} == {c: k for c, k in truth(HOME).items() if c != (9, 5)}
    assert set(first) == {"n", "v", "s"}
    # The start cell, under the player at the first look, is shown once the player has left it.
    assert delta(rows[1]) == {"v": [[HOME, x, 5] for x in range(8, 0, -1)], "s": [[HOME, 9, 5, OPEN]]}
    assert delta(rows[2]) == {"v": [[HOME, 1, 4]]}
    assert rows[3].map_delta is None, "a press that only turned the player toward the wall is no blocked move"
    assert value(rows[3], "facing") == 2, "(it now faces left)"
    assert delta(rows[4]) == {"b": [[HOME, 0, 4]]}, "pressed again while facing it: the wall is a blocked move"
    assert delta(rows[5]) == {"v": [[HOME, x, 4] for x in range(2, 11)]}
    assert delta(rows[6]) == {"v": [[HOME, 10, y] for y in range(5, 13)]}
    door = delta(rows[7])
    assert door["w"] == [[HOME, 10, 13, TOWN, 10, 1]], "the door cell, into the arrival cell of the next area"
    assert door["n"] == [[TOWN, "MISTY CROSS"]] and door["v"] == [[TOWN, 10, 1]]
    assert {(m, x, y): kind for m, x, y, kind in door["s"]} == {
        (TOWN, *c): k for c, k in truth(TOWN).items() if c != (10, 1)
    }
    assert "b" not in door and (HOME, 10, 13) not in {tuple(v) for v in door["v"]}, "no one stands on a door"


def test_the_folded_deltas_are_the_world_the_cartridge_generated(explore: Path) -> None:
    explored = folded(steps(explore))
    assert set(explored.areas) == {HOME, TOWN}
    home, town = explored.areas[HOME], explored.areas[TOWN]
    assert (home.name, town.name) == ("MY HOUSE", "MISTY CROSS")
    assert home.visited == HOME_WALKED and town.visited == {(10, 1)}
    assert home.blocked == {(0, 4)} and town.blocked == set()
    warp = Warp(HOME, (10, 13), TOWN, (10, 1))
    assert home.warps == {(10, 13): warp} and town.warps == {} and explored.warps() == [warp]
    assert home.seen == truth(HOME), "every cell of the house, each classed as the cartridge built it"
    assert town.seen == {c: k for c, k in truth(TOWN).items() if c != (10, 1)}
    # A few cells by hand: walls, floor, people, doors.
    assert [home.seen[c] for c in ((0, 5), (5, 5), (14, 8), (19, 13), (10, 13))] == [WALL, OPEN, WALL, WALL, WARP]
    assert [town.seen[c] for c in ((10, 0), (19, 7), (4, 4), (6, 2), (1, 1))] == [WARP, WARP, WALL, WALL, OPEN]
    assert (home.walkable((0, 4)), home.walkable((1, 4)), home.walkable((14, 8))) == (False, True, False)
    assert (home.walkable((10, 13)), town.walkable((30, 30))) == (True, None)


def test_the_observation_carries_the_minimap_with_the_true_position(explore: Path) -> None:
    rows, texts = steps(explore), act_texts(explore)
    assert sorted(texts) == list(range(1, len(EXPLORE) + 1))
    assert minimap_of(texts[1]) is None, "step 1 is observed on the title screen: no one is on a map"
    names = {HOME: "MY HOUSE", TOWN: "MISTY CROSS"}
    for row in rows[:-1]:  # each step's position is what the next step observes
        key, x, y = where(row)
        shown = minimap_of(texts[row.step + 1])
        assert shown is not None
        facing = FACING[value(row, "facing")]
        head = f"Explored map of {names[key]} (map {key}): you are @ at x={x}, y={y}, facing {facing}."
        assert shown.splitlines()[0].startswith(head), (row.step, shown.splitlines()[0])
    last = minimap_of(texts[len(EXPLORE)])
    assert last is not None and "# blocked" in last
    assert "Warps here" not in last, "no warp known yet at step 8's observation (10,12), before the door"
    assert re.search(r"^ 12 #\.+@\.+#$", last, re.M), last


def test_without_the_minimap_channel_the_map_is_still_learnt_but_not_shown(explore: Path, tmp_path: Path) -> None:
    off = play(tmp_path, "off", EXPLORE, "channels.minimap=false")
    texts = act_texts(off)
    assert len(texts) == len(EXPLORE)
    assert all("Explored map of" not in t and "Key: @ you" not in t for t in texts.values())
    assert all("Area: MY HOUSE" in texts[s] for s in range(2, len(EXPLORE) + 1)), "the rest of the state stays"
    assert [r.map_delta for r in steps(off)] == [r.map_delta for r in steps(explore)]
    with animus.open_run(off) as run:
        assert run.meta.card["channels"]["minimap"] is False


def test_a_press_the_game_drops_after_a_door_is_no_blocked_move(tmp_path: Path) -> None:
    # Onto the door and on down at once, 2 frames apart: the player arrives at (10,1) facing down and the second
    # press is dropped while MISTY CROSS is drawn. (10,2) is floor; with 3 frames or more the player walks onto it.
    rush = call("press_buttons", buttons=["down", "down"], wait_frames=2)
    rows = steps(play(tmp_path, "rush", [START, reply(press("right", *["down"] * 7)), reply(rush)]))
    assert where(rows[2]) == (TOWN, 10, 1) and truth(TOWN)[(10, 2)] == OPEN
    town = folded(rows).areas[TOWN]
    assert "b" not in delta(rows[2]), delta(rows[2]).get("b")
    assert town.walkable((10, 2)) is True


# -- a long run: the minimap on many maps, under a small cap ------------------------------------------------------

CAP = 600


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mock, 250 steps of world 0 with the minimap capped at CAP characters."""
    config = load_config(overrides={"model": "mock"}, sets=(f"channels.minimap_max_chars={CAP}", "budget.steps=250"))
    return start_run(config, tmp_path_factory.mktemp("runs"), "long").run_dir


def test_on_a_long_run_every_minimap_names_the_true_map_and_position(long_run: Path) -> None:
    rows, texts = steps(long_run), act_texts(long_run)
    maps = {where(r)[0] for r in rows}
    assert len(maps) >= 10, f"the run should see many areas, saw {sorted(maps)}"
    names = {key: area.name for key, area in folded(rows).areas.items()}
    shown = 0
    for row in rows[:-1]:
        text = minimap_of(texts[row.step + 1])
        if value(row, "mode") != 1:  # a dialog or a battle: not walking on the map
            assert text is None, row.step
            continue
        key, x, y = where(row)
        assert text is not None, row.step
        facing = FACING[value(row, "facing")]
        head = f"Explored map of {names[key]} (map {key}): you are @ at x={x}, y={y}, facing {facing}."
        assert text.startswith(head), (row.step, text.splitlines()[0])
        shown += 1
    assert shown > 100


def test_on_a_long_run_no_minimap_is_longer_than_its_cap(long_run: Path) -> None:
    lengths = {step: len(m) for step, text in act_texts(long_run).items() if (m := minimap_of(text)) is not None}
    assert len(lengths) > 100
    over = {step: n for step, n in lengths.items() if n > CAP}
    assert over == {}, f"{len(over)} minimaps longer than {CAP} characters, e.g. {sorted(over.items())[:5]}"


# -- resume ---------------------------------------------------------------------------------------------------------

# Steps 5 and 6 need what steps 2-3 learnt (both house doors) to cross maps; the run is cut after step 4, at (9,10).
ACROSS = [
    START,
    reply(nav(10, 13)),
    reply(nav(10, 0)),
    reply(press("up", "up", "left")),
    reply(nav(2, 1, map="MISTY CROSS")),
    reply(nav(9, 5, map=HOME)),
    reply(press("left", "left", "down")),
]
CUT = 4


def test_a_resumed_run_rebuilds_the_same_map_and_plays_on_identically(tmp_path: Path) -> None:
    live: dict[str, Agent] = {}

    whole = play(tmp_path, "whole", ACROSS, steps=len(ACROSS), on_start=lambda a: live.setdefault("whole", a))
    cut = play(tmp_path, "cut", ACROSS, steps=CUT)
    assert len(steps(cut)) == CUT
    at_resume: list[ExploredMap] = []

    def attach(agent: Agent) -> None:
        at_resume.append(copy.deepcopy(agent.p.explored))
        live["cut"] = agent

    end = resume_run(cut, {"steps": len(ACROSS)}, on_start=attach)
    assert (end.status, end.steps) == ("done", len(ACROSS))

    rows = steps(whole)
    assert [results(r)[0] for r in rows[4:6]] == [
        "arrived at (2,1) after 12 moves; (2,1) in MISTY CROSS.",
        "arrived at (9,5) after 17 moves; (9,5) in MY HOUSE.",
    ], "the steps after the cut cross maps through the warps learnt before it"
    assert at_resume[0].areas == folded(rows[:CUT]).areas, "the map a resume starts from is the one of step 4"
    assert deterministic_steps(cut / "run.db") == deterministic_steps(whole / "run.db"), "map_delta included"
    assert [r.map_delta for r in steps(cut)] == [r.map_delta for r in rows]
    assert act_texts(cut) == act_texts(whole), "the same observations, minimaps included"
    final = folded(rows)
    assert live["whole"].p.explored.areas == final.areas, "the folded deltas are exactly the map the loop had"
    assert live["cut"].p.explored.areas == final.areas
    assert final.warps() == [Warp(HOME, (10, 13), TOWN, (10, 1)), Warp(TOWN, (10, 0), HOME, (10, 12))]
    verified = run_animus("verify", str(cut))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"OK: {len(ACROSS)} steps re-simulated"), verified.stdout
