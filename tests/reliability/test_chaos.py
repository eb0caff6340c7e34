"""Kill -9 chaos: `animus run` killed at 20 instants and resumed each time ends with the uninterrupted run's steps.

Half the kills are placed exactly by `ANIMUS_FAULT` (inside a keyframe write, inside a summary, inside a step's or
a model call's transaction); the other half land at random instants of a running session, its startup included.
After every kill the committed steps are a prefix of the uninterrupted run's: none is lost or changed.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from pathlib import Path

from animus.runs.api import open_run
from tests.conftest import deterministic_steps
from tests.helpers import committed_steps, wait_for
from tests.reliability.helpers import KEYFRAME_EVERY, mock_args, spawn

STEPS = 400
# 20 kills: a fault point, "random" (once the session has committed a few steps) or "early" (during startup).
PLAN = [
    "keyframe:1", "random", "summary:1", "step:4", "early", "keyframe:3", "random", "summary:2", "call:5", "random",
    "keyframe:2", "random", "summary:3", "early", "call:1", "random", "keyframe:1", "random", "summary:1", "random",
]  # fmt: skip


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_twenty_kills_including_inside_keyframes_and_summaries_lose_nothing(tmp_path: Path) -> None:
    whole = spawn(mock_args(STEPS, tmp_path, "whole"))
    assert whole.wait(timeout=300) == 0, whole.communicate()[1]
    expected = deterministic_steps(tmp_path / "whole" / "run.db")
    assert len(expected) == STEPS

    db, rng = tmp_path / "cut" / "run.db", random.Random(5)
    args, progress = mock_args(STEPS, tmp_path, "cut"), [0]
    for instant in PLAN:
        fault = None if instant in ("random", "early") else instant
        proc = spawn(args, fault)
        if instant == "early":  # while the session starts: imports, the lock, replaying to the last step
            time.sleep(rng.uniform(0.05, 0.6))
        elif instant == "random":
            wait_for(lambda p=proc: committed_steps(db) > progress[-1] + 5 or p.poll() is not None)
            time.sleep(rng.uniform(0.0, 0.25))
        if fault is None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=300)
        assert proc.returncode == -signal.SIGKILL, (instant, proc.returncode)

        committed = committed_steps(db)
        assert committed >= progress[-1], f"{instant}: committed steps went from {progress[-1]} to {committed}"
        assert deterministic_steps(db) == expected[:committed], f"{instant}: a committed step changed"
        with open_run(db.parent) as run:
            assert run.status == "crashed"
        after = rows(db, f"SELECT purpose FROM model_calls WHERE step = {committed + 1} ORDER BY id")
        if fault and fault.startswith("keyframe"):
            # Killed inside the keyframe step's transaction: that step and its keyframe are not there, the reply
            # it executed is (it was committed before its tools ran).
            assert (committed + 1) % KEYFRAME_EVERY == 0, (instant, committed)
            assert rows(db, f"SELECT COUNT(*) FROM keyframes WHERE step = {committed + 1}") == [(0,)]
            assert ("act",) in after
        if fault and fault.startswith("summary"):
            # Killed after the model wrote the summary and before the call was committed: nothing of the step.
            assert ("summarize",) not in after and ("act",) not in after, (instant, after)
        if fault and fault.startswith("step"):
            assert ("act",) in after, (instant, after)
        args = ["resume", "cut", "--runs-dir", str(tmp_path)]
        progress.append(committed)

    assert len(set(progress)) > 15, f"the kills should land at different steps: {progress}"
    final = spawn(args)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert deterministic_steps(db) == expected
    assert rows(db, "SELECT value FROM meta WHERE key = 'status'") == [('"done"',)]
