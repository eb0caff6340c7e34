"""The `mock` model in real runs: it finishes Animus Quest, plays an unknown ROM through the generic profile,
is deterministic, keeps its notes under the cap, and does worse without them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import animus
from animus.config import load_config
from animus.errors import ConfigError
from animus.runs.runner import start_run
from tests.conftest import CLASSIC, deterministic_steps, retitled

MAX_ACTIONS = 4000  # the acceptance bound; the mock needs far fewer


def play(tmp_path: Path, name: str, **overrides: object) -> Path:
    config = load_config(overrides={"rom": CLASSIC, "model": "mock", "seed": 0, "budget.steps": 6000, **overrides})
    end = start_run(config, tmp_path, name)
    return end.run_dir


@pytest.fixture(scope="module")
def quest_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return play(tmp_path_factory.mktemp("mock"), "quest")


def test_mock_finishes_animus_quest(quest_run: Path) -> None:
    with animus.open_run(quest_run) as run:
        milestones = run.milestones()
        assert [m.id for m in milestones][-1] == "finished"
        assert len(milestones) == 8
        assert milestones[-1].actions <= MAX_ACTIONS
        assert milestones[-1].actions < 300, "the mock should finish in a few hundred actions at most"
        assert run.status == "done"


def test_mock_replies_carry_thinking_text_and_one_action(quest_run: Path) -> None:
    with animus.open_run(quest_run) as run:
        for call in run.model_calls():
            reply = run.reply(call)
            if call.purpose != "act":
                assert not reply.tool_calls
                continue
            assert reply.model == "mock" and reply.stop_reason == "tool_use"
            assert reply.thinking and reply.thinking[0].text
            assert reply.text and "\n" not in reply.text
            games = [c for c in reply.tool_calls if c.name in ("press_buttons", "wait")]
            assert len(games) == 1 and reply.tool_calls[-1] is games[0]
            assert all(c.name in ("note", "forget") for c in reply.tool_calls[:-1])


def test_mock_notes_stay_under_the_cap_and_no_call_fails(quest_run: Path) -> None:
    with animus.open_run(quest_run) as run:
        notes: dict[str, str] = {}
        for event in run.memory_events():
            if event.kind == "note_set" and event.key is not None:
                notes[event.key] = event.content
            elif event.kind == "note_delete" and event.key is not None:
                notes.pop(event.key, None)
            assert sum(len(k) + len(v) for k, v in notes.items()) <= 4000
        assert any(k.startswith("area ") for k in notes) and any(k.startswith("said ") for k in notes)
        assert all(step.bad_calls == 0 for step in run.steps())


def test_mock_runs_are_deterministic(tmp_path: Path, quest_run: Path) -> None:
    again = play(tmp_path, "again")
    assert deterministic_steps(again / "run.db") == deterministic_steps(quest_run / "run.db")


def test_mock_without_thinking_still_plays_but_thinks_nothing(tmp_path: Path, quest_run: Path) -> None:
    run_dir = play(tmp_path, "nothink", **{"thinking.type": "disabled", "budget.steps": 400})
    with animus.open_run(run_dir) as run:
        acts = [run.reply(c) for c in run.model_calls() if c.purpose == "act"]
        assert acts and all(not r.thinking for r in acts)
        assert len(run.milestones()) >= 2


def test_mock_does_worse_without_memory(tmp_path: Path, quest_run: Path) -> None:
    try:
        load_config(overrides={"memory.enabled": False})
    except ConfigError:
        pytest.skip("this config has no memory.enabled switch")
    run_dir = play(tmp_path, "nomem", **{"memory.enabled": False, "budget.steps": 1000})
    with animus.open_run(quest_run) as run:
        with_notes = run.milestones()[-1].actions
    with animus.open_run(run_dir) as run:
        milestones = run.milestones()
        without = milestones[-1].actions if len(milestones) == 8 else run.totals().actions * 10
    assert without > 2 * with_notes


def test_mock_explores_a_rom_without_a_profile(tmp_path: Path, quest_bytes: bytes) -> None:
    rom = tmp_path / "homebrew.gb"
    rom.write_bytes(retitled(quest_bytes, "SOMEHOMEBREW"))
    run_dir = play(tmp_path, "generic", rom=str(rom), **{"budget.steps": 60})
    with animus.open_run(run_dir) as run:
        assert run.meta.profile_name == "Unknown game" or run.meta.profile_id == "generic"
        reached = {m.id: m.actions for m in run.milestones()}
        assert {"screens_5", "screens_10"} <= set(reached)
        assert reached["screens_10"] <= 60
        last = run.model_calls()[-1]
        assert "screens" in {c.input.get("key") for r in [run.reply(last)] for c in r.tool_calls} | {
            e.key for e in run.memory_events()
        }
        assert json.loads(last.reply)["model"] == "mock"


def test_mock_plays_on_through_new_games(tmp_path: Path) -> None:
    """With stop_on_finish off, the cartridge starts over after the ending; the mock notices (its items are gone)
    and plays again, faster, since its notes still hold the map and the hints."""
    run_dir = play(tmp_path, "again", **{"budget.steps": 400, "stop_on_finish": False})
    with animus.open_run(run_dir) as run:
        state = run.state(400)
        assert state is not None
        assert int(state.value("playthroughs")) >= 4
        assert any("started over" in t.text for c in run.model_calls() for t in run.reply(c).thinking)
