"""The `mock` model's parts on real observation texts (captured by replaying part of the walkthrough): the
parser, replies as a pure function of the request, thinking budgets, summaries, reflections and the notes cap."""

from __future__ import annotations

import json

import pytest

import animus
from animus.agent.models.mock import MockModel
from animus.agent.models.mock.hints import find
from animus.agent.models.mock.knowledge import Knowledge, note_calls
from animus.agent.models.mock.parse import parse
from animus.agent.models.scripted import read_walkthrough
from animus.agent.prompts import SUMMARY_SECTIONS
from animus.agent.types import AssistantTurn, Memory, Reply, Request, Thinking, ToolCall, UserTurn
from animus.config import load_config
from animus.runs.runner import start_run
from tests.conftest import CLASSIC, WALKTHROUGH


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Observation texts of the first 70 steps of the walkthrough, pressing A one page at a time."""
    tmp = tmp_path_factory.mktemp("texts")
    lines: list[str] = []
    for presses in read_walkthrough(WALKTHROUGH):
        single = presses[0] in ("a", "start")
        lines += [presses[0]] * len(presses) if single else [f"{presses[0]} x{len(presses)}"]
    script = tmp / "walk.txt"
    script.write_text("\n".join(lines[:70]) + "\n")
    config = load_config(overrides={"rom": CLASSIC, "model": f"scripted:{script}", "budget.steps": 70})
    run_dir = start_run(config, tmp, "walk").run_dir
    out: list[str] = []
    with animus.open_run(run_dir) as run:
        for call in run.model_calls():
            out += [t["text"] for t in json.loads(call.request_delta) if t.get("role") == "user"]
    return out


def first(texts: list[str], mode: str, contains: str = "") -> str:
    return next(t for t in texts if f"Mode: {mode}" in t and contains in t)


def request(text: str, notes: tuple[tuple[str, str], ...] = (), budget: int | None = None, **kw: object) -> Request:
    return Request(
        purpose=kw.get("purpose", "act"),  # type: ignore[arg-type]
        step=7,
        seed=3,
        system="",
        messages=kw.get("messages", (UserTurn(7, text),)),  # type: ignore[arg-type]
        memory=Memory(summary=str(kw.get("summary", "")), notes=notes),
        tools=(),
        thinking=Thinking(budget_tokens=budget),
    )


def model() -> MockModel:
    return MockModel(None, load_config(overrides={"model": "mock"}))


def test_parse_reads_the_title_map_dialog_and_battle(texts: list[str]) -> None:
    assert parse(first(texts, "title screen")).kind == "start"
    view = parse(first(texts, "walking", "Area: VILLAGE"))
    assert view.kind == "map" and view.area == "VILLAGE"
    assert len(view.grid) == 14 and {len(r) for r in view.grid} == {20}
    assert view.pos is not None and view.grid[view.pos[1]][view.pos[0]] == "@"
    assert view.is_door("D") and view.walkable(".") and not view.walkable("#")
    assert view.usable("N") and not view.usable("~")
    talk = parse(first(texts, "dialog", "EASTERN"))
    assert talk.kind == "dialog" and talk.dialog == ("THE GATE KEY FELL", "INTO THE EASTERN")
    assert talk.faced is not None and talk.faced != talk.pos
    battle = parse(first(texts, "battle"))
    assert battle.kind == "menu" and battle.menu is not None
    assert battle.menu.choice() == "FIGHT" and battle.menu.keys["FIGHT"] == "up"


def test_hints_come_from_remembered_dialog_words(texts: list[str]) -> None:
    view = parse(first(texts, "walking", "Area: VILLAGE"))
    legend = "; ".join(f"{c}={d.split('(')[0].strip()}" for c, d in view.legend.items() if view.usable(c))
    said = "THE GATE KEY FELL INTO THE EASTERN WELL OF THE FOREST EAST OF HERE."
    know = Knowledge.from_notes((("legend", legend + "; W=well"), ("said VILLAGE 15,2", said)))
    (hint,) = find(know)
    assert "W" in hint.classes and hint.direction == "right" and hint.toward == ("right", "VILLAGE")


def test_reply_is_a_pure_function_of_the_request(texts: list[str]) -> None:
    for text in [first(texts, "walking", "Area: VILLAGE"), first(texts, "dialog"), first(texts, "battle")]:
        req = request(text)
        one = model()
        assert one.respond(req) == one.respond(req) == model().respond(req)


def test_act_replies_note_what_they_learn_then_act(texts: list[str]) -> None:
    reply = model().respond(request(first(texts, "walking", "Area: VILLAGE")))
    names = [c.name for c in reply.tool_calls]
    assert names[-1] == "press_buttons" and set(names[:-1]) <= {"note", "forget"}
    assert any(c.input.get("key") == "area VILLAGE" for c in reply.tool_calls)
    assert 1 <= len(reply.tool_calls[-1].input["buttons"]) <= 20
    dialog = model().respond(request(first(texts, "dialog", "EASTERN")))
    assert dialog.tool_calls[-1].input == {"buttons": ["a"]}
    said = [c for c in dialog.tool_calls if c.name == "note" and c.input["key"].startswith("said VILLAGE")]
    assert said and "EASTERN" in said[0].input["text"]
    assert model().respond(request(first(texts, "battle"))).tool_calls[-1].input == {"buttons": ["a"]}
    assert model().respond(request(first(texts, "title screen"))).tool_calls[-1].input == {"buttons": ["start"]}


def test_thinking_follows_the_budget(texts: list[str]) -> None:
    text = first(texts, "walking", "Area: VILLAGE")
    assert not model().respond(request(text, budget=0)).thinking
    (block,) = model().respond(request(text)).thinking
    assert "VILLAGE" in block.text
    (short,) = model().respond(request(text, budget=10)).thinking
    assert len(short.text) <= 40


def test_a_door_link_is_learnt_from_the_previous_turn(texts: list[str]) -> None:
    house = next(t for t in texts if "Area: HOUSE" in t and "y=12" in t and "Mode: walking" in t)
    village = first(texts, "walking", "Area: VILLAGE")
    door = parse(house).pos
    assert door is not None
    step_on = Reply(tool_calls=(ToolCall("c", "press_buttons", {"buttons": ["right", "down"]}),))
    messages = (UserTurn(6, house), AssistantTurn(6, step_on), UserTurn(7, village))
    reply = model().respond(request(village, messages=messages))
    notes = {c.input["key"]: c.input["text"] for c in reply.tool_calls if c.name == "note"}
    assert ">VILLAGE" in notes["area HOUSE"] and ">HOUSE" in notes["area VILLAGE"]


def test_summary_has_the_five_sections_and_no_tool_calls(texts: list[str]) -> None:
    notes = (("area VILLAGE", "doors 4,7>HOUSE 19,7>? | things N15,2 | epoch m1"), ("legend", "N=person (talk)"))
    turns = tuple(UserTurn(i, t) for i, t in enumerate(texts[:6]))
    reply = model().respond(request("", notes, purpose="summarize", messages=turns, summary="Open leads:\n- x"))
    assert not reply.tool_calls
    lines = reply.text.splitlines()
    assert [ln for ln in lines if not ln.startswith("- ")] == list(SUMMARY_SECTIONS)
    assert any("VILLAGE: doors 4,7 to HOUSE" in ln for ln in lines)
    reflect = model().respond(request("", notes, purpose="reflect", messages=turns))
    assert reflect.text and not reflect.tool_calls


def test_note_calls_keep_the_notes_under_the_cap() -> None:
    old = {f"said A {i},0": "BLAH " * 30 for i in range(20)} | {"area A": "doors 1,1>? | things | epoch m0"}
    new = old | {"area B": "doors 2,2>A | things | epoch m0"}
    calls = note_calls(old, new, 2000, frozenset({"said A 19,0"}))
    kept = dict(old)
    for name, args in calls:
        if name == "forget":
            del kept[args["key"]]
        else:
            kept[args["key"]] = args["text"]
    assert sum(len(k) + len(v) for k, v in kept.items()) <= 2000
    assert {"area A", "area B", "said A 19,0"} <= set(kept)


def test_unknown_game_screens_are_explored_by_untried_buttons() -> None:
    text = 'Unknown game (cartridge title "X").\nScreen id: 0123456789abcdef (the same id means the same screen).'
    reply = model().respond(request(text, notes=(("screens", "01234567:s"),)))
    assert reply.tool_calls[-1].input == {"buttons": ["a"]}
    notes = {c.input["key"]: c.input["text"] for c in reply.tool_calls if c.name == "note"}
    assert notes["screens"] == "01234567:as"


def test_the_mock_takes_no_argument() -> None:
    from animus.errors import ModelError

    with pytest.raises(ModelError):
        MockModel("x", load_config(overrides={"model": "mock"}))
