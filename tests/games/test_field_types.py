"""Whole-number field types of every width, byte order and sign (u8 … s24be), read through a loaded profile:
values, expressions over them, names from a [maps] table, `{name:hex}` of a negative value, and the load-time
refusals (a `size` on a fixed-width type)."""

from __future__ import annotations

import pytest

from animus.errors import ProfileError
from animus.games.loader import parse_profile
from tests.games.fakes import FakeMemory

# type, the bytes at its address, the value they hold
CASES = [
    ("u8", [0xFE], 254),
    ("s8", [0xFE], -2),
    ("u16le", [0x2C, 0x01], 300),
    ("u16be", [0x01, 0x2C], 300),  # Gen-1 Pokémon's HP, high byte first
    ("s16le", [0xFE, 0xFF], -2),
    ("s16be", [0xFF, 0xFE], -2),
    ("s16be", [0x7F, 0xFF], 32767),
    ("u24le", [0x01, 0x02, 0x03], 0x030201),
    ("u24be", [0x01, 0x02, 0x03], 0x010203),  # Gen-1 experience
    ("s24le", [0x00, 0x00, 0x80], -(2**23)),
    ("s24be", [0xFF, 0xFF, 0xFF], -1),
]


def profile(kind: str, when: str = "v != 0", template: str = "V {v} H {v:hex}", extra: str = "") -> str:
    return f"""
[game]
id = "types"
name = "Types"
titles = ["TYPES"]

[fields.v]
address = 0xC100
type = "{kind}"
{extra}

[[milestone]]
id = "m"
label = "M"
when = "{when}"

[state]
template = "{template}"
"""


@pytest.mark.parametrize(("kind", "raw", "value"), CASES, ids=[f"{k}-{v}" for k, _, v in CASES])
def test_each_type_reads_its_value_and_works_in_expressions(kind: str, raw: list[int], value: int) -> None:
    memory = FakeMemory()
    memory.put(0xC100, raw)
    memory.put(0xC100 + len(raw), [0xAA, 0xBB])  # bytes after the field are not read into it
    loaded = parse_profile(profile(kind, when=f"v == {value}" if value >= 0 else f"v == 0 - {-value}"), "t.toml")
    state = loaded.read(memory)
    assert state.value("v") == value
    assert loaded.holds(state, 0) == ("m",), "the expression sees the signed, ordered value"
    shown = f"-0x{-value:02X}" if value < 0 else f"0x{value:02X}"
    assert state.text == f"V {value} H {shown}"


def test_big_endian_hp_compares_as_the_game_means_it() -> None:
    memory = FakeMemory()
    memory.put(0xC100, [0x01, 0x00])  # 256 HP big-endian; read little-endian it would be 1
    loaded = parse_profile(profile("u16be", when="v > 255"), "t.toml")
    assert loaded.holds(loaded.read(memory), 0) == ("m",)


def test_a_map_names_the_values_of_any_number_type() -> None:
    source = profile("s8", template="{v:map}", extra='map = "sign"') + '\n[maps.sign]\n"-1" = "minus one"\n'
    memory = FakeMemory()
    memory.put(0xC100, [0xFF])
    assert parse_profile(source, "t.toml").read(memory).text == "minus one"


@pytest.mark.parametrize("kind", ["u16be", "u24le", "s8", "s24be"])
def test_a_fixed_width_type_takes_no_size(kind: str) -> None:
    with pytest.raises(ProfileError, match=rf"\[fields.v\] is {kind}, which has no 'size'"):
        parse_profile(profile(kind, extra="size = 2"), "t.toml")


def test_an_unknown_type_names_every_type() -> None:
    with pytest.raises(ProfileError, match="u16be, s16le, s16be, u24le, u24be") as err:
        parse_profile(profile("u32be"), "t.toml")
    assert "\n" not in str(err.value)


def test_a_field_at_the_top_of_memory_fits_its_width() -> None:
    with pytest.raises(ProfileError, match=r"'address' in \[fields.v\] is 65534, it must be from 0 to 65533"):
        parse_profile(profile("u24be").replace("0xC100", "0xFFFE"), "t.toml")
