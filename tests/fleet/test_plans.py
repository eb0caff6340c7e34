"""Plans that cannot run stop before anything is created, with one `error:` line and exit code 2; a runs dir that
holds another plan's runs is refused, a half-created run is started again, and a raised step budget resumes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from animus.runs.lock import RunLock
from tests.conftest import CLASSIC_CONFIG
from tests.fleet.helpers import fleet, record, status, write_plan
from tests.helpers import committed_steps

RUN = '[[run]]\nlabel = "a"\nmodel = "random"\n'

BAD_PLANS = {
    "bad TOML": ("steps = \n" + RUN, "not valid TOML"),
    "unknown key": ("stepz = 3\n" + RUN, "stepz: unknown key"),
    "unknown run key": (RUN + 'lable = "b"\n', "[[run]] #1.lable: unknown key"),
    "no runs": ("steps = 3\n", "[[run]]: missing (add at least one [[run]] table)"),
    "empty runs": ("run = []\n", "[[run]]: List should have at least 1 item"),
    "duplicate labels": (RUN + RUN, "label 'a' is used twice: make labels unique"),
    "colliding names": (
        RUN + '[[run]]\nlabel = "A"\nmodel = "mock"\n',
        "labels 'a' and 'A' name their runs alike (a-s<seed>)",
    ),
    "no name": ('[[run]]\nlabel = "!!"\nmodel = "mock"\n', "label '!!' has no letters or digits"),
    "negative seed": ("seeds = [1, -2]\n" + RUN, "seeds: seeds must be 0 or more"),
    "repeated seed": ("seeds = [1, 1]\n" + RUN, "seeds: each seed once"),
    "no seeds": ("seeds = []\n" + RUN, "seeds: List should have at least 1 item"),
    "text seed": ('seeds = ["x"]\n' + RUN, "seeds #1: Input should be a valid integer"),
    "negative steps": ("steps = -5\n" + RUN, "steps: Input should be greater than or equal to 1"),
    "zero run steps": (RUN + "steps = 0\n", "[[run]] #1.steps: Input should be greater than or equal to 1"),
    "bad limit": ("[limits]\nmax_concurrent_calls = 0\n" + RUN, "limits.max_concurrent_calls: Input should be"),
    "bad config value": (RUN + 'set = { "thinking.budget_tokens" = 10 }\n', "run 'a': bad config: thinking.budget"),
    "unknown config key": ("[config]\nbogus = 1\n" + RUN, "run 'a': bad config: bogus: unknown key"),
    "seed in set": (RUN + "set = { seed = 3 }\n", "run 'a': seed comes from the plan"),
    "model in config": ('[config]\nmodel = "mock"\n' + RUN, "run 'a': the model comes from [[run]] model"),
    "unknown model": (CLASSIC_CONFIG + '[[run]]\nlabel = "a"\nmodel = "gpt-9"\n', "run a-s0: unknown model 'gpt-9'"),
    "missing script": (
        CLASSIC_CONFIG + '[[run]]\nlabel = "a"\nmodel = "scripted:nope.jsonl"\n',
        "run a-s0: script not found",
    ),
}
BAD_FLAGS = {
    "no workers": (["--workers", "0"], "--workers must be at least 1 (got 0)"),
    "negative cost": (["--max-cost", "-1"], "--max-cost must be a positive number of dollars (got -1.0)"),
    "negative restarts": (["--max-restarts", "-1"], "--max-restarts must be 0 or more"),
    "address without ray": (["--address", "auto"], "--address names a Ray cluster: use it with --backend ray"),
}


def assert_refused(out: subprocess.CompletedProcess[str], expected: str, runs: Path) -> None:
    lines = out.stderr.splitlines()
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not runs.exists(), "nothing is created for a plan that cannot run"


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_a_bad_plan_is_refused_in_one_line_before_anything_is_created(case: str, tmp_path: Path) -> None:
    text, expected = BAD_PLANS[case]
    plan = write_plan(tmp_path / "plan.toml", text)
    assert_refused(fleet(str(plan), "--runs-dir", str(tmp_path / "runs")), expected, tmp_path / "runs")


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_absurd_flags_are_refused_in_one_line(case: str, tmp_path: Path) -> None:
    args, expected = BAD_FLAGS[case]
    plan = write_plan(tmp_path / "plan.toml", CLASSIC_CONFIG + RUN)
    assert_refused(fleet(str(plan), "--runs-dir", str(tmp_path / "runs"), *args), expected, tmp_path / "runs")


def test_a_missing_plan_file_and_a_directory_are_refused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert_refused(fleet(str(tmp_path / "nope.toml"), "--runs-dir", str(runs)), "nope.toml: not found", runs)
    assert_refused(fleet(str(tmp_path), "--runs-dir", str(runs)), "a directory", runs)


def test_the_default_runs_dir_is_named_after_the_plan(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "My Plan.toml", CLASSIC_CONFIG + RUN + "steps = 2\n")
    out = fleet(str(plan), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert status(tmp_path / "runs" / "fleet-my-plan" / "a-s0")[0] == "done"


def test_a_changed_plan_is_refused_a_raised_budget_resumes_and_a_half_created_run_starts_again(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    plan = write_plan(tmp_path / "plan.toml", "steps = 5\nseeds = [1, 2]\n" + CLASSIC_CONFIG + RUN)
    assert fleet(str(plan), "--runs-dir", str(runs)).returncode == 0

    changed = write_plan(
        tmp_path / "plan.toml",
        "steps = 5\nseeds = [1, 2]\n" + CLASSIC_CONFIG + RUN + 'set = { "stop_on_finish" = false }\n',
    )
    out = fleet(str(changed), "--runs-dir", str(runs))
    assert out.returncode == 2
    assert "run a-s1 in" in out.stderr and "differs in: stop_on_finish" in out.stderr
    assert "Use another --runs-dir" in out.stderr
    assert committed_steps(runs / "a-s1" / "run.db") == 5

    # A run killed while it was being created (its store has no schema yet) is removed and started again; a run
    # whose step budget ended it goes on when the plan allows more steps.
    (runs / "a-s2" / "run.db").unlink()
    (runs / "a-s2" / "run.db").write_bytes(b"")
    write_plan(tmp_path / "plan.toml", "steps = 8\nseeds = [1, 2]\n" + CLASSIC_CONFIG + RUN)
    out = fleet(str(plan), "--runs-dir", str(runs))
    assert out.returncode == 0, out.stderr
    assert [committed_steps(runs / f"a-s{seed}" / "run.db") for seed in (1, 2)] == [8, 8]
    assert [r["attempts"] for r in record(runs)["runs"]] == [1, 1]


def test_a_run_another_process_is_writing_is_refused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    plan = write_plan(tmp_path / "plan.toml", "steps = 3\n" + CLASSIC_CONFIG + RUN)
    assert fleet(str(plan), "--runs-dir", str(runs)).returncode == 0
    lock = RunLock(runs / "a-s0")
    lock.acquire()
    try:
        out = fleet(str(plan), "--runs-dir", str(runs))
    finally:
        lock.release()
    assert out.returncode == 2 and "is being written by another process" in out.stderr


def test_the_fleet_command_imports_nothing_heavy_with_the_cli() -> None:
    code = "import sys, animus.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'pyboy', 'ray', 'rich'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
