"""`animus fork`: new runs from a recorded run's state after one of its steps, through the CLI, on the classic
cartridge: the same record up to the fork, an exact continuation when nothing changes, another model when asked,
N forks, lineage in show, the card, the viewer and charts, and verify."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import animus
from tests.conftest import CLASSIC_ROM, deterministic_steps, run_animus

AT = 25  # between keyframes (every 10): the fork replays steps 21-25 from the keyframe at 20, checking hashes


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished mock run of the classic quest, `p`, with a keyframe every 10 steps."""
    runs = tmp_path_factory.mktemp("runs")
    result = run_animus(
        "run", *CLASSIC_ROM, "--steps", "80", "--set", "record.keyframe_every=10", "--runs-dir", str(runs),
        "--name", "p",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return runs


def fork(runs: Path, *args: str) -> None:
    result = run_animus("fork", "p", "--runs-dir", str(runs), *args)
    assert result.returncode == 0, result.stderr


def rows(run: Path) -> list[tuple[object, ...]]:
    return deterministic_steps(run / "run.db")


def test_a_fork_that_changes_nothing_continues_exactly_as_its_parent(runs: Path) -> None:
    fork(runs, "--at", str(AT), "--name", "same")
    parent, same = rows(runs / "p"), rows(runs / "same")
    assert same == parent, "the emulator, memory and counters were restored exactly: every step is the parent's"
    with animus.open_run(runs / "same") as run, animus.open_run(runs / "p") as original:
        assert [(m.id, m.step, m.actions) for m in run.milestones()] == [
            (m.id, m.step, m.actions) for m in original.milestones()
        ]
        assert run.meta.parent["run"] == "p" and run.meta.parent["step"] == AT
        assert [s.kind for s in run.meta.sessions] == ["start", "fork"], "its first play is no resume"


def test_a_fork_with_another_model_keeps_the_record_up_to_the_fork_and_verifies(runs: Path, tmp_path: Path) -> None:
    fork(runs, "--at", str(AT), "--model", "random", "--steps", "30", "--name", "rnd")
    parent, other = rows(runs / "p"), rows(runs / "rnd")
    assert other[:AT] == parent[:AT] and len(other) == AT + 30
    assert other[AT:] != parent[AT : AT + 30], "the random model played on differently"
    with animus.open_run(runs / "rnd") as run:
        assert (run.meta.model, run.meta.group_label, run.status) == ("random", "random", "done")
        kept = [m.id for m in run.milestones() if m.step <= AT]
    with animus.open_run(runs / "p") as original:
        assert kept == [m.id for m in original.milestones() if m.step <= AT]
    verify = run_animus("verify", str(runs / "rnd"))
    assert verify.returncode == 0 and f"{AT + 30} steps re-simulated" in verify.stdout, verify.stdout + verify.stderr
    show = run_animus("show", "rnd", "--runs-dir", str(runs))
    assert f"fork      of p after its step {AT}" in show.stdout
    card = json.loads(run_animus("show", "rnd", "--runs-dir", str(runs), "--card", "--json").stdout)
    assert card["fork"]["parent"] == "p" and card["fork"]["step"] == AT and card["model"]["name"] == "random"
    chart = run_animus("chart", str(runs / "p"), str(runs / "rnd"), "--align", "fork", "-o", str(tmp_path / "c.html"))
    assert chart.returncode == 0, chart.stderr
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "random" in page and "mock" in page
    refused = run_animus("chart", str(runs / "rnd"), "--align", "fork", "--x", "tokens", "-o", str(tmp_path / "t.png"))
    assert refused.returncode == 2 and "--x actions only" in refused.stderr


def test_n_forks_get_their_own_seeds_and_names(runs: Path) -> None:
    fork(runs, "--at", "10", "--model", "random", "--n", "3", "--steps", "10")
    seeds = []
    for i in (1, 2, 3):
        with animus.open_run(runs / f"p-at10-{i}") as run:
            seeds.append(run.meta.seed)
            assert run.meta.parent["step"] == 10 and run.totals().steps == 20
    assert seeds == [1, 2, 3]
    played = [rows(runs / f"p-at10-{i}")[10:] for i in (1, 2, 3)]
    assert played[0] != played[1] != played[2], "different seeds, different random presses"


def test_bad_forks_are_refused_with_one_line_and_write_nothing(runs: Path) -> None:
    before = sorted(p.name for p in runs.iterdir())
    for args, words in [
        (("--at", "500"), "has steps 0 to"),
        (("--at", "-1"), "has steps 0 to"),
        (("--at", "5", "--model", "nosuch"), "unknown model 'nosuch'"),
        (("--at", "5", "--set", "tools.hold_frames=0"), "hold_frames"),
        (("--at", "5", "--name", "p"), "already exists"),
        (("--at", "5", "--set", "game.goal=nosuch"), "is not a milestone"),
    ]:
        result = run_animus("fork", "p", "--runs-dir", str(runs), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip().count("\n") == 0 and words in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in runs.iterdir()) == before


def test_the_parent_is_not_touched(runs: Path) -> None:
    digest = hashlib.sha256((runs / "p" / "run.db").read_bytes()).hexdigest()
    fork(runs, "--at", "3", "--steps", "2", "--name", "tiny")
    assert hashlib.sha256((runs / "p" / "run.db").read_bytes()).hexdigest() == digest
    with animus.open_run(runs / "tiny") as run:
        assert run.totals().steps == 5
