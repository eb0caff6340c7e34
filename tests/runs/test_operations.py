"""Operations: the `--on-event` alert hook and `animus compact`, through the CLI on the real cartridge."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import animus
from animus.runs.store import RunStore
from tests.conftest import CLASSIC_ROM, run_animus
from tests.helpers import committed_steps, start, wait_for


def events_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_finish_budget_and_resume_each_send_one_event(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    hook = ("--on-event", f"cat >> {log}")
    runs = ("--runs-dir", str(tmp_path))
    assert run_animus("run", *CLASSIC_ROM, "--steps", "20", "--name", "r", *runs, *hook).returncode == 0
    (budget,) = events_of(log)
    assert budget["event"] == "budget" and budget["step"] == 20 and budget["run_id"] == "r"
    assert budget["status"] == "done" and "step budget" in str(budget["reason"])
    assert run_animus("resume", "r", "--steps", "2000", *runs, *hook).returncode == 0
    finished = events_of(log)[1]
    assert finished["event"] == "finished" and finished["milestones"] == finished["milestone_total"] == 8
    assert finished["step"] == 51 and finished["label"] == "mock"
    assert len(events_of(log)) == 2
    assert str(log) not in (tmp_path / "r" / "run.db").read_bytes().decode("latin-1"), "the command is not stored"


def test_failed_and_stuck_runs_send_their_events(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    script = tmp_path / "bad.jsonl"
    script.write_text('{"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["jump"]}}]}\n' * 10)
    failed = run_animus("run", *CLASSIC_ROM, "--model", f"scripted:{script}", "--runs-dir", str(tmp_path),
                        "--name", "f", "--on-event", f"cat >> {log}")  # fmt: skip
    assert failed.returncode == 1
    assert [e["event"] for e in events_of(log)] == ["failed"]

    log.unlink()
    idle = tmp_path / "idle.jsonl"  # starts a game, then waits: the position never changes (the title is off the map)
    start = '{"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["start"]}}]}\n'
    idle.write_text(start * 5 + '{"tool_calls": [{"name": "wait", "input": {"frames": 2}}]}\n' * 55)
    stuck = ["--set", "watchdog.same_position_actions=5", "--set", "watchdog.escalate_actions=5"]
    args = [
        "run",
        *CLASSIC_ROM,
        "--model",
        f"scripted:{idle}",
        "--steps",
        "60",
        *stuck,
        "--runs-dir",
        str(tmp_path),
        "--name",
        "s",
    ]
    done = run_animus(*args, "--on-event", f"cat >> {log}")
    assert done.returncode == 0, done.stderr
    kinds = [e["event"] for e in events_of(log)]
    assert kinds[0] == "stuck" and kinds[-1] == "budget"
    with animus.open_run(tmp_path / "s") as run:
        stuck_steps = [e.step for e in run.memory_events() if e.kind == "stuck_stuck"]
    first = events_of(log)[0]
    assert first["status"] == "running" and first["step"] == stuck_steps[0]
    assert kinds == ["stuck", "budget"], "one stuck event per episode"


def test_a_failing_hook_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    for name, command in (("exit", "exit 3"), ("missing", "/nonexistent/alert-program")):
        done = run_animus(
            "run", *CLASSIC_ROM, "--steps", "5", "--runs-dir", str(tmp_path), "--name", name, "--on-event", command
        )
        assert done.returncode == 0, done.stderr
        assert "--on-event command" in done.stderr and "Traceback" not in done.stderr
        with animus.open_run(tmp_path / name) as run:
            assert run.totals().steps == 5


def test_compact_keeps_every_nth_and_milestone_keyframes_and_replay_still_works(tmp_path: Path) -> None:
    runs = ("--runs-dir", str(tmp_path))
    args = ("--model", "random", "--steps", "1500", "--set", "record.keyframe_every=20", "--name", "c")
    assert run_animus("run", *CLASSIC_ROM, *args, *runs).returncode == 0
    with animus.open_run(tmp_path / "c") as run:
        milestone_steps = [m.step for m in run.milestones()]
    frames = {step: tmp_path / f"before-{step}.png" for step in (0, 1, 333, 777, 1499, 1500)}
    for step, out in frames.items():
        assert run_animus("frame", "c", str(step), "-o", str(out), *runs).returncode == 0

    done = run_animus("compact", "c", "--every", "5", *runs)
    assert done.returncode == 0, done.stderr
    steps = list(range(0, 1501, 20))
    kept = {0, steps[-1], *steps[::5], *(max(s for s in steps if s <= m) for m in milestone_steps)}
    assert done.stdout.startswith(f"kept {len(kept)} of {len(steps)} keyframes; saved ")
    saved = int(done.stdout.split("saved ")[1].split(" bytes")[0].replace(",", ""))
    assert saved > 0
    with RunStore.open(tmp_path / "c") as store:
        assert [step for step, _ in store.keyframe_steps()] == sorted(kept)
    verified = run_animus("verify", "c", *runs)
    assert verified.returncode == 0 and "OK: 1500 steps" in verified.stdout
    for step, before in frames.items():
        after = tmp_path / f"after-{step}.png"
        assert run_animus("frame", "c", str(step), "-o", str(after), *runs).returncode == 0
        assert after.read_bytes() == before.read_bytes(), f"frame {step} changed"


def test_compact_refuses_a_run_being_played_and_bad_numbers(tmp_path: Path) -> None:
    proc = start(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "100000", "--runs-dir", str(tmp_path), "--name", "live"
    )
    db = tmp_path / "live" / "run.db"
    try:
        wait_for(lambda: committed_steps(db) > 10)
        refused = run_animus("compact", "live", "--runs-dir", str(tmp_path))
        assert refused.returncode == 2 and refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    bad = run_animus("compact", "live", "--every", "0", "--runs-dir", str(tmp_path))
    assert bad.returncode == 2 and "--every must be at least 1" in bad.stderr
