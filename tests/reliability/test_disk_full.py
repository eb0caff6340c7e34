"""Disk full and write errors: a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail with EFBIG as on a
full disk) and a read-only run directory. The run stops with one `error:` line that names the problem and the fix,
loses no committed step, and resumes to the uninterrupted steps once it can write again. Low free space is warned
about before it comes to that.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from animus.runs.api import open_run
from tests.conftest import deterministic_steps
from tests.helpers import committed_steps
from tests.reliability.helpers import animus, assert_refused, files, mock_args

STEPS = 60
NO_WARNING = ("--set", "record.warn_free_mb=0")  # this machine's free space must not add a line to stderr


def file_size_limit(limit: int) -> Callable[[], None]:
    """A child's preexec: files may not grow past `limit` bytes, and a write that would fails (EFBIG) instead of
    killing the process."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def without_root_overrides() -> None:
    """A child's preexec: as root, drop the capabilities that let root ignore file modes (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH, CAP_FOWNER) from the bounding set, so the exec'd `animus` sees a read-only directory as
    read-only. Raises if the process may not (then the test is skipped)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[object, ...]]:
    runs = tmp_path_factory.mktemp("whole")
    out = animus(*mock_args(STEPS, runs, "whole"))
    assert out.returncode == 0, out.stderr
    return deterministic_steps(runs / "whole" / "run.db")


@pytest.mark.parametrize("limit", [1_200_000, 3_000_000])
def test_a_full_disk_stops_the_run_in_one_line_and_resume_finishes_it(
    whole: list[tuple[object, ...]], tmp_path: Path, limit: int
) -> None:
    db = tmp_path / "full" / "run.db"
    out = animus(*mock_args(STEPS, tmp_path, "full"), *NO_WARNING, preexec=file_size_limit(limit))
    assert_refused(out, "cannot write run", "the disk is full", "free some space", "animus resume", code=1)
    first = committed_steps(db)
    assert 0 < first < STEPS and deterministic_steps(db) == whole[:first]
    with open_run(db.parent) as run:  # the failed write's status, if it could be written; else the writer is gone
        assert run.status in ("error", "crashed"), run.status
        assert run.status == "crashed" or "cannot write run" in run.meta.reason

    resume = ["resume", str(db.parent)]
    again = animus(*resume, preexec=file_size_limit(limit))  # still full: the same clean stop, nothing lost
    assert_refused(again, "cannot write run", "free some space", code=1)
    assert committed_steps(db) >= first and deterministic_steps(db) == whole[: committed_steps(db)]

    done = animus(*resume)  # space is back
    assert done.returncode == 0, done.stderr
    assert deterministic_steps(db) == whole


def test_a_disk_that_fills_while_the_run_is_created_is_named_and_the_remains_explained(tmp_path: Path) -> None:
    out = animus(*mock_args(STEPS, tmp_path, "new"), *NO_WARNING, preexec=file_size_limit(100_000))
    assert_refused(out, "cannot write run", "free some space", code=1)
    before = files(tmp_path / "new")
    for command in (["resume", "new"], ["show", "new"]):
        refused = animus(*command, "--runs-dir", str(tmp_path))
        assert_refused(refused, "was cut short while it was being created", "delete it and start the run again")
    assert files(tmp_path / "new") == before


def test_a_read_only_run_directory_is_refused_and_the_run_resumes_once_it_is_writable(
    whole: list[tuple[object, ...]], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    killed = animus(*mock_args(STEPS, runs, "ro"), fault="step:25")
    assert killed.returncode == -signal.SIGKILL
    run = runs / "ro"
    saved = files(run)
    modes = {p: p.stat().st_mode for p in [runs, run, *run.iterdir()]}
    for path in modes:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    try:
        try:
            resumed = animus("resume", str(run), preexec=without_root_overrides)
        except OSError as exc:
            pytest.skip(f"cannot drop root's file-mode overrides here: {exc}")
        assert_refused(resumed, str(run), "writable, then try again")
        created = animus(*mock_args(5, runs, "new"), preexec=without_root_overrides)
        assert_refused(created, "make its directory writable")
        assert files(run) == saved and not (runs / "new").exists()
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    done = animus("resume", str(run))
    assert done.returncode == 0, done.stderr
    assert deterministic_steps(run / "run.db") == whole


@pytest.mark.parametrize(("threshold", "warnings"), [(10**9, 1), (0, 0)])
def test_low_free_space_is_warned_once_before_the_disk_is_full(tmp_path: Path, threshold: int, warnings: int) -> None:
    # 10**9 MB (a petabyte) is more than any test machine has free: the warning must come, and only once.
    out = animus(*mock_args(120, tmp_path, "low"), "--set", f"record.warn_free_mb={threshold}")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("warning: only") == warnings, out.stderr
    if warnings:
        assert f"free on the disk of {tmp_path / 'low'}" in out.stderr and "record.warn_free_mb" in out.stderr
