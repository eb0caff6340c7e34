"""`Notes`: the key -> text store a model edits with the `note` and `forget` tools.

Notes are part of the run: every change is a memory event in the store (`note_set` / `note_delete`), and
`Notes.replay` rebuilds them exactly from those events on resume. A key means the same to every edit (the model's
`note` and `forget`, the operator's `animus note`): `normalize_key` is applied by `set` and `forget`, and events
store the normalized key.
"""

from __future__ import annotations

from collections.abc import Iterable

from animus.errors import BadToolCall
from animus.memory.events import MemoryEvent, MemoryKind

MAX_KEY_CHARS = 64


def normalize_key(key: str) -> str:
    """A note's key as notes keep it: without surrounding whitespace."""
    return key.strip()


class Notes:
    """Ordered notes with a cap on their total size (keys + texts, in characters)."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._notes: dict[str, str] = {}

    def set(self, key: str, text: str) -> None:
        """Add or replace a note under `normalize_key(key)`. Raises `BadToolCall` for a bad key or when the notes
        would exceed the cap."""
        key = normalize_key(key)
        if not key or len(key) > MAX_KEY_CHARS:
            raise BadToolCall(f"note key must be 1-{MAX_KEY_CHARS} characters, got {len(key)}.")
        size = self.size - len(self._notes.get(key, "")) - (len(key) if key in self._notes else 0)
        if size + len(key) + len(text) > self.max_chars:
            raise BadToolCall(
                f"notes are full: this note needs {len(key) + len(text)} characters but only "
                f"{self.max_chars - size} of {self.max_chars} are free. Shorten it, or forget notes you no longer "
                "need."
            )
        self._notes[key] = text

    def forget(self, key: str) -> None:
        """Delete the note `normalize_key(key)`. Raises `BadToolCall` if there is no such note."""
        key = normalize_key(key)
        if key not in self._notes:
            known = ", ".join(self._notes) or "none"
            raise BadToolCall(f"there is no note {key!r} to forget (notes: {known}).")
        del self._notes[key]

    @property
    def size(self) -> int:
        return sum(len(k) + len(v) for k, v in self._notes.items())

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._notes.items())

    def replay(self, events: Iterable[MemoryEvent]) -> None:
        """Apply stored memory events in order (their keys as stored); other kinds are ignored."""
        for e in events:
            if e.kind is MemoryKind.NOTE_SET and e.key is not None:
                self._notes[e.key] = e.content
            elif e.kind is MemoryKind.NOTE_DELETE and e.key is not None:
                self._notes.pop(e.key, None)
