"""Checkpoints and `animus bench`, through the CLI, on the bundled cartridge (world 1000 of the long quest): a
checkpoint cut from a real run replays to its hashes; tampered ones and another ROM are refused with one line;
a suite of 3 tasks is benched, its report checked against the runs' own milestone rows, and the runs verify; the
shipped suite loads and replays; `game.goal` finishes a run and an unknown one is refused."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import animus
from animus.experiments.checkpoint import load_checkpoint, replay
from animus.experiments.suite import load_suite
from tests.conftest import CLASSIC_ROM, REPO, run_animus

WORLD = 1000
STEPS = 120


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mock run `w` of world 1000, 120 steps (six milestones, from leaving home to the bronze gate)."""
    runs = tmp_path_factory.mktemp("runs")
    result = run_animus("run", "--world", str(WORLD), "--steps", str(STEPS), "--runs-dir", str(runs), "--name", "w")
    assert result.returncode == 0, result.stderr
    return runs


def milestones(run: Path) -> list[tuple[str, int, int]]:
    with animus.open_run(run) as r:
        return [(m.id, m.step, m.actions) for m in r.milestones()]


def cut(runs: Path, out: Path, *args: str) -> None:
    result = run_animus("checkpoint", "w", "--runs-dir", str(runs), "-o", str(out), *args)
    assert result.returncode == 0, result.stderr


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """`result` exited 2 with a single `error:` line that contains every one of `fragments`."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_checkpoint_cut_from_a_run_replays_to_its_hashes(runs: Path, tmp_path: Path) -> None:
    at = 50
    cut(runs, tmp_path / "cp.toml", "--at", str(at))
    cp = load_checkpoint(tmp_path / "cp.toml")
    reached = milestones(runs / "w")
    with animus.open_run(runs / "w") as run:
        rows = list(run.steps(1, at))
        assert (run.meta.hashes, run.meta.rom_sha256) == (cp.expect.digest, cp.rom_sha256)
    assert len(cp.steps) == at and [len(s) for s in cp.steps] == [len(json.loads(r.inputs)) for r in rows]
    assert (cp.profile, cp.world, cp.expect.frames, cp.expect.start_frame) == (
        "animus-quest", WORLD, rows[-1].frame_end, rows[0].frame_start
    )  # fmt: skip
    assert (cp.expect.ram_hash, cp.expect.frame_hash) == (rows[-1].ram_hash, rows[-1].frame_hash)
    assert cp.origin.reached == tuple(m for m, step, _ in reached if step <= at)
    # The default goal is the next milestone the run reached; the default budget twice the actions it took.
    goal, _, goal_actions = next(m for m in reached if m[1] > at)
    assert (cp.goal, cp.budget) == (goal, 2 * (goal_actions - rows[-1].actions))
    state = replay(cp)
    from animus.emulator.gameboy import GameBoy

    with GameBoy(animus.emulator.bundled_rom("animus-quest")) as gb:
        gb.load_state(state)
        assert (gb.frame_count, gb.ram_hash()) == (rows[-1].frame_end, rows[-1].ram_hash)


def test_a_game_without_worlds_gets_a_checkpoint_without_one(tmp_path: Path) -> None:
    result = run_animus("run", *CLASSIC_ROM, "--steps", "12", "--runs-dir", str(tmp_path), "--name", "c")
    assert result.returncode == 0, result.stderr
    result = run_animus(
        "checkpoint", str(tmp_path / "c"), "--at", "12", "--goal", "finished", "-o", str(tmp_path / "c.toml")
    )
    assert result.returncode == 0, result.stderr
    cp = load_checkpoint(tmp_path / "c.toml")
    assert (cp.profile, cp.world, cp.goal) == ("animus-quest-classic", None, "finished")
    assert "\nworld = " not in (tmp_path / "c.toml").read_text()
    assert cp.budget >= 100, "a goal the run never reached: at least UNREACHED_BUDGET"
    replay(cp)


def test_checkpoint_refuses_bad_requests_in_one_line(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.toml"
    refused(run_animus("checkpoint", "w", "--runs-dir", str(runs), "--at", "0", "-o", str(out)), "steps 1 to 120")
    refused(run_animus("checkpoint", "w", "--runs-dir", str(runs), "--at", "121", "-o", str(out)), "steps 1 to 120")
    refused(
        run_animus("checkpoint", "w", "--runs-dir", str(runs), "--at", "9", "--goal", "nope", "-o", str(out)),
        "'nope'", "left_home, talked_elder",
    )  # fmt: skip
    refused(
        run_animus("checkpoint", "w", "--runs-dir", str(runs), "--at", "50", "--goal", "left_home", "-o", str(out)),
        "already reached it",
    )  # fmt: skip
    assert not out.exists()
    out.write_text("mine")
    refused(run_animus("checkpoint", "w", "--runs-dir", str(runs), "--at", "9", "-o", str(out)), "--force")
    assert out.read_text() == "mine"
    cut(runs, out, "--at", "9", "--force")
    assert load_checkpoint(out).origin.step == 9


def one_task_suite(tmp_path: Path, checkpoint_text: str) -> Path:
    (tmp_path / "cp.toml").write_text(checkpoint_text)
    suite = tmp_path / "suite.toml"
    suite.write_text('[[task]]\ncheckpoint = "cp.toml"\nbudget = 5\n')
    return suite


def test_a_tampered_checkpoint_or_another_rom_is_refused_before_anything_plays(runs: Path, tmp_path: Path) -> None:
    cut(runs, tmp_path / "good.toml", "--at", "40")
    good = (tmp_path / "good.toml").read_text()
    cp = load_checkpoint(tmp_path / "good.toml")
    bench_dir = tmp_path / "bench"

    def bench(text: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_animus("bench", str(one_task_suite(tmp_path, text)), "--runs-dir", str(bench_dir), *args)

    edited_hash = good.replace(cp.expect.ram_hash, "0" * len(cp.expect.ram_hash))
    refused(bench(edited_hash), "'good'", "cp.toml", "ram_hash differs", cp.expect.ram_hash)
    # Every move from step 10 on turned around: the same frames, another walk.
    head, inputs = good.split("[inputs]")
    swap = {"up": "down", "down": "up", "left": "right", "right": "left"}
    lines = inputs.splitlines()
    for i in range(12, len(lines) - 1):
        lines[i] = re.sub(r'"(up|down|left|right)"', lambda m: f'"{swap[m.group(1)]}"', lines[i])
    turned = head + "[inputs]" + "\n".join(lines) + "\n"
    assert turned != good
    refused(bench(turned), "'good'", "does not replay to its recorded state", "differs")
    held_longer = head + "[inputs]" + re.sub(r'"\], (\d+), ', lambda m: f'"], {int(m.group(1)) + 1}, ', inputs, count=1)
    assert held_longer != good
    refused(bench(held_longer), "'good'", "does not add up")
    refused(bench(good, "--rom", "animus-quest-classic"), "is not the ROM of checkpoint", "'good'")
    assert not bench_dir.exists(), "nothing was created"


def km_median(times: list[float], events: list[bool]) -> float | None:
    """Kaplan-Meier median, written out: the first event time at which S falls to one half or below."""
    s, at_risk = 1.0, len(times)
    for t in sorted(set(times)):
        d = sum(1 for x, e in zip(times, events, strict=True) if x == t and e)
        s *= 1 - d / at_risk
        at_risk -= sum(1 for x in times if x == t)
        if d and s <= 0.5 + 1e-9:
            return t
    return None


def test_bench_plays_a_suite_of_three_tasks_and_reports_what_the_runs_hold(runs: Path, tmp_path: Path) -> None:
    cut(runs, tmp_path / "elder.toml", "--at", "16")  # goal: the bronze key, the next milestone the run reached
    cut(runs, tmp_path / "key.toml", "--at", "46", "--budget", "90")
    inline = load_checkpoint(tmp_path / "key.toml")
    # The same moment again, inline in the suite (its tables under the task), with a budget too small to make it.
    top, tables = (tmp_path / "key.toml").read_text().split("\n[rom]\n")
    keys = "\n".join(line for line in top.splitlines() if line and not line.startswith("#"))
    tables = re.sub(r"^\[(\w+)\]$", r"[task.checkpoint.\1]", "[rom]\n" + tables, flags=re.M)
    suite = tmp_path / "three.toml"
    suite.write_text(
        'name = "three"\n[[task]]\ncheckpoint = "elder.toml"\n[[task]]\ncheckpoint = "key.toml"\n'
        f'[[task]]\nname = "short"\nbudget = 2\n[task.checkpoint]\n{keys}\n{tables}'
    )
    bench_dir = tmp_path / "bench"
    result = run_animus("bench", str(suite), "--seeds", "1,2", "--runs-dir", str(bench_dir))
    assert result.returncode == 0, result.stderr
    report = json.loads((bench_dir / "bench.json").read_text())
    assert [t["task"] for t in report["tasks"]] == ["elder", "key", "short"] and report["model"] == "mock"
    assert [t["goal"] for t in report["tasks"]] == ["found_bronze_key", inline.goal, inline.goal]
    for task in report["tasks"]:
        assert [r["seed"] for r in task["runs"]] == [1, 2]
        times, events = [], []
        for r in task["runs"]:
            run = bench_dir / r["run"]
            assert r["run"] == f"{task['task']}-s{r['seed']}"
            hit = next((actions for m, _, actions in milestones(run) if m == task["goal"]), None)
            with animus.open_run(run) as opened:
                steps = list(opened.steps())
                last, end = steps[-1].step, steps[-1].actions
                assert opened.meta.start_state and opened.meta.config["game"]["goal"] == task["goal"]
                assert opened.meta.config["seed"] == r["seed"]
            reached = hit is not None and hit <= task["budget"]
            assert (r["goal_actions"], r["reached"], r["actions"], r["steps"]) == (hit, reached, end, last)
            times.append(float(hit) if reached else float(end))
            events.append(reached)
        assert task["successes"] == sum(events) and task["success_rate"] == sum(events) / 2
        assert task["estimate"]["median"] == km_median(times, events)
        assert task["estimate"]["n"] == 2 and task["estimate"]["reached"] == sum(events)
    elder, key, short = report["tasks"]
    assert elder["successes"] == 2 and key["successes"] == 2, "the mock gets there from both moments"
    assert short["successes"] == 0 and short["estimate"]["median"] is None
    assert all("action budget is spent" in r["reason"] for r in short["runs"])
    assert re.search(r"short .* 0/2 \(0%\)\s+—", result.stdout), result.stdout
    # The runs are ordinary runs: they verify, and a checkpoint is not cut from a run that began from a state.
    verified = run_animus("verify", str(bench_dir / "elder-s1"))
    assert verified.returncode == 0 and "OK" in verified.stdout, verified.stdout
    refused(run_animus("checkpoint", str(bench_dir / "elder-s1"), "--at", "1", "-o", str(tmp_path / "n.toml")),
            "began from a save state")  # fmt: skip
    # Again into the same runs dir: every run had ended, so the same report, no run played again.
    before = {p.name: (p / "run.db").stat().st_mtime_ns for p in bench_dir.iterdir() if p.is_dir()}
    again = run_animus("bench", str(suite), "--seeds", "1,2", "--runs-dir", str(bench_dir))
    assert again.returncode == 0, again.stderr
    assert {p.name: (p / "run.db").stat().st_mtime_ns for p in bench_dir.iterdir() if p.is_dir()} == before
    assert json.loads((bench_dir / "bench.json").read_text())["tasks"] == report["tasks"]


def test_the_shipped_suite_loads_and_its_checkpoints_replay() -> None:
    suite = load_suite(REPO / "suites" / "animus-quest-long.toml")
    assert len(suite.tasks) >= 3 and suite.name == "animus-quest-long"
    for task in suite.tasks:
        cp = task.checkpoint
        assert cp.profile == "animus-quest" and cp.world is not None and cp.world >= 1000, "a long world"
        assert task.goal not in cp.origin.reached and 1 <= task.budget <= 500
        replay(cp)  # raises CheckpointError unless the frame count and both hashes match


def test_game_goal_finishes_a_run_there_and_an_unknown_goal_is_refused(tmp_path: Path) -> None:
    result = run_animus("run", "--steps", "200", "--set", 'game.goal="talked_elder"', "--runs-dir", str(tmp_path),
                        "--name", "g")  # fmt: skip
    assert result.returncode == 0, result.stderr
    with animus.open_run(tmp_path / "g") as run:
        assert run.meta.finished and run.status == "done" and "talked_elder" in (run.meta.reason or "")
        ids = [m.id for m in run.milestones()]
        assert ids[-1] == "talked_elder" and list(run.steps())[-1].step == run.milestones()[-1].step
    bad = run_animus("run", "--set", 'game.goal="nope"', "--runs-dir", str(tmp_path), "--name", "b")
    refused(bad, "game.goal = 'nope'", "left_home", "finished")
    assert not (tmp_path / "b").exists()
