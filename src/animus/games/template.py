"""State-text templates: literal text with `{name}`, `{name:map}` and `{name:hex}` placeholders, and loops over
arrays of records: `{each party}{nick} L{level}{sep}, {else}no Pokémon{end}`.

Templates come from shared profiles, so they are never given to `str.format` (which allows attribute access and
indexing); a regex splits them into literal text, placeholders and loops once, at load time, and every name is
checked against the fields then. Inside `{each NAME}` the record's sub-fields are placeholders too (they hide a
field of the same name), `{index}` is the record's position from 1, text after `{sep}` goes between records and
text after `{else}` is shown when there are none.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

# `{{` and `}}` are literal braces; `{each name}` opens a loop; a placeholder is a plain name with an optional format.
_TOKEN = re.compile(r"\{\{|\}\}|\{each ([A-Za-z_][A-Za-z0-9_]*)\}|\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}|[{}]")
FORMATS = ("map", "hex")
LOOP_WORDS = ("each", "sep", "else", "end", "index")  # template words: no field may take these names
MAX_LOOP_DEPTH = 4


@dataclass(frozen=True)
class Slot:
    """A placeholder: field `name` shown plain, by its value table (`fmt` "map", with `table`) or in hex."""

    name: str
    fmt: str = ""
    table: Mapping[int, str] | None = None


@dataclass(frozen=True)
class Loop:
    """`{each name}body{sep}between{else}empty{end}`."""

    name: str
    body: tuple[Part, ...]
    sep: tuple[Part, ...] = ()
    empty: tuple[Part, ...] = ()


Part = str | Slot | Loop


@dataclass(frozen=True)
class Scope:
    """What a template may name: `names` (fields), `maps` (the value table of each field that has one) and `loops`
    (each array of records by name, with the scope of its own sub-fields)."""

    names: frozenset[str]
    maps: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    loops: Mapping[str, Scope] = field(default_factory=dict)

    def inside(self, inner: Scope) -> Scope:
        """The scope of a loop's body: `inner`'s sub-fields over this scope's names, and `{index}`."""
        return Scope(
            names=self.names | inner.names | {"index"},
            maps={**{k: v for k, v in self.maps.items() if k not in inner.names}, **inner.maps},
            loops={**{k: v for k, v in self.loops.items() if k not in inner.names}, **inner.loops},
        )


class TemplateError(ValueError):
    """Why a template was rejected."""


@dataclass
class _Open:
    """A loop being parsed: its parts so far, by section."""

    name: str
    scope: Scope
    sections: dict[str, list[Part]] = field(default_factory=lambda: {"body": []})
    current: str = "body"


def parse_template(text: str, scope: Scope, specials: Collection[str]) -> tuple[Part, ...]:
    """`text` split into literal strings, `Slot`s and `Loop`s, every name checked against `scope`.

    `specials` are the derived placeholders (`tilemap`, `around`, `screen`) that take no format.
    """
    top: list[Part] = []
    stack: list[_Open] = []
    pos = 0

    def out() -> list[Part]:
        return stack[-1].sections[stack[-1].current] if stack else top

    for match in _TOKEN.finditer(text):
        literal = text[pos : match.start()]
        pos = match.end()
        token = match.group(0)
        if literal:
            out().append(literal)
        here = stack[-1].scope if stack else scope
        if token in ("{{", "}}"):
            out().append(token[0])
        elif token in ("{", "}"):
            raise TemplateError(f"stray {token!r} at character {match.start()} (write {token * 2} for a brace)")
        elif (loop := match.group(1)) is not None:
            if loop not in here.loops:
                known = ", ".join(sorted(here.loops)) or "none"
                raise TemplateError(f"{{each {loop}}} needs an array of records named {loop!r} (arrays: {known})")
            if len(stack) >= MAX_LOOP_DEPTH:
                raise TemplateError(f"loops nest deeper than {MAX_LOOP_DEPTH}")
            stack.append(_Open(loop, here.inside(here.loops[loop])))
        elif token in ("{sep}", "{else}"):
            word = token[1:-1]
            if not stack or word in stack[-1].sections:
                raise TemplateError(f"{token} belongs once inside {{each NAME}}...{{end}}")
            stack[-1].current = word
            stack[-1].sections[word] = []
        elif token == "{end}":
            if not stack:
                raise TemplateError("{end} without an {each NAME} to close")
            done = stack.pop()
            parts = {k: tuple(v) for k, v in done.sections.items()}
            out().append(Loop(done.name, parts["body"], parts.get("sep", ()), parts.get("else", ())))
        else:
            out().append(_slot(match.group(2), match.group(3) or "", here, specials))
    if stack:
        raise TemplateError(f"{{each {stack[-1].name}}} is not closed: end it with {{end}}")
    if text[pos:]:
        top.append(text[pos:])
    return tuple(top)


def _slot(name: str, fmt: str, scope: Scope, specials: Collection[str]) -> Slot:
    if name in specials:
        if fmt:
            raise TemplateError(f"{{{name}}} takes no format")
        return Slot(name)
    if name in scope.loops and name not in scope.names:
        raise TemplateError(f"{{{name}}} is an array of records: show it with {{each {name}}}...{{end}}")
    if name not in scope.names:
        raise TemplateError(f"unknown placeholder {{{name}}} (fields and {', '.join(sorted(specials))})")
    if fmt and fmt not in FORMATS:
        raise TemplateError(f"unknown format {{{name}:{fmt}}} (use :map or :hex)")
    if fmt == "map" and name not in scope.maps:
        raise TemplateError(f"{{{name}:map}} needs the field {name!r} to have a map")
    return Slot(name, fmt, scope.maps.get(name) if fmt == "map" else None)


def mentions(parts: tuple[Part, ...], names: Collection[str]) -> bool:
    """True when a placeholder among `parts`, at any loop depth, is one of `names`."""
    for part in parts:
        if isinstance(part, Slot) and part.name in names:
            return True
        if isinstance(part, Loop) and any(mentions(p, names) for p in (part.body, part.sep, part.empty)):
            return True
    return False


def render(parts: tuple[Part, ...], values: Mapping[str, object], specials: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value and each loop by its records."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Loop):
            out.append(_loop(part, values, specials))
        elif part.name in specials:
            out.append(specials[part.name])
        else:
            out.append(_shown(part, values[part.name]))
    return "".join(out)


def _shown(slot: Slot, value: object) -> str:
    if slot.fmt == "map" and isinstance(value, int) and slot.table is not None:
        return slot.table.get(value, str(value))
    if slot.fmt == "hex" and isinstance(value, int):
        return f"-0x{-value:02X}" if value < 0 else f"0x{value:02X}"
    return str(value)


def _loop(loop: Loop, values: Mapping[str, object], specials: Mapping[str, str]) -> str:
    records = values.get(loop.name)
    if not isinstance(records, tuple) or not records:
        return render(loop.empty, values, specials)
    between = render(loop.sep, values, specials)
    shown = []
    for index, record in enumerate(records, 1):
        scope = {**values, **dict(record), "index": index}
        shown.append(render(loop.body, scope, specials))
    return between.join(shown)
