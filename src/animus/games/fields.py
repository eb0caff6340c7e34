"""Fields: named values a profile reads from memory, and the character sets text fields are decoded with."""

from __future__ import annotations

from dataclasses import dataclass

# Whole numbers of a fixed width: (bytes, byte order, signed). Gen-1 Pokémon stores HP big-endian (u16be), money
# in BCD, experience in three big-endian bytes (u24be); a signed type reads two's complement.
INTEGERS: dict[str, tuple[int, str, bool]] = {
    "u8": (1, "little", False),
    "s8": (1, "little", True),
    "u16le": (2, "little", False),
    "u16be": (2, "big", False),
    "s16le": (2, "little", True),
    "s16be": (2, "big", True),
    "u24le": (3, "little", False),
    "u24be": (3, "big", False),
    "s24le": (3, "little", True),
    "s24be": (3, "big", True),
}
FIELD_TYPES = (*INTEGERS, "bcd", "bit", "bytes", "text")
NUMERIC_TYPES = frozenset({*INTEGERS, "bcd", "bit"})
FIXED_SIZE = {**{name: size for name, (size, _, _) in INTEGERS.items()}, "bit": 1}  # types that take no `size`
# The largest `size` each sized type accepts; a profile is shared data, so reads stay small.
MAX_SIZE = {"bcd": 8, "bytes": 256, "text": 1024}


def _gen1_charset() -> dict[int, str]:
    """The Generation 1 Pokémon (Red/Blue, English) character set, for the characters Animus is sure of."""
    table: dict[int, str] = {0x7F: " "}
    table.update({0x80 + i: chr(ord("A") + i) for i in range(26)})
    table.update({0xA0 + i: chr(ord("a") + i) for i in range(26)})
    table.update({0xF6 + i: chr(ord("0") + i) for i in range(10)})
    table.update({0x9A: "(", 0x9B: ")", 0x9C: ":", 0x9D: ";", 0x9E: '"', 0x9F: '"', 0xBA: "é"})
    table.update({0xBB: "'d", 0xBC: "'l", 0xBD: "'s", 0xBE: "'t", 0xBF: "'v", 0xE4: "'r", 0xE5: "'m"})
    table.update({0xE0: "'", 0xE1: "PK", 0xE2: "MN", 0xE3: "-", 0xE6: "?", 0xE7: "!", 0xE8: "."})
    table.update({0xEF: "♂", 0xF1: "\u00d7", 0xF2: ".", 0xF3: "/", 0xF4: ",", 0xF5: "♀"})
    # Box borders and the "more text" arrows are drawing, not text; the menu cursor ▶ (0xED) says what is chosen.
    table.update({code: " " for code in (0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0xEC, 0xEE)})
    table[0xED] = "▶"
    return table


def _ascii_charset() -> dict[int, str]:
    return {code: chr(code) for code in range(0x20, 0x7F)}


def _table(mapping: dict[int, str]) -> tuple[str, ...]:
    """A 256-entry lookup (unknown bytes as '?'), so decoding runs at C speed through `map`."""
    return tuple(mapping.get(code, "?") for code in range(256))


CHARSETS: dict[str, tuple[tuple[str, ...], int | None]] = {
    # name -> (byte -> text, terminator byte or None)
    "ascii": (_table(_ascii_charset()), 0x00),
    "pokemon": (_table(_gen1_charset()), 0x50),
}


def decode_text(raw: bytes, charset: str) -> str:
    """`raw` decoded with `charset`, cut at its terminator, trailing spaces removed; unknown bytes become '?'."""
    table, terminator = CHARSETS[charset]
    if terminator is not None and (end := raw.find(terminator)) >= 0:
        raw = raw[:end]
    return "".join(map(table.__getitem__, raw)).rstrip()


@dataclass(frozen=True)
class Field:
    """One named value: `type` decides how the bytes at `address` (`size` of them) become an int or a str."""

    name: str
    address: int
    type: str
    size: int = 1
    bit: int = 0
    charset: str = "ascii"
    map: str | None = None
    mask: int | None = None  # whole-number types: only these bits count (Gen-1 PP keeps PP Ups in the top two)

    @property
    def numeric(self) -> bool:
        """True when the value is an int (usable in expressions), False for `bytes` and `text` (a str)."""
        return self.type in NUMERIC_TYPES

    def decode(self, raw: bytes) -> int | str:
        """The value of this field from its `size` bytes."""
        kind = self.type
        if kind == "u8" and self.mask is None:  # the common case first
            return raw[0]
        if kind in INTEGERS:
            _, order, signed = INTEGERS[kind]
            value = int.from_bytes(raw, order, signed=signed)  # type: ignore[arg-type]
            return value if self.mask is None else value & self.mask
        if kind == "bit":
            return (raw[0] >> self.bit) & 1
        if kind == "bcd":
            value = 0
            for byte in raw:
                # A nibble above 9 is not BCD; it is kept as its value so the number still changes visibly.
                value = value * 100 + (byte >> 4) * 10 + (byte & 0x0F)
            return value
        if kind == "bytes":
            return raw.hex()
        return decode_text(raw, self.charset)
