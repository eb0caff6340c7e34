"""Edits an operator makes to a run from outside: notes, appended as memory events with source `operator`.

They need no lock: SQLite serializes the write with the running writer's, and the loop reads new events at the
start of every step. A run that no process is writing is first migrated to the current schema (briefly under its
lock), like every command that writes; a running run's writer has already done that.
"""

from __future__ import annotations

from pathlib import Path

from animus.errors import BadToolCall, RunError
from animus.memory.events import EventSource, MemoryEvent
from animus.memory.notes import MAX_KEY_CHARS, normalize_key
from animus.runs.lock import is_locked
from animus.runs.reader import RunReader
from animus.runs.rebuild import notes as rebuild_notes
from animus.runs.schema import SCHEMA_VERSION
from animus.runs.store import RunStore


def edit_note(run_dir: Path, key: str, text: str | None) -> int:
    """Set the note `key` to `text`, or delete it when `text` is None (`key` means what it means to the model's
    `note` and `forget`: `normalize_key`). Returns the step it takes effect at."""
    key = normalize_key(key)
    if not key or len(key) > MAX_KEY_CHARS:
        raise RunError(f"a note key is 1-{MAX_KEY_CHARS} characters, got {len(key)}.")
    if not is_locked(run_dir) and _older(run_dir):
        RunStore.open(run_dir, write=True).close()  # migrates it, after checking it is sound
    with RunStore.open(run_dir) as store:
        config = store.meta().run_config()
        notes = rebuild_notes(store, config)
        try:
            if text is None:
                notes.forget(key)
            else:
                notes.set(key, text)
        except BadToolCall as exc:
            raise RunError(f"cannot change the notes of {run_dir}: {exc}") from None
        # The store sets the step: the one after the last committed when it writes the event.
        operator = EventSource.OPERATOR
        event = MemoryEvent.forget(0, key, operator) if text is None else MemoryEvent.note(0, key, text, operator)
        return store.add_next_step_event(event)


def _older(run_dir: Path) -> bool:
    with RunReader.open(run_dir) as reader:
        return reader.schema_version < SCHEMA_VERSION
