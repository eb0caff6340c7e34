"""Every reading command opens the run stores of every past schema version, and leaves their bytes as they were.

The stores are the directories under tests/fixtures/stores/ (its README.md says what each holds): run directories
written once by the code of each old commit, and committed. A new fixture is picked up here without editing this
file. What each command must show is read from the fixture's run.db directly with sqlite3 (`Truth`), so the checks
compare a reader's output with the rows the old code wrote, not with numbers copied into the test.

Readers open a copy in a temporary directory; after each one, every file in the runs directory has the sha256 it had
before and no file was added (a reader that migrated the store, or left a -wal or -shm beside it, fails). Writers
change a copy: `resume` migrates it forward to today's schema and plays on; `note` appends an operator note.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import animus
from animus.games import GameState
from animus.inspect.server import ViewerServer, make_server
from animus.runs.schema import SCHEMA_VERSION
from tests.conftest import CLASSIC_ROM, REPO, run_animus
from tests.helpers import fetch, get

STORES = REPO / "tests" / "fixtures" / "stores"
NAMES = sorted(p.name for p in STORES.iterdir() if (p / "run.db").is_file())
TOKENS = "input_tokens + output_tokens + cache_write_tokens + cache_read_tokens"
TEXT_KEY = ',"text":"'  # where a schema-5 step's state text goes back (src/animus/runs/texts.py)


Call = tuple[int, int, int, int, float | None, str, str]  # step, in/out/context tokens, cost, reply text, purpose


@dataclass(frozen=True)
class Truth:
    """What a fixture's run.db holds, read with sqlite3 alone (`immutable`: it creates no file beside it)."""

    schema: int
    meta: Mapping[str, Any]
    steps: tuple[tuple[int, int, str, str], ...]  # (step, actions, frame_hash, state JSON with its text)
    milestones: tuple[tuple[str, str, int], ...]  # (id, label, step), in the order reached
    calls: tuple[Call, ...]
    events: tuple[tuple[int, str, str | None, str, str], ...]  # (step, kind, key, content, source)
    keyframes: tuple[int, ...]
    branches: tuple[tuple[int, int, int, bool, int, int], ...]  # (id, fork step, branch, chosen, steps, calls)
    tokens: int  # every call's tokens, the unchosen branches' included
    cost: float  # and their cost, of the calls with a price
    unpriced: int  # calls with a NULL cost (schema 3 on)

    @property
    def status(self) -> str:
        return str(self.meta["status"])

    @property
    def last(self) -> int:
        return len(self.steps)

    def notes_at(self, step: int) -> dict[str, str]:
        notes: dict[str, str] = {}
        for at, kind, key, content, _ in self.events:
            if at <= step and key is not None and kind == "note_set":
                notes[key] = content
            elif at <= step and key is not None and kind == "note_delete":
                notes.pop(key, None)
        return notes


@cache
def truth(name: str) -> Truth:
    conn = sqlite3.connect(f"file:{STORES / name / 'run.db'}?immutable=1", uri=True)
    try:
        q = conn.execute
        schema = int(q("PRAGMA user_version").fetchone()[0])
        meta = {k: json.loads(v) for k, v in q("SELECT key, value FROM meta")}
        texts = dict(q("SELECT sha256, text FROM texts")) if schema >= 5 else {}
        sha = "text_sha" if schema >= 5 else "NULL"
        steps = []
        for step, actions, frame_hash, state, text_sha in q(
            f"SELECT step, actions, frame_hash, state, {sha} FROM steps ORDER BY step"
        ):
            if text_sha is not None:
                at = state.index(TEXT_KEY) + len(TEXT_KEY)
                state = state[:at] + texts[text_sha] + state[at:]
            steps.append((step, actions, frame_hash, state))
        context = "context_tokens" if schema >= 2 else "0"  # the column came with schema 2; 0 is its default
        calls = tuple(
            (step, i, o, c, cost, str(json.loads(reply).get("text", "")), purpose)
            for step, i, o, c, cost, reply, purpose in q(
                f"SELECT step, input_tokens, output_tokens, {context}, cost, reply, purpose"
                " FROM model_calls ORDER BY id"
            )
        )
        branches: tuple[tuple[int, int, int, bool, int, int], ...] = ()
        if schema >= 4:
            branches = tuple(
                (i, fork, branch, bool(chosen), steps_n, calls_n)
                for i, fork, branch, chosen, steps_n, calls_n in q(
                    "SELECT id, fork_step, branch, chosen,"
                    " (SELECT COUNT(*) FROM branch_steps WHERE branch_id = branches.id),"
                    " (SELECT COUNT(*) FROM branch_calls WHERE branch_id = branches.id)"
                    " FROM branches ORDER BY fork_step, branch"
                )
            )
        sums = [
            q(
                f"SELECT COALESCE(SUM({TOKENS}), 0), COALESCE(SUM(cost), 0), COALESCE(SUM(cost IS NULL), 0)"
                f" FROM {table}"
            ).fetchone()
            for table in ("model_calls", "branch_calls")[: 2 if schema >= 4 else 1]
        ]
        return Truth(
            schema=schema,
            meta=meta,
            steps=tuple(steps),
            milestones=tuple(q("SELECT id, label, step FROM milestones ORDER BY step, ordinal").fetchall()),
            calls=calls,
            events=tuple(q("SELECT step, kind, key, content, source FROM memory_events ORDER BY id").fetchall()),
            keyframes=tuple(k for (k,) in q("SELECT step FROM keyframes ORDER BY step")),
            branches=branches,
            tokens=sum(int(t) for t, _, _ in sums),
            cost=sum(float(c) for _, c, _ in sums),
            unpriced=sum(int(n) for _, _, n in sums),
        )
    finally:
        conn.close()


# -- copies, and what a reader must leave alone ----------------------------------------------------------------------


def copy_store(name: str, tmp_path: Path) -> Path:
    """A copy of the fixture `name` in a runs directory of its own, tmp_path/runs/NAME."""
    run = tmp_path / "runs" / name
    # The fixtures are checkpointed (their WAL is empty); side files a stray reader of the checkout left are not
    # part of them.
    shutil.copytree(STORES / name, run, ignore=shutil.ignore_patterns("*-wal", "*-shm", "lock"))
    return run


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def rom_args(run: Path) -> list[str]:
    """`--rom` for a fixture played on a ROM other than today's bundled one (make_stores.py copies it along)."""
    rom = run / "rom.gb"
    return ["--rom", str(rom)] if rom.exists() else []


def frame_hashes(png: Path) -> set[str]:
    """GameBoy.frame_hash of a frame written as a PNG at scale 1, a 128-bit digest of its RGBA pixels: SHA-256 cut
    to 128 bits since c3c1f70, BLAKE2b-128 in the stores written before it (all of schema 1, the first of 2)."""
    with Image.open(png) as image:
        assert image.size == (160, 144), image.size
        pixels = image.convert("RGBA").tobytes()
    return {hashlib.sha256(pixels).hexdigest()[:32], hashlib.blake2b(pixels, digest_size=16).hexdigest()}


def ok(*args: str | Path) -> str:
    """`animus ARGS`, which must succeed; its stdout."""
    result = run_animus(*map(str, args))
    assert result.returncode == 0, f"animus {' '.join(map(str, args))}: {result.stderr.strip()}"
    return result.stdout


def field(meta: Any, key: str) -> Any:
    """A meta value, from `open_run`'s meta as a mapping or as a typed object with attributes."""
    return meta[key] if isinstance(meta, Mapping) else getattr(meta, key)


def text(value: Any) -> str:
    """A kind or purpose as stored, whether it is read as a string or as an enum of strings."""
    return str(getattr(value, "value", value))


# -- the reading commands ---------------------------------------------------------------------------------------------


def read_show(run: Path, t: Truth, out: Path) -> None:
    shown = ok("show", run)
    status = next(line for line in shown.splitlines() if line.startswith("status"))
    assert t.status in status and str(t.meta["reason"]) in status, status
    assert f"{t.last} steps" in shown
    assert f"milestones {len(t.milestones)}/{t.meta['milestone_count']}" in shown
    for _, label, step in t.milestones:
        assert any(label in line and f"step {step:>6}" in line for line in shown.splitlines()), (label, shown)


def read_runs(run: Path, t: Truth, out: Path) -> None:
    listed = ok("runs", "--runs-dir", run.parent).splitlines()
    line = next((line for line in listed if line.split()[:1] == [run.name]), None)
    assert line is not None, listed
    words = line.split()
    assert t.status in words and str(t.last) in words, line
    assert f"{len(t.milestones)}/{t.meta['milestone_count']}" in words, line


def read_chart(run: Path, t: Truth, out: Path) -> None:
    said = ok("chart", run, "-o", out / "x.png")
    assert f"1 run(s), {t.meta['milestone_count']} milestones" in said, said  # the profile's, on the y axis
    with Image.open(out / "x.png") as image:
        assert image.format == "PNG" and image.size[0] > 200


def read_chart_map(run: Path, t: Truth, out: Path) -> None:
    ok("chart", "--kind", "map", run, "-o", out / "map.png")
    with Image.open(out / "map.png") as image:
        assert image.format == "PNG" and image.size[0] > 200


def read_frame(run: Path, t: Truth, out: Path) -> None:
    # The last step that is no keyframe: its frame is a keyframe's state plus replayed inputs.
    step = max(s for s, *_ in t.steps if s not in t.keyframes)
    ok("frame", run, step, "-o", out / "f.png", *rom_args(run))
    assert t.steps[step - 1][2] in frame_hashes(out / "f.png"), f"the frame of step {step} is not the one recorded"
    ok("frame", run, 0, "-o", out / "f0.png", *rom_args(run))
    assert frame_hashes(out / "f0.png")  # the start state: 160x144


def read_clip(run: Path, t: Truth, out: Path) -> None:
    said = ok("clip", run, "--from", 1, "--to", 5, "-o", out / "c.gif", *rom_args(run))
    assert "5 frames" in said, said
    with Image.open(out / "c.gif") as image:
        assert image.format == "GIF" and image.size == (320, 288)


def read_verify(run: Path, t: Truth, out: Path) -> None:
    said = ok("verify", run, *rom_args(run))
    assert said.startswith("OK") and f"{t.last} steps" in said, said


def read_export(run: Path, t: Truth, out: Path) -> None:
    ok("export", run, "-o", out / "out.jsonl")
    lines = [json.loads(line) for line in (out / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_type.setdefault(line["type"], []).append(line)
    assert [m["status"] for m in by_type["meta"]] == [t.status]
    assert [(s["step"], s["frame_hash"]) for s in by_type["step"]] == [(s, h) for s, _, h, _ in t.steps]
    assert [(c["step"], c["context_tokens"]) for c in by_type["model_call"]] == [(c[0], c[3]) for c in t.calls]
    assert [(e["step"], e["content"]) for e in by_type.get("memory_event", [])] == [(e[0], e[3]) for e in t.events]
    assert [m["id"] for m in by_type.get("milestone", [])] == [m[0] for m in t.milestones]


READERS = {
    "show": read_show,
    "runs": read_runs,
    "chart": read_chart,
    "chart-map": read_chart_map,
    "frame": read_frame,
    "clip": read_clip,
    "verify": read_verify,
    "export": read_export,
}


@pytest.mark.parametrize("command", list(READERS))
@pytest.mark.parametrize("name", NAMES)
def test_a_reading_command_reads_an_old_store_and_leaves_its_bytes(name: str, command: str, tmp_path: Path) -> None:
    run = copy_store(name, tmp_path)
    before = snapshot(run.parent)
    out = tmp_path / "out"
    out.mkdir()
    READERS[command](run, truth(name), out)
    assert snapshot(run.parent) == before, f"`animus {command}` changed or added files in the run directory"


# -- the replay viewer and open_run ----------------------------------------------------------------------------------


def api(srv: ViewerServer, path: str, raw: bool = False) -> Any:
    """GET `path` from the viewer (JSON, or bytes with `raw`); an error answer fails with its status and body."""
    try:
        return fetch(srv, path) if raw else get(srv, path)
    except urllib.error.HTTPError as exc:
        pytest.fail(f"GET {path}: {exc.code} {exc.read().decode(errors='replace').strip()}")


@pytest.mark.parametrize("name", NAMES)
def test_the_replay_viewer_serves_an_old_store(name: str, tmp_path: Path) -> None:
    run, t = copy_store(name, tmp_path), truth(name)
    before = snapshot(run.parent)
    rom = run / "rom.gb"
    srv = make_server(run, rom=rom if rom.exists() else None)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        meta = api(srv, "/api/meta")
        assert (meta["status"], meta["last_step"], meta["totals"]["steps"]) == (t.status, t.last, t.last)
        assert [m["id"] for m in meta["milestones"]] == [m[0] for m in t.milestones]
        assert [s["step"] for s in api(srv, "/api/steps?from=1")["steps"]] == list(range(1, t.last + 1))
        summarized = [c[0] for c in t.calls if c[6] == "summarize"]
        for step in sorted({1, t.last, *summarized[:1]}):  # a step with a summary shows both calls
            got = api(srv, f"/api/step/{step}")
            assert (got["step"], got["frame_hash"], got["actions"]) == (
                step,
                t.steps[step - 1][2],
                t.steps[step - 1][1],
            )
            assert got["act"]["reply"]["text"] == next(c[5] for c in t.calls if c[0] == step and c[6] == "act")
            memory = api(srv, f"/api/memory/{step}")
            assert {n["key"]: n["text"] for n in memory["notes"]} == t.notes_at(step)
        assert api(srv, "/api/step/0")["start"] is True
        assert api(srv, f"/api/frame/{t.last}.png", raw=True).startswith(b"\x89PNG")
        word = next(c[5] for c in t.calls if c[5]).split()[0]
        assert api(srv, "/api/search?q=" + word)["results"], word
        for fork in {b[1] for b in t.branches}:
            branches = api(srv, f"/api/step/{fork + 1}")["fork"]["branches"]
            assert [b["branch"] for b in branches] == [b[2] for b in t.branches if b[1] == fork]
    finally:
        srv.shutdown()
        srv.close()
        thread.join(5)
    assert snapshot(run.parent) == before, "the viewer changed or added files in the run directory"


@pytest.mark.parametrize("name", NAMES)
def test_open_run_reads_an_old_store(name: str, tmp_path: Path) -> None:
    run_dir, t = copy_store(name, tmp_path), truth(name)
    before = snapshot(run_dir.parent)
    with animus.open_run(run_dir) as run:
        assert field(run.meta, "rom_sha256") == t.meta["rom_sha256"] and field(run.meta, "seed") == t.meta["seed"]
        assert run.status == t.status
        steps = list(run.steps())
        assert [s.step for s in steps] == list(range(1, t.last + 1))
        assert [(s.actions, s.frame_hash) for s in steps] == [(a, h) for _, a, h, _ in t.steps]
        for step in sorted({1, t.last // 2, t.last}):
            assert run.state(step) == GameState.from_json(t.steps[step - 1][3])
        assert run.state(t.last + 1) is None
        assert [(m.id, m.step) for m in run.milestones()] == [(i, s) for i, _, s in t.milestones]
        calls = run.model_calls()
        assert [(c.step, c.input_tokens, c.output_tokens, c.context_tokens, c.cost) for c in calls] == [
            c[:5] for c in t.calls
        ]
        assert [run.reply(c).text for c in calls] == [c[5] for c in t.calls]
        if t.schema < 2:
            assert all(c.context_tokens == 0 for c in calls), "context_tokens of a schema-1 store reads as 0"
        events = run.memory_events()
        assert [(e.step, e.content, text(e.source)) for e in events] == [(e[0], e[3], e[4]) for e in t.events]
        branches = run.branches()
        assert [(b.id, b.fork_step, b.branch, bool(b.chosen)) for b in branches] == [b[:4] for b in t.branches]
        if t.schema < 4:
            assert branches == []
        for b in t.branches:
            assert (len(run.branch_steps(b[0])), len(run.branch_calls(b[0]))) == b[4:], b
        totals = run.totals()
        assert (totals.steps, totals.actions, totals.tokens) == (t.last, t.steps[-1][1], t.tokens)
        assert (totals.unpriced_calls, totals.cost) == (t.unpriced, pytest.approx(t.cost))
    assert snapshot(run_dir.parent) == before, "open_run changed or added files in the run directory"


def test_the_fixtures_cover_every_schema_version_branches_and_both_ends() -> None:
    schemas = {truth(n).schema for n in NAMES}
    assert schemas == set(range(1, SCHEMA_VERSION + 1)), f"a schema without its fixture: make_stores.py ({schemas})"
    assert {truth(n).schema for n in NAMES if truth(n).branches} >= {4, 5}, "best-of-N rows at schemas 4 and 5"
    assert {truth(n).status for n in NAMES} >= {"done", "stopped"}
    assert any(str(truth(n).meta["reason"]).startswith("finished") for n in NAMES)


# -- writers ------------------------------------------------------------------------------------------------------


def user_version(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def played(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT step, inputs, frame_hash, ram_hash FROM steps ORDER BY step").fetchall()
    finally:
        conn.close()


RESUMABLE = [
    n for n in NAMES if truth(n).meta["model"] == "mock" and not str(truth(n).meta["reason"]).startswith("finished")
]


@pytest.mark.parametrize("name", RESUMABLE)
def test_resume_migrates_an_old_store_forward_and_plays_on(name: str, tmp_path: Path) -> None:
    run, t = copy_store(name, tmp_path), truth(name)
    old = played(run / "run.db")
    said = ok("resume", run, "--steps", t.last + 3)
    assert f"step budget reached ({t.last + 3} steps)" in said, said
    assert user_version(run / "run.db") == SCHEMA_VERSION
    now = played(run / "run.db")
    assert now[: t.last] == old and len(now) == t.last + 3
    assert ok("verify", run, *rom_args(run)).startswith("OK")
    with animus.open_run(run) as opened:
        assert [s.step for s in opened.steps()] == list(range(1, t.last + 4))


@pytest.mark.parametrize("name", NAMES)
def test_note_writes_an_operator_note_into_an_old_store(name: str, tmp_path: Path) -> None:
    # `note` takes no lock (it may write beside a live run): it appends a memory event, a table every schema has.
    run, t = copy_store(name, tmp_path), truth(name)
    ok("note", run, "plan", "look behind the waterfall")
    with animus.open_run(run) as opened:
        events = opened.memory_events()
    assert [(e.step, e.content) for e in events[:-1]] == [(e[0], e[3]) for e in t.events]
    note = events[-1]
    assert (note.step, note.key, note.content, text(note.source)) == (
        t.last + 1,
        "plan",
        "look behind the waterfall",
        "operator",
    )
    assert f"{t.last} steps" in ok("show", run)
    # `note` writes, so it migrates a run no process is playing, like resume and compact.
    assert user_version(run / "run.db") == SCHEMA_VERSION


@pytest.mark.parametrize("name", [n for n in NAMES if len(truth(n).keyframes) >= 3])
def test_compact_migrates_an_old_store_and_it_still_verifies(name: str, tmp_path: Path) -> None:
    run, t = copy_store(name, tmp_path), truth(name)
    said = ok("compact", run, "--every", "2")
    assert "kept" in said, said
    assert user_version(run / "run.db") == SCHEMA_VERSION
    assert ok("verify", run, *rom_args(run)).startswith(f"OK: {t.last} steps")


def test_reading_a_killed_run_leaves_its_database_and_its_wal_as_they_are(tmp_path: Path) -> None:
    """A run killed mid-step leaves steps in its WAL: a reader must not fold them into run.db on closing."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "ANIMUS_FAULT": "step:15"}
    args = [
        sys.executable,
        "-m",
        "animus",
        "run",
        *CLASSIC_ROM,
        "--runs-dir",
        str(tmp_path / "runs"),
        "--name",
        "killed",
    ]
    subprocess.run(args, env=env, capture_output=True, timeout=300, check=False)
    run = tmp_path / "runs" / "killed"
    wal = run / "run.db-wal"
    assert wal.stat().st_size > 0, "the kill left no WAL: the test needs one"

    def files() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (run / "run.db", wal)}

    before = files()
    assert "14 steps" in ok("show", run)
    ok("export", run, "-o", tmp_path / "out.jsonl")
    ok("chart", run, "-o", tmp_path / "c.png")
    ok("runs", "--runs-dir", tmp_path / "runs")
    assert ok("verify", run).startswith("OK: 14 steps")
    with animus.open_run(run) as opened:
        assert opened.status == "crashed" and opened.totals().steps == 14
    assert files() == before
