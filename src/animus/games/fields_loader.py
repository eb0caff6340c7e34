"""TOML `[fields]` -> `Field`s and `Records` (arrays of records), each problem one `ProfileError` line.

A shared profile is untrusted data, so arrays are bounded here, at load: at most `MAX_COUNT` records in one array,
`MAX_DEPTH` arrays inside each other, `MAX_VALUES` values in all arrays together, and every byte inside 0-0xFFFF.
"""

from __future__ import annotations

import keyword
import re
from typing import TYPE_CHECKING, Any

from animus.games.fields import CHARSETS, FIELD_TYPES, FIXED_SIZE, INTEGERS, MAX_SIZE, NUMERIC_TYPES, Field
from animus.games.records import MAX_COUNT, MAX_DEPTH, MAX_VALUES, Member, Records
from animus.games.template import LOOP_WORDS

if TYPE_CHECKING:
    from animus.games.loader import _Loader

NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_SCALAR_KEYS = {"type", "size", "bit", "charset", "map", "mask"}
_RECORD_KEYS = {"type", "count", "max", "stride", "when", "fields"}
MAX_STRIDE = 0x1000
MAX_SPAN = 0x4000  # bytes one array may span: a step reads it whole


def fields(ld: _Loader, table: dict[str, Any], maps: dict[str, dict[int, str]], reserved: set[str]) -> tuple[Any, ...]:
    """The profile's fields in TOML order: `Field`s, then checks of the arrays of records among them."""
    out: list[Field | Records] = []
    scalars = {n for n, s in table.items() if isinstance(s, dict) and s.get("type") in NUMERIC_TYPES}
    for name, spec in table.items():
        _name(ld, name, reserved)
        where = f"fields.{name}"
        if not isinstance(spec, dict):
            ld.fail(f"[{where}] must be a table")
        if spec.get("type") == "records":
            records = _records(ld, name, spec, where, maps, reserved, scalars, depth=1)
            address = ld.int_in(spec, "address", where, 0, 0xFFFF)
            if address + records.size > 0x10000:
                ld.fail(f"[{where}] reaches past 0xFFFF ({records.size} bytes from {address:#06x})", "check max")
            out.append(_at(records, address))
        else:
            ld.keys(spec, where, _SCALAR_KEYS | {"address"})
            field = _scalar(ld, name, spec, where, maps)
            address = ld.int_in(spec, "address", where, 0, 0x10000 - field.size)
            out.append(_at(field, address))
    values = sum(f.leaves() for f in out if isinstance(f, Records))
    if values > MAX_VALUES:
        ld.fail(f"the arrays of records read {values} values at their max", f"keep them under {MAX_VALUES}")
    return tuple(out)


def _name(ld: _Loader, name: str, reserved: set[str]) -> None:
    if not NAME.match(name) or keyword.iskeyword(name) or name in reserved or name in LOOP_WORDS:
        ld.fail(f"field name {name!r} is not allowed", "use lowercase letters, digits and '_', not a reserved word")


def _at(field: Any, address: int) -> Any:
    """`field` (parsed with address 0) placed at `address`."""
    if isinstance(field, Records):
        return Records(field.name, address, field.count, field.max, field.members, field.when, field.size)
    return Field(field.name, address, field.type, field.size, field.bit, field.charset, field.map, field.mask)


def _scalar(ld: _Loader, name: str, spec: dict[str, Any], where: str, maps: dict[str, dict[int, str]]) -> Field:
    """A field that reads one value (its address is set by the caller)."""
    kind = ld.get(spec, "type", where, str)
    if kind not in FIELD_TYPES:
        ld.fail(f"[{where}] has unknown type {kind!r}", f"use one of {', '.join((*FIELD_TYPES, 'records'))}")
    if kind in FIXED_SIZE:
        if "size" in spec:
            ld.fail(f"[{where}] is {kind}, which has no 'size'", "remove it")
        size = FIXED_SIZE[kind]
    else:
        size = ld.int_in(spec, "size", where, 1, MAX_SIZE[kind])
    if "bit" in spec and kind != "bit":
        ld.fail(f"[{where}] has 'bit' but its type is {kind}", "use type = \"bit\" or remove 'bit'")
    bit = ld.int_in(spec, "bit", where, 0, 7) if kind == "bit" else 0
    charset = ld.get(spec, "charset", where, str, "ascii")
    if charset not in CHARSETS or ("charset" in spec and kind != "text"):
        ld.fail(f"[{where}] charset {charset!r} is not allowed", 'text fields take "ascii" or "pokemon"')
    mask = None
    if "mask" in spec:
        if kind not in INTEGERS:
            ld.fail(f"[{where}] has 'mask' but its type is {kind}", "a mask applies to whole-number types (u8...)")
        mask = ld.int_in(spec, "mask", where, 0, (1 << (8 * size)) - 1)
    fmap = ld.get(spec, "map", where, str, None)
    if fmap is not None and (fmap not in maps or kind not in NUMERIC_TYPES):
        ld.fail(f"[{where}] map {fmap!r} is not a [maps] table or the field is not a number")
    return Field(name, 0, kind, size, bit, charset, fmap, mask)


def _records(
    ld: _Loader,
    name: str,
    spec: dict[str, Any],
    where: str,
    maps: dict[str, dict[int, str]],
    reserved: set[str],
    counters: set[str],
    depth: int,
) -> Records:
    """An array of records; `counters` are the number fields its `count` may name."""
    from animus.games.expr import ExprError, compile_expr

    if depth > MAX_DEPTH:
        ld.fail(f"[{where}] nests arrays of records {depth} deep", f"nest at most {MAX_DEPTH} arrays")
    ld.keys(spec, where, _RECORD_KEYS | ({"address"} if depth == 1 else {"offset"}))
    stride = ld.int_in(spec, "stride", where, 1, MAX_STRIDE)
    raw_count = spec.get("count")
    if isinstance(raw_count, str):
        if raw_count not in counters:
            ld.fail(f"[{where}] count {raw_count!r} is not a number field", _count_fix(depth))
        count: int | str = raw_count
        most = ld.int_in(spec, "max", where, 1, MAX_COUNT)
    else:
        count = ld.int_in(spec, "count", where, 0, MAX_COUNT)
        most = ld.int_in(spec, "max", where, count, count, count) if "max" in spec else count
    subs = ld.table(spec, "fields", f"{where}.fields")
    if not subs:
        ld.fail(f"[{where}] has no fields", f"add [{where}.fields.<name>] tables")
    members: list[Member] = []
    numbers: set[str] = set()
    for sub, sub_spec in subs.items():
        _name(ld, sub, reserved)
        sub_where = f"{where}.fields.{sub}"
        if not isinstance(sub_spec, dict):
            ld.fail(f"[{sub_where}] must be a table")
        offset = ld.int_in(sub_spec, "offset", sub_where, 0, MAX_SPAN)
        if sub_spec.get("type") == "records":
            inner = _records(ld, sub, sub_spec, sub_where, maps, reserved, numbers, depth + 1)
            members.append(Member(_at(inner, offset), offset, stride))
            continue
        ld.keys(sub_spec, sub_where, _SCALAR_KEYS | {"offset", "stride"})
        field = _scalar(ld, sub, sub_spec, sub_where, maps)
        own = ld.int_in(sub_spec, "stride", sub_where, 1, MAX_STRIDE, stride)
        members.append(Member(_at(field, offset), offset, own))
        if field.numeric:
            numbers.add(sub)
    size = max(m.offset + (most - 1) * m.stride + m.field.size for m in members) if most else 0
    if size > MAX_SPAN:
        ld.fail(f"[{where}] spans {size} bytes", f"keep an array within {MAX_SPAN} bytes")
    when = None
    if "when" in spec:
        text = spec["when"]
        if not isinstance(text, str):
            ld.fail(f"[{where}] 'when' must be a string")
        try:
            when = compile_expr(text, numbers)
        except ExprError as exc:
            ld.fail(f"[{where}] when = {text!r} is rejected: {exc.reason}", "use the record's number fields")
    return Records(name, 0, count, most, tuple(members), when, size)


def _count_fix(depth: int) -> str:
    if depth == 1:
        return "name a number field of the profile (u8...), or give an integer"
    return "name a number field of the record listed before this array, or give an integer"
