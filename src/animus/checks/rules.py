"""What the two checkers share: their rule tables, the report of a passed check, and short descriptions of values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from animus.errors import ContractError

MODEL_RULES: dict[int, str] = {
    1: "name",
    2: "sends_images",
    3: "reply",
    4: "JSON round-trip",
    5: "request untouched",
    6: "deterministic",
    7: "no hidden state",
}

SCORER_RULES: dict[int, str] = {
    1: "one key per outcome",
    2: "keys are tuples of numbers",
    3: "outcomes untouched",
    4: "deterministic",
    5: "independent of order",
    6: "no hidden state",
    7: "any number of outcomes",
}


@dataclass(frozen=True)
class Checked:
    """A check that passed: what was checked (`subject`), how many calls it made, the rules it covered, and how
    many requests a model answered by ending the run (`StopRun`) or overflowing its context, not with a reply."""

    subject: str
    calls: int
    rules: tuple[int, ...]
    ended: int = 0


def broken(table: dict[int, str], rule: int, detail: str) -> ContractError:
    """The error for `rule` of `table`, its message starting `rule N (title): `."""
    return ContractError(rule, table[rule], detail)


def short(value: Any, limit: int = 100) -> str:
    """`repr(value)`, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def difference(a: Any, b: Any) -> str:
    """Where two values first differ: the first differing field of two dataclasses of one type, else both whole."""
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        for f in dataclasses.fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if x != y:
                return f"{f.name} {short(x)} vs {short(y)}"
    return f"{short(a)} vs {short(b)}"
