"""What the fault tests share: the real CLI in a child process (optionally with a fault or resource limits), the
mock run they all play, and the one-line refusal every bad store must get."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.conftest import CLASSIC, animus_env

# A mock run that keeps playing (playthroughs repeat), summarizes every few steps and writes many keyframes.
KEYFRAME_EVERY = 6
SETTINGS = ("stop_on_finish=false", "memory.context_tokens=5000", f"record.keyframe_every={KEYFRAME_EVERY}")


def mock_args(steps: int, runs: Path, name: str, seed: int = 3, rom: str = CLASSIC) -> list[str]:
    """`animus run` arguments of the mock run the fault tests compare against (on the classic Animus Quest)."""
    sets = [x for s in SETTINGS for x in ("--set", s)]
    return ["run", "--rom", rom, "--model", "mock", "--seed", str(seed), "--steps", str(steps), *sets,
            "--runs-dir", str(runs), "--name", name]  # fmt: skip


def env(fault: str | None = None) -> dict[str, str]:
    """The user's environment, with `ANIMUS_FAULT` set to `fault` (or removed)."""
    e = {k: v for k, v in animus_env().items() if k != "ANIMUS_FAULT"}
    if fault is not None:
        e["ANIMUS_FAULT"] = fault
    return e


def spawn(
    args: Sequence[str], fault: str | None = None, preexec: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    """`animus ARGS` started in a child process (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "animus", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(fault),
        preexec_fn=preexec,
    )


def animus(
    *args: str, fault: str | None = None, preexec: Callable[[], None] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`animus ARGS` run to its end in a child process."""
    proc = spawn(args, fault, preexec)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def assert_refused(out: subprocess.CompletedProcess[str], *words: str, code: int = 2) -> None:
    """One `error:` line on stderr naming `words`, exit `code`, no traceback."""
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in out.stderr, (word, out.stderr)


def files(run_dir: Path) -> dict[str, bytes]:
    """Every file of a run directory, by name, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(run_dir.iterdir()) if p.is_file()}
