"""navigate_to on the real cartridge: it arrives and says so, counts ceil(moves / tools.max_buttons) actions, takes
doors and crosses maps through known warps (by map id or name), plans around what a move into an unknown cell
taught it, says why there is no path, does not move while a dialog is open, refuses bad arguments without running
anything, is not offered with tools.navigate = false, and a run that used it verifies."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

import animus
from animus.agent.types import Request
from animus.runs.rows import StepRow
from tests.conftest import REPO, run_animus
from tests.spatial import (
    HOME,
    START,
    TOWN,
    call,
    delta,
    errors,
    inputs,
    nav,
    play,
    press,
    reply,
    results,
    steps,
    value,
    where,
)

MAX_BUTTONS = 4  # tools.max_buttons of these runs: a navigate_to of N moves counts ceil(N / 4) actions
NOT_WALKING = "not moved: you are not walking on the map now (a dialog, a menu or a battle?); close it first."

# One run, one case per step (world 0: see tests/spatial/__init__.py).
TOUR = [
    START,  # 1: MY HOUSE (9,5), facing down
    reply(nav(3, 10)),  # 2: 6 left, 5 down
    reply(nav(3, 10)),  # 3: already there
    reply(nav(14, 8)),  # 4: MOTHER's cell, seen as blocking
    reply(nav(2, 1, map=5), nav(2, 1, map="MISTY CROSS")),  # 5: maps not known yet
    reply(nav(2, 1, map=True), nav(3, 3, speed=2), call("navigate_to", y=3), nav(True, 3)),  # 6: bad arguments
    reply(nav(10, 13)),  # 7: onto the house door: into MISTY CROSS at (10,1)
    reply(nav(10, 0)),  # 8: MISTY CROSS's house door, a way out not taken yet: back home at (10,12)
    reply(nav(2, 1, map="misty cross")),  # 9: across maps by name (any case): 1 down through the door, 8 left
    reply(nav(9, 5, map=HOME)),  # 10: across maps by id: 8 right, up through the door, 1 left, 7 up
    reply(nav(13, 8), press("right", "a"), nav(3, 3)),  # 11: next to MOTHER, face her, talk: then navigate
]


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Request]]:
    sent: list[Request] = []
    run_dir = play(tmp_path_factory.mktemp("runs"), "tour", TOUR, f"tools.max_buttons={MAX_BUTTONS}", requests=sent)
    return run_dir, sent


def _moves(result: str) -> int:
    return int(result.split(" after ", 1)[1].split(" moves", 1)[0])


def test_it_arrives_says_so_and_counts_ceil_moves_over_max_buttons_actions(tour: tuple[Path, list[Request]]) -> None:
    rows = steps(tour[0])
    assert len(rows) == len(TOUR)
    step = rows[1]
    assert results(step) == ["arrived at (3,10) after 11 moves; (3,10) in MY HOUSE."]
    assert where(step) == (HOME, 3, 10)
    assert Counter(b[0][0] for b in inputs(step)) == {"left": 6, "down": 5}, "a shortest way, one press a move"
    assert all(len(b[0]) == 1 and b[1:] == [2, 6] for b in inputs(step)), "the profile's press timing"
    assert step.step_actions == math.ceil(11 / MAX_BUTTONS) == 3
    assert step.actions == 2 + 3, "START and wait, then the walk"
    assert results(rows[2]) == ["arrived: you are already at (3,10) in MY HOUSE."]
    assert (inputs(rows[2]), rows[2].step_actions, rows[2].frame_end) == ([], 0, rows[2].frame_start)


def test_each_walk_counts_its_moves_in_actions(tour: tuple[Path, list[Request]]) -> None:
    for row in steps(tour[0])[1:10]:
        said = results(row)
        if not said[0].startswith("arrived at"):
            continue
        moves = _moves(said[0])
        assert len(inputs(row)) == moves, row.step
        assert row.step_actions == math.ceil(moves / MAX_BUTTONS), row.step


def test_the_tool_as_the_model_is_told_of_it(tour: tuple[Path, list[Request]]) -> None:
    run_dir, sent = tour
    act = [r for r in sent if r.purpose == "act"]
    assert len(act) == len(TOUR) + 1, "(the last asks for a reply the script does not have: the run ends)"
    assert all([t.name for t in r.tools] == ["press_buttons", "wait", "navigate_to", "note", "forget"] for r in act)
    spec = next(t for t in act[0].tools if t.name == "navigate_to")
    assert f"Each {MAX_BUTTONS} moves count as one action." in spec.description
    assert spec.input_schema["required"] == ["x", "y"] and spec.input_schema["additionalProperties"] is False
    assert "navigate_to walks you" in act[0].system
    with animus.open_run(run_dir) as run:
        assert run.meta.card["tools"] == ["press_buttons", "wait", "navigate_to", "note", "forget"]


def test_onto_a_door_it_enters_it_and_the_map_changes(tour: tuple[Path, list[Request]]) -> None:
    rows = steps(tour[0])
    door, back = rows[6], rows[7]
    assert results(door) == ["arrived at (10,13) after 10 moves; (10,1) in MISTY CROSS."]
    assert where(door) == (TOWN, 10, 1) and value(door, "area") == "MISTY CROSS"
    assert delta(door)["w"] == [[HOME, 10, 13, TOWN, 10, 1]]
    assert door.step_actions == 3
    # A way out not taken yet is entered when it is the target: it leads somewhere the map does not know.
    assert results(back) == ["arrived at (10,0) after 1 moves; (10,12) in MY HOUSE."]
    assert where(back) == (HOME, 10, 12) and [b[0] for b in inputs(back)] == [["up"]]
    assert delta(back) == {"w": [[TOWN, 10, 0, HOME, 10, 12]]}
    assert back.step_actions == 1


def test_across_maps_through_known_warps_by_name_or_id(tour: tuple[Path, list[Request]]) -> None:
    rows = steps(tour[0])
    by_name, by_id = rows[8], rows[9]
    assert results(by_name) == ["arrived at (2,1) after 9 moves; (2,1) in MISTY CROSS."]
    assert where(by_name) == (TOWN, 2, 1)
    assert [b[0][0] for b in inputs(by_name)] == ["down", *["left"] * 8]
    assert by_name.step_actions == 3
    assert results(by_id) == ["arrived at (9,5) after 17 moves; (9,5) in MY HOUSE."]
    assert where(by_id) == (HOME, 9, 5)
    assert Counter(b[0][0] for b in inputs(by_id)) == {"right": 8, "up": 8, "left": 1}
    assert by_id.step_actions == math.ceil(17 / MAX_BUTTONS) == 5


def test_no_known_path_to_a_blocking_cell_or_an_unknown_map(tour: tuple[Path, list[Request]]) -> None:
    rows = steps(tour[0])
    person, maps = rows[3], rows[4]
    assert results(person) == ["no known path to (14,8) from (3,10): explore toward it (11 right, 2 up of you)."]
    assert results(maps) == [
        "no known path: no map 5 is known yet. Maps known: MY HOUSE (map 0). Explore to find it.",
        "no known path: no map 'MISTY CROSS' is known yet. Maps known: MY HOUSE (map 0). Explore to find it.",
    ]
    for row in (person, maps):
        assert (inputs(row), row.step_actions, row.bad_calls) == ([], 0, 0)
        assert where(row) == (HOME, 3, 10)
        assert not any(errors(row)), "no path is an answer, not a bad call"


def test_bad_arguments_are_errors_and_run_nothing(tour: tuple[Path, list[Request]]) -> None:
    row = steps(tour[0])[5]
    assert results(row) == [
        "error: navigate_to: map must be a map id or name as the minimap shows it, e.g. 3.",
        "error: navigate_to: unknown argument 'speed'; it takes map, x, y.",
        "error: navigate_to: x must be a whole number (a cell as the minimap numbers it), got None.",
        "error: navigate_to: x must be a whole number (a cell as the minimap numbers it), got True.",
    ]
    assert errors(row) == [True] * 4 and row.bad_calls == 4
    assert (inputs(row), row.step_actions, row.frame_end, row.map_delta) == ([], 0, row.frame_start, None)
    assert where(row) == (HOME, 3, 10)


def test_while_a_dialog_is_open_it_does_not_move(tour: tuple[Path, list[Request]]) -> None:
    # Animus Quest opens a dialog only on A (DESIGN.md), never on a move, so a walk cannot be cut short by one:
    # what can be checked is a call made while a dialog is open.
    row = steps(tour[0])[10]
    walked, talked, stuck = results(row)
    assert walked == "arrived at (13,8) after 7 moves; (13,8) in MY HOUSE."
    assert talked == "pressed right a (hold 2, wait 6 frames each)"
    assert stuck == NOT_WALKING
    assert value(row, "mode") == 2 and value(row, "dialog_open") == 1
    assert where(row) == (HOME, 13, 8) and value(row, "facing") == 3
    assert len(inputs(row)) == 7 + 2, "nothing pressed for the last call"
    assert row.step_actions == math.ceil(7 / MAX_BUTTONS) + 1 + 0


def test_with_navigate_off_it_is_not_offered_and_a_call_is_an_error(tmp_path: Path) -> None:
    sent: list[Request] = []
    script = [START, reply(nav(3, 3)), reply(press("up"))]
    run_dir = play(tmp_path, "off", script, "tools.navigate=false", requests=sent)
    rows = steps(run_dir)
    assert results(rows[1]) == [
        "error: unknown tool 'navigate_to'; the tools are press_buttons, wait, note and forget."
    ]
    assert errors(rows[1]) == [True] and rows[1].bad_calls == 1
    assert (inputs(rows[1]), rows[1].step_actions, where(rows[1])) == ([], 0, (HOME, 9, 5))
    assert where(rows[2]) == (HOME, 9, 4), "the run plays on"
    act = [r for r in sent if r.purpose == "act"]
    assert act and all([t.name for t in r.tools] == ["press_buttons", "wait", "note", "forget"] for r in act)
    assert all("navigate_to" not in r.system for r in act)
    with animus.open_run(run_dir) as run:
        assert run.meta.card["tools"] == ["press_buttons", "wait", "note", "forget"]
        assert "-navigate" in run.meta.card["short"]


def test_a_run_that_navigated_verifies(tour: tuple[Path, list[Request]]) -> None:
    verified = run_animus("verify", str(tour[0]))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"OK: {len(TOUR)} steps re-simulated"), verified.stdout


def test_max_navigate_moves_stops_a_walk_on_its_way(tmp_path: Path) -> None:
    run_dir = play(tmp_path, "short", [START, reply(nav(3, 10))], "tools.max_navigate_moves=5")
    row = steps(run_dir)[1]
    key, x, y = where(row)
    assert results(row) == [f"stopped after 5 moves (tools.max_navigate_moves) at ({x},{y}) in MY HOUSE."]
    assert key == HOME and abs(x - 9) + abs(y - 5) == 5 and abs(x - 3) + abs(y - 10) == 6, "5 moves of a shortest way"
    assert len(inputs(row)) == 5 and row.step_actions == 1


# -- blocked moves: a profile without [collision] knows only the cells walked and the moves that were blocked -------


@pytest.fixture(scope="module")
def blind_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Animus Quest's own profile without its [collision] table: the screen teaches the explored map nothing."""
    text = (REPO / "src" / "animus" / "games" / "profiles" / "animus-quest.toml").read_text(encoding="utf-8")
    start, end = text.index("\n[collision]\n"), text.index("\n[tiles]\n")
    path = tmp_path_factory.mktemp("profile") / "animus-quest-blind.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return path


# The walks of the blind run: down and back up column 9, right along row 5, down column 13 to (13,8), facing down.
BLIND = [
    START,
    reply(press(*["down"] * 5)),
    reply(press(*["up"] * 5)),
    reply(press(*["right"] * 4)),
    reply(press(*["down"] * 3)),
    reply(nav(15, 8)),
    reply(nav(14, 8)),
    reply(nav(9, 8)),
]


@pytest.fixture(scope="module")
def blind(tmp_path_factory: pytest.TempPathFactory, blind_profile: Path) -> list[StepRow]:
    rows = steps(play(tmp_path_factory.mktemp("runs"), "blind", BLIND, profile=blind_profile))
    assert "s" not in delta(rows[0]), "no [collision]: nothing is seen"
    assert where(rows[4]) == (HOME, 13, 8) and value(rows[4], "facing") == 0
    return rows


def test_a_move_into_an_unknown_cell_that_blocks_is_learnt_and_planned_around(blind: list[StepRow]) -> None:
    # From (13,8), facing down, to (15,8): straight right through (14,8), unknown and where MOTHER stands. The first
    # press only turns the player right, the second is blocked; the walk plans again around her, through (13,7)
    # (walked already, so cheaper than the unknown cells below).
    around = blind[5]
    assert results(around) == ["arrived at (15,8) after 6 moves; (15,8) in MY HOUSE."]
    assert [b[0][0] for b in inputs(around)] == ["right", "right", "up", "right", "right", "down"]
    assert delta(around) == {"v": [[HOME, 14, 7], [HOME, 15, 7], [HOME, 15, 8]], "b": [[HOME, 14, 8]]}
    assert where(around) == (HOME, 15, 8) and around.step_actions == 1
    # A cell tried and blocked is never entered: there is no path to it.
    assert results(blind[6]) == ["no known path to (14,8) from (15,8): explore toward it (1 left of you)."]
    assert (inputs(blind[6]), blind[6].step_actions) == ([], 0)


def test_a_known_way_is_preferred_to_a_shorter_unknown_one(blind: list[StepRow]) -> None:
    # (9,8) is 8 moves away around MOTHER through cells never walked, 12 along cells walked already (up column 13,
    # left along row 5, down column 9): an unknown cell costs as much as 4 known ones, so the known way wins.
    known = blind[7]
    assert results(known) == ["arrived at (9,8) after 12 moves; (9,8) in MY HOUSE."]
    assert [b[0][0] for b in inputs(known)] == ["up", "left", "left", "up", "up", *["left"] * 4, *["down"] * 3]
    assert known.map_delta is None, "nothing new was learnt on the way"
