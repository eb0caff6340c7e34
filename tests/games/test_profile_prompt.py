"""A profile's `[prompt]` (the game's goal, controls and notes) is added to the system prompt a model receives,
and recorded on the run's harness card; a bad `[prompt]` is refused at load with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

import animus
from animus.agent.models.mock import MockModel
from animus.agent.types import Reply, Request
from animus.config import RunConfig, load_config
from animus.errors import ProfileError
from animus.games.loader import parse_profile
from animus.runs.card import run_card
from animus.runs.reader import RunReader
from animus.runs.runner import start_run
from tests.conftest import REPO
from tests.games.fakes import profile_toml

QUEST = REPO / "src" / "animus" / "games" / "profiles" / "animus-quest.toml"
PROMPT = """
[prompt]
goal = "Win the crown of the gold lands and bring it home."
controls = "The d-pad walks one tile; A talks, searches and pulls."
"""


class Listening(MockModel):
    """The mock, keeping the system prompt of every request it answers."""

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        super().__init__(argument, config)
        self.systems: set[str] = set()

    def respond(self, request: Request) -> Reply:
        self.systems.add(request.system)
        return super().respond(request)


def test_the_prompt_table_is_read_in_order() -> None:
    loaded = parse_profile(profile_toml(extra=PROMPT.replace("goal", "notes", 1)), "p.toml")
    assert loaded.prompt == (
        "Controls: The d-pad walks one tile; A talks, searches and pulls.\n"
        "Notes: Win the crown of the gold lands and bring it home."
    )
    assert parse_profile(profile_toml(), "p.toml").prompt == ""


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("[prompt]\ngoal = 3\n", "'goal' in [prompt] must be a str"),
        ('[prompt]\nsystem = "you are a pirate"\n', "unknown key 'system' in [prompt]"),
        ('[prompt]\ngoal = "' + "x" * 4001 + '"\n', "[prompt] goal is 4001 characters"),
        ('prompt = "hi"\n', "[prompt] must be a table"),
    ],
)
def test_a_bad_prompt_table_is_refused_in_one_line(table: str, problem: str) -> None:
    source = profile_toml()
    source = table + source if not table.startswith("[") else source + table
    with pytest.raises(ProfileError) as err:
        parse_profile(source, "p.toml")
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_the_model_receives_it_and_the_card_records_it(tmp_path: Path) -> None:
    game = tmp_path / "quest.toml"
    game.write_text(QUEST.read_text(encoding="utf-8") + PROMPT, encoding="utf-8")
    config = load_config(overrides={"model": "mock", "game.profile": str(game), "budget.steps": 5})
    model = Listening(None, config)
    start_run(config, tmp_path / "runs", "p", model=model)
    (system,) = model.systems
    assert system.endswith(
        "About Animus Quest, from its profile:\nGoal: Win the crown of the gold lands and bring it home.\n"
        "Controls: The d-pad walks one tile; A talks, searches and pulls."
    )
    with RunReader.open(tmp_path / "runs" / "p") as reader:
        card = run_card(reader)
    assert card.game_prompt.startswith("Goal: Win the crown") and "Controls:" in card.game_prompt
    with animus.open_run(tmp_path / "runs" / "p") as run:
        assert run.meta.card["game_prompt"] == card.game_prompt
