"""The local backend end to end: a 3 x 3 fleet, a worker killed with SIGKILL, Ctrl-C, and the cost cap."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

from tests.conftest import CLASSIC, CLASSIC_ROM, deterministic_steps, run_animus
from tests.fleet.helpers import entry, fleet, record, start_fleet, status, write_plan
from tests.helpers import committed_steps, wait_for

QUEST_3X3 = f"""
    steps = 300
    seeds = [1, 2, 3]
    [config]
    rom = "{CLASSIC}"

    [[run]]
    label = "mock 1024"
    model = "mock"
    set = {{ "thinking.budget_tokens" = 1024 }}

    [[run]]
    label = "mock greedy"
    model = "mock"
    set = {{ "thinking.type" = "disabled" }}

    [[run]]
    label = "random"
    model = "random"
    steps = 60
"""
NAMES = [f"{slug}-s{seed}" for slug in ("mock-1024", "mock-greedy", "random") for seed in (1, 2, 3)]


def test_a_3x3_fleet_finishes_with_a_summary_and_a_chart_and_a_rerun_skips_every_run(tmp_path: Path) -> None:
    plan, runs = write_plan(tmp_path / "quest.toml", QUEST_3X3), tmp_path / "runs"
    out = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    assert out.returncode == 0, out.stderr

    for name in NAMES:
        st, reason = status(runs / name)
        assert st == "done", (name, reason)
        steps = committed_steps(runs / name / "run.db")
        if name.startswith("random"):
            assert steps == 60 and reason.startswith("step budget")
        else:
            assert reason.startswith("finished") and steps < 300
    # The mock with a search finishes in 51 actions; greedy steps need more; 60 random presses reach nothing.
    lines = out.stdout.splitlines()
    finished_row = next(line for line in lines if line.startswith("Finished the quest"))
    assert finished_row.split()[3:6] == ["51", "(3/3)", "97"], finished_row
    assert next(line for line in lines if line.startswith("finish rate")).split()[2:] == [
        "3/3", "(100%)", "3/3", "(100%)", "0/3", "(0%)",
    ]  # fmt: skip
    assert "fleet ended: all 9 runs ended normally." in out.stdout

    rec = record(runs)
    assert [r["name"] for r in rec["runs"]] == NAMES
    assert {(r["outcome"], r["attempts"], r["restarts"]) for r in rec["runs"]} == {("done", 1, 0)}
    assert {r["label"]: r["config"]["label"] for r in rec["runs"]} == {
        "mock 1024": "mock 1024", "mock greedy": "mock greedy", "random": "random",
    }  # fmt: skip
    summary = {g["label"]: g for g in rec["summary"]["labels"]}
    assert [summary[k]["finish_rate"] for k in ("mock 1024", "mock greedy", "random")] == [1.0, 1.0, 0.0]
    assert summary["mock 1024"]["milestones"][-1] == {"id": "finished", "median_actions": 51, "reached": 3}

    # The fleet dir is an ordinary runs dir: listing and charting see the 9 runs, grouped by label.
    listed = run_animus("runs", "--runs-dir", str(runs))
    assert sorted(line.split()[0] for line in listed.stdout.splitlines()[1:]) == sorted(NAMES)
    chart = run_animus("chart", str(runs), "-o", str(tmp_path / "fleet.png"))
    assert chart.returncode == 0, chart.stderr
    assert "9 run(s)" in chart.stdout and "groups: mock 1024 (3), mock greedy (3), random (3)" in chart.stdout
    assert (tmp_path / "fleet.png").read_bytes().startswith(b"\x89PNG")

    before = {name: deterministic_steps(runs / name / "run.db") for name in NAMES}
    again = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert "(9 finished already, skipped)" in again.stdout
    assert {(r["skipped"], r["attempts"]) for r in record(runs)["runs"]} == {(True, 0)}
    assert {name: deterministic_steps(runs / name / "run.db") for name in NAMES} == before


def test_a_worker_killed_with_sigkill_is_restarted_and_its_steps_match_a_solo_run(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "long.toml",
        f"""
        steps = 500
        seeds = [4]
        [config]
        rom = "{CLASSIC}"
        stop_on_finish = false
        [[run]]
        label = "long"
        model = "mock"
        """,
    )
    runs = tmp_path / "runs"
    db = runs / "long-s4" / "run.db"
    proc = start_fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    wait_for(lambda: committed_steps(db) > 100 or proc.poll() is not None)
    worker = int((runs / "long-s4" / "lock").read_text())
    assert worker != proc.pid
    os.kill(worker, signal.SIGKILL)
    at_kill = committed_steps(db)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert 100 < at_kill < 500, at_kill
    assert "killed by SIGKILL" in err and "restart 1 of 3" in err

    run = entry(runs, "long-s4")
    assert (run["outcome"], run["attempts"], run["restarts"]) == ("done", 2, 1)
    log = (runs / ".fleet" / "logs" / "long-s4.log").read_text()
    assert log.count(" session ") == 2

    solo_args = ["--model", "mock", "--seed", "4", "--steps", "500", "--label", "long", "--set", "stop_on_finish=false"]
    solo = run_animus("run", *CLASSIC_ROM, *solo_args, "--runs-dir", str(tmp_path / "solo"), "--name", "solo")
    assert solo.returncode == 0, solo.stderr
    assert deterministic_steps(db) == deterministic_steps(tmp_path / "solo" / "solo" / "run.db")


def test_ctrl_c_leaves_every_run_stopped_and_checkpointed_and_a_rerun_completes_them(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "stop.toml",
        f"""
        steps = 400
        seeds = [1, 2, 3]
        [config]
        rom = "{CLASSIC}"
        stop_on_finish = false
        [[run]]
        label = "long"
        model = "mock"
        """,
    )
    runs = tmp_path / "runs"
    proc = start_fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    first_two = [runs / f"long-s{seed}" / "run.db" for seed in (1, 2)]
    wait_for(lambda: all(committed_steps(db) > 30 for db in first_two) or proc.poll() is not None)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    for seed in (1, 2):
        st, reason = status(runs / f"long-s{seed}")
        assert st == "stopped" and reason.startswith("interrupted by SIGTERM"), reason  # the one the fleet sent
        assert 30 < committed_steps(runs / f"long-s{seed}" / "run.db") < 400
    assert not (runs / "long-s3").exists(), "a run still pending when the fleet stopped is never started"
    assert [r["outcome"] for r in record(runs)["runs"]] == ["stopped", "stopped", "pending"]
    assert "run the same command again to resume the 3 unfinished run(s)" in out

    again = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    assert again.returncode == 0, again.stderr
    for seed in (1, 2, 3):
        assert status(runs / f"long-s{seed}") == ("done", "step budget reached (400 steps)")
        assert committed_steps(runs / f"long-s{seed}" / "run.db") == 400


SCRIPT_LINE = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["a"]}}], "usage": {"input_tokens": 10}}


def test_max_cost_stops_the_whole_fleet_and_a_rerun_with_the_same_cap_starts_nothing(tmp_path: Path) -> None:
    script = tmp_path / "paid.jsonl"
    script.write_text("\n".join(json.dumps(SCRIPT_LINE) for _ in range(3000)) + "\n")
    plan = write_plan(
        tmp_path / "paid.toml",
        f"""
        seeds = [1, 2]
        [config]
        rom = "{CLASSIC}"
        pricing = {{ scripted = {{ input = 1000.0 }} }}   # 10 tokens at $1000 per million: $0.01 a step
        [[run]]
        label = "paid"
        model = "scripted:{script}"
        """,
    )
    runs = tmp_path / "runs"
    out = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2", "--max-cost", "3")
    assert out.returncode == 0, out.stderr
    assert "fleet stopped: the fleet's cost cap was reached" in out.stdout
    assert "raise --max-cost" in out.stdout
    spent = 0.0
    steps = {}
    for seed in (1, 2):
        db = runs / f"paid-s{seed}" / "run.db"
        assert status(runs / f"paid-s{seed}")[0] == "stopped"
        steps[seed] = committed_steps(db)
        assert steps[seed] < 3000
        conn = sqlite3.connect(db)
        spent += conn.execute("SELECT SUM(cost) FROM model_calls").fetchone()[0]
        conn.close()
    assert 3.0 <= spent < 30.0
    assert record(runs)["stop_reason"].startswith("the fleet's cost cap was reached")

    again = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2", "--max-cost", "3")
    assert again.returncode == 0 and "cost cap was reached" in again.stdout
    assert {seed: committed_steps(runs / f"paid-s{seed}" / "run.db") for seed in (1, 2)} == steps


LONG_PAIR = f"""
    steps = 3000
    seeds = [1, 2]
    [config]
    rom = "{CLASSIC}"
    stop_on_finish = false
    [[run]]
    label = "long"
    model = "mock"
"""


def test_a_stop_file_stops_the_fleet_and_a_killed_fleet_process_stops_its_runs(tmp_path: Path) -> None:
    plan, runs = write_plan(tmp_path / "pair.toml", LONG_PAIR), tmp_path / "runs"
    dbs = [runs / f"long-s{seed}" / "run.db" for seed in (1, 2)]
    proc = start_fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    wait_for(lambda: all(committed_steps(db) > 20 for db in dbs) or proc.poll() is not None)
    (runs / "STOP").write_text("enough for today\n")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert [status(runs / f"long-s{seed}") for seed in (1, 2)] == [("stopped", "enough for today")] * 2
    assert "fleet stopped: a STOP file appeared in the runs dir" in out

    # The next fleet removes the old STOP file and resumes; killed with SIGKILL, it cannot forward any signal,
    # so its workers see that their parent is gone and stop their runs themselves.
    proc = start_fleet(str(plan), "--runs-dir", str(runs), "--workers", "2")
    at = [committed_steps(db) for db in dbs]
    wait_for(
        lambda: all(committed_steps(db) > n + 20 for db, n in zip(dbs, at, strict=True)) or proc.poll() is not None
    )
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    wait_for(lambda: all(status(runs / f"long-s{seed}")[0] == "stopped" for seed in (1, 2)), timeout=30)
    assert [status(runs / f"long-s{seed}")[1] for seed in (1, 2)] == ["the fleet process died"] * 2
    assert all(committed_steps(db) < 3000 for db in dbs)
