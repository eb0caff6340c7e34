"""Test doubles for `animus.games.Memory`, and small profile texts to load."""

from __future__ import annotations


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
