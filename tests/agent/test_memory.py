"""Long-term memory in real runs: the context budget and its summaries, notes and their cap, operator notes,
and memory rebuilt exactly on resume."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import animus
from animus.agent.prompts import SUMMARY_SECTIONS
from tests.conftest import CLASSIC_ROM, run_animus
from tests.helpers import committed_steps, start, wait_for

SMALL = ["--set", "memory.context_tokens=3000"]


def jsonl(tmp_path: Path, lines: list[dict[str, object]]) -> str:
    path = tmp_path / "script.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return f"scripted:{path}"


def test_summaries_keep_every_request_within_the_budget(tmp_path: Path) -> None:
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "300", *SMALL, "--runs-dir", str(tmp_path), "--name", "s"
    )
    assert result.returncode == 0, result.stderr
    with animus.open_run(tmp_path / "s") as run:
        calls = run.model_calls()
        acts = [c for c in calls if c.purpose == "act"]
        summaries = [c for c in calls if c.purpose == "summarize"]
        assert len(acts) == 300
        assert len(summaries) >= 5, "a 3,000-token budget overflows many times in 300 steps"
        assert max(c.context_tokens for c in acts) <= 3000
        assert min(c.context_tokens for c in acts) > 500
        events = [e for e in run.memory_events() if e.kind == "summary"]
        assert len(events) == len(summaries)
        covered = [int(e.key or 0) for e in events]
        assert covered == sorted(covered) and covered[-1] < 300
        for event in events:
            assert all(heading in event.content for heading in SUMMARY_SECTIONS)


def test_summarize_request_asks_for_the_sections() -> None:
    from animus.agent.prompts import SUMMARY_PROMPT

    assert all(heading in SUMMARY_PROMPT for heading in SUMMARY_SECTIONS)


def test_memory_disabled_drops_turns_without_summaries(tmp_path: Path) -> None:
    args = ["--set", "memory.enabled=false", *SMALL, "--runs-dir", str(tmp_path), "--name", "off"]
    assert run_animus("run", *CLASSIC_ROM, "--model", "random", "--steps", "200", *args).returncode == 0
    with animus.open_run(tmp_path / "off") as run:
        assert not [c for c in run.model_calls() if c.purpose == "summarize"]
        trims = [e for e in run.memory_events() if e.kind == "summary"]
        assert trims and all(e.content == "" for e in trims)
        assert max(c.context_tokens for c in run.model_calls()) <= 3000


def test_note_cap_gives_a_clear_tool_error(tmp_path: Path) -> None:
    big = {"tool_calls": [{"name": "note", "input": {"key": "map", "text": "x" * 150}}]}
    small = {"tool_calls": [{"name": "note", "input": {"key": "k2", "text": "y" * 20}}]}
    model = jsonl(tmp_path, [big, small])
    args = ["--set", "memory.notes_max_chars=160", "--runs-dir", str(tmp_path), "--name", "cap"]
    assert run_animus("run", *CLASSIC_ROM, "--model", model, *args).returncode == 0
    with animus.open_run(tmp_path / "cap") as run:
        results = [json.loads(s.tool_results)[0] for s in run.steps()]
        assert results[0]["is_error"] is False
        assert results[1]["is_error"] is True
        assert "notes are full: this note needs 22 characters but only 7 of 160 are free" in results[1]["content"]


def test_operator_notes_reach_a_running_run_and_survive_resume(tmp_path: Path) -> None:
    db = tmp_path / "op" / "run.db"
    proc = start(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "100000", "--runs-dir", str(tmp_path), "--name", "op"
    )
    try:
        wait_for(lambda: committed_steps(db) >= 20)
        noted = run_animus("note", "op", "hint", "the key is in the east well", "--runs-dir", str(tmp_path))
        assert noted.returncode == 0, noted.stderr
        effective = int(noted.stdout.split("step")[-1])
        wait_for(lambda: committed_steps(db) >= effective + 5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    with animus.open_run(tmp_path / "op") as run:
        told = [
            c.step
            for c in run.model_calls()
            if c.purpose == "act" and "Your operator set the note 'hint'" in json.loads(c.request_delta)[0]["text"]
        ]
    assert len(told) == 1 and effective <= told[0] <= effective + 1, "the running run applied it at its next step"

    gone = run_animus("note", "op", "nothing", "--forget", "--runs-dir", str(tmp_path))
    assert gone.returncode == 2 and "no note 'nothing'" in gone.stderr
    assert run_animus("note", "op", "hint", "--forget", "--runs-dir", str(tmp_path)).returncode == 0
    with animus.open_run(tmp_path / "op") as run:
        kinds = [(e.kind, e.key, e.source) for e in run.memory_events() if e.source == "operator"]
        assert kinds == [("note_set", "hint", "operator"), ("note_delete", "hint", "operator")]
        stopped_at = run.totals().steps
    assert run_animus("resume", "op", "--steps", str(stopped_at + 3), "--runs-dir", str(tmp_path)).returncode == 0
    with animus.open_run(tmp_path / "op") as run:
        first = next(c for c in run.model_calls() if c.purpose == "act" and c.step == stopped_at + 1)
        assert "Your operator deleted the note 'hint'." in json.loads(first.request_delta)[0]["text"]


def test_memory_is_rebuilt_exactly_after_resume(tmp_path: Path) -> None:
    """Summaries, notes and context: a run stopped and resumed sends the same requests as one left alone."""
    note = {"tool_calls": [{"name": "note", "input": {"key": "seen", "text": "a house"}}]}
    press = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["up", "a"]}}]}
    model = jsonl(tmp_path, ([note] + [press] * 9) * 20)
    common = ["--model", model, *SMALL, "--runs-dir", str(tmp_path)]
    assert run_animus("run", *CLASSIC_ROM, *common, "--name", "whole").returncode == 0
    assert run_animus("run", *CLASSIC_ROM, *common, "--steps", "77", "--name", "cut").returncode == 0
    assert run_animus("resume", "cut", "--steps", "2000", "--runs-dir", str(tmp_path)).returncode == 0

    def calls(name: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(tmp_path / name / "run.db")
        rows = conn.execute(
            "SELECT step, purpose, request_delta, memory_version, reply, context_tokens FROM model_calls ORDER BY id"
        ).fetchall()
        conn.close()
        return rows

    def events(name: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(tmp_path / name / "run.db")
        rows = conn.execute("SELECT step, kind, key, content, source FROM memory_events ORDER BY id").fetchall()
        conn.close()
        return rows

    assert [c[1] for c in calls("whole")].count("summarize") >= 3
    assert calls("cut") == calls("whole")
    assert events("cut") == events("whole")
