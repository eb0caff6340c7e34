"""Hints: sentences the mock has heard that name a kind of thing it can use, a place, or a direction.

A sentence like "THE KEY FELL INTO THE EASTERN WELL OF THE FOREST EAST OF HERE." names a class of usable thing
(a word of a legend entry: "well"), maybe a known area ("FOREST", once an area of that name has been seen),
a direction for the thing ("EASTERN" -> the easternmost one) and a direction from a place ("EAST OF HERE",
"NORTH: ..."): the door on that side of that place. Only words and legends are used, never a game's facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from animus.agent.models.mock.knowledge import Knowledge
from animus.agent.models.mock.parse import Pos

# Plain English for where something lies, as any reader of directions knows it (not any one game's phrasing): the
# compass points, their -ern and -most forms, and the words for the sides of a map.
DIRECTIONS = {"NORTH": "up", "SOUTH": "down", "EAST": "right", "WEST": "left"}
SIDES = {"UP": "up", "TOP": "up", "UPPER": "up", "LOW": "down", "LOWER": "down", "BOTTOM": "down", "RIGHT": "right",
         "LEFT": "left"}  # fmt: skip
_DIR = r"(NORTH|SOUTH|EAST|WEST)(?:ERN)?(?:MOST)?"
_SIDE = r"(UP|TOP|UPPER|LOW|LOWER|BOTTOM|RIGHT|LEFT)(?:MOST)?"
_STOP = {"or", "a", "an", "the", "and", "of", "to", "locked", "old"}


@dataclass(frozen=True)
class Hint:
    """One sentence, with what it points at. `toward` is (direction, area): "EAST OF HERE" said in VILLAGE."""

    sentence: str
    source: str  # the area where it was heard
    classes: tuple[str, ...]
    areas: tuple[str, ...]
    direction: str | None
    toward: tuple[str, str] | None
    note: str = ""  # the note it was read from

    @property
    def useful(self) -> bool:
        return bool(self.classes) and (bool(self.areas) or self.toward is not None)

    def describe(self) -> str:
        return self.sentence if len(self.sentence) < 70 else self.sentence[:67] + "..."


def class_words(desc: str) -> set[str]:
    """The words that name a legend class: "sign or altar (blocks; A to read)" -> {"sign", "altar"}."""
    head = desc.split("(")[0].lower()
    return {w for w in re.findall(r"[a-z]+", head) if w not in _STOP and len(w) > 2}


def find(know: Knowledge) -> list[Hint]:
    """Every hint-bearing sentence in the notes, in the order the notes were written."""
    words = {ch: class_words(desc) for ch, desc in know.legend.items()}
    out: list[Hint] = []
    for (area, where), text in know.said.items():
        for sentence in re.split(r"(?<=[.!?])\s+|\s+(?=(?:NORTH|SOUTH|EAST|WEST):)", text.upper()):
            hint = read(sentence.strip(), area, words, set(know.areas))
            if hint is not None and (hint.classes or hint.toward):
                out.append(replace(hint, note=f"said {area} {where[0]},{where[1]}"))
    return out


def read(sentence: str, source: str, words: dict[str, set[str]], areas: set[str]) -> Hint | None:
    tokens = re.findall(r"[A-Z]+", sentence)
    if not tokens:
        return None
    classes: list[str] = []
    direction = None
    first_dir = None
    for i, tok in enumerate(tokens):
        low = tok.lower()
        for ch, names in words.items():
            if (low in names or low.rstrip("s") in names) and ch not in classes:
                classes.append(ch)
                if i > 0 and (d := _direction(tokens[i - 1])):
                    direction = d
        if first_dir is None and (d := _direction(tok)):
            first_dir = d
    # Longest names first, so that "OLD PINE WOODS" is not also read as "PINE WOODS".
    named_in = sentence
    found: list[str] = []
    for a in sorted(areas, key=lambda a: (-len(a), a)):
        pattern = rf"\b{re.escape(a.upper())}\b"
        if re.search(pattern, named_in):
            found.append(a)
            named_in = re.sub(pattern, " ", named_in)
    toward = None
    if m := re.search(rf"\b{_DIR} OF (?:THE )?(.+)", sentence):
        rest = m.group(2)
        base = source if rest.startswith("HERE") else next((a for a in found if rest.startswith(a.upper())), None)
        if base is not None:
            toward = (DIRECTIONS[m.group(1)], base)
    elif m := re.search(rf"\b{_DIR}:", sentence):
        toward = (DIRECTIONS[m.group(1)], source)
    # An area named only as the landmark of a direction ("NORTH OF PINE WOODS") is not where the thing is.
    named = tuple(sorted(a for a in found if toward is None or a != toward[1]))
    return Hint(sentence, source, tuple(classes), named, direction or first_dir, toward)


def _direction(token: str) -> str | None:
    """The map direction a word names ("EASTERN" -> right, "UPPER" -> up), or None."""
    if d := re.fullmatch(_DIR, token):
        return DIRECTIONS[d.group(1)]
    if d := re.fullmatch(_SIDE, token):
        return SIDES[d.group(1)]
    return None


def extreme(points: list[Pos], direction: str | None) -> Pos | None:
    """The point farthest in `direction` ("right" = largest x), or the first one with no direction."""
    if not points:
        return None
    key = {
        "right": lambda p: (p[0], -p[1]),
        "left": lambda p: (-p[0], p[1]),
        "up": lambda p: (-p[1], p[0]),
        "down": lambda p: (p[1], p[0]),
    }.get(direction or "")
    return max(points, key=key) if key else sorted(points)[0]
