"""Typed memory events (`animus.memory.events`): one key rule for note, forget and the operator; every kind a real
run stores is a known `MemoryKind`; a summary covers an int of steps; events round-trip through the store, and a
kind from a newer Animus is still read."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

import animus
from animus.agent.models import Model, create_model
from animus.agent.types import Reply, Request
from animus.config import load_config
from animus.inspect.viewer_data import MemoryLog, event_json, memory_payload
from animus.memory.events import EventSource, MemoryEvent, MemoryKind
from animus.runs.reader import RunReader
from animus.runs.runner import start_run
from animus.runs.store import RunStore
from tests.conftest import CLASSIC, CLASSIC_ROM, run_animus

# A short run that stores every kind: a small context (summaries), a short watchdog (its three stages and a
# reflection) and a small notes cap (the mock forgets notes to make room).
EVERY_KIND = {
    "model.name": "mock",
    "seed": 1,
    "budget.steps": 80,
    "stop_on_finish": False,
    "memory.context_tokens": 3000,
    "memory.notes_max_chars": 400,
    "watchdog.no_milestone_actions": 6,
    "watchdog.escalate_actions": 4,
}


def scripted(tmp_path: Path, lines: list[dict[str, object]]) -> str:
    path = tmp_path / "script.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return f"scripted:{path}"


def tool(name: str, **args: str) -> dict[str, object]:
    return {"tool_calls": [{"name": name, "input": args}]}


def test_note_forget_and_the_operator_treat_a_spaced_key_as_the_same_key(tmp_path: Path) -> None:
    model = scripted(tmp_path, [tool("note", key=" door ", text="east"), tool("forget", key=" door "),
                                tool("note", key="door", text="west"), tool("forget", key="door\t")])  # fmt: skip
    done = run_animus("run", *CLASSIC_ROM, "--model", model, "--runs-dir", str(tmp_path), "--name", "k")
    assert done.returncode == 0, done.stderr
    with animus.open_run(tmp_path / "k") as run:
        results = [json.loads(s.tool_results)[0] for s in run.steps()]
        assert [(r["content"], r["is_error"]) for r in results] == [
            ("noted 'door'", False),
            ("forgot 'door'", False),  # it used to fail: note stripped the key, forget did not
            ("noted 'door'", False),
            ("forgot 'door'", False),
        ]
        events = [(e.step, e.kind, e.key, e.content, e.source) for e in run.memory_events()]
    model_ = EventSource.MODEL
    assert events == [
        (1, MemoryKind.NOTE_SET, "door", "east", model_),
        (2, MemoryKind.NOTE_DELETE, "door", "", model_),
        (3, MemoryKind.NOTE_SET, "door", "west", model_),
        (4, MemoryKind.NOTE_DELETE, "door", "", model_),
    ]
    runs = ["--runs-dir", str(tmp_path)]
    assert run_animus("note", "k", "  well ", "dry", *runs).returncode == 0
    forgot = run_animus("note", "k", "well  ", "--forget", *runs)
    assert forgot.returncode == 0, forgot.stderr
    with animus.open_run(tmp_path / "k") as run:
        operator = [(e.kind, e.key, e.source) for e in run.memory_events() if e.source is EventSource.OPERATOR]
    assert operator == [(MemoryKind.NOTE_SET, "well", "operator"), (MemoryKind.NOTE_DELETE, "well", "operator")]


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Request]]:
    """A real mock run storing every kind of event (plus an operator's note), and every request it sent."""
    runs = tmp_path_factory.mktemp("runs")
    requests: list[Request] = []

    class Keep:
        """Stands between the loop and its model (as `check_model` does), keeping the requests."""

        def __init__(self, model: Model) -> None:
            self.model, self.name, self.sends_images = model, model.name, model.sends_images

        def respond(self, request: Request) -> Reply:
            requests.append(request)
            return self.model.respond(request)

    config = load_config(overrides={"rom": CLASSIC, **EVERY_KIND})
    start_run(config, runs, "all", model=Keep(create_model(config.model.name, config)))
    assert run_animus("note", "all", "hint", "look east", "--runs-dir", str(runs)).returncode == 0
    return runs / "all", requests


def test_every_kind_a_real_run_stores_is_a_known_kind(every_kind: tuple[Path, list[Request]]) -> None:
    run_dir, _ = every_kind
    conn = sqlite3.connect(run_dir / "run.db")
    try:
        stored = conn.execute("SELECT DISTINCT kind, source FROM memory_events").fetchall()
    finally:
        conn.close()
    kinds, sources = {k for k, _ in stored}, {s for _, s in stored}
    assert all(MemoryKind(k).known for k in kinds) and all(EventSource(s).known for s in sources), stored
    # And the other way: this run makes every kind and source the enums list (a kind no run makes is dead), but
    # those only a misbehaving model makes, which their own tests make against a fake server.
    made_elsewhere = {MemoryKind.SUMMARY_FAILED.value}  # tests/agent/test_summary_failure.py
    assert kinds == {k.value for k in MemoryKind} - made_elsewhere and sources == {s.value for s in EventSource}
    with animus.open_run(run_dir) as run:
        events = run.memory_events()
    assert {type(e.kind) for e in events} == {MemoryKind} and {type(e.source) for e in events} == {EventSource}


def test_a_summary_covers_the_steps_its_request_folded(every_kind: tuple[Path, list[Request]]) -> None:
    run_dir, requests = every_kind
    with animus.open_run(run_dir) as run:
        summaries = [e for e in run.memory_events() if e.kind is MemoryKind.SUMMARY]
    asked = [r for r in requests if r.purpose == "summarize"]
    assert len(summaries) == len(asked) >= 3
    for event, request in zip(summaries, asked, strict=True):
        task = request.messages[-1]
        assert hasattr(task, "text")
        told = int(re.search(r"through step (\d+)", task.text).group(1))  # type: ignore[union-attr]
        assert isinstance(event.through, int) and event.through == told < event.step == request.step
        # The next act request's context starts right after the steps the summary covered.
        act = next(r for r in requests if r.purpose == "act" and r.step == event.step)
        assert act.messages[0].step == event.through + 1
    with pytest.raises(ValueError, match="only a summary"):
        _ = MemoryEvent.note(1, "k", "v").through


def test_events_round_trip_through_the_store_and_an_unknown_kind_is_kept(tmp_path: Path) -> None:
    done = run_animus(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "3", "--runs-dir", str(tmp_path), "--name", "r"
    )
    assert done.returncode == 0, done.stderr
    made = [
        MemoryEvent.note(0, "door", "east", EventSource.OPERATOR),
        MemoryEvent.summary(0, 2, "so far"),
        MemoryEvent.watchdog(0, "warn", "loop", "pacing"),
        MemoryEvent.reflection(0, "loop", "go north"),
        MemoryEvent.forget(0, "door"),
    ]
    with RunStore.open(tmp_path / "r", write=True) as store:
        steps = [store.add_next_step_event(e) for e in made]
    conn = sqlite3.connect(tmp_path / "r" / "run.db")
    try:  # a newer Animus's kind and source
        conn.execute(
            "INSERT INTO memory_events (step, kind, key, content, source, created_at) VALUES "
            "(4, 'map_visit', 'VILLAGE', '3,4', 'mapper', 1.0)"
        )
        conn.commit()
        raw = conn.execute("SELECT kind, key, source FROM memory_events ORDER BY id").fetchall()
    finally:
        conn.close()
    assert steps == [4] * 5 and raw[:5] == [(str(e.kind), e.key, str(e.source)) for e in made]
    with RunReader.open(tmp_path / "r") as reader:
        read = reader.memory_events()
    assert [(e.step, e.kind, e.key, e.content, e.source) for e in read[:5]] == [
        (4, e.kind, e.key, e.content, e.source) for e in made
    ]
    assert read[1].through == 2 and all(e.id > 0 and e.created_at > 0 for e in read)
    newer = read[5]
    assert (newer.kind, newer.source) == ("map_visit", "mapper") and not newer.kind.known
    assert isinstance(newer.kind, MemoryKind) and not newer.source.known
    assert event_json(newer)["kind"] == "map_visit" and event_json(newer)["source"] == "mapper"
    log = MemoryLog()
    with RunReader.open(tmp_path / "r") as reader:
        log.refresh(reader)
    assert memory_payload(log, 4)["notes"] == []  # set then forgotten; the unknown kind changes nothing
    shown = run_animus("export", str(tmp_path / "r"), "-o", str(tmp_path / "r.jsonl"))
    assert shown.returncode == 0, shown.stderr
    exported = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    kinds = [line["kind"] for line in exported if line["type"] == "memory_event"]
    assert kinds == [*(str(e.kind) for e in made), "map_visit"]


def test_a_summary_whose_key_is_no_step_is_a_damaged_run_for_resume(tmp_path: Path) -> None:
    made = run_animus(
        "run",
        *CLASSIC_ROM,
        "--steps",
        "30",
        "--set",
        "memory.context_tokens=3000",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "s",
    )
    assert made.returncode == 0, made.stderr
    run = tmp_path / "s"
    with sqlite3.connect(run / "run.db") as conn:
        changed = conn.execute("UPDATE memory_events SET key = 'seven' WHERE kind = 'summary'").rowcount
    assert changed > 0, "the run made no summary: the test needs one"
    resumed = run_animus("resume", str(run), "--steps", "40")
    assert resumed.returncode == 2, resumed.stdout + resumed.stderr
    assert resumed.stderr.startswith("error: ") and resumed.stderr.count("\n") == 1, resumed.stderr
    assert "is a summary whose key 'seven' is no step" in resumed.stderr
