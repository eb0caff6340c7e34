"""The harness card (`animus.runs.card`): what a run's model could see and do, and every intervention during the run.

Short runs of the mock on the bundled Animus Quest (pinned by name: its profile reads a map position, so it offers
navigate_to), through the real CLI: `show --card`, `export`, the card and sessions in meta, and `chart`, which
refuses to overlay runs whose cards differ unless `--allow-mixed`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import animus
from animus.errors import RunError
from animus.games import load_profile
from animus.runs.card import Card, ModelSettings, differences
from animus.runs.meta import decode
from tests.conftest import run_animus

QUEST = "animus-quest"
ALL_TOOLS = ["press_buttons", "wait", "navigate_to", "note", "forget"]


def _animus(*args: str) -> str:
    result = run_animus(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _play(runs: Path, name: str, *args: str) -> Path:
    _animus("run", "--rom", QUEST, "--model", "mock", "--steps", "15", "--runs-dir", str(runs), "--name", name, *args)
    return runs / name


def _card(run: Path) -> dict[str, Any]:
    card: dict[str, Any] = json.loads(_animus("show", str(run), "--card", "--json"))
    return card


def _stored(run: Path, key: str) -> Any:
    with sqlite3.connect(run / "run.db") as conn:
        return json.loads(conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs of 15 steps: two with the default harness, one without navigate_to, one without the minimap."""
    root = tmp_path_factory.mktemp("cards")
    _play(root, "plain")
    _play(root, "plain-1", "--seed", "1")
    _play(root, "no-nav", "--set", "tools.navigate=false")
    _play(root, "no-minimap", "--set", "channels.minimap=false")
    return root


def test_a_default_run_has_every_channel_and_tool_and_names_its_profile_and_model(runs: Path) -> None:
    card = _card(runs / "plain")
    channels = dict(card["channels"])
    assert channels.pop("image") is False, "the mock never sees the screen as an image"
    assert channels and all(channels.values()), channels
    assert {"state", "text_map", "dialog", "minimap", "progress", "notes", "summary", "watchdog"} <= set(channels)
    assert card["tools"] == ALL_TOOLS and card["map_position"] is True
    assert card["profile"] == {"id": QUEST, "sha256": load_profile(QUEST).content_hash}
    assert card["model"]["name"] == "mock" and card["model"]["max_tokens"] == 16000 and card["model"]["branches"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", card["prompts_sha256"])
    assert card["short"] == ""
    assert card["interventions"] == {"notes": [], "resumes": [], "budget_changes": []}
    with animus.open_run(runs / "plain") as run:
        assert run.meta.card == card, "meta holds the card, written when the run was created and when it ended"
        assert [(s.kind, s.step, s.budget["steps"]) for s in run.meta.sessions] == [("start", 0, 15)]
    assert Card.from_json(card).to_json() == card
    shown = _animus("show", str(runs / "plain"))
    assert "card      all defaults" in shown
    text = _animus("show", str(runs / "plain"), "--card")
    assert "navigate_to" in text and "mock" in text and load_profile(QUEST).content_hash in text


def test_a_run_without_navigate_does_not_offer_it(runs: Path) -> None:
    card = _card(runs / "no-nav")
    assert card["tools"] == ["press_buttons", "wait", "note", "forget"]
    assert card["short"] == "-navigate"
    assert "card      -navigate" in _animus("show", str(runs / "no-nav"))


def test_operator_notes_resumes_and_budget_changes_are_interventions_with_their_steps(
    runs: Path, tmp_path: Path
) -> None:
    run = _play(tmp_path, "r")
    said = _animus("note", str(run), "goal", "find the key", "--runs-dir", str(tmp_path))
    assert "effective from step 16" in said
    _animus("resume", str(run), "--steps", "25")
    card = _card(run)
    done = card["interventions"]
    assert [(n["step"], n["key"], n["text"]) for n in done["notes"]] == [(16, "goal", "find the key")]
    assert [r["step"] for r in done["resumes"]] == [15]
    assert [(b["step"], b["key"], b["old"], b["new"]) for b in done["budget_changes"]] == [(15, "budget.steps", 15, 25)]
    assert card["short"] == "", "interventions are not channels: the harness is the default one"
    sessions = _stored(run, "sessions")
    assert [(s["kind"], s["step"], s["budget"]["steps"]) for s in sessions] == [("start", 0, 15), ("resume", 15, 25)]
    assert _stored(run, "card") == card, "the card in meta was refreshed when the resumed session ended"

    text = _animus("show", str(run), "--card")
    assert "interventions 3" in text
    assert re.search(r"step +15 +resumed after step 15", text), text
    assert re.search(r"step +15 +budget\.steps 15 -> 25", text), text
    assert re.search(r"step +16 +note 'goal' = 'find the key' \(operator\)", text), text
    assert "3 interventions" in _animus("show", str(run))

    _animus("export", str(run), "-o", str(tmp_path / "r.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["type"] for line in lines[:2]] == ["meta", "card"]
    assert {k: v for k, v in lines[1].items() if k != "type"} == card


def test_json_goes_with_card(runs: Path) -> None:
    result = run_animus("show", str(runs / "plain"), "--json")
    assert result.returncode == 2 and "--card" in result.stderr


def _embedded(page: Path) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page.read_text(), re.S)
    assert match, "the page embeds its data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_charting_runs_whose_cards_differ_is_refused_unless_allowed(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "mixed.html"
    targets = (str(runs / "plain"), str(runs / "plain-1"), str(runs / "no-minimap"))
    refused = run_animus("chart", *targets, "-o", str(out))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1, refused.stderr
    assert "minimap" in refused.stderr and "--allow-mixed" in refused.stderr and "Traceback" not in refused.stderr
    assert "navigate" not in refused.stderr, "only the switches that differ are named"
    assert not out.exists()

    said = _animus("chart", *targets, "-o", str(out), "--allow-mixed")
    assert "cards differ in minimap" in said
    data = _embedded(out)
    assert [(g["legend"], g["card"]) for g in data["groups"]] == [
        ("mock [default] (n=2)", ""),
        ("mock [-minimap]", "-minimap"),
    ]
    assert {r["id"]: r["card"] for r in data["runs"]} == {"plain": "", "plain-1": "", "no-minimap": "-minimap"}
    svg = tmp_path / "mixed.svg"
    _animus("chart", *targets, "-o", str(svg), "--allow-mixed")
    assert "mock [-minimap]" in svg.read_text(encoding="utf-8")


def test_runs_with_equal_cards_chart_as_before(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "same.html"
    _animus("chart", str(runs / "plain"), str(runs / "plain-1"), "-o", str(out))
    data = _embedded(out)
    assert [(g["legend"], g["card"]) for g in data["groups"]] == [("mock (n=2)", None)]
    _animus("chart", str(runs / "plain"), "--kind", "map", "-o", str(tmp_path / "map.png"))


def _card_of(channels: dict[str, bool], tools: tuple[str, ...], map_position: bool = True) -> Card:
    model = ModelSettings("mock", 16000, None, None, None, None, True, 2.0, False, 12000, True, 1)
    return Card(tuple(channels.items()), tools, map_position, "p", "", model, "")


def test_differences_and_the_short_form() -> None:
    base = {"state": True, "minimap": True, "image": False}
    plain = _card_of(base, tuple(ALL_TOOLS))
    seeing = _card_of(base | {"minimap": False, "image": True}, ("press_buttons", "wait", "navigate_to"))
    mapless = _card_of(base, ("press_buttons", "wait", "note", "forget"), map_position=False)
    assert seeing.short == "-minimap +image -note"
    assert plain.short == "" and mapless.short == "", "no navigate_to without a map position is the default"
    assert differences([plain, seeing]) == ["minimap", "image", "note"]
    assert differences([plain, mapless]) == [], "navigate is not compared where it could not be offered"
    assert differences([plain]) == [] and differences([]) == []


def test_damaged_sessions_are_a_damaged_run(tmp_path: Path) -> None:
    for value in ([{"kind": "nap", "step": 0, "started_at": 1.0, "budget": {}}], [{"kind": "start"}], ["x"]):
        with pytest.raises(RunError, match="meta 'sessions'"):
            decode([("id", json.dumps("x")), ("sessions", json.dumps(value))], tmp_path)
    with pytest.raises(RunError, match="meta 'sessions' holds dict"):
        decode([("id", json.dumps("x")), ("sessions", json.dumps({}))], tmp_path)
