"""Power loss: crash images of a run directory, copies that keep only what may have reached the disk.

A run is killed inside a step's transaction (`ANIMUS_FAULT=step:N`), and its files are copied before anything opens
them again. The store is SQLite in WAL mode with `synchronous=NORMAL`: the main file is synced at each checkpoint
and the WAL is appended to between checkpoints, so what a power cut leaves is the main file plus any prefix of the
WAL, cut anywhere (inside its header, inside a frame, between frames), or the main file alone. Each such image
opens at its last durable step and resumes to the uninterrupted run's steps.

A genuinely damaged image (a checkpoint torn with its WAL lost, a truncated file, bytes of a keyframe or of a
model call garbled) is refused by `verify` and `resume` with one line and exit code 2, and no other reading command
shows a traceback or touches it.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from animus.runs.runner import resume_run
from tests.conftest import deterministic_steps
from tests.helpers import committed_steps
from tests.reliability.helpers import animus, assert_refused, files, mock_args

# The run plays FIRST steps and stops (closing its store checkpoints it: the main file then holds them all), is
# resumed, and is killed inside step KILLED_IN's transaction: its WAL holds every commit in between.
FIRST, KILLED_IN, STEPS = 120, 230, 240


@dataclass(frozen=True)
class Crash:
    """The uninterrupted run's steps and the killed run's files, as they were on disk right after the kill."""

    expected: list[tuple[object, ...]]
    files: dict[str, bytes]

    @property
    def page_size(self) -> int:
        return int(struct.unpack(">I", self.files["run.db-wal"][8:12])[0])

    def frames(self) -> list[tuple[int, int, bool]]:
        """(offset, page number, is a commit) of each frame of the WAL's current generation (its header's salt)."""
        wal, size, out = self.files["run.db-wal"], self.page_size, []
        offset = 32
        while offset + 24 + size <= len(wal) and wal[offset + 8 : offset + 16] == wal[16:24]:
            page, commit = struct.unpack(">II", wal[offset : offset + 8])
            out.append((offset, page, commit != 0))
            offset += 24 + size
        return out


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> Crash:
    runs = tmp_path_factory.mktemp("runs")
    whole = animus(*mock_args(STEPS, runs, "whole"))
    assert whole.returncode == 0, whole.stderr
    first = animus(*mock_args(FIRST, runs, "cut"))
    assert first.returncode == 0, first.stderr
    resume = ["resume", str(runs / "cut"), "--steps", str(STEPS)]
    killed = animus(*resume, fault=f"step:{KILLED_IN - FIRST}")
    assert killed.returncode == -9, killed.stderr
    saved = files(runs / "cut")  # before anything opens it: opening a WAL store checkpoints it
    assert {"run.db", "run.db-wal", "profile.toml"} <= set(saved)
    return Crash(deterministic_steps(runs / "whole" / "run.db"), saved)


def image(crash: Crash, where: Path, db: bytes, wal: bytes | None) -> Path:
    """A run directory holding `db` as run.db and `wal` (if any) as its WAL; the shared-memory file is gone."""
    where.mkdir(parents=True)
    (where / "run.db").write_bytes(db)
    if wal is not None:
        (where / "run.db-wal").write_bytes(wal)
    (where / "profile.toml").write_bytes(crash.files["profile.toml"])
    return where


def test_every_crash_image_opens_at_its_last_durable_step_and_resumes_to_the_same_steps(
    crash: Crash, tmp_path: Path
) -> None:
    frames = crash.frames()
    commits = [offset + 24 + crash.page_size for offset, _, commit in frames if commit]
    assert len(commits) > 50, "the WAL should hold many commits since the last checkpoint"
    picks = commits[:: len(commits) // 5]  # about five commits across the WAL, and cuts just after each
    cuts = {0, 20, 32, 32 + 24 + crash.page_size // 2}  # empty, inside the header, header only, inside frame 1
    cuts |= {*picks, *(c + 7 for c in picks), *(c + 24 + 100 for c in picks)}
    wal = crash.files["run.db-wal"]
    images = [("db-only", None)] + [(f"wal-{cut}", wal[:cut]) for cut in sorted(cuts)] + [("wal-all", wal)]

    durable = []
    for name, cut in images:
        run = image(crash, tmp_path / name, crash.files["run.db"], cut)
        steps = committed_steps(run / "run.db")
        assert deterministic_steps(run / "run.db") == crash.expected[:steps], f"{name}: a durable step differs"
        durable.append(steps)
        end = resume_run(run, {"steps": STEPS})
        assert end.status == "done" and end.steps == STEPS, (name, end)
        assert deterministic_steps(run / "run.db") == crash.expected, name
    assert durable[0] >= FIRST, "the main file alone holds at least the steps of the first session"
    assert durable == sorted(durable), "a longer WAL never holds fewer steps"
    assert durable[1] == durable[0] and durable[-1] == KILLED_IN - 1, durable
    assert len(set(durable)) >= 5, durable


def torn(crash: Crash, first: int) -> bytes:
    """The main file half way through a checkpoint whose WAL was lost: every other page the WAL held, from the
    `first`, is new (first 0: the header page among them; 1: it is not, and SQLite opens the file as sound)."""
    db, size = bytearray(crash.files["run.db"]), crash.page_size
    wal, latest = crash.files["run.db-wal"], {}
    for offset, page, _ in crash.frames():
        latest[page] = wal[offset + 24 : offset + 24 + size]
    for page in sorted(latest)[first::2]:
        db[len(db) : page * size] = bytes(max(0, page * size - len(db)))
        db[(page - 1) * size : page * size] = latest[page]
    return bytes(db)


def garbled(crash: Crash, needle: bytes) -> bytes:
    """The main file with 64 bytes in the middle of the first occurrence of `needle` overwritten."""
    db = bytearray(crash.files["run.db"])
    at = db.find(needle)
    assert at > 0, needle
    db[at + 16 : at + 80] = b"\xff\x00" * 32
    return bytes(db)


def keyframe_bytes(crash: Crash, step: int) -> bytes:
    import sqlite3

    db = bytearray(crash.files["run.db"])
    db[18:20] = b"\x01\x01"  # read as a rollback-journal file: an in-memory database has no WAL
    conn = sqlite3.connect(":memory:")
    conn.deserialize(bytes(db))
    (state,) = conn.execute("SELECT state FROM keyframes WHERE step = ?", (step,)).fetchone()
    conn.close()
    return bytes(state)[:64]


DAMAGE = {
    "torn-checkpoint": lambda crash: torn(crash, 0),
    "torn-data-pages": lambda crash: torn(crash, 1),
    "truncated": lambda crash: crash.files["run.db"][: len(crash.files["run.db"]) * 2 // 3 + 1000],
    "keyframe-bytes": lambda crash: garbled(crash, keyframe_bytes(crash, 60)),
    "reply-bytes": lambda crash: garbled(crash, b'{"text": '),
}
READERS = [
    ["runs", "--runs-dir", "{dir}"],
    ["show", "{run}"],
    ["chart", "{run}", "-o", "{out}.png"],
    ["frame", "{run}", "120", "-o", "{out}.png"],
    ["clip", "{run}", "--from", "100", "--to", "104", "-o", "{out}.gif"],
    ["export", "{run}", "-o", "{out}.jsonl"],
]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_image_is_refused_and_never_reported_healthy(crash: Crash, tmp_path: Path, damage: str) -> None:
    run = image(crash, tmp_path / "runs" / "bad", DAMAGE[damage](crash), None)
    before = files(run)
    for command in (["verify", str(run)], ["resume", str(run), "--steps", str(STEPS)]):
        assert_refused(animus(*command), "is damaged", "restore its run.db from a copy")
    for command in READERS:
        args = [a.format(dir=run.parent, run=run, out=tmp_path / "out") for a in command]
        out = animus(*args)
        assert "Traceback" not in out.stderr, (command, out.stderr)
        if out.returncode != 0:
            assert_refused(out)
    assert files(run) == before, "nothing was written into the damaged store"
    shutil.rmtree(run)
