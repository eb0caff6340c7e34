"""`RunReader`: a run's database opened to read. Every reading command goes through it; `RunStore` adds writing.

Contracts:
- It reads every schema this project has written (1 to `SCHEMA_VERSION`) as it is, and writes nothing: no
  migration, no lock, no change to the file's bytes. A newer schema is refused (`RunError`).
- Reads name their columns. A row maps to its dataclass (`rows.py`) by name: a column is read only if the
  dataclass has a field of that name, and a field whose column an older schema lacks gets the field's default,
  documented where the field is. A required column that is missing is a damaged store.
- Steps come back whole: a state whose text was stored once in `texts` gets it back (`texts.py`).
- A SQLite or decoding error inside `with reader:` or `reader.failures()` is raised as one line (`health`).
- It may be opened while a writer plays (WAL): readers never block the writer and never take its lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from animus.errors import RunError
from animus.memory.events import MemoryEvent
from animus.runs import health, meta, texts
from animus.runs.rows import BranchRow, KeyframeRow, MilestoneRow, ModelCallRow, StepRow, Totals
from animus.runs.schema import SCHEMA_VERSION

DB_NAME = "run.db"
R = TypeVar("R")


class RunReader:
    """An open run database. Open one with `RunReader.open`; close it, or use it as a context manager."""

    def __init__(self, run_dir: Path, conn: sqlite3.Connection) -> None:
        self.run_dir = run_dir
        self._conn = conn
        self._data_version = -1
        self.schema_version = 0  # the store's, as opened (`PRAGMA user_version`); a writer migrates it forward
        self._texts = texts.Texts(conn)
        self._columns: dict[str, tuple[str, ...]] = {}  # table -> its columns, as this store has them
        # (row class, table) -> ("SELECT col, ... FROM table", the columns' names in that order)
        self._selects: dict[tuple[type, str], tuple[str, tuple[str, ...]]] = {}

    @classmethod
    def open(cls, run_dir: Path) -> RunReader:
        """Open an existing run to read. A file that is not an Animus run store (corrupt, not SQLite, another
        program's database, or a newer schema) is refused with `RunError`."""
        if not (run_dir / DB_NAME).is_file():
            raise RunError(f"no run at {run_dir}: it has no {DB_NAME}. List runs with `animus runs`.")
        db = run_dir / DB_NAME
        wal = run_dir / f"{DB_NAME}-wal"
        if wal.exists() and wal.stat().st_size > 0:
            # Read-only, so that closing does not fold the WAL into run.db: the last connection to close would,
            # changing the bytes of a run whose writer was killed. (Without a WAL, or with an empty one another
            # reader left, read-only would leave one behind; a plain connection removes it on closing.)
            conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, timeout=30)
        else:
            conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        reader = cls(run_dir, conn)
        with reader.opening():
            reader._check_version(new=False)
        return reader

    @contextmanager
    def opening(self) -> Iterator[None]:
        """Around what opening a store does: any failure closes it, and a SQLite or file error (a directory or
        file it cannot use, a full disk, a damaged page) or text that is not UTF-8 is raised as one line."""
        try:
            yield
        except BaseException as exc:
            self.close()
            line = self._one_line(exc, files=True)
            if line is exc:
                raise
            raise line from None

    def close(self) -> None:
        """Close the database. Calling it again does nothing."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Close; a SQLite or decoding error in the block becomes one clear line naming the run."""
        self.close()
        line = self._one_line(exc) if isinstance(exc, BaseException) else None
        if line is not None and line is not exc:
            raise line from None

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Within it, a SQLite error closes the store and is raised as the one-line error `health.failure` makes."""
        try:
            yield
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            self.close()
            raise self._one_line(exc) from None

    def _one_line(self, exc: BaseException, files: bool = False) -> BaseException:
        """The one-line error for `exc` (SQLite's, a file's when `files`, or undecodable text); else `exc`."""
        if isinstance(exc, sqlite3.Error) or (files and isinstance(exc, OSError)):
            return health.failure(self.run_dir, exc)
        if isinstance(exc, UnicodeDecodeError):
            return _not_text(self.run_dir, exc)
        return exc

    # -- the schema ------------------------------------------------------------------------------------------------

    def _check_version(self, new: bool) -> int:
        """The store's schema version, after refusing a store that is newer, empty or not a run store."""
        try:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            tables = [str(r[0]) for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
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
        if not new and (version == 0 or not {"meta", "steps"} <= set(tables)):
            raise RunError(f"{self.run_dir / DB_NAME} is not an Animus run store: it has no run schema.")
        self._learn_schema(tables)
        self.schema_version = version
        return version

    def _learn_schema(self, tables: list[str] | None = None) -> None:
        """Read which tables and columns this store has (again after a migration)."""
        if tables is None:
            tables = [str(r[0]) for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = "SELECT name FROM pragma_table_info(?)"
        self._columns = {t: tuple(str(r[0]) for r in self._conn.execute(columns, (t,))) for t in tables}
        self._selects.clear()

    def has_table(self, table: str) -> bool:
        return table in self._columns

    def quick_check(self) -> list[str]:
        """SQLite's `PRAGMA quick_check` of every page and b-tree (it reads the whole file): the problems found,
        none for a sound store."""
        try:
            rows = [str(r[0]) for r in self._conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [] if rows == ["ok"] else rows

    # -- reads -----------------------------------------------------------------------------------------------------

    def backup_to(self, target: sqlite3.Connection) -> None:
        """Copy the whole store, as of one moment, into the database `target` (SQLite's online backup)."""
        self._conn.backup(target)

    def meta(self) -> meta.RunMeta:
        """The run's provenance and status (`meta.py`); `RunError` when a value is damaged."""
        return meta.decode(self._conn.execute("SELECT key, value FROM meta"), self.run_dir)

    def last_step(self) -> int:
        """The last committed step, 0 if none."""
        return int(self._conn.execute("SELECT COALESCE(MAX(step), 0) FROM steps").fetchone()[0])

    def steps(self, start: int = 1, stop: int | None = None) -> Iterator[StepRow]:
        """Steps `start`..`stop` (inclusive), in order, each with its whole state."""
        where = "WHERE step >= ? AND step <= ? ORDER BY step"
        for row in self._rows(StepRow, "steps", where, (start, 2**62 if stop is None else stop)):
            yield self._whole(row)

    def step(self, number: int) -> StepRow | None:
        return next(self.steps(number, number), None)

    def calls(self, purpose: str | None = None, start: int = 0) -> Iterator[ModelCallRow]:
        """Model calls in order, optionally of one purpose, from step `start` on."""
        if purpose is None:
            return self._rows(ModelCallRow, "model_calls", "WHERE step >= ? ORDER BY id", (start,))
        where = "WHERE purpose = ? AND step >= ? ORDER BY id"
        return self._rows(ModelCallRow, "model_calls", where, (purpose, start))

    def pending_call(self, step: int, purpose: str = "act") -> ModelCallRow | None:
        """The latest call of `purpose` stored for `step` (a reply whose step was never committed, on resume)."""
        where = "WHERE step = ? AND purpose = ? ORDER BY id DESC LIMIT 1"
        return next(self._rows(ModelCallRow, "model_calls", where, (step, purpose)), None)

    def milestones(self) -> list[MilestoneRow]:
        return list(self._rows(MilestoneRow, "milestones", "ORDER BY step, ordinal", ()))

    def changed_elsewhere(self) -> bool:
        """True if another connection (an operator, say) committed since the last call. Cheap: no table read."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    def memory_events(self, after_id: int = 0) -> list[MemoryEvent]:
        return list(self._rows(MemoryEvent, "memory_events", "WHERE id > ? ORDER BY id", (after_id,)))

    def keyframe_steps(self) -> list[tuple[int, int]]:
        """(step, compressed size) of every keyframe, in step order."""
        rows = self._conn.execute("SELECT step, LENGTH(state) FROM keyframes ORDER BY step")
        return [(int(step), int(size)) for step, size in rows]

    def keyframe_at_or_before(self, step: int) -> KeyframeRow:
        where = "WHERE step <= ? ORDER BY step DESC LIMIT 1"
        row = next(self._rows(KeyframeRow, "keyframes", where, (step,)), None)
        if row is None:
            raise RunError(f"run {self.run_dir} has no keyframe at or before step {step}: the run is damaged.")
        return row

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
        branched = self.has_table("branches")
        if branched:
            calls += f" UNION ALL SELECT {columns} FROM branch_calls"
        tokens, cost, unpriced = self._conn.execute(
            "SELECT COALESCE(SUM(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens), 0),"
            f" COALESCE(SUM(cost), 0), COALESCE(SUM(cost IS NULL), 0) FROM ({calls})"
        ).fetchone()
        branch_actions = 0
        if branched:
            sql = "SELECT COALESCE(SUM(actions), 0) FROM branches WHERE NOT chosen"
            (branch_actions,) = self._conn.execute(sql).fetchone()
        return Totals(steps, actions, tokens, cost, wall, unpriced, branch_actions)

    def branches(self) -> list[BranchRow]:
        """Every branch of every fork, by fork and branch number (empty for a run without branching)."""
        if not self.has_table("branches"):
            return []
        rows = self._rows(BranchRow, "branches", "ORDER BY fork_step, branch", ())
        return [replace(row, chosen=bool(row.chosen)) for row in rows]

    def fork_of(self, step: int) -> list[BranchRow]:
        """The branches of the fork that played `step` of the run (empty if no fork did)."""
        if not self.has_table("branches"):
            return []
        (fork_step,) = self._conn.execute("SELECT MAX(fork_step) FROM branches WHERE fork_step < ?", (step,)).fetchone()
        if fork_step is None:
            return []
        rows = self._rows(BranchRow, "branches", "WHERE fork_step = ? ORDER BY branch", (fork_step,))
        fork = [replace(row, chosen=bool(row.chosen)) for row in rows]
        return fork if any(b.chosen and b.fork_step + b.steps >= step for b in fork) else []

    def branch_steps(self, branch_id: int) -> list[StepRow]:
        """The steps an unchosen branch played (none for the chosen one: those are the run's steps)."""
        if not self.has_table("branch_steps"):
            return []
        rows = self._rows(StepRow, "branch_steps", "WHERE branch_id = ? ORDER BY step", (branch_id,))
        return [self._whole(row) for row in rows]

    def branch_calls(self, branch_id: int) -> list[ModelCallRow]:
        """The model calls of an unchosen branch, in order."""
        if not self.has_table("branch_calls"):
            return []
        return list(self._rows(ModelCallRow, "branch_calls", "WHERE branch_id = ? ORDER BY id", (branch_id,)))

    # -- internals -------------------------------------------------------------------------------------------------

    def _rows(self, cls: type[R], table: str, where: str, args: tuple[Any, ...]) -> Iterator[R]:
        """Rows of `table` as `cls`, mapped by column name (`where` is the SQL after FROM table)."""
        select, names = self._select(cls, table)
        for values in self._conn.execute(f"{select} {where}", args):
            yield cls(**dict(zip(names, values, strict=True)))

    def _select(self, cls: type[Any], table: str) -> tuple[str, tuple[str, ...]]:
        key = (cls, table)
        if key not in self._selects:
            have = self._columns.get(table, ())
            names = []
            for f in fields(cls):
                if f.name in have:
                    names.append(f.name)
                elif f.default is MISSING and f.default_factory is MISSING:
                    raise health.damaged(self.run_dir, f"its table {table} has no column {f.name}")
            self._selects[key] = (f"SELECT {', '.join(names)} FROM {table}", tuple(names))
        return self._selects[key]

    def _whole(self, row: StepRow) -> StepRow:
        """A step row as read, with its state's text put back."""
        if row.text_sha is None:
            return row
        return replace(row, state=texts.join(row.state, self._texts.get(row.text_sha)), text_sha=None)


def _not_text(run_dir: Path, exc: UnicodeDecodeError) -> RunError:
    """A damaged page can hold bytes that are not UTF-8 where text belongs: in a TEXT value, or in a table name that
    SQLite then quotes in its error message. Python's sqlite3 fails to decode either with a UnicodeDecodeError."""
    return health.damaged(run_dir, f"it holds text that is not UTF-8 ({exc.reason})")
