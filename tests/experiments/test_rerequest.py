"""`animus rerequest`: the current harness re-driven over recorded mock runs on the classic cartridge, on their
stored replies. An unchanged harness differs nowhere (a run with summaries, one with best-of-N branches, one with
an operator note and a resume); a switched channel, a memory setting, a changed template or a changed tool is
found at the step where it first shows, in the part it changes; the run directory is left byte for byte."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from animus.agent import prompts
from animus.agent.models.replayed import NoStoredReply, ReplayedModel
from animus.agent.types import Memory, Reply, Request, ToolCall
from animus.experiments.rerequest import RequestDiff, rerequest
from animus.runs.rows import ModelCallRow
from tests.conftest import CLASSIC_ROM, REPO, run_animus

STEPS = 40
SMALL = ("--set", "memory.context_tokens=3000")  # summaries from step 5 on: the memory block changes every step


def query(run: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{run / 'run.db'}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def play(runs: Path, name: str, *args: str) -> Path:
    result = run_animus("run", *CLASSIC_ROM, "--runs-dir", str(runs), "--name", name, *args)
    assert result.returncode == 0, result.stderr
    return runs / name


def fingerprint(run: Path) -> dict[str, str]:
    """Every file of the run directory (SQLite's -wal and -shm included, when there) by the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(run.iterdir())}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-step mock run with a small context budget: dozens of summaries, and notes from step 2."""
    return play(tmp_path_factory.mktemp("runs"), "base", "--steps", str(STEPS), *SMALL)


def test_an_unchanged_harness_differs_at_no_step_and_leaves_the_run_as_it_was(base: Path) -> None:
    before = fingerprint(base)
    summaries = query(base, "SELECT COUNT(*) FROM model_calls WHERE purpose = 'summarize'")[0][0]
    calls, tokens = query(base, "SELECT COUNT(*), SUM(context_tokens) FROM model_calls")[0]
    assert isinstance(summaries, int) and summaries >= 10, "the memory block must change along the run"

    result = run_animus("rerequest", str(base))
    assert result.returncode == 0, result.stderr
    assert "no step differs" in result.stdout
    assert f"{STEPS} of {STEPS} steps re-driven" in result.stdout
    assert "DIVERGED" not in result.stdout and "stand-in" not in result.stdout
    assert fingerprint(base) == before

    found = rerequest(base)
    assert found.same and found.first is None and found.differing == 0 and found.parts == ()
    assert (found.steps, found.requests_recorded, found.requests_redriven) == (STEPS, calls, calls)
    assert found.tokens_recorded == found.tokens_redriven == tokens
    assert found.largest is not None and found.largest.change == 0
    assert found.divergence is None and not found.stopped and not found.stand_ins
    assert fingerprint(base) == before


def test_json_report(base: Path) -> None:
    result = run_animus("rerequest", str(base), "--json", "--steps", "12")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["same"] is True and report["steps"] == 12 and report["limit"] == 12
    assert report["first"] is None and report["differing_steps"] == 0 and report["diverged"] is None
    assert report["requests"]["recorded"] == report["requests"]["redriven"] > 12  # summaries from step 5

    result = run_animus("rerequest", str(base), "--json", "--set", "channels.progress=false")
    report = json.loads(result.stdout)
    assert report["same"] is False and report["first"]["step"] == 1
    assert [p["part"] for p in report["first"]["parts"]] == ["observation"]
    assert report["parts"]["observation"] == {"steps": STEPS, "first": 1}
    assert report["tokens"]["redriven"] < report["tokens"]["recorded"]


def test_a_channel_switched_off_is_found_in_the_observation_where_it_first_shows(base: Path) -> None:
    found = rerequest(base, ["channels.progress=false"])
    assert found.first is not None and found.first.step == 1
    (part,) = found.first.parts
    assert (part.part, part.purpose) == ("observation", "act")
    assert "-Step 1. Actions so far: 0. Milestones reached: 0/8." in part.diff
    assert "+Step 1. Actions so far: 0." in part.diff
    lines = found.lines()
    assert "first     step 1: observation (act request)" in lines
    assert "  -Step 1. Actions so far: 0. Milestones reached: 0/8. Actions since the last milestone: 0." in lines

    # The minimap is empty until the player has been seen on a map: it first shows a little later.
    shown = query(
        base, "SELECT MIN(step) FROM model_calls WHERE purpose = 'act' AND request_delta LIKE '%Explored map of%'"
    )
    found = rerequest(base, ["channels.minimap=false"])
    assert found.first is not None and found.first.step == shown[0][0]
    assert [p.part for p in found.first.parts] == ["observation"]
    assert "-Explored map of" in found.first.parts[0].diff
    assert found.tokens_redriven < found.tokens_recorded
    assert found.largest is not None and found.largest.change != 0


def test_hidden_notes_differ_first_in_the_memory_block_after_the_first_note(base: Path) -> None:
    first_note = query(base, "SELECT MIN(step) FROM memory_events WHERE kind = 'note_set'")[0][0]
    assert isinstance(first_note, int)
    found = rerequest(base, ["channels.notes=false"])
    assert found.first is not None and found.first.step == first_note + 1  # notes are written after the request
    assert [(p.part, p.purpose) for p in found.first.parts] == [("memory", "act")]
    assert "-Your notes changed since the summary:" in found.first.parts[0].diff
    assert found.divergence is None  # what the model is shown changed, not what its calls do


def test_hidden_summaries_differ_first_where_the_run_first_summarized(base: Path) -> None:
    first = query(base, "SELECT MIN(step) FROM model_calls WHERE purpose = 'summarize'")[0][0]
    found = rerequest(base, ["channels.summary=false"])
    assert found.first is not None and found.first.step == first
    parts = {p.part: p for p in found.first.parts}
    assert set(parts) == {"calls", "memory"}
    assert "-summarize" in parts["calls"].diff and "-Current objective:" in parts["memory"].diff
    assert found.requests_redriven == STEPS  # no summary is asked for when the model would never see it
    assert found.steps == STEPS and not found.stand_ins


def test_a_larger_context_budget_summarizes_later_and_costs_more(base: Path) -> None:
    first = query(base, "SELECT MIN(step) FROM model_calls WHERE purpose = 'summarize'")[0][0]
    found = rerequest(base, ["memory.context_tokens=6000"])
    assert found.first is not None and found.first.step == first
    assert [p.part for p in found.first.parts] == ["calls", "memory", "context"]
    act, summarize = found.purpose("act"), found.purpose("summarize")
    assert act.requests_recorded == act.requests_redriven == STEPS
    assert act.tokens_redriven > act.tokens_recorded  # longer contexts ...
    assert summarize.requests_redriven < summarize.requests_recorded  # ... and fewer summaries
    assert found.largest is not None and found.largest.purpose == "act" and found.largest.change > 0
    # Where it folds at a step the run did not, no reply was stored: a stand-in answers, and every step is compared.
    assert found.steps == STEPS and found.stand_ins and {p for _, p in found.stand_ins} == {"summarize"}


def test_a_changed_template_or_observation_in_the_record_is_found(base: Path, tmp_path: Path) -> None:
    """The record stands for what an older Animus sent: a template or an observation that differs from what this
    one builds is what a prompt edit looks like from here."""
    copy = tmp_path / "edited"
    shutil.copytree(base, copy)
    conn = sqlite3.connect(copy / "run.db")
    with conn:
        templates = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'prompts'").fetchone()[0])
        templates["system"] = templates["system"].replace("Every reply must call at least one tool.", "Be quick.")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'prompts'", (json.dumps(templates),))
        (delta,) = conn.execute("SELECT request_delta FROM model_calls WHERE step = 7 AND purpose = 'act'").fetchone()
        edited = delta.replace("Actions so far: ", "Actions: ", 1)
        assert edited != delta
        conn.execute("UPDATE model_calls SET request_delta = ? WHERE step = 7 AND purpose = 'act'", (edited,))
    conn.close()
    found = rerequest(copy)
    assert found.first is not None and found.first.step == 1
    assert [p.part for p in found.first.parts] == ["system"]
    assert "-Goal: make progress" in found.first.parts[0].diff and "Be quick." in found.first.parts[0].diff
    assert {p.part: (p.steps, p.first) for p in found.parts} == {"system": (STEPS, 1), "observation": (1, 7)}


def test_another_profile_is_played_with_game(base: Path) -> None:
    assert _same(rerequest(base, steps=5, game="animus-quest-classic"))  # the run's own, by name
    found = rerequest(base, steps=5, game="animus-quest")  # another game's name and state text
    assert found.first is not None and found.first.step == 1
    assert [p.part for p in found.first.parts] == ["system", "observation"]
    assert "+You are playing the Game Boy game Animus Quest through tools." in found.first.parts[0].diff


def test_a_tool_that_acts_differently_stops_the_re_drive_where_the_game_diverges(base: Path) -> None:
    before = fingerprint(base)
    result = run_animus("rerequest", str(base), "--set", "tools.hold_frames=5")
    assert result.returncode == 0, result.stderr
    assert "DIVERGED after step 1: the frame count differs" in result.stdout
    found = rerequest(base, ["tools.hold_frames=5"])
    assert found.divergence is not None and found.divergence.step == 1 and found.steps == 1 and not found.same
    assert found.first is not None and [p.part for p in found.first.parts] == ["tools"]  # its description says so
    assert fingerprint(base) == before


def test_branching_and_operator_runs_differ_nowhere(tmp_path: Path) -> None:
    branched = play(tmp_path, "br", "--steps", "24", "--branches", "2", "--horizon", "5", *SMALL,
                    "--set", 'thinking.type="disabled"')  # fmt: skip
    assert query(branched, "SELECT COUNT(*) FROM branches WHERE NOT chosen")[0][0], "the run must have forked"
    assert _same(rerequest(branched))

    operated = play(tmp_path, "op", "--steps", "12", *SMALL)
    noted = run_animus("note", str(operated), "hint", "the key is in the well")
    assert noted.returncode == 0, noted.stderr
    resumed = run_animus("resume", str(operated), "--steps", "20")
    assert resumed.returncode == 0, resumed.stderr
    before = fingerprint(operated)
    assert _same(rerequest(operated))
    found = rerequest(operated, ["channels.operator_notes=false"])  # its notice at the step it took effect goes
    assert found.first is not None and found.first.step == 13
    assert [p.part for p in found.first.parts] == ["observation"]
    assert "-Note: Your operator set the note 'hint'." in found.first.parts[0].diff
    assert fingerprint(operated) == before


def test_a_run_that_folded_without_summaries_differs_nowhere(tmp_path: Path) -> None:
    """With the summary channel off the context is folded with no summarize request: the recorded requests must
    still carry the turns after each fold, and the notes as they stood at it."""
    run = play(tmp_path, "nosum", "--steps", "20", *SMALL, "--set", "channels.summary=false")
    folds = query(run, "SELECT MIN(step), COUNT(*) FROM memory_events WHERE kind = 'summary'")[0]
    assert folds[1] and not query(run, "SELECT * FROM model_calls WHERE purpose = 'summarize'")
    assert _same(rerequest(run))
    found = rerequest(run, ["channels.summary=true"])
    assert found.first is not None and found.first.step == folds[0]
    assert [p.part for p in found.first.parts] == ["calls", "memory"]
    assert found.stand_ins and found.stand_ins[0] == (folds[0], "summarize")  # the run has no summary to give


def test_a_run_with_watchdog_reflections_differs_nowhere(tmp_path: Path) -> None:
    busy = ("watchdog.no_milestone_actions=6", "watchdog.escalate_actions=4", "stop_on_finish=false")
    run = play(tmp_path, "busy", "--steps", "24", "--seed", "3", *SMALL, *(a for s in busy for a in ("--set", s)))
    reflected = query(run, "SELECT MIN(step) FROM model_calls WHERE purpose = 'reflect'")[0][0]
    assert isinstance(reflected, int), "the watchdog must have asked for a reflection"
    assert _same(rerequest(run))
    found = rerequest(run, ["channels.watchdog=false"])  # no notices, and no reflection asked for
    assert found.first is not None and found.first.step < reflected
    assert [p.part for p in found.first.parts] == ["observation"]
    assert "-Note: Watchdog:" in found.first.parts[0].diff


def test_a_remote_run_with_images_and_reported_usage_differs_nowhere(tmp_path: Path) -> None:
    """A backend that is sent the screen and reports usage: the images are compared by hash, and the estimates
    (calibrated by the usage the run's replies report) come out the same. The fake server is gone before the
    re-drive: nothing could answer a request."""
    pytest.importorskip("openai")
    from tests.agent.remote import Backend
    from tests.fakes.chat_server import FakeChatServer

    with FakeChatServer(api_key="sk-fake") as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", "sk-fake")
        out = api.run(tmp_path, "remote", "--steps", "12", *SMALL)
        assert out.returncode == 0, out.stderr
    run = tmp_path / "remote"
    sent = query(run, 'SELECT COUNT(*) FROM model_calls WHERE request_delta LIKE \'%"image": "%\'')[0][0]
    assert sent == 12 and query(run, "SELECT SUM(input_tokens) FROM model_calls")[0][0]
    found = rerequest(run)
    assert _same(found) and found.tokens_recorded == found.tokens_redriven
    found = rerequest(run, ["model.images=false"])
    assert found.first is not None and found.first.step == 1
    assert [p.part for p in found.first.parts] == ["image"]
    assert "-sha256 " in found.first.parts[0].diff and "+none" in found.first.parts[0].diff
    assert found.largest is not None and found.largest.change < 0


def _same(found: RequestDiff) -> bool:
    assert found.same, "\n".join(found.lines())
    return True


def test_bad_input_is_one_line_with_exit_code_2(tmp_path: Path, base: Path) -> None:
    for args in (
        (str(tmp_path / "nowhere"),),
        (str(base), "--steps", "0"),
        (str(base), "--set", "channels.nothing=true"),
    ):
        result = run_animus("rerequest", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "no run" in run_animus("rerequest", str(tmp_path / "nowhere")).stderr


FIXTURE_STORES = sorted(p.parent for p in (REPO / "tests" / "fixtures" / "stores").glob("*/run.db"))


@pytest.mark.parametrize("store", FIXTURE_STORES, ids=lambda p: p.name)
def test_runs_of_every_past_schema_re_drive_on_their_own_path(store: Path, tmp_path: Path) -> None:
    """What an older Animus sent differs from what this one builds; the game still follows the run's path, and the
    stores are left as they were (copies: other tests read the fixtures at the same time)."""
    store = Path(shutil.copytree(store, tmp_path / store.name))
    before = fingerprint(store)
    found = rerequest(store, steps=10)
    assert found.steps == 10 and found.divergence is None and not found.stopped, "\n".join(found.lines())
    assert found.estimates == (not store.name.startswith("v1-"))  # context_tokens came with schema 2
    assert fingerprint(store) == before


# -- the pieces ------------------------------------------------------------------------------------------------------


def _call(id: int, step: int, purpose: str, text: str) -> ModelCallRow:
    reply = Reply(text=text, tool_calls=(ToolCall("c", "wait", {"frames": 1}),) if purpose == "act" else ())
    return ModelCallRow(id, step, purpose, "[]", 0, json.dumps(reply.to_json()), 0, 0, 0, 0, None, 0.0, 0.0)


def _request(step: int, purpose: str) -> Request:
    return Request(purpose, step, 0, "system", (), Memory(summary="the summary so far"), ())  # type: ignore[arg-type]


def test_the_replayed_model_answers_with_the_stored_replies_in_order() -> None:
    calls = [_call(1, 1, "act", "one"), _call(2, 2, "summarize", "s1"), _call(3, 2, "summarize", "s2"),
             _call(4, 2, "act", "two"), _call(5, 4, "act", "four")]  # fmt: skip
    model = ReplayedModel(calls)
    assert model.respond(_request(1, "act")).text == "one"
    assert [model.respond(_request(2, p)).text for p in ("summarize", "summarize", "act")] == ["s1", "s2", "two"]
    with pytest.raises(NoStoredReply, match="a third summarize request that the run never made"):
        model.respond(_request(2, "summarize"))
    with pytest.raises(NoStoredReply, match="step 3"):  # the run has no step 3
        model.respond(_request(3, "act"))
    assert model.respond(_request(4, "act")).text == "four"
    with pytest.raises(NoStoredReply):  # its replies are gone: steps are asked in order
        model.respond(_request(1, "act"))

    standing = ReplayedModel(calls, stand_in=True)
    assert standing.respond(_request(1, "summarize")).text == "the summary so far"  # kept unchanged
    assert standing.respond(_request(1, "act")).text == "one"
    with pytest.raises(NoStoredReply):  # an action is never made up
        standing.respond(_request(3, "act"))
    assert standing.stand_ins == [(1, "summarize")]


@pytest.mark.parametrize("offered", [("press_buttons", "wait"), ("press_buttons", "wait", "navigate_to", "note")])
@pytest.mark.parametrize("about", ["", "A game about keys."])
def test_a_run_s_recorded_templates_rebuild_its_prompts(offered: tuple[str, ...], about: str) -> None:
    """The recorded request is rebuilt by `prompts` itself, with the run's templates in place of today's."""
    assert prompts.system_prompt("Quest", offered, about, prompts.TEMPLATES) == prompts.system_prompt(
        "Quest", offered, about
    )
    old = {"system": "Play {game}.", "memory": "S={summary} N={notes}", "note_changes": "C={changes}"}
    text = prompts.system_prompt("Quest", offered, about, old)
    assert text.startswith("Play Quest.") and prompts.SYSTEM_PROMPT.format(game="Quest") not in text
    assert text.endswith(about) and ("navigate_to walks" in text) is ("navigate_to" in offered)
    base, live = (("a", "1"), ("b", "2")), (("a", "1"), ("b", "3"), ("c", "4"))
    memory = Memory("sum", live, 3, base)
    assert prompts.memory_text(memory, old) == "S=sum N=- a: 1\n- b: 2"
    assert prompts.note_changes(memory, old) == "C=- b: 3\n- c: 4"
    assert prompts.memory_text(Memory(), old) == "" and prompts.note_changes(Memory(), old) == ""
