"""Killing a run never loses a step: kill -9 at random points, resume, and get the uninterrupted run's steps."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from pathlib import Path

from animus.agent.loop import Agent
from animus.runs.runner import resume_run
from tests.conftest import CLASSIC_ROM, deterministic_steps, run_animus
from tests.helpers import committed_steps, start, wait_for


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_steps(tmp_path: Path) -> None:
    steps, runs = "2500", str(tmp_path)
    assert (
        run_animus(
            "run",
            *CLASSIC_ROM,
            "--model",
            "random",
            "--steps",
            steps,
            "--seed",
            "7",
            "--runs-dir",
            runs,
            "--name",
            "whole",
        ).returncode
        == 0
    )

    db = tmp_path / "cut" / "run.db"
    rng = random.Random(11)
    kills, progress = 0, [0]
    proc = start(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", steps, "--seed", "7", "--runs-dir", runs, "--name", "cut"
    )
    while kills < 5:
        # Let it make some progress past the last kill, then kill it at a random instant.
        wait_for(lambda p=proc: committed_steps(db) > progress[-1] + 20 or p.poll() is not None)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            progress.append(committed_steps(db))
            listed = run_animus("runs", "--runs-dir", runs)
            assert "crashed" in listed.stdout, listed.stdout
        proc = start("resume", "cut", "--runs-dir", runs)
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    assert progress == sorted(progress) and progress[-1] < int(steps), progress
    assert deterministic_steps(db) == deterministic_steps(tmp_path / "whole" / "run.db")


def test_a_reply_stored_before_a_kill_is_executed_on_resume_not_requested_again(tmp_path: Path) -> None:
    script = tmp_path / "script.jsonl"
    press = {"name": "press_buttons", "input": {"buttons": ["start"]}}
    slow = {"name": "wait", "input": {"frames": 36000}}  # long enough to kill it mid-step
    lines = [{"tool_calls": [press]}] * 5 + [{"tool_calls": [slow]}] + [{"tool_calls": [press]}] * 3
    script.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    common = ["--model", f"scripted:{script}", "--set", "tools.max_tick_frames=36000", "--runs-dir", str(tmp_path)]

    assert run_animus("run", *CLASSIC_ROM, *common, "--name", "whole").returncode == 0
    db = tmp_path / "cut" / "run.db"
    proc = start("run", *CLASSIC_ROM, *common, "--name", "cut")

    def reply_six_stored() -> bool:
        if not db.exists():
            return False
        conn = sqlite3.connect(db, timeout=30)
        try:
            return conn.execute("SELECT COUNT(*) FROM model_calls WHERE step = 6").fetchone()[0] == 1
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()

    wait_for(reply_six_stored)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert committed_steps(db) == 5, "the kill should land while step 6's wait is running"

    turns: list[tuple[str, int]] = []

    def watch(agent: Agent) -> None:
        def after_step(a: Agent) -> None:
            if a.counters.step == 6:
                turns.extend((type(t).__name__, t.step) for t in a.p.context.turns)

        agent.on_step = after_step

    resume_run(tmp_path / "cut", on_start=watch)
    assert turns[-4:] == [("UserTurn", 5), ("AssistantTurn", 5), ("UserTurn", 6), ("AssistantTurn", 6)]
    assert len(turns) == len(set(turns)), "the reused reply must join the conversation once"
    conn = sqlite3.connect(db)
    per_step = dict(conn.execute("SELECT step, COUNT(*) FROM model_calls GROUP BY step").fetchall())
    conn.close()
    assert per_step == {n: 1 for n in range(1, 10)}, "step 6's reply was asked for again"
    assert deterministic_steps(db) == deterministic_steps(tmp_path / "whole" / "run.db")
