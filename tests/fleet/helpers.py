"""Shared by the fleet tests: plans on disk, the fleet CLI in a child process, and what a fleet left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.agent.remote import meta
from tests.conftest import animus_env


def write_plan(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def start_fleet(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`animus fleet ARGS` in a child process, as a user would start it."""
    return subprocess.Popen(
        [sys.executable, "-m", "animus", "fleet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or animus_env(),
    )


def fleet(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `animus fleet ARGS` to its end."""
    cmd = [sys.executable, "-m", "animus", "fleet", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env or animus_env(), cwd=cwd, check=False
    )


def record(runs: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((runs / "fleet.json").read_text(encoding="utf-8"))
    return data


def entry(runs: Path, name: str) -> dict[str, Any]:
    """One run's entry in the fleet record."""
    (found,) = [r for r in record(runs)["runs"] if r["name"] == name]
    return dict(found)


def status(run_dir: Path) -> tuple[str, str]:
    m = meta(run_dir / "run.db")
    return str(m["status"]), str(m["reason"])
