"""`StoreReads`: the read queries of a run store (`RunStore` is the one class that has them).

Every read returns frozen rows (`rows.py`). Steps come back whole: a state whose text was stored once in `texts`
gets it back (`texts.py`). A row that does not have its table's columns is a damaged store (`health.damaged`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TypeVar

from animus.errors import RunError
from animus.runs import health, texts
from animus.runs.rows import BranchRow, KeyframeRow, MemoryEventRow, MilestoneRow, ModelCallRow, StepRow, Totals

R = TypeVar("R")


class StoreReads:
    """The reading half of `RunStore`; it uses the store's connection and what it knows of the schema."""

    run_dir: Path
    _conn: sqlite3.Connection
    _data_version: int
    _branched: bool
    _texts: texts.Texts

    def last_step(self) -> int:
        """The last committed step, 0 if none."""
        return int(self._conn.execute("SELECT COALESCE(MAX(step), 0) FROM steps").fetchone()[0])

    def steps(self, start: int = 1, stop: int | None = None) -> Iterator[StepRow]:
        """Steps `start`..`stop` (inclusive), in order, each with its whole state."""
        sql = "SELECT * FROM steps WHERE step >= ? AND step <= ? ORDER BY step"
        for row in self._rows(StepRow, sql, (start, 2**62 if stop is None else stop)):
            yield self._whole(row)

    def step(self, number: int) -> StepRow | None:
        return next(self.steps(number, number), None)

    def calls(self, purpose: str | None = None, start: int = 0) -> Iterator[ModelCallRow]:
        """Model calls in order, optionally of one purpose, from step `start` on."""
        if purpose is None:
            return self._rows(ModelCallRow, "SELECT * FROM model_calls WHERE step >= ? ORDER BY id", (start,))
        return self._rows(
            ModelCallRow,
            "SELECT * FROM model_calls WHERE purpose = ? AND step >= ? ORDER BY id",
            (purpose, start),
        )

    def pending_call(self, step: int, purpose: str = "act") -> ModelCallRow | None:
        """The latest call of `purpose` stored for `step` (a reply whose step was never committed, on resume)."""
        rows = list(
            self._rows(
                ModelCallRow,
                "SELECT * FROM model_calls WHERE step = ? AND purpose = ? ORDER BY id DESC LIMIT 1",
                (step, purpose),
            )
        )
        return rows[0] if rows else None

    def milestones(self) -> list[MilestoneRow]:
        return list(self._rows(MilestoneRow, "SELECT * FROM milestones ORDER BY step, ordinal", ()))

    def changed_elsewhere(self) -> bool:
        """True if another connection (an operator, say) committed since the last call. Cheap: no table read."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    def memory_events(self, after_id: int = 0) -> list[MemoryEventRow]:
        return list(self._rows(MemoryEventRow, "SELECT * FROM memory_events WHERE id > ? ORDER BY id", (after_id,)))

    def keyframe_steps(self) -> list[tuple[int, int]]:
        """(step, compressed size) of every keyframe, in step order."""
        rows = self._conn.execute("SELECT step, LENGTH(state) FROM keyframes ORDER BY step")
        return [(int(step), int(size)) for step, size in rows]

    def keyframe_at_or_before(self, step: int) -> KeyframeRow:
        rows = list(
            self._rows(KeyframeRow, "SELECT * FROM keyframes WHERE step <= ? ORDER BY step DESC LIMIT 1", (step,))
        )
        if not rows:
            raise RunError(f"run {self.run_dir} has no keyframe at or before step {step}: the run is damaged.")
        return rows[0]

    def blob(self, sha256: str) -> bytes | None:
        row = self._conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def totals(self) -> Totals:
        """Sums over the whole run so far: steps, actions, wall seconds, and the tokens and cost of every call,
        the calls of branches that were not chosen included."""
        steps, actions, wall = self._conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(actions), 0), COALESCE(SUM(wall_seconds), 0) FROM steps"
        ).fetchone()
        columns = "input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost"
        calls = f"SELECT {columns} FROM model_calls"
        if self._branched:
            calls += f" UNION ALL SELECT {columns} FROM branch_calls"
        tokens, cost, unpriced = self._conn.execute(
            "SELECT COALESCE(SUM(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens), 0),"
            f" COALESCE(SUM(cost), 0), COALESCE(SUM(cost IS NULL), 0) FROM ({calls})"
        ).fetchone()
        branch_actions = 0
        if self._branched:
            sql = "SELECT COALESCE(SUM(actions), 0) FROM branches WHERE NOT chosen"
            (branch_actions,) = self._conn.execute(sql).fetchone()
        return Totals(steps, actions, tokens, cost, wall, unpriced, branch_actions)

    def branches(self) -> list[BranchRow]:
        """Every branch of every fork, by fork and branch number (empty for a run without branching)."""
        if not self._branched:
            return []
        rows = self._rows(BranchRow, "SELECT * FROM branches ORDER BY fork_step, branch", ())
        return [replace(row, chosen=bool(row.chosen)) for row in rows]

    def fork_of(self, step: int) -> list[BranchRow]:
        """The branches of the fork that played `step` of the run (empty if no fork did)."""
        if not self._branched:
            return []
        (fork_step,) = self._conn.execute("SELECT MAX(fork_step) FROM branches WHERE fork_step < ?", (step,)).fetchone()
        if fork_step is None:
            return []
        rows = self._rows(BranchRow, "SELECT * FROM branches WHERE fork_step = ? ORDER BY branch", (fork_step,))
        fork = [replace(row, chosen=bool(row.chosen)) for row in rows]
        return fork if any(b.chosen and b.fork_step + b.steps >= step for b in fork) else []

    def branch_steps(self, branch_id: int) -> list[StepRow]:
        """The steps an unchosen branch played (none for the chosen one: those are the run's steps)."""
        sql = "SELECT * FROM branch_steps WHERE branch_id = ? ORDER BY step"
        return [self._whole(StepRow(*values[1:])) for values in self._conn.execute(sql, (branch_id,))]

    def branch_calls(self, branch_id: int) -> list[ModelCallRow]:
        """The model calls of an unchosen branch, in order."""
        sql = "SELECT * FROM branch_calls WHERE branch_id = ? ORDER BY id"
        return [ModelCallRow(*values[1:]) for values in self._conn.execute(sql, (branch_id,))]

    # -- internals ---------------------------------------------------------------------------------------------

    def _rows(self, cls: type[R], sql: str, args: tuple[Any, ...]) -> Iterator[R]:
        width = len(fields(cls))  # type: ignore[arg-type]
        for values in self._conn.execute(sql, args):
            if len(values) != width:  # a damaged schema: the table no longer has its columns
                raise health.damaged(self.run_dir, f"a {cls.__name__} row has {len(values)} columns, not {width}")
            yield cls(*values)

    def _whole(self, row: StepRow) -> StepRow:
        """A step row as read, with its state's text put back."""
        if row.text_sha is None:
            return row
        return replace(row, state=texts.join(row.state, self._texts.get(row.text_sha)), text_sha=None)
