"""`RunStore`: a run directory's SQLite database, `<run>/run.db`, in WAL mode.

Contracts:
- A writer holds the run's lock (`lock.py`) for as long as the store is open for writing.
- `record_call` commits a model call on its own, before its tools run; `record_step` commits everything a step
  produced in ONE transaction. A crash, kill -9 or Ctrl-C therefore never loses a committed step, and never leaves
  half a step.
- Readers (charts, replay, `animus runs`) open it with `RunReader` (reader.py), also while a writer is running;
  `RunStore` is a `RunReader` that also writes. Opening it to write migrates an older schema forward.
- Inserts name their columns: a row dataclass maps to SQL by field name (`rows.py`), so the order of its fields does
  not matter and a field added with a default needs only its migration.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from animus import faults
from animus.errors import RunError
from animus.memory.events import MemoryEvent
from animus.runs import health, meta, texts
from animus.runs.lock import RunLock
from animus.runs.reader import DB_NAME, RunReader
from animus.runs.rows import (
    KeyframeRow,
    MilestoneRow,
    ModelCallRow,
    PlayedBranch,
    StepRow,
    row_dict,
)
from animus.runs.schema import MIGRATIONS

__all__ = ["DB_NAME", "RunStore"]

PAGE_SIZE = 16384  # bytes per database page of a new store


class RunStore(RunReader):
    """A run database open to write (or, from `RunStore.open` without `write`, only to read). Create one with
    `RunStore.create` or `RunStore.open`; the read queries are `RunReader`'s."""

    def __init__(self, run_dir: Path, conn: sqlite3.Connection, lock: RunLock | None) -> None:
        super().__init__(run_dir, conn)
        self._lock = lock
        self.space: health.SpaceWatch | None = None  # set by the runner: warns when the disk is nearly full

    # -- opening -----------------------------------------------------------------------------------------------

    @classmethod
    def create(cls, run_dir: Path) -> RunStore:
        """Make a new run directory and its database, locked for writing. Refuses an existing directory."""
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise RunError(
                f"run directory {run_dir} already exists: continue it with `animus resume {run_dir}`, or pick "
                "another --name."
            ) from None
        except OSError as exc:  # a read-only runs dir, a full disk
            raise health.failure(run_dir, exc) from None
        return cls._open(run_dir, write=True, new=True)

    @classmethod
    def open(cls, run_dir: Path, *, write: bool = False) -> RunStore:
        """Open an existing run. `write=True` takes the lock (raising `RunError` if a live process holds it) and
        migrates an older schema forward. Without it no lock is taken and nothing is migrated: the only writes
        made through such a store are an operator's appends (`add_next_step_event`, next to a running writer).
        Readers use `RunReader.open`.

        A file that is not an Animus run store (corrupt, not SQLite, another program's database, or a newer
        schema) is refused with `RunError` before anything is written to it.
        """
        if not (run_dir / DB_NAME).is_file():
            raise RunError(f"no run at {run_dir}: it has no {DB_NAME}. List runs with `animus runs`.")
        return cls._open(run_dir, write=write, new=False)

    @classmethod
    def _open(cls, run_dir: Path, *, write: bool, new: bool) -> RunStore:
        conn = sqlite3.connect(run_dir / DB_NAME, isolation_level=None, timeout=30)
        if new:
            # Before anything is written: a step's model call is a few KB, and two of them do not fit a 4 KB page,
            # so the default page size left nearly half of every model_calls page empty.
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        store = cls(run_dir, conn, None)
        with store.opening():
            version = store._check_version(new)  # before the lock: a bad store gets nothing written to it
            if write and not new:
                health.check(store, deep=True)  # nothing is written onto a damaged store
            if write:
                store._lock = RunLock(run_dir)
                store._lock.acquire()
                # WAL: readers (charts, the viewer) never block the writer. NORMAL: a commit survives a killed
                # process; only power loss can take the last ones.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                store._migrate(version)
        return store

    def close(self) -> None:
        """Close the database and release the lock. Calling it again does nothing."""
        super().close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def _migrate(self, version: int) -> None:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # One transaction per migration: its DDL and the new user_version land together or not at all.
            try:
                self._conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        self._learn_schema()
        self.schema_version = len(MIGRATIONS)

    # -- meta --------------------------------------------------------------------------------------------------

    def set_meta(self, **values: Any) -> None:
        """Write `RunMeta` keys (see meta.py) in one transaction; a key that is not one is a `KeyError`."""
        self._write_meta(meta.encode(values))

    def write_meta(self, run: meta.RunMeta) -> None:
        """Write a new run's whole `RunMeta` in one transaction."""
        self._write_meta(meta.initial(run))

    def _write_meta(self, rows: list[tuple[str, str]]) -> None:
        with self._transaction():
            self._conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                rows,
            )

    # -- writing -----------------------------------------------------------------------------------------------

    def record_call(self, call: ModelCallRow, blobs: Sequence[tuple[str, str, bytes]] = ()) -> int:
        """Commit one model call (and the images it was sent, as (sha256, mime, data)) at once. Returns its id."""
        with self._transaction():
            if blobs:
                self._put_blobs(blobs)
            cur = self._insert("model_calls", row_dict(call, skip="id"))
            faults.point("call")
            if call.purpose == "summarize":
                faults.point("summary")
        return int(cur.lastrowid or 0)

    def record_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow] = (),
        events: Sequence[MemoryEvent] = (),
        keyframe: KeyframeRow | None = None,
    ) -> None:
        """Commit one step and everything it produced, in one transaction."""
        with self._transaction():
            self._insert_step(step, milestones, events, keyframe)
            faults.point("step")
            if keyframe is not None:
                faults.point("keyframe")
        if self.space is not None and step.step % health.SPACE_EVERY == 0:
            self.space.check()

    def _insert_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow],
        events: Sequence[MemoryEvent],
        keyframe: KeyframeRow | None,
    ) -> None:
        self._insert("steps", self._step_values(step))
        if milestones:  # most steps have none: skipping the empty statements is measurable per step
            self._insert_many("milestones", [row_dict(m) for m in milestones])
        if events:
            self._insert_many("memory_events", [row_dict(e, skip="id") for e in events])
        if keyframe is not None:
            self._put_keyframe(keyframe)

    def commit_branches(self, chosen: PlayedBranch, others: Sequence[PlayedBranch]) -> None:
        """Commit one fork in one transaction: the chosen branch's calls and steps become the run's own, and every
        branch gets a `branches` row; the others keep their steps and calls in `branch_steps` / `branch_calls`."""
        with self._transaction():
            self._put_blobs([b for played in (chosen, *others) for b in played.blobs])
            for call in chosen.calls:
                self._insert("model_calls", row_dict(call, skip="id"))
            for recorded in chosen.steps:
                self._insert_step(recorded.step, recorded.milestones, recorded.events, recorded.keyframe)
            for played in (chosen, *others):
                cur = self._insert("branches", row_dict(played.row, skip="id"))
                if played is chosen:
                    continue
                branch_id = cur.lastrowid
                steps = [{"branch_id": branch_id, **self._step_values(r.step)} for r in played.steps]
                self._insert_many("branch_steps", steps)
                self._insert_many("branch_calls", [{"branch_id": branch_id, **row_dict(c)} for c in played.calls])
        if self.space is not None:  # a fork commits many steps at once: look at the free space after each
            self.space.check()

    def drop_keyframes(self, steps: Sequence[int]) -> None:
        """Delete the keyframes of `steps` (never step 0, the start state) in one transaction, then give the space
        back to the file system (VACUUM, and a WAL checkpoint)."""
        with self._transaction():
            self._conn.executemany("DELETE FROM keyframes WHERE step = ? AND step > 0", [(s,) for s in steps])
        self._conn.execute("VACUUM")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def put_keyframe(self, keyframe: KeyframeRow) -> None:
        """Store a keyframe on its own (the start state, at step 0)."""
        with self._transaction():
            self._put_keyframe(keyframe)

    def add_next_step_event(self, event: MemoryEvent) -> int:
        """Append one memory event (an operator's note, say) for the step after the last committed one: `event`'s
        own step and creation time are replaced.

        The step is read and the event written in one transaction, so a running writer cannot commit a step in
        between. Returns that step: the loop applies the event when it begins that step or the one after.
        """
        with self._transaction():
            step = self.last_step() + 1
            self._insert("memory_events", row_dict(replace(event, step=step, created_at=time.time()), skip="id"))
        return step

    def _put_keyframe(self, keyframe: KeyframeRow) -> None:
        self._insert("keyframes", row_dict(keyframe), verb="INSERT OR REPLACE")

    def _put_blobs(self, blobs: Sequence[tuple[str, str, bytes]]) -> None:
        self._conn.executemany("INSERT OR IGNORE INTO blobs (sha256, mime, data) VALUES (?, ?, ?)", blobs)

    # -- internals ---------------------------------------------------------------------------------------------

    def _insert(self, table: str, values: Mapping[str, Any], verb: str = "INSERT") -> sqlite3.Cursor:
        return self._conn.execute(_insert_sql(verb, table, tuple(values)), tuple(values.values()))

    def _insert_many(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._conn.executemany(_insert_sql("INSERT", table, tuple(rows[0])), [tuple(r.values()) for r in rows])

    def _step_values(self, step: StepRow) -> dict[str, Any]:
        """A step's column values, its state's text moved to `texts` (inside the step's transaction)."""
        parts = texts.split(step.state)
        if parts is None:
            return row_dict(step)
        stripped, sha, text = parts
        self._texts.put(sha, text)
        return row_dict(replace(step, state=stripped, text_sha=sha))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self._texts)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection, known: texts.Texts) -> None:
        self._conn, self._texts = conn, known

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        committed = False
        try:
            if exc_type is None:
                self._conn.execute("COMMIT")
                committed = True
        finally:
            # A failed COMMIT (a full disk) can leave the transaction open, and an I/O error has already rolled it
            # back: roll back only what is still open, so the error that matters is the one raised.
            if not committed and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._texts.ended(committed=committed)


@cache
def _insert_sql(verb: str, table: str, columns: tuple[str, ...]) -> str:
    """`INSERT INTO table (columns) VALUES (?, ...)`, made once per shape (the loop inserts a step per step)."""
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
