"""Test doubles for `animus.games.Memory`, small profile texts to load, and helpers the profile tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from animus.errors import BadInputError, ProfileError
from animus.games import load_profile

BUFFER = 0xC3A0  # Pokémon Red's 20x18 screen tile buffer (wTileMap)


class FakeMemory:
    """A 64 KiB address space in a bytearray; `read` behaves like `GameBoy.read`."""

    def __init__(self) -> None:
        self.ram = bytearray(0x10000)

    def read(self, address: int, length: int = 1) -> bytes:
        assert address >= 0 and address + length <= 0x10000
        return bytes(self.ram[address : address + length])

    def put(self, address: int, data: bytes | list[int]) -> None:
        self.ram[address : address + len(data)] = bytes(data)


def profile_toml(when: str = "bit(x, 0)", extra: str = "", game: str = 'id = "test-game"\nname = "Test"') -> str:
    """A small valid profile with two fields (x, y) and one milestone `m1` whose `when` is `when`."""
    return f"""
[game]
{game}
titles = ["TEST"]

[fields.x]
address = 0xC000
type = "u8"

[fields.y]
address = 0xC001
type = "u16le"

[[milestone]]
id = "m1"
label = "First"
when = {when!r}

[state]
template = "x={{x}} y={{y}}"
{extra}
"""


def one_line_error(source: str, tmp_path: Path) -> str:
    path = tmp_path / "p.toml"
    path.write_text(source)
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, BadInputError) and info.value.exit_code == 2
    return message


def encode(text: str) -> list[int]:
    """Gen-1 character codes for upper/lower case letters, digits, space and a little punctuation."""
    out = []
    for char in text:
        if "A" <= char <= "Z":
            out.append(0x80 + ord(char) - ord("A"))
        elif "a" <= char <= "z":
            out.append(0xA0 + ord(char) - ord("a"))
        elif "0" <= char <= "9":
            out.append(0xF6 + ord(char) - ord("0"))
        else:
            out.append({" ": 0x7F, "!": 0xE7, ".": 0xE8, ",": 0xF4, "?": 0xE6, "'": 0xE0, "-": 0xE3, ":": 0x9C}[char])
    return out


def draw_box(memory: FakeMemory, lines: list[str]) -> None:
    for row in range(12, 18):
        memory.put(BUFFER + row * 20, [0x7C] + [0x7F] * 18 + [0x7C])
    memory.put(BUFFER + 12 * 20, [0x79] + [0x7A] * 18 + [0x7B])
    memory.put(BUFFER + 17 * 20, [0x7D] + [0x7A] * 18 + [0x7E])
    for row, line in zip((14, 16), lines, strict=False):
        memory.put(BUFFER + row * 20 + 1, encode(line))
