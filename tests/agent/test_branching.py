"""Best-of-N branching on the real cartridge: forks stored, the best branch committed, verify and resume hold."""

from __future__ import annotations

import json
import signal
import sqlite3
import textwrap
import time
from pathlib import Path

import pytest

import animus
from animus.agent.scorers import BranchOutcome, MilestoneScorer, NoveltyScorer, VoteScorer, choose, create_scorer
from animus.errors import ConfigError
from tests.conftest import CLASSIC, CLASSIC_ROM, animus_env, deterministic_steps, run_animus
from tests.helpers import committed_steps, start, wait_for

# The greedy mock (no thinking) is the one whose seeds differ enough for branches to disagree.
GREEDY = ("--set", 'thinking.type="disabled"')


def branched(tmp_path: Path, name: str, *extra: str) -> Path:
    args = [
        "run",
        *CLASSIC_ROM,
        "--seed",
        "1",
        "--branches",
        "3",
        "--horizon",
        "6",
        *GREEDY,
        "--runs-dir",
        str(tmp_path),
    ]
    done = run_animus(*args, "--name", name, *extra)
    assert done.returncode == 0, done.stderr
    return tmp_path / name


def test_forks_are_stored_and_the_best_branch_becomes_the_run(tmp_path: Path) -> None:
    run_dir = branched(tmp_path, "b", "--steps", "40")
    with animus.open_run(run_dir) as run:
        steps = list(run.steps())
        branches = run.branches()
        forks = sorted({b.fork_step for b in branches})
        assert len(steps) == 40 and forks[0] == 0 and len(forks) >= 5
        # The committed line: each fork's chosen branch played exactly the steps after it, up to the next fork.
        for fork, after in zip(forks, [*forks[1:], 40], strict=True):
            of_fork = [b for b in branches if b.fork_step == fork]
            assert [b.branch for b in of_fork] == [0, 1, 2]
            (chosen,) = [b for b in of_fork if b.chosen]
            assert chosen.steps == after - fork
            assert chosen.actions == steps[after - 1].actions - (steps[fork - 1].actions if fork else 0)
            # It is the best by the scorer's key (ties: the lowest branch); only the others keep their steps.
            keys = {b.branch: tuple(json.loads(b.score)) for b in of_fork}
            assert keys[chosen.branch] == max(keys.values())
            assert all(keys[b] < keys[chosen.branch] for b in keys if b < chosen.branch)
            for b in of_fork:
                kept = run.branch_steps(b.id)
                assert (
                    (kept == []) if b.chosen else ([s.step for s in kept] == list(range(fork + 1, fork + 1 + b.steps)))
                )
                assert (run.branch_calls(b.id) == []) if b.chosen else len(run.branch_calls(b.id)) >= b.steps
        # Branch 1 and 2 play with their own seeds, so some fork's branches disagree.
        assert any(len({b.score for b in branches if b.fork_step == f}) > 1 for f in forks)
        totals = run.totals()
        assert totals.branch_actions == sum(b.actions for b in branches if not b.chosen) > 0
    verified = run_animus("verify", str(run_dir))
    assert verified.returncode == 0 and verified.stdout.startswith("OK: 40 steps"), verified.stdout + verified.stderr
    shown = run_animus("show", str(run_dir)).stdout
    assert f"{len(forks)} best-of-N forks · {totals.actions + totals.branch_actions} actions spent" in shown
    assert "config    6 settings differ from the defaults" in shown  # rom, seed, thinking, branches, horizon, steps
    assert "  branching.branches = 3\n" in shown and '  thinking.type = "disabled"\n' in shown
    assert f'  rom = "{CLASSIC}"\n' in shown


def test_milestones_reached_in_a_fork_count_the_session_time_before_it(tmp_path: Path) -> None:
    run_dir = branched(tmp_path, "clock", "--steps", "80")
    with animus.open_run(run_dir) as run:
        steps, milestones = list(run.steps()), run.milestones()
        late = [m for m in milestones if m.step > 12]  # reached in a fork after the first ones
        assert late
        for m in milestones:
            # The committed steps were played one after another: their wall times add up to no more than the
            # session's clock when the milestone came. A branch whose clock started at its fork reads less.
            played = sum(s.wall_seconds for s in steps[: m.step])
            assert m.wall_seconds >= played, (m.id, m.step, m.wall_seconds, played)


def test_the_chart_puts_committed_or_spent_actions_on_x(tmp_path: Path) -> None:
    run_dir = branched(tmp_path, "b", "--steps", "30")
    for axis in ("actions", "spent"):
        out = tmp_path / f"{axis}.html"
        done = run_animus("chart", str(run_dir), "-o", str(out), "--x", axis)
        assert done.returncode == 0, done.stderr
        page = out.read_text()
        assert ("all best-of-N branches included" in page) == (axis == "spent")
    from animus.inspect.chart_data import read_run

    series = read_run(run_dir)
    with animus.open_run(run_dir) as run:
        assert series.last_spent == series.last_actions + run.totals().branch_actions
        for r in series.reached:
            unchosen = sum(b.actions for b in run.branches() if not b.chosen and b.fork_step < r.row.step)
            assert r.spent == r.row.actions + unchosen


def test_a_branched_run_killed_mid_fork_resumes_to_the_uninterrupted_steps(tmp_path: Path) -> None:
    whole = branched(tmp_path, "whole", "--steps", "60")
    runs = str(tmp_path)
    proc = start("run", *CLASSIC_ROM, "--seed", "1", "--branches", "3", "--horizon", "6", *GREEDY, "--steps", "60",
                 "--runs-dir", runs, "--name", "cut")  # fmt: skip
    db = tmp_path / "cut" / "run.db"
    wait_for(lambda: committed_steps(db) >= 12 or proc.poll() is not None)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cut_at = committed_steps(db)
    assert 12 <= cut_at < 60
    resumed = run_animus("resume", "cut", "--runs-dir", runs)
    assert resumed.returncode == 0, resumed.stderr
    assert deterministic_steps(db) == deterministic_steps(whole / "run.db")
    conn = sqlite3.connect(db)
    try:
        forks = conn.execute("SELECT fork_step, COUNT(*), SUM(chosen) FROM branches GROUP BY fork_step").fetchall()
    finally:
        conn.close()
    assert all(count == 3 and chosen == 1 for _, count, chosen in forks), forks


def test_ctrl_c_commits_the_best_of_what_the_branches_played(tmp_path: Path) -> None:
    proc = start("run", *CLASSIC_ROM, "--seed", "1", "--branches", "2", "--horizon", "1000", *GREEDY, "--set",
                 "stop_on_finish=false", "--steps", "3000", "--runs-dir", str(tmp_path), "--name", "c")  # fmt: skip
    db = tmp_path / "c" / "run.db"
    wait_for(lambda: db.exists() or proc.poll() is not None)
    time.sleep(2.5)  # the two branches play their first 1,000 actions: far more than this
    assert committed_steps(db) == 0, "the first fork should still be playing"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    with animus.open_run(tmp_path / "c") as run:
        assert run.meta.status == "stopped"
        branches = run.branches()
        assert [b.status for b in branches] == ["stopped", "stopped"]
        chosen = [b for b in branches if b.chosen]
        assert len(chosen) == 1 and chosen[0].steps == len(list(run.steps())) > 0


def outcome(index: int, **kw: object) -> BranchOutcome:
    base: dict[str, object] = dict(
        index=index, seed=index, steps=10, actions=10, milestones=(), first_action="", new_positions=0,
        new_screens=0, status="horizon",
    )  # fmt: skip
    base.update(kw)
    return BranchOutcome(**base)  # type: ignore[arg-type]


def test_scorers_rank_as_documented() -> None:
    milestones = [
        outcome(0, milestones=(("a", 8),), new_positions=30),
        outcome(1, milestones=(("a", 3),)),  # the same progress in fewer actions
        outcome(2, new_positions=50),
    ]
    assert choose(MilestoneScorer(), milestones)[0] == 1
    assert choose(MilestoneScorer(), [*milestones, outcome(3, milestones=(("a", 5), ("b", 9)))])[0] == 3
    assert choose(NoveltyScorer(), milestones)[0] == 2
    votes = [outcome(0, first_action="up"), outcome(1, first_action="a"), outcome(2, first_action="a")]
    assert choose(VoteScorer(), votes)[0] == 1
    # A failed or stuck branch wins only when every branch did; among equals the lowest branch wins.
    failed = [outcome(0, status="failed", milestones=(("a", 1),)), outcome(1, status="error"), outcome(2)]
    assert choose(MilestoneScorer(), failed)[0] == 2
    assert choose(MilestoneScorer(), [outcome(0, status="failed"), outcome(1, status="stuck")])[0] == 0


def test_an_unknown_scorer_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="choose one of milestones, novelty, vote"):
        create_scorer("best")
    done = run_animus(
        "run", *CLASSIC_ROM, "--branches", "2", "--scorer", "best", "--runs-dir", str(tmp_path), "--name", "x"
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "unknown scorer 'best'" in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_plugin_scorer_is_found_by_its_entry_point(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    (plugin / "lastbranch-1.0.dist-info").mkdir(parents=True)
    (plugin / "lastbranch-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lastbranch\nVersion: 1.0\n"
    )
    (plugin / "lastbranch-1.0.dist-info" / "entry_points.txt").write_text(
        "[animus.scorers]\nlast = lastbranch:LastBranch\n"
    )
    (plugin / "lastbranch.py").write_text(
        textwrap.dedent(
            """
            class LastBranch:
                def rank(self, outcomes):
                    return [(o.index,) for o in outcomes]
            """
        )
    )
    env = animus_env() | {"PYTHONPATH": str(plugin)}
    import subprocess
    import sys

    args = ["run", *CLASSIC_ROM, "--branches", "3", "--horizon", "4", "--scorer", "last", "--steps", "12", "--runs-dir",
            str(tmp_path), "--name", "p"]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "animus", *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    with animus.open_run(tmp_path / "p") as run:
        assert {b.branch for b in run.branches() if b.chosen} == {2}


def test_a_remote_model_branches_with_its_own_temperature_per_branch(tmp_path: Path) -> None:
    pytest.importorskip("anthropic")
    from tests.agent.remote import Backend
    from tests.fakes.messages_server import FakeMessagesServer

    with FakeMessagesServer(api_key="sk-ant-BRANCH-1") as server:
        api = Backend("anthropic:claude-fake-1", server.url, "ANTHROPIC_API_KEY", "sk-ant-BRANCH-1")
        done = api.run(tmp_path, "r", "--branches", "2", "--horizon", "3", "--steps", "9",
                       "--set", "branching.temperatures=[0.3, 0.9]")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert server.violations == []
        assert sorted({body["temperature"] for body in server.requests}) == [0.3, 0.9]
    with animus.open_run(tmp_path / "r") as run:
        calls = run.model_calls() + [c for b in run.branches() for c in run.branch_calls(b.id)]
        assert len(calls) == len(server.requests), "every request is recorded, chosen branch or not"
        assert run.totals().cost == pytest.approx(sum(c.cost or 0 for c in calls)) and run.totals().cost > 0
    assert run_animus("verify", str(tmp_path / "r")).returncode == 0


def test_an_operator_note_reaches_every_branch_of_the_next_fork(tmp_path: Path) -> None:
    runs = str(tmp_path)
    proc = start("run", *CLASSIC_ROM, "--seed", "1", "--branches", "2", "--horizon", "5", *GREEDY,
                 "--set", "stop_on_finish=false", "--steps", "400", "--runs-dir", runs, "--name", "n")  # fmt: skip
    db = tmp_path / "n" / "run.db"
    wait_for(lambda: committed_steps(db) >= 10 or proc.poll() is not None)
    noted = run_animus("note", "n", "plan", "look behind the waterfall", "--runs-dir", runs)
    assert noted.returncode == 0, noted.stderr
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    with animus.open_run(tmp_path / "n") as run:
        told = [c for c in run.model_calls() if "Your operator set the note 'plan'" in c.request_delta]
        assert len(told) == 1 and told[0].step > 10
        fork = told[0].step - 1
        for b in run.branches():
            if b.fork_step == fork and not b.chosen:
                (first,) = [c for c in run.branch_calls(b.id) if c.step == fork + 1 and c.purpose == "act"]
                assert "Your operator set the note 'plan'" in first.request_delta


def test_the_viewer_shows_the_fork_behind_a_step(tmp_path: Path) -> None:
    import threading

    from animus.inspect.server import make_server
    from tests.helpers import get

    run_dir = branched(tmp_path, "v", "--steps", "12")
    srv = make_server(run_dir)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        fork = get(srv, "/api/step/8")["fork"]
        assert get(srv, "/api/step/0").get("fork") is None
    finally:
        srv.shutdown()
        srv.close()
    with animus.open_run(run_dir) as run:
        expected = [b for b in run.branches() if b.fork_step < 8 and b.fork_step + b.steps >= 8 and b.chosen]
        unchosen = [b for b in run.branches() if b.fork_step == expected[0].fork_step and not b.chosen]
    assert fork["fork_step"] == expected[0].fork_step
    assert [b["chosen"] for b in fork["branches"]].count(True) == 1 and len(fork["branches"]) == 3
    for shown in fork["branches"]:
        if not shown["chosen"]:
            (row,) = [b for b in unchosen if b.branch == shown["branch"]]
            assert [p["step"] for p in shown["played"]] == list(range(row.fork_step + 1, row.fork_step + 1 + row.steps))
            assert all(p["inputs"] and p["text"] for p in shown["played"])
