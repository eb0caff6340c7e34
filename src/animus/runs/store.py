"""`RunStore`: a run directory's SQLite database, `<run>/run.db`, in WAL mode.

Contracts:
- A writer holds the run's lock (`lock.py`) for as long as the store is open for writing.
- `record_call` commits a model call on its own, before its tools run; `record_step` commits everything a step
  produced in ONE transaction. A crash, kill -9 or Ctrl-C therefore never loses a committed step, and never leaves
  half a step.
- Readers (charts, replay, `animus runs`) may open the database while a writer is running.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from animus import faults
from animus.errors import RunError
from animus.runs import health, texts
from animus.runs.lock import RunLock
from animus.runs.rows import (
    BranchRow,
    KeyframeRow,
    MemoryEventRow,
    MilestoneRow,
    ModelCallRow,
    PlayedBranch,
    StepRow,
    row_values,
)
from animus.runs.schema import MIGRATIONS, SCHEMA_VERSION
from animus.runs.store_reads import StoreReads

DB_NAME = "run.db"
PAGE_SIZE = 16384  # bytes per database page of a new store
_STATE = [f.name for f in fields(StepRow)].index("state")
_TEXT_SHA = [f.name for f in fields(StepRow)].index("text_sha")


class RunStore(StoreReads):
    """An open run database. Create one with `RunStore.create` or `RunStore.open`. Its read queries are in
    `StoreReads` (store_reads.py)."""

    def __init__(self, run_dir: Path, conn: sqlite3.Connection, lock: RunLock | None) -> None:
        self.run_dir = run_dir
        self._conn = conn
        self._lock = lock
        self._data_version = -1
        self._branched = True  # the store has the branch tables (schema 4); an older one opened to read has not
        self._texts = texts.Texts(conn)
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
        """Open an existing run. `write=True` takes the lock (raising `RunError` if a live process holds it).

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
        try:
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
                store._branched = True
        except (sqlite3.Error, OSError) as exc:  # a read-only directory or file, a full disk, a damaged page
            store.close()
            raise health.failure(run_dir, exc) from None
        except UnicodeDecodeError as exc:
            store.close()
            raise _not_text(run_dir, exc) from None
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the database and release the lock. Calling it again does nothing."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # one clear line for what went wrong in the block, naming the run
            raise health.failure(self.run_dir, exc) from None
        if isinstance(exc, UnicodeDecodeError):
            raise _not_text(self.run_dir, exc) from None

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Within it, a SQLite error closes the store and is raised as the one-line error `health.failure` makes."""
        try:
            yield
        except sqlite3.Error as exc:
            self.close()
            raise health.failure(self.run_dir, exc) from None
        except UnicodeDecodeError as exc:
            self.close()
            raise _not_text(self.run_dir, exc) from None

    def quick_check(self) -> list[str]:
        """SQLite's `PRAGMA quick_check` of every page and b-tree (it reads the whole file): the problems found,
        none for a sound store."""
        try:
            rows = [str(r[0]) for r in self._conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [] if rows == ["ok"] else rows

    def _migrate(self, version: int) -> None:
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # One transaction per migration: its DDL and the new user_version land together or not at all.
            try:
                self._conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _check_version(self, new: bool) -> int:
        try:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:  # not SQLite, a damaged header or schema, or a directory it cannot use
            raise health.failure(self.run_dir, exc) from None
        if version > SCHEMA_VERSION:
            raise RunError(
                f"run {self.run_dir} has store schema {version}, newer than this Animus knows ({SCHEMA_VERSION}): "
                "upgrade Animus to read it."
            )
        if not new and version == 0 and not tables:  # a run whose creation was cut short (killed, a full disk)
            raise RunError(
                f"run {self.run_dir} was cut short while it was being created (its {DB_NAME} is empty; nothing was "
                "played): delete it and start the run again."
            )
        if not new and (version == 0 or not {"meta", "steps"} <= tables):
            raise RunError(f"{self.run_dir / DB_NAME} is not an Animus run store: it has no run schema.")
        self._branched = new or "branches" in tables
        return version

    # -- meta --------------------------------------------------------------------------------------------------

    def set_meta(self, **values: Any) -> None:
        """Write meta keys (JSON values) in one transaction."""
        with self._transaction():
            self._conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def meta(self) -> dict[str, Any]:
        """All meta keys with their decoded JSON values; `RunError` when a value is not JSON (a damaged store)."""
        rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        try:
            return {k: json.loads(v) for k, v in rows}
        except (ValueError, TypeError) as exc:  # not JSON, or not even text
            raise health.damaged(self.run_dir, f"a meta value is not JSON: {exc}") from None

    # -- writing -----------------------------------------------------------------------------------------------

    def record_call(self, call: ModelCallRow, blobs: Sequence[tuple[str, str, bytes]] = ()) -> int:
        """Commit one model call (and the images it was sent, as (sha256, mime, data)) at once. Returns its id."""
        with self._transaction():
            if blobs:
                self._put_blobs(blobs)
            cur = self._conn.execute(
                f"INSERT INTO model_calls VALUES (NULL, {_marks(ModelCallRow, skip=1)})", row_values(call)[1:]
            )
            faults.point("call")
            if call.purpose == "summarize":
                faults.point("summary")
        return int(cur.lastrowid or 0)

    def record_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow] = (),
        events: Sequence[MemoryEventRow] = (),
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
        events: Sequence[MemoryEventRow],
        keyframe: KeyframeRow | None,
    ) -> None:
        self._conn.execute(f"INSERT INTO steps VALUES ({_marks(StepRow)})", self._step_values(step))
        if milestones:  # most steps have none: skipping the empty statements is measurable per step
            self._conn.executemany(
                f"INSERT INTO milestones VALUES ({_marks(MilestoneRow)})", [row_values(m) for m in milestones]
            )
        if events:
            self._conn.executemany(
                f"INSERT INTO memory_events VALUES (NULL, {_marks(MemoryEventRow, skip=1)})",
                [row_values(e)[1:] for e in events],
            )
        if keyframe is not None:
            self._put_keyframe(keyframe)

    def commit_branches(self, chosen: PlayedBranch, others: Sequence[PlayedBranch]) -> None:
        """Commit one fork in one transaction: the chosen branch's calls and steps become the run's own, and every
        branch gets a `branches` row; the others keep their steps and calls in `branch_steps` / `branch_calls`."""
        with self._transaction():
            self._put_blobs([b for played in (chosen, *others) for b in played.blobs])
            for call in chosen.calls:
                self._conn.execute(
                    f"INSERT INTO model_calls VALUES (NULL, {_marks(ModelCallRow, skip=1)})", row_values(call)[1:]
                )
            for recorded in chosen.steps:
                self._insert_step(recorded.step, recorded.milestones, recorded.events, recorded.keyframe)
            for played in (chosen, *others):
                cur = self._conn.execute(
                    f"INSERT INTO branches VALUES (NULL, {_marks(BranchRow, skip=1)})", row_values(played.row)[1:]
                )
                if played is chosen:
                    continue
                branch_id = cur.lastrowid
                self._conn.executemany(
                    f"INSERT INTO branch_steps VALUES (?, {_marks(StepRow)})",
                    [(branch_id, *self._step_values(r.step)) for r in played.steps],
                )
                self._conn.executemany(
                    f"INSERT INTO branch_calls VALUES (?, {_marks(ModelCallRow)})",
                    [(branch_id, *row_values(c)) for c in played.calls],
                )
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

    def add_next_step_event(self, kind: str, key: str | None, content: str, source: str) -> int:
        """Append one memory event (an operator's note, say) for the step after the last committed one.

        The step is read and the event written in one transaction, so a running writer cannot commit a step in
        between. Returns that step: the loop applies the event when it begins that step or the one after.
        """
        with self._transaction():
            step = self.last_step() + 1
            self._conn.execute(
                "INSERT INTO memory_events VALUES (NULL, ?, ?, ?, ?, ?, ?)",
                (step, kind, key, content, source, time.time()),
            )
        return step

    def _put_keyframe(self, keyframe: KeyframeRow) -> None:
        self._conn.execute("INSERT OR REPLACE INTO keyframes VALUES (?, ?, ?)", row_values(keyframe))

    def _put_blobs(self, blobs: Sequence[tuple[str, str, bytes]]) -> None:
        self._conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?)", blobs)

    # -- internals ---------------------------------------------------------------------------------------------

    def _step_values(self, step: StepRow) -> tuple[Any, ...]:
        """A step's column values, its state's text moved to `texts` (inside the step's transaction)."""
        values = row_values(step)
        parts = texts.split(step.state)
        if parts is None:
            return values
        stripped, sha, text = parts
        self._texts.put(sha, text)
        return (*values[:_STATE], stripped, *values[_STATE + 1 : _TEXT_SHA], sha)

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


def _not_text(run_dir: Path, exc: UnicodeDecodeError) -> RunError:
    """A damaged page can hold bytes that are not UTF-8 where text belongs: in a TEXT value, or in a table name that
    SQLite then quotes in its error message. Python's sqlite3 fails to decode either with a UnicodeDecodeError."""
    return health.damaged(run_dir, f"it holds text that is not UTF-8 ({exc.reason})")


def _marks(cls: type, skip: int = 0) -> str:
    """SQL placeholders for a row dataclass's columns, less the first `skip` (e.g. an autoincrement id)."""
    return ", ".join("?" * (len(fields(cls)) - skip))
