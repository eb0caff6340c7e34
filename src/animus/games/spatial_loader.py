"""TOML -> the spatial parts of a profile: `[map]`, `[collision]` and `[sprites]` (see `animus.games.spatial`).

Each problem is one `ProfileError` line through the loader's `fail`, like every other table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from animus.games.fields import Field
from animus.games.screen import HEIGHT, WIDTH
from animus.games.spatial import Collision, MapNames, Sprites

if TYPE_CHECKING:
    from animus.games.loader import _Loader

_CELLS = (1, 2, 4)


def map_names(ld: _Loader, table: Any, fields: tuple[Field, ...], maps: dict[str, dict[int, str]]) -> MapNames:
    """`[map]`: `name` (a text field, or a number field with a map) and `facing` (a number field with a map)."""
    if not isinstance(table, dict):
        ld.fail("[map] must be a table", 'write [map] with name = "<field>" and facing = "<field>"')
    ld.keys(table, "map", {"name", "facing"})
    by_name = {f.name: f for f in fields}
    name = ld.get(table, "name", "map", str, None)
    if name is not None and (name not in by_name or (by_name[name].numeric and by_name[name].map is None)):
        ld.fail(f"[map] name {name!r} is not a text field or a number field with a map", "name such a field")
    facing = ld.get(table, "facing", "map", str, None)
    if facing is not None:
        field = by_name.get(facing)
        words = set(maps.get(field.map, {}).values()) if field is not None and field.map else set()
        if not {"up", "down", "left", "right"} <= words:
            ld.fail(
                f"[map] facing {facing!r} is not a number field whose map names up, down, left and right",
                'give the field a [maps] table such as "0" = "down"',
            )
    return MapNames(name, facing)


def collision(ld: _Loader, table: Any, fields: tuple[Field, ...], classes: dict[str, Any]) -> Collision:
    """`[collision]`: the cell size, the anchor, and one source of walkable tile ids."""
    where = "collision"
    if not isinstance(table, dict):
        ld.fail("[collision] must be a table")
    allowed = {"cell", "origin", "player", "walkable", "walkable_ids", "warps", "warp_ids", "pointer", "end",
               "tileset", "tilesets", "buffer", "size"}  # fmt: skip
    ld.keys(table, where, allowed)
    cell = ld.int_in(table, "cell", where, 1, 4, 1)
    if cell not in _CELLS:
        ld.fail(f"[collision] cell = {cell}", "use 1, 2 or 4 screen tiles per map cell")
    if ("origin" in table) == ("player" in table):
        ld.fail(
            "[collision] needs exactly one of origin (a fixed screen) and player (a screen that scrolls with "
            "the player)",
            "write origin = [0, 0] or player = [8, 9]: the screen tile (column, row) of that cell's collision tile",
        )
    fixed = "origin" in table
    anchor = _cell(ld, table["origin" if fixed else "player"], "origin" if fixed else "player")
    walkable = _ids(ld, table, "walkable", "walkable_ids", classes)
    warps = _ids(ld, table, "warps", "warp_ids", classes)
    sources = [k for k in ("walkable", "walkable_ids", "pointer", "tileset") if k in table]
    if len(sources) != 1:
        ld.fail(
            f"[collision] names {len(sources)} sources of walkable tiles ({', '.join(sources) or 'none'})",
            "give exactly one: walkable (tile classes), walkable_ids, pointer, or tileset with tilesets",
        )
    pointer = ld.int_in(table, "pointer", where, 0, 0xFFFE) if "pointer" in table else None
    end = ld.int_in(table, "end", where, 0, 255, 0xFF)
    tileset = ld.get(table, "tileset", where, str, None)
    tilesets: list[tuple[int, frozenset[int]]] = []
    if tileset is not None:
        if not any(f.name == tileset and f.numeric for f in fields):
            ld.fail(f"[collision] tileset {tileset!r} is not a number field", "name the field that holds the tileset")
        listed = ld.table(table, "tilesets", "collision.tilesets")
        for key, ids in listed.items():
            try:
                number = int(key, 0)
            except ValueError:
                ld.fail(f"key {key!r} in [collision.tilesets] is not a number", 'write keys like "0" or "0x11"')
            tilesets.append((number, _id_list(ld, ids, f"[collision.tilesets] {key!r}")))
    elif "tilesets" in table:
        ld.fail("[collision] has tilesets but no tileset field", 'add tileset = "<field>"')
    buffer = ld.int_in(table, "buffer", where, 0, 0x10000 - WIDTH * HEIGHT) if "buffer" in table else None
    size = None
    if "size" in table:
        size = _cell(ld, table["size"], "size", (1, WIDTH + 1), (1, HEIGHT + 1))
        if not fixed:
            ld.fail("[collision] size applies to a fixed screen (origin)", "remove it, or use origin")
    return Collision(cell, anchor, fixed, walkable, warps, pointer, end, tileset, tuple(tilesets), buffer, size)


def sprites(ld: _Loader, table: Any) -> Sprites:
    """`[sprites]`: a table of characters with a presence byte and a cell per entry."""
    where = "sprites"
    if not isinstance(table, dict):
        ld.fail("[sprites] must be a table")
    ld.keys(table, where, {"count", "stride", "first", "present", "x", "y", "offset", "hidden"})
    count = ld.int_in(table, "count", where, 1, 64)
    stride = ld.int_in(table, "stride", where, 1, 256)
    first = ld.int_in(table, "first", where, 0, count - 1, 0)
    reach = (count - 1) * stride
    present, x, y = (ld.int_in(table, key, where, 0, 0xFFFF - reach) for key in ("present", "x", "y"))
    offset = ld.int_in(table, "offset", where, -255, 255, 0)
    hidden = None
    if "hidden" in table:
        pair = table["hidden"]
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair)) or not (
            0 <= pair[0] <= 0xFFFF - reach and 0 <= pair[1] <= 255
        ):
            ld.fail(f"[sprites] hidden = {pair!r} is not [address, byte]", "write e.g. hidden = [0xC102, 0xFF]")
        hidden = (pair[0], pair[1])
    return Sprites(count, stride, first, present, x, y, offset, hidden)


def _cell(
    ld: _Loader, value: Any, key: str, columns: tuple[int, int] = (0, WIDTH), rows: tuple[int, int] = (0, HEIGHT)
) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
    if not ok or not (columns[0] <= value[0] < columns[1] and rows[0] <= value[1] < rows[1]):
        ld.fail(f"[collision] {key} = {value!r} is not within the screen", "write [column, row], within 20 x 18")
    return value[0], value[1]


def _ids(ld: _Loader, table: dict[str, Any], by_class: str, by_id: str, classes: dict[str, Any]) -> frozenset[int]:
    """Tile ids named by tile class (`by_class`, from [tiles.classes]) or listed (`by_id`)."""
    out: set[int] = set()
    if by_class in table:
        names = ld.str_list(table, by_class, "collision")
        for name in names:
            ids = classes.get(name)
            if not isinstance(ids, list):
                ld.fail(f"[collision] {by_class} names {name!r}, which is not a [tiles.classes] class", "name one")
            out |= _id_list(ld, ids, f"[tiles.classes] {name!r}")
    if by_id in table:
        out |= _id_list(ld, table[by_id], f"[collision] {by_id}")
    return frozenset(out)


def _id_list(ld: _Loader, ids: Any, what: str) -> frozenset[int]:
    if not isinstance(ids, list) or not all(type(v) is int and 0 <= v <= 255 for v in ids):
        ld.fail(f"{what} must be a list of tile ids 0-255")
    return frozenset(ids)
