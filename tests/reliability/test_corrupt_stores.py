"""Corrupt or foreign stores: every command that reads runs refuses them with one `error:` line and exit code 2,
and nothing in the run directory is written.

The stores: a truncated `run.db`, a random file named `run.db`, a store of a newer schema, and a sound store that
names another ROM (refused by the commands that need the ROM: resume, verify, replay, frame and clip; the others
read it as it is).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from animus.runs.schema import SCHEMA_VERSION
from tests.conftest import CLASSIC_CONFIG, retitled
from tests.reliability.helpers import animus, assert_refused, files, mock_args


def truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) * 2 // 3 + 100])  # inside a page, two thirds of the way


def randomize(db: Path) -> None:
    db.write_bytes(random.Random(8).randbytes(48_000))


def newer(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()


def played_elsewhere(db: Path) -> None:
    """Nothing to change: the store is a run of another ROM (see `foreign`), whose ROM file is gone."""


# kind -> (how to make it, the words of the refusal)
KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncate, "is damaged"),
    "random": (randomize, "is damaged"),
    "newer-schema": (newer, f"has store schema {SCHEMA_VERSION + 1}, newer than this Animus knows"),
    "other-rom": (played_elsewhere, "cannot find the ROM this run played"),
}
NEEDS_ROM = {"resume", "verify", "replay", "frame", "clip"}
COMMANDS = [
    ["runs", "--runs-dir", "{runs}"],
    ["show", "{run}"],
    ["resume", "{run}", "--steps", "30"],
    ["note", "{run}", "hint", "look in the wells"],
    ["chart", "{run}", "-o", "{out}.png"],
    ["replay", "{run}"],
    ["frame", "{run}", "5", "-o", "{out}.png"],
    ["clip", "{run}", "--from", "1", "--to", "4", "-o", "{out}.gif"],
    ["verify", "{run}"],
    ["export", "{run}", "-o", "{out}.jsonl"],
    ["fleet", "{plan}", "--runs-dir", "{runs}", "--workers", "1"],
]


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 20-step mock run, closed cleanly (no WAL beside its run.db)."""
    runs = tmp_path_factory.mktemp("sound")
    out = animus(*mock_args(20, runs, "bad-s0"))
    assert out.returncode == 0, out.stderr
    return runs / "bad-s0"


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory, quest_bytes: bytes) -> Path:
    """A finished 20-step mock run of another ROM (Animus Quest retitled: another sha256, no profile), whose ROM
    file was then deleted."""
    runs = tmp_path_factory.mktemp("foreign")
    rom = runs / "other.gb"
    rom.write_bytes(retitled(quest_bytes, "OTHERGAME"))
    out = animus(*mock_args(20, runs, "bad-s0", rom=str(rom)))
    assert out.returncode == 0, out.stderr
    rom.unlink()
    return runs / "bad-s0"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_reading_command_refuses_a_corrupt_or_foreign_store_and_writes_nothing(
    sound: Path, foreign: Path, tmp_path: Path, kind: str
) -> None:
    runs = tmp_path / "runs"
    run = runs / "bad-s0"  # the run the plan below names: label "bad", seed 0
    shutil.copytree(foreign if kind == "other-rom" else sound, run)
    make, words = KINDS[kind]
    make(run / "run.db")
    plan = tmp_path / "plan.toml"
    plan.write_text(f'steps = 30\n{CLASSIC_CONFIG}\n[[run]]\nlabel = "bad"\nmodel = "mock"\n')
    before = files(run)
    for command in COMMANDS:
        args = [a.format(runs=runs, run=run, out=tmp_path / "out", plan=plan) for a in command]
        out = animus(*args, timeout=120)
        if kind == "other-rom" and command[0] not in NEEDS_ROM:  # a sound store, read as it is
            assert "Traceback" not in out.stderr and "damaged" not in out.stderr, (command, out.stderr)
            before = files(run)  # `note` may write to it
            for made in tmp_path.glob("out*"):  # `chart` and `export` may write their output
                made.unlink()
            continue
        assert_refused(out, words)
        assert files(run) == before, f"{command[0]} wrote into the {kind} store"
        assert not list(tmp_path.glob("out*")), f"{command[0]} left an output behind"
        assert sorted(p.name for p in runs.iterdir()) == ["bad-s0"], f"{command[0]} created something"
