"""State-text templates: literal text with `{name}`, `{name:map}` and `{name:hex}` placeholders.

Templates come from shared profiles, so they are never given to `str.format` (which allows attribute access and
indexing); a regex splits them into literal text and plain-name placeholders once, at load time.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

# `{{` and `}}` are literal braces; a placeholder is a plain name with an optional `:map` or `:hex`.
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}|[{}]")
FORMATS = ("map", "hex")

Part = str | tuple[str, str]


class TemplateError(ValueError):
    """Why a template was rejected."""


def parse_template(text: str, names: Collection[str], mapped: Collection[str], specials: Collection[str]) -> list[Part]:
    """`text` split into literal strings and (name, format) placeholders, checked against the known names.

    `names` are fields, `mapped` the fields that have a map (allowed with `:map`), `specials` the derived
    placeholders (`tilemap`, `around`) that take no format.
    """
    parts: list[Part] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        literal = text[pos : match.start()]
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(literal + token[0])
            continue
        if token in ("{", "}"):
            raise TemplateError(f"stray {token!r} at character {match.start()} (write {token * 2} for a brace)")
        name, fmt = match.group(1), match.group(2) or ""
        if name in specials:
            if fmt:
                raise TemplateError(f"{{{name}}} takes no format")
        elif name not in names:
            raise TemplateError(f"unknown placeholder {{{name}}} (fields and {', '.join(sorted(specials))})")
        elif fmt and fmt not in FORMATS:
            raise TemplateError(f"unknown format {{{name}:{fmt}}} (use :map or :hex)")
        elif fmt == "map" and name not in mapped:
            raise TemplateError(f"{{{name}:map}} needs the field {name!r} to have a map")
        parts.extend([literal, (name, fmt)])
    parts.append(text[pos:])
    return [p for p in parts if p != ""]


def render(
    parts: list[Part],
    values: Mapping[str, int | str],
    names: Mapping[str, Mapping[int, str]],
    specials: Mapping[str, str],
) -> str:
    """The template with each placeholder replaced; `names` maps a mapped field to its value names."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        name, fmt = part
        if name in specials:
            out.append(specials[name])
            continue
        value = values[name]
        if fmt == "map" and isinstance(value, int):
            out.append(names[name].get(value, str(value)))
        elif fmt == "hex" and isinstance(value, int):
            out.append(f"-0x{-value:02X}" if value < 0 else f"0x{value:02X}")
        else:
            out.append(str(value))
    return "".join(out)
