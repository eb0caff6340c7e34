"""The health of a run store: what a failed read or write means for the user, the integrity check, and a warning
before the disk holding a run fills up.

- `failure` turns a SQLite or file-system error met while reading or writing a run into the one-line error the CLI
  prints: a full disk or a file size limit (`StoreWriteError`, exit 1: free space, then resume), a run that cannot
  be written (read-only; `RunError`, exit 2), a store another process holds, or a damaged store (`RunError`).
- `check` is the whole-store integrity check: SQLite's `quick_check` (every page and b-tree), and with `deep` what
  SQLite cannot see: every keyframe must decompress to a save state of the run's ROM at its recorded frame, and
  every model call's JSON must parse. It reads the whole file, so only the commands that read a whole run or are
  about to write one run it (`verify`, and `resume` through `RunStore.open(write=True)`); the other readers refuse
  what SQLite detects in the pages they read.
- `SpaceWatch` warns once (through `animus.notify`) when the disk holding a run has less than `record.warn_free_mb`
  free.
"""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from animus import notify
from animus.errors import AnimusError, RunError, StateError, StoreWriteError

if TYPE_CHECKING:
    from animus.runs.reader import RunReader

FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
SPACE_EVERY = 100  # steps between two looks at the free space (a statvfs call)


def failure(run_dir: Path, exc: sqlite3.Error | OSError) -> AnimusError:
    """The error to report for `exc`, met while reading or writing the store of the run at `run_dir`."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    code = exc.errno if isinstance(exc, OSError) else None
    detail = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or code in FULL_ERRNOS:
        return StoreWriteError(
            f"cannot write run {run_dir}: {detail} (the disk is full, a file size limit was reached, or the disk "
            f"failed): free some space, then `animus resume {run_dir}`."
        )
    if code in DENIED_ERRNOS:
        return RunError(f"cannot write run {run_dir}: {detail}: make its directory writable, then try again.")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return RunError(
            f"cannot use run {run_dir}: {detail} (its directory or files are read-only, and SQLite writes beside "
            "run.db even to read it): make them writable, then try again."
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return RunError(f"run {run_dir} is busy: another process holds its database ({detail}); try again later.")
    return damaged(run_dir, detail)


def damaged(run_dir: Path, detail: str) -> RunError:
    """The refusal of a damaged store. `detail` is cut to one short line: SQLite's messages can quote what they
    found, e.g. a whole damaged text value with its newlines."""
    detail = " ".join(detail.split())
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return RunError(
        f"run {run_dir} is damaged ({detail}): restore its run.db from a copy, or move the run away. Animus does "
        "not repair run stores."
    )


def check(store: RunReader, deep: bool = False) -> None:
    """Raise `RunError` if the store is damaged (see the module docstring for what `deep` adds)."""
    problems = store.quick_check()
    if problems:
        raise damaged(store.run_dir, "; ".join(problems).replace("\n", "; ")[:300])
    if not deep:
        return
    from animus.emulator.savestate import SaveState

    rom = store.meta().rom_sha256
    for step, _ in store.keyframe_steps():
        keyframe = store.keyframe_at_or_before(step)
        try:
            state = SaveState.unpack(zlib.decompress(keyframe.state))
        except (zlib.error, StateError) as exc:
            raise damaged(store.run_dir, f"the keyframe of step {step} is not a save state: {exc}") from None
        if state.rom_sha256 != rom or state.frame_count != keyframe.frame:
            where = f"the keyframe of step {step}"
            raise damaged(store.run_dir, f"{where} is not this run's state at frame {keyframe.frame}")
    for call in store.calls():
        try:
            json.loads(call.reply)
            json.loads(call.request_delta)
        except ValueError as exc:
            raise damaged(store.run_dir, f"model call {call.id} of step {call.step} is not JSON: {exc}") from None
    for event in store.memory_events():  # text columns: bytes that are not UTF-8 fail here
        if event.kind == "summary" and not (event.key or "0").isdigit():  # resume reads it as the steps covered
            raise damaged(store.run_dir, f"memory event {event.id} is a summary whose key {event.key!r} is no step")


class SpaceWatch:
    """Warns once (`animus.notify.warn`) when the disk holding `run_dir` has less than `min_free_mb` MB free; 0
    never warns.

    `check()` costs one statvfs call; the store calls it every `SPACE_EVERY` steps and after each best-of-N fork,
    and the runner once at start.
    """

    def __init__(self, run_dir: Path, min_free_mb: int) -> None:
        self.run_dir, self.min_free = run_dir, min_free_mb * 1024 * 1024
        self.warned = min_free_mb <= 0

    def check(self) -> None:
        if self.warned:
            return
        try:
            free = shutil.disk_usage(self.run_dir).free
        except OSError:  # the check is advisory: a file system that cannot say leaves it to the write errors
            return
        if free < self.min_free:
            self.warned = True
            notify.warn(
                f"only {free / 2**20:.0f} MB free on the disk of {self.run_dir} "
                f"(record.warn_free_mb = {self.min_free // 2**20}): free some space, or the run stops when the disk "
                "is full (it resumes once there is space again).",
                __name__,
            )
