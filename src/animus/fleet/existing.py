"""What is already in a fleet's run directory, read without writing: nothing, a half-created run, or a run.

Contracts:
- `examine` opens a run's store read-only and never changes it. It raises `RunError` for a run another live
  process is writing, and `ConfigError` for a run whose stored config (ignoring `budget`) is not what the plan
  says now: the plan changed, so the fleet must go to another --runs-dir instead of mixing two experiments.
- A run killed while it was being created (no store yet, no config in its meta, or no start keyframe) is
  `half`: `remove_half` deletes it so that it can be started again. Nothing else is ever deleted.
- `settled` is the fleet's rule for skipping a run (nothing left to play): status `failed` or `stuck`; `done`
  except when the step budget ended it and the plan now allows more steps; or at least as many steps as the budget.
- A run's status is a `RunStatus` (animus.runs.meta); the fleet's word for a run, `FleetOutcome`, adds two that only
  the fleet knows: `pending` (not started yet by this invocation, or to be restarted) and `interrupted` (its worker
  ended while the fleet was stopping, before the run recorded an end).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from animus.config import RunConfig
from animus.errors import ConfigError, RunError
from animus.games import load_profile
from animus.games.defaults import apply_profile_defaults
from animus.runs.lock import LOCK_NAME, is_locked
from animus.runs.meta import Budget, RunStatus
from animus.runs.reader import DB_NAME, RunReader
from animus.runs.runner import PROFILE_FILE

# What a run directory may hold when its creation was cut short (SQLite's side files, the lock, the profile).
_CREATION_FILES = {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", LOCK_NAME, "profile.toml"}


@dataclass(frozen=True)
class Found:
    """A run directory's state: `kind` is `none`, `half` or `run`; for a run, its stored status and progress."""

    kind: Literal["none", "half", "run"]
    status: RunStatus | None = None
    reason: str = ""
    steps: int = 0
    budget: Budget | None = None  # the budget that ended it


FleetOutcome = RunStatus | Literal["pending", "interrupted"]
"""How the fleet sees a run: its `RunStatus`, or `pending` / `interrupted` (see the module docstring)."""


def examine(run_dir: Path, config: RunConfig | None = None) -> Found:
    """The state of `run_dir` (see the module docstring); compares the stored config with `config` when given."""
    if not run_dir.exists():
        return Found("none")
    if is_locked(run_dir):
        raise RunError(
            f"run {run_dir} is being written by another process (another fleet, or `animus resume`): wait for it "
            "to end or stop it, then run the fleet again."
        )
    if not (run_dir / DB_NAME).is_file():
        if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= _CREATION_FILES:
            return Found("half")
        raise RunError(f"{run_dir} is in the way of a fleet run and is not a run: move it, or use another --runs-dir.")
    if _empty_store(run_dir / DB_NAME):  # killed before the schema was written
        return Found("half")
    try:
        with RunReader.open(run_dir) as store:
            meta = store.meta()
            if not meta.config:
                return Found("half")
            try:
                store.keyframe_at_or_before(0)
            except RunError:  # killed before the start state was stored: nothing was played yet
                if store.last_step() == 0:
                    return Found("half")
                raise RunError(f"run {run_dir} has steps but no start keyframe: it is damaged. Move it away.") from None
            steps = store.last_step()
    except (sqlite3.DatabaseError, ValueError) as exc:
        raise RunError(f"run {run_dir} cannot be read ({exc}): move it away, or use another --runs-dir.") from None
    if config is not None:
        _check_same_config(run_dir, dict(meta.config), config)
    return Found("run", meta.status, meta.reason, steps, meta.budget)


def remove_half(run_dir: Path) -> None:
    """Delete a run directory that `examine` found `half` (it holds nothing that was played)."""
    shutil.rmtree(run_dir)


def settled(found: Found, budget_steps: int) -> bool:
    """True when the fleet should not play this run again (see the module docstring)."""
    if found.kind != "run":
        return False
    if found.status in ("failed", "stuck"):
        return True
    if found.status == "done":
        return not (found.budget == "steps" and found.steps < budget_steps)
    return found.steps >= budget_steps


def _check_same_config(run_dir: Path, stored: dict[str, Any], config: RunConfig) -> None:
    # The run played with the plan's config under its profile's [defaults] (start_run applied them).
    profile = run_dir / PROFILE_FILE
    if profile.is_file():
        config = apply_profile_defaults(config, load_profile(str(profile)))
    wanted = json.loads(config.to_json())
    mine = {k: v for k, v in stored.items() if k != "budget"}
    theirs = {k: v for k, v in wanted.items() if k != "budget"}
    if mine != theirs:
        keys = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
        raise ConfigError(
            f"run {run_dir.name} in {run_dir.parent} was played with another config (differs in: {', '.join(keys)}): "
            "the plan changed since. Use another --runs-dir for the new plan, or restore the old one."
        )


def _empty_store(db: Path) -> bool:
    """True for a database with no schema at all (version 0, no tables), read without changing anything."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return False  # RunStore.open says what is wrong
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = int(conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0])
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return version == 0 and tables == 0
