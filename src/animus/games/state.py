"""The values a profile reads: `Milestone` and `GameState`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from animus.errors import ProfileError

# A field's value: a number, a text, or for an array of records (`animus.games.records`) the records read, each a
# tuple of (sub-field, value) pairs in profile order.
Value: TypeAlias = "int | str | tuple[Record, ...]"
Record: TypeAlias = "tuple[tuple[str, Value], ...]"


@dataclass(frozen=True)
class Milestone:
    """A named moment of progress; `when` is the expression (source text) that holds once it is reached."""

    id: str
    label: str
    when: str


@dataclass(frozen=True)
class GameState:
    """Everything a profile reads from memory at one moment.

    `values` holds every field in profile order; `text` is what a model plans from; `position` the position
    signature (None when the profile has none); `screen` a short hash of the visible background tile ids;
    `dialog` the dialog text on screen ("" when none).
    """

    values: tuple[tuple[str, Value], ...]
    text: str
    position: tuple[Value, ...] | None
    screen: str
    dialog: str

    def value(self, name: str) -> Value:
        """The value of field `name`; KeyError when the profile has no such field."""
        for key, value in self.values:
            if key == name:
                return value
        raise KeyError(name)

    def to_json(self) -> str:
        """Compact JSON with a stable key and field order; `from_json` gives back an equal state."""
        data = {
            "values": [[k, v] for k, v in self.values],  # records (tuples) become JSON lists
            "text": self.text,
            "position": None if self.position is None else list(self.position),
            "screen": self.screen,
            "dialog": self.dialog,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, s: str) -> GameState:
        """The state `to_json` wrote; ProfileError when `s` is not one."""
        try:
            data: Any = json.loads(s)
            values = tuple((str(k), _value(v)) for k, v in data["values"])
            position = data["position"]
            state = cls(
                values=values,
                text=_str(data["text"]),
                position=None if position is None else tuple(_value(v) for v in position),
                screen=_str(data["screen"]),
                dialog=_str(data["dialog"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ProfileError(
                f"stored game state is not valid ({type(exc).__name__}: {exc}): it must be GameState.to_json output."
            ) from None
        return state


def _value(v: object, depth: int = 0) -> Value:
    if isinstance(v, list) and depth < 4:  # an array of records, stored as lists of [name, value] pairs
        return tuple(tuple((str(k), _value(x, depth + 1)) for k, x in record) for record in v)
    if isinstance(v, bool) or not isinstance(v, int | str):
        raise TypeError(f"{v!r} is not an int, a str or a list of records")
    return v


def _str(v: object) -> str:
    if not isinstance(v, str):
        raise TypeError(f"{v!r} is not a str")
    return v
