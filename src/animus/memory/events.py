"""`MemoryEvent`: one change to what the agent remembers, typed, as the loop makes it and the store keeps it.

Every layer uses this one type: the tools and the loop make events, the store writes and reads them (the
`memory_events` table, read and written by name like every row), `runs/rebuild.py` replays them on resume, and the
viewer shows them. So this module imports nothing from `animus.agent` or `animus.runs`.

Contracts:
- The field names are the table's column names (id, step, kind, key, content, source, created_at), so the store
  maps a row to a `MemoryEvent` by name, both ways.
- `kind` and `source` are enums of `str` whose values are exactly the strings stored: an event is inserted as
  plain text, and a row read as plain strings is coerced to the enums by `__post_init__`. No migration was needed
  and stores of every schema read unchanged.
- A kind or a source this version does not know (written by a newer Animus) is still read: it becomes a member
  outside the enum's list (`known` is False) whose value is the stored string, so it compares, prints, exports
  and writes back exactly as stored. Code that acts on events ignores the kinds it does not know.
- A summary's covered step is an int (`through`); the `key` column holds it as text, converted here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class _OpenEnum(StrEnum):
    """A `StrEnum` that also stands for values outside its list, keeping them as they are (see the module
    docstring): `Kind("from_a_newer_version")` is an instance whose `value` is that string."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        unknown = str.__new__(cls, value)
        unknown._name_ = value
        unknown._value_ = value
        return unknown

    @property
    def known(self) -> bool:
        """Whether this version of Animus knows the value (it is one of the enum's members)."""
        return type(self)._value2member_map_.get(self._value_) is self


class MemoryKind(_OpenEnum):
    """What an event does. The values are the strings stored in `memory_events.kind`."""

    NOTE_SET = "note_set"  # a note added or replaced (key: the note's key, content: its text)
    NOTE_DELETE = "note_delete"  # a note forgotten (key: the note's key, content: "")
    SUMMARY = "summary"  # the oldest turns folded into the summary (key: the last step covered, content: it)
    SUMMARY_FAILED = "summary_failed"  # the model gave no usable summary twice (key: last step covered, content: why)
    REFLECTION = "reflection"  # the model's answer to the watchdog's second stage (key: the alarm's kind)
    STUCK_WARN = "stuck_warn"  # the watchdog's stages (key: the alarm's kind, content: its message)
    STUCK_REFLECT = "stuck_reflect"
    STUCK_STUCK = "stuck_stuck"

    @classmethod
    def stage(cls, name: str) -> MemoryKind:
        """The kind of the watchdog's stage `name` (`warn`, `reflect`, `stuck`: `watchdog.STAGES`)."""
        kind = cls(f"stuck_{name}")
        if not kind.known:
            raise ValueError(f"no memory event kind for the watchdog stage {name!r}")
        return kind


class EventSource(_OpenEnum):
    """Who made an event. The values are the strings stored in `memory_events.source`."""

    MODEL = "model"  # the model's tools, its summaries and reflections
    OPERATOR = "operator"  # `animus note`
    WATCHDOG = "watchdog"


NOTE_KINDS = (MemoryKind.NOTE_SET, MemoryKind.NOTE_DELETE)
WATCHDOG_KINDS = (MemoryKind.STUCK_WARN, MemoryKind.STUCK_REFLECT, MemoryKind.STUCK_STUCK, MemoryKind.REFLECTION)


@dataclass(frozen=True)
class MemoryEvent:
    """One memory event. `id` is 0 and `created_at` 0.0 until the store sets them (the loop stamps `created_at`
    with its step's commit time)."""

    step: int  # the step it belongs to: it takes effect in that step
    kind: MemoryKind
    key: str | None
    content: str
    source: EventSource
    id: int = 0
    created_at: float = 0.0

    def __post_init__(self) -> None:
        # A row read by name carries plain strings.
        if type(self.kind) is not MemoryKind:
            object.__setattr__(self, "kind", MemoryKind(self.kind))
        if type(self.source) is not EventSource:
            object.__setattr__(self, "source", EventSource(self.source))

    @classmethod
    def note(cls, step: int, key: str, text: str, source: EventSource = EventSource.MODEL) -> MemoryEvent:
        """A note set; `key` as `Notes` keeps it (`notes.normalize_key`)."""
        return cls(step, MemoryKind.NOTE_SET, key, text, source)

    @classmethod
    def forget(cls, step: int, key: str, source: EventSource = EventSource.MODEL) -> MemoryEvent:
        """A note deleted; `key` as `Notes` keeps it (`notes.normalize_key`)."""
        return cls(step, MemoryKind.NOTE_DELETE, key, "", source)

    @classmethod
    def summary(cls, step: int, through: int, text: str) -> MemoryEvent:
        """The summary folded in at `step`, covering the turns of steps up to `through`."""
        return cls(step, MemoryKind.SUMMARY, str(through), text, EventSource.MODEL)

    @classmethod
    def summary_failed(cls, step: int, through: int, why: str) -> MemoryEvent:
        """The model's summary at `step` failed twice (`why`); the turns through `through` were digested instead."""
        return cls(step, MemoryKind.SUMMARY_FAILED, str(through), why, EventSource.MODEL)

    @classmethod
    def reflection(cls, step: int, alarm_kind: str, text: str) -> MemoryEvent:
        return cls(step, MemoryKind.REFLECTION, alarm_kind, text, EventSource.MODEL)

    @classmethod
    def watchdog(cls, step: int, stage: str, alarm_kind: str, message: str) -> MemoryEvent:
        """The watchdog reaching `stage` (its name) on the alarm `alarm_kind`."""
        return cls(step, MemoryKind.stage(stage), alarm_kind, message, EventSource.WATCHDOG)

    @property
    def through(self) -> int:
        """A summary's last covered step (0 for a summary stored with no key). `ValueError` for other kinds."""
        if self.kind is not MemoryKind.SUMMARY:
            raise ValueError(f"a {self.kind} event covers no steps; only a summary does")
        return int(self.key or 0)
