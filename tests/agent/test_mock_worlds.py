"""The mock on Animus Quest's seeded long worlds, through the CLI: it finishes worlds it was never tuned on,
with memory folded along the way; a long run resumes exactly and verifies; a fleet spans two worlds; and a world
built with other words (area names, objects, people, phrasings) is finished all the same."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

import animus
from tests.conftest import REPO, run_animus

HELD_IN = (7, 4242)  # worlds the mock was never run on while it was written (its bench uses 1000-1009)


def _summaries(run_dir: Path) -> int:
    with animus.open_run(run_dir) as run:
        return sum(c.purpose == "summarize" for c in run.model_calls())


@pytest.mark.parametrize("world", HELD_IN)
def test_the_mock_finishes_a_long_world_folding_its_memory(tmp_path: Path, world: int) -> None:
    result = run_animus("run", "--world", str(world), "--runs-dir", str(tmp_path), "--name", "w")
    assert result.returncode == 0, result.stderr
    assert "done — finished" in result.stdout
    with animus.open_run(tmp_path / "w") as run:
        assert len(run.milestones()) == 22
        assert run.meta.profile_id == "animus-quest"
        assert run.totals().actions > 200, "a long world takes hundreds of actions"
    assert _summaries(tmp_path / "w") >= 3, "the default memory budget is folded several times"


def test_a_long_world_resumes_exactly_and_verifies(tmp_path: Path) -> None:
    args = ("--world", "31", "--runs-dir", str(tmp_path))
    assert run_animus("run", *args, "--name", "whole").returncode == 0
    cut = run_animus("run", *args, "--name", "cut", "--steps", "150")
    assert cut.returncode == 0 and "step budget" in cut.stdout
    resumed = run_animus("resume", "cut", "--steps", "5000", "--runs-dir", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    assert "done — finished" in resumed.stdout

    def trace(name: str) -> list[tuple[int, str, str]]:
        with sqlite3.connect(tmp_path / name / "run.db") as db:
            return list(db.execute("SELECT step, ram_hash, inputs FROM steps ORDER BY step"))

    assert trace("cut") == trace("whole"), "a resumed mock plays exactly as an uninterrupted one"
    verified = run_animus("verify", "cut", "--runs-dir", str(tmp_path))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_fleet_spans_two_worlds(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('worlds = [12, 13]\nsteps = 5000\n[[run]]\nlabel = "mock"\nmodel = "mock"\n')
    out = run_animus("fleet", str(plan), "--runs-dir", str(tmp_path / "runs"), "--workers", "2", timeout=600)
    assert out.returncode == 0, out.stderr
    for world in (12, 13):
        run_dir = tmp_path / "runs" / f"mock-w{world}-s0"
        with animus.open_run(run_dir) as run:
            assert run.meta.finished
            assert run.meta.config["game"]["world"] == world
    with (
        animus.open_run(tmp_path / "runs" / "mock-w12-s0") as a,
        animus.open_run(tmp_path / "runs" / "mock-w13-s0") as b,
    ):
        assert a.meta.rom_sha256 == b.meta.rom_sha256
        assert [s.state for s in a.steps()][:40] != [s.state for s in b.steps()][:40], "two worlds, two games"


# The alternative vocabulary's words for the things the profile's legend names (cartridge/vocab_alt.c): the
# profile is the game's own, with its legend and item labels in those words, as a user would write it.
ALT_WORDS = {
    "well (blocks; A to search)": "fountain (blocks; A to search)",
    "chest (blocks; A to search)": "crate (blocks; A to search)",
    "lever (blocks; A to pull)": "switch (blocks; A to pull)",
    "innkeeper (blocks; A to rest and heal)": "host (blocks; A to sleep and heal)",
    "bronze key": "copper rune",
    "silver key": "moon rune",
    "gold key": "sun rune",
    "sword {": "blade {",
    "crown {": "circlet {",
}


@pytest.mark.skipif(shutil.which("sdcc") is None, reason="sdcc is not installed (apt-get install sdcc)")
def test_the_mock_finishes_a_world_in_other_words(tmp_path: Path) -> None:
    rom = tmp_path / "alt.gb"
    build = subprocess.run(
        ["bash", str(REPO / "cartridge" / "build.sh"), str(rom)],
        env={"VOCAB": "alt", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    source = (REPO / "src" / "animus" / "games" / "profiles" / "animus-quest.toml").read_text()
    for old, new in ALT_WORDS.items():
        assert old in source, old
        source = source.replace(old, new)
    source = source.replace('id = "animus-quest"', 'id = "animus-quest-alt"')
    profile = tmp_path / "alt.toml"
    profile.write_text(source)

    args = ("--rom", str(rom), "--game", str(profile), "--world", "77", "--runs-dir", str(tmp_path))
    result = run_animus("run", *args, "--name", "alt")
    assert result.returncode == 0, result.stderr
    assert "done — finished" in result.stdout
    with animus.open_run(tmp_path / "alt") as run:
        said = " ".join(json.loads(s.state)["dialog"] for s in run.steps())
        assert "FOUNTAIN" in said or "CRATE" in said, "the world speaks the other words"
        assert " WELL " not in f" {said} " and "CHEST" not in said
