"""`animus fork RUN --at STEP`: a new run that continues a recorded run from one of its steps, with another model
or other settings.

A fork is made of the parent's own record: its store is copied (SQLite's online backup, so a parent still being
written is copied as of one moment) and cut after step `at` (the steps, model calls, memory events, milestones,
keyframes and best-of-N branches after it are deleted), its meta names its parent and the step, and its config is
the parent's with the overrides applied. It is then played by `resume_run`, which rebuilds everything a step needs
from the store: the emulator from the nearest keyframe with every replayed step's hashes checked against the
parent's record, and the memory (summary, notes, context), the milestones and the counters as they stood after
step `at`. So a fork starts exactly where its parent stood, and `verify` replays it like any run: the parent's
steps up to the fork, then its own.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from animus.agent.models import check_spec
from animus.config import RunConfig, derive_config
from animus.errors import ConfigError, RunError
from animus.games import load_profile
from animus.runs import health
from animus.runs.card import PROFILE_FILE
from animus.runs.meta import RunMeta, Session
from animus.runs.reader import DB_NAME, RunReader
from animus.runs.setup import check_goal

# Tables whose rows belong to a step, and the column that says which. Branch rows go with their branches.
_STEP_TABLES = (("steps", "step"), ("model_calls", "step"), ("memory_events", "step"), ("milestones", "step"),
                ("keyframes", "step"))  # fmt: skip


def fork_name(parent: Path, at: int) -> str:
    """The default directory name of a fork: `<parent>-at<step>` (`fork_runs` adds `-<i>` for the i-th of several)."""
    return f"{parent.name}-at{at}"


def make_fork(
    parent: Path,
    at: int,
    run_dir: Path,
    overrides: dict[str, Any] | None = None,
    sets: tuple[str, ...] = (),
    steps: int | None = None,
) -> RunConfig:
    """Create the fork of `parent` after step `at` at `run_dir` (see the module docstring), ready to be played
    by `resume_run`; returns its config. `steps` is how many steps it may play after the fork (default: what was
    left of the parent's step budget, at least 1). `ConfigError` for a step the parent does not have or a bad
    setting, `RunError` for a parent that is not a run or a directory in the way."""
    with RunReader.open(parent) as reader:
        meta = reader.meta()
        last = reader.last_step()
        if not meta.config:
            raise RunError(f"run {parent} was cut short while it was being created: it has nothing to fork.")
        if not 0 <= at <= last:
            raise ConfigError(f"--at {at}: run {parent.name} has steps 0 to {last}; fork after one of them.")
        if not any(step <= at for step, _ in reader.keyframe_steps()):
            raise RunError(f"run {parent} has no keyframe at or before step {at}: it cannot be forked there.")
        base = meta.run_config()
        more = steps if steps is not None else max(1, base.budget.steps - at)
        if more < 1:
            raise ConfigError(f"--steps {more}: a fork plays at least 1 step.")
        config = derive_config(base, {**(overrides or {}), "budget.steps": at + more}, sets)
        check_spec(config.model.name)  # an unknown model or goal is refused before anything is written
        check_goal(load_profile(str(parent / PROFILE_FILE)), config.game.goal)
        _copy(reader, run_dir)
    _cut(run_dir, at)
    _write_meta(run_dir, meta, parent, at, config)
    return config


def _copy(reader: RunReader, run_dir: Path) -> None:
    """The parent's store and its profile files, into the new directory `run_dir`."""
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise RunError(f"{run_dir} already exists: pick another --name, or delete it.") from None
    except OSError as exc:
        raise health.failure(run_dir, exc) from None
    try:
        target = sqlite3.connect(run_dir / DB_NAME)
        try:
            reader.backup_to(target)
        finally:
            target.close()
        for file in sorted(reader.run_dir.glob("*.toml")):  # profile.toml and the data files it includes
            (run_dir / file.name).write_bytes(file.read_bytes())
    except (OSError, sqlite3.Error) as exc:
        raise health.failure(run_dir, exc) from None


def _cut(run_dir: Path, at: int) -> None:
    """Delete every row of the copy that belongs to a step after `at`."""
    conn = sqlite3.connect(run_dir / DB_NAME)
    try:
        with conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table, column in _STEP_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE {column} > ?", (at,))  # the names are constants
            if "branches" in tables:
                gone = "SELECT id FROM branches WHERE fork_step >= ?"
                conn.execute(f"DELETE FROM branch_steps WHERE branch_id IN ({gone})", (at,))
                conn.execute(f"DELETE FROM branch_calls WHERE branch_id IN ({gone})", (at,))
                conn.execute("DELETE FROM branches WHERE fork_step >= ?", (at,))
            if "texts" in tables:
                conn.execute(
                    "DELETE FROM texts WHERE sha256 NOT IN (SELECT text_sha FROM steps WHERE text_sha IS NOT NULL)"
                    " AND sha256 NOT IN (SELECT text_sha FROM branch_steps WHERE text_sha IS NOT NULL)"
                )
        conn.execute("VACUUM")
    finally:
        conn.close()


def _write_meta(run_dir: Path, meta: RunMeta, parent: Path, at: int, config: RunConfig) -> None:
    """The fork's meta: the parent's, with a new id, config, lineage and a session that says it was forked, and
    the status of a run stopped after step `at` (so `resume_run` plays it on)."""
    from animus.runs.store import RunStore

    now = time.time()
    sessions = tuple(s for s in meta.sessions if s.step < at or s.kind == "start")
    budget = dict(config.budget.model_dump(mode="json"))
    store = RunStore.open(run_dir, write=True)
    try:
        store.write_meta(
            replace(
                meta,
                id=run_dir.name,
                config=config.model_dump(mode="json"),
                status="stopped",
                reason=f"forked from {meta.id} after step {at}",
                finished=False,
                budget=None,
                label=config.label or "",
                model=config.model.name,
                seed=config.seed,
                created_at=now,
                ended_at=None,
                stuck_at_step=None,
                sessions=(*sessions, Session("fork", at, now, budget)),
                card={},
                parent={"run": meta.id, "path": str(parent.resolve()), "step": at},
            )
        )
    finally:
        store.close()


def fork_runs(
    parent: Path,
    at: int,
    runs_dir: Path,
    *,
    n: int = 1,
    name: str | None = None,
    overrides: dict[str, Any] | None = None,
    sets: tuple[str, ...] = (),
    steps: int | None = None,
    play: Callable[[Path], Any] | None = None,
) -> list[Path]:
    """Make `n` forks of `parent` after step `at` under `runs_dir` (named `name`, or `fork_name`; `-1`..`-n` when
    `n` > 1, each with the seed `parent's seed + i` so they differ where the model samples), and play each with
    `play(run_dir)` (the CLI passes `resume_run`). Returns their directories."""
    if n < 1:
        raise ConfigError(f"--n {n}: make at least 1 fork.")
    with RunReader.open(parent) as reader:
        seed = reader.meta().run_config().seed
    out = []
    for i in range(1, n + 1):
        index = i if n > 1 else None
        base = name or fork_name(parent, at)
        run_dir = runs_dir / (base if index is None else f"{base}-{index}")
        extra = dict(overrides or {})
        if n > 1 and extra.get("seed") is None:
            extra["seed"] = seed + i
        make_fork(parent, at, run_dir, extra, sets, steps)
        if play is not None:
            play(run_dir)
        out.append(run_dir)
    return out
