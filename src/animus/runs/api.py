"""`open_run`: a small read-only Python API over a run directory, for analysis.

    import animus
    run = animus.open_run("runs/20261122-093000-random-s0-1234")
    run.meta.rom_sha256, run.status        # RunMeta (runs/meta.py), RunStatus
    for step in run.steps(): ...          # StepRow, in order
    run.milestones()                      # MilestoneRow, in the order reached
    run.model_calls()                     # ModelCallRow, in order
    run.branches()                        # BranchRow of best-of-N forks; branch_steps(id), branch_calls(id)

It works while the run is still being written (SQLite WAL readers do not block the writer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from animus.agent.types import Reply
from animus.games import GameState
from animus.memory.events import MemoryEvent
from animus.runs import health
from animus.runs.catalog import live_status
from animus.runs.meta import RunMeta, RunStatus
from animus.runs.reader import RunReader
from animus.runs.rows import BranchRow, MilestoneRow, ModelCallRow, StepRow, Totals


class Run:
    """A run directory opened for reading. Use as a context manager, or call `close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._store = RunReader.open(self.path)
        with self._store.opening():  # a damaged meta closes the store too
            self.meta: RunMeta = self._store.meta()
        """Provenance as it was when the run was opened: config, seed, model, label, ROM, versions, status..."""

    @property
    def status(self) -> RunStatus:
        """The run's status now (see `RunStatus`): a `running` run whose writer died reads `crashed`."""
        with self._store.failures():
            return live_status(self.path, self._store.meta().status)

    @property
    def finished(self) -> bool:
        """Whether the run ended because it reached its final milestone."""
        with self._store.failures():
            return self._store.meta().finished

    def steps(self, start: int = 1, stop: int | None = None) -> Iterator[StepRow]:
        return self._store.steps(start, stop)

    def state(self, step: int) -> GameState | None:
        """The game state after `step`."""
        row = self._store.step(step)
        return GameState.from_json(row.state) if row else None

    def milestones(self) -> list[MilestoneRow]:
        return self._store.milestones()

    def model_calls(self) -> list[ModelCallRow]:
        return list(self._store.calls())

    def reply(self, call: ModelCallRow) -> Reply:
        """The typed reply of `call`; `RunError` when its stored JSON is damaged."""
        try:
            return Reply.from_json(json.loads(call.reply))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise health.damaged(self.path, f"model call {call.id} holds no readable reply ({exc!r})") from None

    def memory_events(self) -> list[MemoryEvent]:
        return self._store.memory_events()

    def branches(self) -> list[BranchRow]:
        """Every branch of every best-of-N fork, by fork step and branch number (empty without branching)."""
        return self._store.branches()

    def branch_steps(self, branch_id: int) -> list[StepRow]:
        """The steps an unchosen branch played (the chosen branch's steps are the run's own)."""
        return self._store.branch_steps(branch_id)

    def branch_calls(self, branch_id: int) -> list[ModelCallRow]:
        return self._store.branch_calls(branch_id)

    def totals(self) -> Totals:
        return self._store.totals()

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._store.__exit__(exc_type, exc, tb)  # closes it; a SQLite error in the block becomes one clear line


def open_run(path: str | Path) -> Run:
    """Open the run at `path` for reading; `RunError` if there is none."""
    return Run(path)
