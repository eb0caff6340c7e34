"""The Ray backend: a 2 x 2 fleet on a private local Ray (num_cpus = 2), and the one line without the extra."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CLASSIC, animus_env
from tests.fleet.helpers import fleet, record, status, write_plan
from tests.helpers import committed_steps

PLAN = f"""
    steps = 200
    seeds = [1, 2]
    [config]
    rom = "{CLASSIC}"
    [[run]]
    label = "mock"
    model = "mock"
    [[run]]
    label = "random"
    model = "random"
    steps = 40
"""


def test_a_2x2_fleet_runs_as_ray_tasks_on_a_local_ray(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    plan, runs, home = write_plan(tmp_path / "ray.toml", PLAN), tmp_path / "runs", tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in animus_env().items() if not k.startswith("RAY_")} | {"HOME": str(home)}
    out = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2", "--backend", "ray", env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "backend ray, 2 worker(s)" in out.stdout and "fleet ended: all 4 runs ended normally." in out.stdout

    for seed in (1, 2):
        assert status(runs / f"mock-s{seed}") == ("done", "finished: reached the final milestone at step 51")
        assert status(runs / f"random-s{seed}") == ("done", "step budget reached (40 steps)")
        assert committed_steps(runs / f"random-s{seed}" / "run.db") == 40
    rec = record(runs)
    assert rec["backend"] == "ray"
    assert {(r["outcome"], r["attempts"]) for r in rec["runs"]} == {("done", 1)}
    assert [g["finish_rate"] for g in rec["summary"]["labels"]] == [1.0, 0.0]
    # Each run was played in a Ray worker process, not in the fleet's own (the session id ends with its pid).
    parent = rec["session"].rsplit("-", 1)[1]
    for r in rec["runs"]:
        words = (runs / ".fleet" / "logs" / f"{r['name']}.log").read_text().split()
        assert words[3:6] == ["session", rec["session"], "pid"] and words[6] != parent
    assert not (home / ".ray").exists(), "the local Ray's token lives in the environment, not in the user's home"


def test_the_ray_backend_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    hidden = tmp_path / "no-ray" / "ray"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = animus_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hidden.parent), env.get("PYTHONPATH")) if p)
    plan, runs = write_plan(tmp_path / "ray.toml", PLAN), tmp_path / "runs"
    out = fleet(str(plan), "--runs-dir", str(runs), "--backend", "ray", env=env)
    assert out.returncode == 2
    assert out.stderr.splitlines() == ["error: the ray backend needs the ray extra: pip install 'animus[ray]'"]
    assert not runs.exists()
