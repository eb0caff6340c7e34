"""The `pokemon-red` profile end to end on PKMN LAYOUT, the Pokémon-layout test cartridge, as a user runs it:
`animus run --game pokemon-red` with the walkthrough, then every field and milestone from the run store, `verify`,
`chart`, the replay viewer, the harness card, and the mock model on the same cartridge."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from PIL import Image

import animus
from animus.games import GameState, load_profile
from animus.inspect.server import ViewerServer
from tests.conftest import run_animus
from tests.games.pokecart_rom import WALKTHROUGH
from tests.helpers import fetch, get
from tests.inspect.conftest import serving

MILESTONES = [  # in story order, each with the scene whose A press reaches it
    ("followed_oak", 2), ("got_starter", 3), ("battled_rival", 6), ("visited_viridian", 8), ("got_parcel", 9),
    ("delivered_parcel", 10), ("got_pokedex", 10), ("visited_forest", 12), ("visited_pewter", 13),
    ("beat_brock", 14), ("boulder_badge", 14),
]  # fmt: skip


def scene_steps() -> dict[int, int]:
    """The step that enters each scene: the walkthrough's lines are steps, and a comment "# N." names scene N."""
    out: dict[int, int] = {}
    step = 0
    for line in WALKTHROUGH.read_text(encoding="utf-8").splitlines():
        press, _, comment = line.partition("#")
        if not press.split():
            continue
        step += 1
        head = comment.strip().split(".", 1)[0]
        if head.isdigit():
            out[int(head)] = step
    return out


@pytest.fixture(scope="module")
def run_dir(pokecart: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    result = run_animus(
        "run", "--rom", str(pokecart), "--game", "pokemon-red", "--model", f"scripted:{WALKTHROUGH}",
        "--set", "record.keyframe_every=10", "--runs-dir", str(runs), "--name", "w",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return runs / "w"


@pytest.fixture(scope="module")
def states(run_dir: Path) -> dict[int, GameState]:
    with animus.open_run(run_dir) as run:
        out = {row.step: run.state(row.step) for row in run.steps()}
    assert all(state is not None for state in out.values())
    return {step: state for step, state in out.items() if state is not None}


def at(states: dict[int, GameState], scene: int, after: int = 0) -> GameState:
    """The state `after` steps past the step that entered `scene`."""
    return states[scene_steps()[scene] + after]


def test_the_walkthrough_names_every_scene() -> None:
    assert sorted(scene_steps()) == list(range(1, 16))


def test_milestones_come_at_their_scenes_in_story_order(run_dir: Path) -> None:
    steps = scene_steps()
    with animus.open_run(run_dir) as run:
        assert run.meta.profile_id == "pokemon-red" and run.meta.rom_title == "PKMN LAYOUT"
        reached = [(m.id, m.step) for m in run.milestones()]
    assert reached == [(mid, steps[scene]) for mid, scene in MILESTONES]


def test_the_walk_the_names_and_the_text_box(states: dict[int, GameState]) -> None:
    start = at(states, 1, -1)  # the last step in Pallet Town
    assert start.position == (0x00, 1, 7)
    assert "Player: RED, rival: BLUE. Money: 3000." in start.text
    assert "Map: PALLET TOWN (map id 0), x=1, y=7, facing down." in start.text
    assert "Party (0): none\nBag: empty." in start.text
    oak = at(states, 1)
    assert oak.dialog == "OAK: Hey! Wait!\nDon't go out!" and oak.position == ()
    assert "Dialog text on screen:\n  | OAK: Hey! Wait!\n  | Don't go out!" in oak.text
    lab = at(states, 2, 1)
    assert lab.position == (0x28, 5, 8) and "Map: OAK'S LAB (map id 40), x=5, y=8, facing up." in lab.text


def test_the_party_and_a_trainer_battle(states: dict[int, GameState]) -> None:
    starter = at(states, 3)
    assert "Party (1):\n  1. CHARMANDER (CHARMANDER) L5 HP 19/19 OK, moves: SCRATCH 35 PP, GROWL 40 PP" in starter.text
    party = starter.value("party")
    assert isinstance(party, tuple)
    first = dict(party[0])
    assert (first["species"], first["exp"], first["type1"], first["max_hp"]) == (0xB0, 135, 0x14, 19)
    battle = at(states, 4)
    assert "In a trainer battle. Enemy: SQUIRTLE L5 HP 20/20 OK. Yours: CHARMANDER L5 HP 19/19." in battle.text
    assert battle.dialog == "BLUE wants\nto fight!" and battle.position == ()
    hit = at(states, 5)
    assert "Enemy: SQUIRTLE L5 HP 12/20 OK. Yours: CHARMANDER L5 HP 16/19." in hit.text
    assert "L5 HP 16/19 poisoned, moves: SCRATCH 34 PP, GROWL 40 PP" in hit.text
    won = at(states, 6)
    assert "battle" not in won.text and won.value("got_starter") == 1 and won.position is not None


def test_the_start_menu_and_the_bag(states: dict[int, GameState]) -> None:
    assert (
        "The start menu is open (▶ marks the cursor, item 0 from the top): ▶POKéDEX | POKéMON |" in at(states, 7).text
    )
    chosen = at(states, 8, -1)  # after DOWN x2, UP, DOWN
    assert "(▶ marks the cursor, item 2 from the top): POKéDEX | POKéMON | ▶ITEM | RED | SAVE | OPTION | EXIT" in (
        chosen.text
    )
    assert "Map: VIRIDIAN CITY (map id 1)" in at(states, 8).text and "Bag: POTION x1." in at(states, 8).text
    assert "Bag: POTION x1, OAK's PARCEL x1." in at(states, 9).text
    assert "Bag: POTION x1." in at(states, 10).text, "the parcel was delivered"


def test_the_yes_no_box_a_wild_battle_and_the_badge(states: dict[int, GameState]) -> None:
    assert "A YES/NO choice is open; the cursor is on YES." in at(states, 11).text
    assert "A YES/NO choice is open; the cursor is on NO." in at(states, 11, 1).text
    assert "Save the game?" in at(states, 11).dialog
    wild = at(states, 12)
    assert "In a wild battle. Enemy: WEEDLE L3 HP 14/14 OK." in wild.text
    assert wild.value("map") == 0x33
    pewter = at(states, 13)
    assert "Map: PEWTER CITY (map id 2)" in pewter.text and "CHARMANDER (CHARMANDER) L6 HP 21/21" in pewter.text
    badge = at(states, 14)
    assert (badge.value("badges"), badge.value("money")) == (1, 4386)
    assert badge.dialog == "Received the\nBOULDERBADGE!" and "Badges byte: 0x01" in badge.text


def test_the_run_verifies_and_keeps_its_data_files(run_dir: Path) -> None:
    result = run_animus("verify", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert "every hash and milestone matches" in result.stdout
    shipped = (resources.files("animus.games") / "profiles" / "pokemon-red-names.toml").read_text(encoding="utf-8")
    assert (run_dir / "pokemon-red-names.toml").read_text(encoding="utf-8") == shipped
    card = run_animus("show", str(run_dir), "--card", "--json")
    assert card.returncode == 0, card.stderr
    data = json.loads(card.stdout)
    assert data["profile"] == {"id": "pokemon-red", "sha256": load_profile("pokemon-red").content_hash}
    assert "Become the Champion" in data["game_prompt"]


def test_charts_draw_the_run(run_dir: Path, tmp_path: Path) -> None:
    html = tmp_path / "progress.html"
    result = run_animus("chart", str(run_dir), "-o", str(html))
    assert result.returncode == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert "Boulder Badge" in page and "Got a starter Pokémon" in page
    for kind, out in (("progress", tmp_path / "p.png"), ("map", tmp_path / "m.png")):
        result = run_animus("chart", str(run_dir), "--kind", kind, "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert Image.open(out).size[0] > 200


@pytest.fixture(scope="module")
def server(run_dir: Path) -> Iterator[ViewerServer]:
    with serving(run_dir) as srv:
        yield srv


def test_the_viewer_shows_each_step(server: ViewerServer) -> None:
    steps = scene_steps()
    battle = get(server, f"/api/step/{steps[4]}")
    assert "In a trainer battle. Enemy: SQUIRTLE" in battle["state_text"]
    assert battle["dialog"] == "BLUE wants\nto fight!"
    badge = get(server, f"/api/step/{steps[14]}")
    assert [m["id"] for m in badge["milestones"]] == ["beat_brock", "boulder_badge"]
    frame = Image.open(io.BytesIO(fetch(server, f"/api/frame/{steps[7]}.png")))
    low, high = frame.convert("L").getextrema()
    assert frame.size == (160, 144) and low < high, "the start menu's frame is not blank"
    explored = get(server, f"/api/map/{steps[1] - 1}")  # the last step in Pallet Town
    assert explored["available"] and explored["map"]["name"] == "PALLET TOWN"
    assert (explored["player"]["x"], explored["player"]["y"]) == (1, 7)
    rows = "".join(explored["map"]["cells"])
    assert "#" in rows and "." in rows, "the screen's walls and floor, read through [collision]"


def test_the_mock_plays_the_cartridge_and_verifies(pokecart: Path, tmp_path: Path) -> None:
    result = run_animus(
        "run", "--rom", str(pokecart), "--game", "pokemon-red", "--steps", "40", "--runs-dir", str(tmp_path),
        "--name", "m",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with animus.open_run(tmp_path / "m") as run:
        reached = [m.id for m in run.milestones()]
    assert reached[:3] == ["followed_oak", "got_starter", "battled_rival"], "it reads the text box and presses A"
    assert run_animus("verify", str(tmp_path / "m")).returncode == 0
