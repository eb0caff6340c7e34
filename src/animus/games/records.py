"""Arrays of records: a profile field that repeats a group of sub-fields `count` times (a party, a bag).

A `Records` field reads `max` records of `stride` bytes in one span; only the first `count` of them are values,
where `count` is a number or another number field's value (clamped to `max`, so a garbage count during a game's
start-up reads at most `max`). Sub-fields sit at offsets from a record's start; a sub-field with its own stride
is a parallel array (Pokémon keeps nicknames 11 bytes apart, away from the 44-byte party records). A sub-field may
itself be a `Records` (a Pokémon's four moves). A record for which `when` does not hold is left out (an empty
move slot). The loader bounds every part of this (`MAX_COUNT`, `MAX_DEPTH`, `MAX_VALUES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from animus.games.expr import Evaluator
from animus.games.fields import Field
from animus.games.state import Record, Value

MAX_COUNT = 256  # records in one array
MAX_DEPTH = 3  # arrays inside arrays inside arrays, no deeper
MAX_VALUES = 4096  # sub-field values one profile may read in all its arrays at their `max` (a step stays cheap)


@dataclass(frozen=True)
class Member:
    """One sub-field of a record: a `Field` or a nested `Records`, at `offset` from a record's start, `stride`
    bytes on from one record to the next (the array's own stride unless it is a parallel array)."""

    field: Field | Records
    offset: int
    stride: int


@dataclass(frozen=True)
class Records:
    """An array of records (see the module's docstring). `address` is absolute for a top-level field and the
    offset inside the parent record for a nested one; `size` is the span one read must cover from there."""

    name: str
    address: int
    count: int | str
    max: int
    members: tuple[Member, ...]
    when: Evaluator | None
    size: int
    type: str = "records"
    map: str | None = None
    numeric: bool = False

    def decode(self, raw: bytes, scope: Mapping[str, Value]) -> tuple[Record, ...]:
        """The records in `raw` (the `size` bytes from `address`); a field-named `count` is looked up in `scope`,
        the values around this array (the profile's fields, or the parent record's sub-fields)."""
        count = self.count if isinstance(self.count, int) else scope.get(self.count, 0)
        count = min(max(count, 0), self.max) if isinstance(count, int) else 0
        out: list[Record] = []
        for index in range(count):
            values: dict[str, Value] = {}
            for member in self.members:
                start = member.offset + index * member.stride
                field = member.field
                chunk = raw[start : start + field.size]
                values[field.name] = field.decode(chunk, values) if isinstance(field, Records) else field.decode(chunk)
            if self.when is None or self.when(values):
                out.append(tuple(values.items()))
        return tuple(out)

    def leaves(self) -> int:
        """How many values this array reads at most: its `max` times the values of one record."""
        per = sum(m.field.leaves() if isinstance(m.field, Records) else 1 for m in self.members)
        return self.max * per
