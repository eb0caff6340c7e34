"""TOML text -> `Profile`, checking every table and key; each problem is one `ProfileError` line."""

from __future__ import annotations

import hashlib
import re
import tomllib
from typing import Any, NoReturn

from pydantic import ValidationError

from animus.errors import ProfileError
from animus.games import fields_loader, includes, spatial_loader
from animus.games.defaults import DEFAULTABLE, Defaults
from animus.games.expr import FUNCTIONS, Evaluator, ExprError, compile_expr
from animus.games.fields import CHARSETS, Field
from animus.games.profile import SCREEN, SCREENS_SEEN, SPECIALS, Profile, Section, WorldSetting
from animus.games.records import Records
from animus.games.screen import DEFAULT_LEGEND, HEIGHT, WIDTH, Dialog, Tiles
from animus.games.spatial import MapNames
from animus.games.state import Milestone
from animus.games.template import Part, Scope, TemplateError, parse_template

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_RESERVED = {SCREENS_SEEN, SCREEN, *SPECIALS, *FUNCTIONS}
_TABLES = {"game", "fields", "maps", "milestone", "state", "position", "tiles", "dialog", "defaults", "world", "map",
           "collision", "sprites", "prompt", "include"}  # fmt: skip
PROMPT_KEYS = ("goal", "controls", "notes")  # `[prompt]`, in the order the system prompt shows them
MAX_PROMPT = 4000  # characters of one [prompt] text: a profile adds to the system prompt, it does not replace it
DOCS = "see docs/profiles.md"


class _Loader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.label = f"profile {path}"

    def fail(self, problem: str, fix: str = DOCS) -> NoReturn:
        raise ProfileError(" ".join(f"{self.label}: {problem}; {fix}.".split("\n")))

    def table(self, data: dict[str, Any], key: str, where: str, required: bool = True) -> dict[str, Any]:
        value = data.get(key)
        if value is None and not required:
            return {}
        if value is None:
            self.fail(f"missing [{where}] table", f"add it ({DOCS})")
        if not isinstance(value, dict):
            self.fail(f"[{where}] must be a table, not {type(value).__name__}")
        return value

    def keys(self, data: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key {key!r} in [{where}]", f"use one of {', '.join(sorted(allowed))}")

    def get(self, data: dict[str, Any], key: str, where: str, kind: type, default: Any = ...) -> Any:
        if key not in data:
            if default is ...:
                self.fail(f"missing key {key!r} in [{where}]", f"add it ({DOCS})")
            return default
        value = data[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(f"{key!r} in [{where}] must be an integer, not {value!r}")
        if not isinstance(value, kind):
            self.fail(f"{key!r} in [{where}] must be a {kind.__name__}, not {value!r}")
        return value

    def str_list(self, data: dict[str, Any], key: str, where: str, default: Any = ...) -> tuple[str, ...]:
        items = self.get(data, key, where, list, default)
        if any(not isinstance(item, str) for item in items):
            self.fail(f"{key!r} in [{where}] must be a list of strings")
        return tuple(items)

    def int_in(self, data: dict[str, Any], key: str, where: str, low: int, high: int, default: Any = ...) -> int:
        value: int = self.get(data, key, where, int, default)
        if not low <= value <= high:
            self.fail(f"{key!r} in [{where}] is {value}, it must be from {low} to {high}")
        return value

    def expr(self, text: Any, names: set[str], what: str, key: str = "when") -> Evaluator:
        if not isinstance(text, str):
            self.fail(f"{what}: {key!r} must be a string, not {text!r}")
        try:
            return compile_expr(text, names)
        except ExprError as exc:
            self.fail(
                f"{what}: {key} = {_shown(text)} is rejected: {exc.reason} (at {_shown(exc.part)})",
                "allowed are field names, integers, comparisons, and/or/not, & | ^ ~ << >> + -, bit(x, n) and "
                f"popcount(x) ({DOCS})",
            )

    def template(self, text: Any, where: str, scope: Scope) -> tuple[Part, ...]:
        if not isinstance(text, str):
            self.fail(f"'template' in [{where}] must be a string")
        try:
            return parse_template(text, scope, SPECIALS)
        except TemplateError as exc:
            self.fail(f"template in [{where}]: {exc}")


def _shown(text: str, limit: int = 1000) -> str:
    """`text` quoted for an error line; a text too long to be an expression anyway is cut to its start."""
    return repr(text) if len(text) <= limit else f"{text[:60]!r}… ({len(text)} characters)"


def parse_profile(source: str, path: str) -> Profile:
    """Build a `Profile` from TOML text; `path` names it in errors and in `Profile.path`."""
    ld = _Loader(path)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{line.group(1)}" if line else path
        raise ProfileError(f"{where}: invalid TOML ({exc}); fix the syntax (TOML 1.0).") from None
    except RecursionError:  # tomllib recurses on nested arrays and inline tables
        raise ProfileError(f"{path}: arrays or tables nest too deeply; a profile is a few flat tables.") from None
    ld.keys(data, "top level", _TABLES)
    included = includes.resolve(data, path, ld.fail)

    game = ld.table(data, "game", "game")
    ld.keys(game, "game", {"id", "name", "titles", "sha256", "title_notice"})
    pid = ld.get(game, "id", "game", str)
    if not _ID.match(pid):
        ld.fail(f"game id {pid!r} must be lowercase letters, digits, '-' and '_'")
    ld.label = f"profile {pid!r} ({path})"
    hashes = tuple(h.lower() for h in ld.str_list(game, "sha256", "game", []))
    for h in hashes:
        if not re.fullmatch(r"[0-9a-f]{64}", h):
            ld.fail(f"sha256 {h!r} in [game] is not 64 hex digits")
    title_notice = " ".join(ld.get(game, "title_notice", "game", str, "").split())
    if len(title_notice) > 500:
        ld.fail(f"title_notice in [game] is {len(title_notice)} characters", "keep it under 500")

    maps = _maps(ld, ld.table(data, "maps", "maps", required=False))
    for item in included:
        for name, table in _maps(ld, ld.table(item.data, "maps", "maps", required=False)).items():
            if name in maps:
                ld.fail(f"[maps.{name}] is defined twice (again in {item.name})", "keep one table of each name")
            maps[name] = table
    fields = fields_loader.fields(ld, ld.table(data, "fields", "fields", required=False), maps, _RESERVED)
    numeric = {f.name for f in fields if f.numeric}
    scalars = tuple(f for f in fields if isinstance(f, Field))  # arrays of records are for templates only
    names = {f.name for f in scalars}
    scope = _scope(fields, maps)

    milestones = _milestones(ld, data.get("milestone", []), numeric | {SCREENS_SEEN})

    state = ld.table(data, "state", "state")
    ld.keys(state, "state", {"template", "section"})
    template = ld.template(ld.get(state, "template", "state", str), "state", scope)
    sections = []
    for i, sec in enumerate(ld.get(state, "section", "state", list, [])):
        where = f"state.section {i + 1}"
        if not isinstance(sec, dict):
            ld.fail(f"[[{where}]] must be a table")
        ld.keys(sec, where, {"when", "template"})
        when = ld.expr(sec.get("when"), numeric, f"[[{where}]]")
        sections.append(Section(when, ld.template(sec.get("template"), where, scope)))

    position, overworld = None, None
    if "position" in data:
        pos = ld.table(data, "position", "position")
        ld.keys(pos, "position", {"fields", "overworld"})
        position = ld.str_list(pos, "fields", "position")
        for n in position:
            if n not in names and n != SCREEN:
                ld.fail(f"[position] names {n!r}, which is not a field", "use field names or 'screen'")
        if "overworld" in pos:
            overworld = ld.expr(pos["overworld"], numeric, "[position]", "overworld")

    tiles = _tiles(ld, data["tiles"], numeric) if "tiles" in data else None
    dialog = _dialog(ld, data["dialog"]) if "dialog" in data else None
    defaults = _defaults(ld, data["defaults"]) if "defaults" in data else {}
    world = _world(ld, data["world"], scalars, numeric) if "world" in data else None
    names_of_map = spatial_loader.map_names(ld, data["map"], scalars, maps) if "map" in data else MapNames()
    collision = None
    if "collision" in data:
        classes = data.get("tiles", {}).get("classes", {}) if isinstance(data.get("tiles"), dict) else {}
        collision = spatial_loader.collision(ld, data["collision"], scalars, classes)
    sprites = spatial_loader.sprites(ld, data["sprites"]) if "sprites" in data else None
    prompt = _prompt(ld, data["prompt"]) if "prompt" in data else ""
    if (collision or sprites or "map" in data) and (position is None or len(position) < 3 or SCREEN in position[:3]):
        ld.fail(
            "[map], [collision] and [sprites] need a map position",
            'write [position] fields = ["<map id>", "<x>", "<y>", ...] first',
        )
    return Profile(
        id=pid,
        name=ld.get(game, "name", "game", str),
        titles=ld.str_list(game, "titles", "game"),
        sha256=hashes,
        title_notice=title_notice,
        fields=fields,
        maps=maps,
        milestones=milestones,
        template=template,
        sections=tuple(sections),
        position=position,
        overworld=overworld,
        tiles=tiles,
        dialog=dialog,
        defaults=defaults,
        world=world,
        map_names=names_of_map,
        collision=collision,
        sprites=sprites,
        prompt=prompt,
        source=source,
        content_hash=_content_hash(source, included),
        included=tuple((item.name, item.source) for item in included),
        path=path,
    )


def _maps(ld: _Loader, table: dict[str, Any]) -> dict[str, dict[int, str]]:
    maps: dict[str, dict[int, str]] = {}
    for name, entries in table.items():
        if not isinstance(entries, dict):
            ld.fail(f'[maps.{name}] must be a table of "number" = "name"')
        maps[name] = {}
        for key, value in entries.items():
            try:
                number = int(key, 0)
            except ValueError:
                ld.fail(f"key {key!r} in [maps.{name}] is not a number", 'write keys like "0" or "0x33"')
            if not isinstance(value, str):
                ld.fail(f"value of {key!r} in [maps.{name}] must be a string")
            maps[name][number] = value
    return maps


def _scope(fields: tuple[Field | Records, ...], maps: dict[str, dict[int, str]]) -> Scope:
    """What templates may name: the fields, their value tables, and each array of records with its own scope."""
    return Scope(
        names=frozenset(f.name for f in fields if not isinstance(f, Records)),
        maps={f.name: maps[f.map] for f in fields if f.map is not None},
        loops={f.name: _scope(tuple(m.field for m in f.members), maps) for f in fields if isinstance(f, Records)},
    )


def _content_hash(source: str, included: list[includes.Included]) -> str:
    """The sha256 of the profile's text, and with includes, of each included file's name and text too."""
    if not included:
        return hashlib.sha256(source.encode()).hexdigest()
    digest = hashlib.sha256(source.encode())
    for item in included:
        digest.update(f"\0{item.name}\0".encode() + item.source.encode())
    return digest.hexdigest()


def _milestones(ld: _Loader, items: Any, names: set[str]) -> tuple[tuple[Milestone, Evaluator], ...]:
    if not isinstance(items, list):
        ld.fail("'milestone' must be an array of tables: write [[milestone]]")
    out: list[tuple[Milestone, Evaluator]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"milestone {i + 1}"
        if not isinstance(item, dict):
            ld.fail(f"[[{where}]] must be a table")
        ld.keys(item, where, {"id", "label", "when"})
        mid = ld.get(item, "id", where, str)
        if not _ID.match(mid) or mid in seen:
            ld.fail(f"milestone id {mid!r} is invalid or repeated", "use unique lowercase ids")
        seen.add(mid)
        label = ld.get(item, "label", f"milestone {mid}", str)
        when = ld.get(item, "when", f"milestone {mid}", str)
        out.append((Milestone(mid, label, when), ld.expr(when, names, f"milestone {mid!r}")))
    return tuple(out)


def _tiles(ld: _Loader, table: Any, numeric: set[str]) -> Tiles:
    if not isinstance(table, dict):
        ld.fail("[tiles] must be a table")
    ld.keys(table, "tiles", {"top", "height", "player", "classes", "legend", "notes"})
    top = ld.int_in(table, "top", "tiles", 0, HEIGHT - 1, 0)
    height = ld.int_in(table, "height", "tiles", 1, HEIGHT - top, HEIGHT - top)
    player = ld.str_list(table, "player", "tiles", None)
    if player is not None and (len(player) != 2 or any(n not in numeric for n in player)):
        ld.fail(f"[tiles] player = {list(player)} must name two number fields", 'write player = ["x", "y"]')
    classes = ld.table(table, "classes", "tiles.classes")
    legend = {**DEFAULT_LEGEND, **ld.table(table, "legend", "tiles.legend", required=False)}
    notes = ld.table(table, "notes", "tiles.notes", required=False)
    chars = bytearray(b"?" * 256)
    order: list[tuple[str, str, str]] = []
    for name, ids in classes.items():
        char = legend.get(name)
        if not isinstance(char, str) or len(char) != 1 or not char.isascii() or not char.isprintable():
            ld.fail(f"tile class {name!r} has no one-character legend", f'add {name} = "c" to [tiles.legend]')
        note = notes.get(name, "")
        if not isinstance(note, str):
            ld.fail(f"[tiles.notes] {name!r} must be a string")
        if not isinstance(ids, list) or not all(type(v) is int and 0 <= v <= 255 for v in ids):
            ld.fail(f"[tiles.classes] {name!r} must be a list of tile ids 0-255")
        for tile in ids:
            chars[tile] = ord(char)
        order.append((name, char, note))
    return Tiles(bytes(chars), tuple(order), top, height, None if player is None else (player[0], player[1]))


def _dialog(ld: _Loader, table: Any) -> Dialog:
    if not isinstance(table, dict):
        ld.fail("[dialog] must be a table")
    ld.keys(table, "dialog", {"address", "stride", "rows", "column", "width", "charset", "markers", "hint"})
    address = ld.int_in(table, "address", "dialog", 0, 0xFFFF)
    stride = ld.int_in(table, "stride", "dialog", 1, 256, WIDTH)
    rows = ld.get(table, "rows", "dialog", list)
    column = ld.int_in(table, "column", "dialog", 0, 255, 0)
    width = ld.int_in(table, "width", "dialog", 1, 256)
    charset = ld.get(table, "charset", "dialog", str, "ascii")
    if charset not in CHARSETS:
        ld.fail(f"[dialog] charset {charset!r} is unknown", 'use "ascii" or "pokemon"')
    markers = ld.get(table, "markers", "dialog", list, [])
    ok = all(isinstance(m, list) and len(m) == 3 and all(type(v) is int for v in m) for m in markers)
    if not ok:
        ld.fail("[dialog] markers must be a list of [column, row, byte]")
    if not rows or any(type(r) is not int or r < 0 for r in rows):
        ld.fail("[dialog] rows must be a non-empty list of row numbers")
    spots = [(r, column + width - 1) for r in rows] + [(m[1], m[0]) for m in markers]
    if any(address + r * stride + c > 0xFFFF for r, c in spots):
        ld.fail("[dialog] rows or markers reach past 0xFFFF")
    hint = ld.get(table, "hint", "dialog", str, "")
    return Dialog(address, stride, tuple(rows), column, width, charset, tuple(tuple(m) for m in markers), hint)


def _prompt(ld: _Loader, table: Any) -> str:
    """`[prompt]`: the game's goal, controls and notes, as the text the system prompt adds ("" when empty)."""
    if not isinstance(table, dict):
        ld.fail("[prompt] must be a table", 'write [prompt] with goal = "..." and controls = "..."')
    ld.keys(table, "prompt", set(PROMPT_KEYS))
    lines = []
    for key in PROMPT_KEYS:
        text = ld.get(table, key, "prompt", str, "").strip()
        if len(text) > MAX_PROMPT:
            ld.fail(f"[prompt] {key} is {len(text)} characters", f"keep it under {MAX_PROMPT}")
        if text:
            lines.append(f"{key.capitalize()}: {text}")
    return "\n".join(lines)


def _world(ld: _Loader, table: Any, fields: tuple[Field, ...], numeric: set[str]) -> WorldSetting:
    """`[world]`: the field the world number is written to, and when the game is ready for it."""
    if not isinstance(table, dict):
        ld.fail("[world] must be a table", 'write [world] with field = "world" and ready = "<expression>"')
    ld.keys(table, "world", {"field", "ready", "max_frames"})
    name = ld.get(table, "field", "world", str)
    field = next((f for f in fields if f.name == name), None)
    if field is None or field.type not in _WORLD_TYPES:
        ld.fail(
            f"[world] field {name!r} is not a u8 or u16 field",
            f"name a field of type {', '.join(sorted(_WORLD_TYPES))} that holds the world number",
        )
    ready = ld.expr(ld.get(table, "ready", "world", str), numeric, "[world]", "ready")
    max_frames = ld.int_in(table, "max_frames", "world", 1, 100_000, 600)
    return WorldSetting(field, ready, table["ready"], max_frames)


_WORLD_TYPES = {"u8", "u16le"}


def _defaults(ld: _Loader, table: Any) -> Defaults:
    """`[defaults]`: per-game values of the config keys in `DEFAULTABLE`, checked with the config's own bounds."""
    allowed = ", ".join(f"{section}.{key}" for section, (_, keys) in DEFAULTABLE.items() for key in keys)
    if not isinstance(table, dict):
        ld.fail("[defaults] must be a table", f"write [defaults] with keys such as tools.hold_frames = 10 ({DOCS})")
    out: dict[str, dict[str, int]] = {}
    for section, values in table.items():
        if section not in DEFAULTABLE or not isinstance(values, dict):
            ld.fail(
                f"[defaults] cannot set {section!r}",
                f"a profile sets defaults only for {allowed}, written unquoted (tools.hold_frames = 10)",
            )
        kind, keys = DEFAULTABLE[section]
        for key in values:
            if key not in keys:
                ld.fail(
                    f"[defaults] cannot set {section}.{key}",
                    f"a profile sets defaults only for {allowed}; set {section}.{key} in your config or with --set",
                )
        try:
            kind.model_validate(values, strict=True)
        except ValidationError as exc:
            key = str(exc.errors()[0]["loc"][0])
            ld.fail(
                f"[defaults] {section}.{key} = {values[key]!r} is not allowed",
                f"use {_accepted(kind, key)}, as the config's {section}.{key} accepts",
            )
        out[section] = dict(values)
    return out


def _accepted(kind: Any, key: str) -> str:
    """The integers config field `key` of `kind` accepts, in words: "an integer from 1 to 60"."""
    low = high = None
    for rule in kind.model_fields[key].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    if low is not None and high is not None:
        return f"an integer from {low} to {high}"
    return f"an integer of at least {low}" if low is not None else "an integer"
