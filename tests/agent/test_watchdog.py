"""The stuck watchdog: each alarm and each stage of its escalation, on a crafted stuck run and on its own."""

from __future__ import annotations

import json
from pathlib import Path

import animus
from animus.agent.watchdog import Watchdog
from animus.config import WatchdogConfig
from tests.conftest import CLASSIC_ROM, run_animus


def test_walking_into_a_wall_escalates_warn_reflect_stuck_and_stops(tmp_path: Path) -> None:
    start = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["start"]}}]}
    up = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["up"]}}]}
    script = tmp_path / "wall.jsonl"
    script.write_text("\n".join(json.dumps(line) for line in [start] + [up] * 200) + "\n")
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", f"scripted:{script}", "--runs-dir", str(tmp_path), "--name", "w",
        "--set", "watchdog.same_position_actions=10", "--set", "watchdog.escalate_actions=5",
        "--set", "watchdog.on_stuck='stop'",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "stuck — stuck at step" in result.stdout
    with animus.open_run(tmp_path / "w") as run:
        assert run.status == "stuck"
        stages = [(e.step, e.kind) for e in run.memory_events() if e.source == "watchdog"]
        assert [k for _, k in stages] == ["stuck_warn", "stuck_reflect", "stuck_stuck"]
        steps = [s for s, _ in stages]
        assert steps[1] - steps[0] == 5 and steps[2] - steps[1] == 5
        assert run.totals().steps == steps[2], "on_stuck = stop ends the run at the last stage"
        warned = next(c for c in run.model_calls() if c.purpose == "act" and c.step == steps[0] + 1)
        assert "Watchdog: you have been at the same place" in json.loads(warned.request_delta)[0]["text"]
        reflections = [e for e in run.memory_events() if e.kind == "reflection"]
        assert [e.step for e in reflections] == [steps[1] + 1]
        assert [c.step for c in run.model_calls() if c.purpose == "reflect"] == [steps[1] + 1]
        assert run.meta.stuck_at_step == steps[2]


def test_stuck_run_keeps_going_by_default(tmp_path: Path) -> None:
    start = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["start"]}}]}
    up = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["up"]}}]}
    script = tmp_path / "wall.jsonl"  # the title is off the map: start a game, then walk into the wall for good
    script.write_text("\n".join(json.dumps(call) for call in [start] * 5 + [up] * 55) + "\n")
    args = ["--set", "watchdog.same_position_actions=10", "--set", "watchdog.escalate_actions=5"]
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", f"scripted:{script}", *args, "--runs-dir", str(tmp_path), "--name", "k"
    )
    assert result.returncode == 0
    with animus.open_run(tmp_path / "k") as run:
        assert run.status == "done" and run.totals().steps == 60
        assert run.meta.stuck_at_step is not None
    shown = run_animus("show", "k", "--runs-dir", str(tmp_path))
    assert "watchdog  marked stuck at step" in shown.stdout


def dog(**overrides: int) -> Watchdog:
    settings = {"same_position_actions": 10, "loop_actions": 12, "loop_positions": 3, "no_milestone_actions": 50}
    return Watchdog(WatchdogConfig(**(settings | overrides)))  # type: ignore[arg-type]


def test_short_loop_is_flagged() -> None:
    watchdog = dog()
    alarms = [watchdog.update(n, ("A", "B", "C")[n % 3], False) for n in range(1, 30)]
    first = next(a for a in alarms if a is not None)
    assert first.kind == "loop" and first.stage == 1
    assert alarms.index(first) + 1 == 12, "flagged once the window of 12 actions is full"


def test_wandering_is_not_a_loop_and_a_milestone_resets() -> None:
    watchdog = dog(no_milestone_actions=1000)
    assert all(watchdog.update(n, n, False) is None for n in range(1, 100))
    watchdog = dog()
    alarms = [watchdog.update(n, n, n == 40) for n in range(1, 120)]
    fired = [n + 1 for n, a in enumerate(alarms) if a is not None]
    assert fired and fired[0] == 50 + 40, "no_milestone counts from the last milestone (action 40)"
    assert alarms[fired[0] - 1] is not None and alarms[fired[0] - 1].kind == "no_milestone"
