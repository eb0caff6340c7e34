"""What the mock knows between steps, which is only what it wrote in its notes, and how it writes it back.

Notes (keys and formats; every one is plain text a person can read):
- `area NAME`: `doors 4,7>HOUSE 19,7>? 9,0>PINE_WOODS | things N15,2 W16,4 | done 16,4 | epoch m3+1 | tried 15,2`
  `| blocked 3,3`: the doors and where they lead (`?` = not taken yet; spaces in a name written as `_`),
  the usable things by legend character, the things that gave progress (`done`), the things used up (`spent`:
  searched or read, which is done once; people, until something new is held), and, since the last progress
  (`epoch`), what was tried and which tiles blocked.
- `legend`: `N=person; W=well`: the classes of usable things seen so far, as their legends name them.
- `said AREA x,y`: what the thing at (x,y) said, page after page, each page once.
- `screens` / `links` (games without a text map): screen ids with the buttons tried there, and which button led
  from which screen to which.

`Knowledge.from_notes` reads them; `note_calls` turns the changed knowledge into note/forget calls that keep the
notes under their cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from animus.agent.models.mock.parse import Pos

MAX_KEY = 64


def fmt(p: Pos) -> str:
    return f"{p[0]},{p[1]}"


def unfmt(s: str) -> Pos | None:
    m = re.fullmatch(r"(\d+),(\d+)", s)
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass
class Area:
    """One area's notes. `tried` and `blocked` hold only for `epoch`; a new epoch empties them."""

    doors: dict[Pos, str] = field(default_factory=dict)
    things: dict[Pos, str] = field(default_factory=dict)
    done: set[Pos] = field(default_factory=set)
    spent: set[Pos] = field(default_factory=set)  # used up: searched, read, or heard until something new is held
    epoch: str = ""
    tried: set[Pos] = field(default_factory=set)
    blocked: set[Pos] = field(default_factory=set)

    def text(self) -> str:
        def pts(ps: set[Pos]) -> str:
            return " ".join(fmt(p) for p in sorted(ps))

        parts = [
            "doors " + " ".join(f"{fmt(p)}>{d.replace(' ', '_')}" for p, d in sorted(self.doors.items())),
            "things " + " ".join(f"{c}{fmt(p)}" for p, c in sorted(self.things.items())),
        ]
        if self.done:
            parts.append("done " + pts(self.done))
        if self.spent:
            parts.append("spent " + pts(self.spent))
        parts.append("epoch " + self.epoch)
        if self.tried:
            parts.append("tried " + pts(self.tried))
        if self.blocked:
            parts.append("blocked " + pts(self.blocked))
        return " | ".join(parts)

    @classmethod
    def from_text(cls, text: str) -> Area:
        a = cls()
        for part in text.split(" | "):
            head, _, rest = part.strip().partition(" ")
            words = rest.split()
            if head == "doors":
                for w in words:
                    where, _, dest = w.partition(">")
                    if (p := unfmt(where)) is not None:
                        a.doors[p] = dest.replace("_", " ") or "?"  # a name of several words is written with '_'

            elif head == "things":
                for w in words:
                    if len(w) > 1 and (p := unfmt(w[1:])) is not None:
                        a.things[p] = w[0]
            elif head == "epoch":
                a.epoch = rest.strip()
            elif head in ("done", "spent", "tried", "blocked"):
                getattr(a, head).update(p for w in words if (p := unfmt(w)) is not None)
        return a

    def fresh(self, epoch: str) -> None:
        """Move to `epoch`: what was tried before the last progress may work now."""
        if self.epoch != epoch:
            self.epoch, self.tried, self.blocked = epoch, set(), set()

    def open_things(self, epoch: str, again: set[str] | frozenset[str] = frozenset()) -> list[Pos]:
        """Things not tried since the last progress, not used up, and not already done (unless their class is in
        `again`)."""
        tried = self.tried if self.epoch == epoch else set()
        return [
            p
            for p, c in self.things.items()
            if p not in tried and p not in self.spent and (p not in self.done or c in again)
        ]

    def open_doors(self, epoch: str) -> list[Pos]:
        """Doors never taken (and not found unreachable since the last progress)."""
        tried = self.tried if self.epoch == epoch else set()
        return [p for p, d in self.doors.items() if d == "?" and p not in tried]


@dataclass
class Knowledge:
    """All notes, parsed. `raw` keeps every note as it was, so unknown notes survive untouched."""

    raw: dict[str, str]
    areas: dict[str, Area]
    legend: dict[str, str]
    said: dict[tuple[str, Pos], str]

    @classmethod
    def from_notes(cls, notes: tuple[tuple[str, str], ...]) -> Knowledge:
        raw = dict(notes)
        areas: dict[str, Area] = {}
        legend: dict[str, str] = {}
        said: dict[tuple[str, Pos], str] = {}
        for key, text in raw.items():
            if key.startswith("area "):
                areas[key[5:]] = Area.from_text(text)
            elif key == "legend":
                for part in text.split(";"):
                    ch, _, desc = part.strip().partition("=")
                    if len(ch) == 1 and desc:
                        legend[ch] = desc
            elif key.startswith("said "):
                name, _, where = key[5:].rpartition(" ")
                if (p := unfmt(where)) is not None:
                    said[(name, p)] = text
        return cls(raw, areas, legend, said)

    def area(self, name: str) -> Area:
        return self.areas.setdefault(name, Area())

    def hear(self, area: str, where: Pos, page: str) -> None:
        """Keep a dialog page under its speaker; a page already kept is not added twice."""
        old = self.said.get((area, where), "")
        if page and page not in old:
            self.said[(area, where)] = f"{old} {page}".strip()[-300:]

    def notes(self, generic: dict[str, str] | None = None) -> dict[str, str]:
        """Every note as it should now read (unknown old notes kept, in their old order)."""
        new: dict[str, str] = {}
        for name, a in self.areas.items():
            new[_key("area ", name)] = a.text()
        if self.legend:
            new["legend"] = "; ".join(f"{c}={d}" for c, d in self.legend.items())
        for (name, p), text in self.said.items():
            new[_key("said ", f"{name} {fmt(p)}")] = text
        new.update(generic or {})
        merged = {k: new.get(k, v) for k, v in self.raw.items()}
        for k, v in new.items():
            merged.setdefault(k, v)
        return merged


def _key(prefix: str, name: str) -> str:
    return (prefix + name)[:MAX_KEY].strip()


def note_calls(
    old: dict[str, str], new: dict[str, str], cap: int, keep: frozenset[str]
) -> list[tuple[str, dict[str, str]]]:
    """Tool calls (name, input) that turn notes `old` into `new`, dropping notes so the total stays under `cap`.

    The total counts keys and texts, as the notes store does. When `new` is too big, notes are dropped in order
    of usefulness: what things said that holds no hint (not in `keep`), then screen lists of unknown games, then
    sayings with hints, then areas and the legend; within each, old notes before the ones written this step,
    and older before newer.
    """
    new = dict(new)
    budget = cap - 16  # a little room, so the next small change never fails
    size = sum(len(k) + len(v) for k, v in new.items())
    if size > budget:
        order = {k: i for i, k in enumerate(new)}

        def rank(k: str) -> tuple[int, bool, int]:
            if k.startswith("said "):
                group = 2 if k in keep else 0
            else:
                group = 3 if k.startswith("area ") or k == "legend" else 1
            return (group, old.get(k) != new[k], order[k])

        for k in sorted(new, key=rank):
            if size <= budget:
                break
            size -= len(k) + len(new.pop(k))
    calls: list[tuple[str, dict[str, str]]] = [("forget", {"key": k}) for k in old if k not in new]
    calls += [("note", {"key": k, "text": v}) for k, v in new.items() if old.get(k) != v]
    return calls
