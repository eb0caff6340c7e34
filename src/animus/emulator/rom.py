"""Reading and validating a Game Boy ROM before PyBoy sees it.

PyBoy itself checks only a few things and fails with messages meant for its developers (or, for a bad RAM-size
byte, with a bare KeyError). `read_rom` checks everything PyBoy relies on and raises `RomError` with a message
that names the problem and the fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from animus.errors import RomError

BANK_SIZE = 16 * 1024
MAX_ROM_SIZE = 8 * 1024 * 1024
HEADER_END = 0x150

# Cartridge type byte (0x147) -> name, after Pan Docs.
CARTRIDGE_TYPES: dict[int, str] = {
    0x00: "ROM ONLY",
    0x01: "MBC1",
    0x02: "MBC1+RAM",
    0x03: "MBC1+RAM+BATTERY",
    0x05: "MBC2",
    0x06: "MBC2+BATTERY",
    0x08: "ROM+RAM",
    0x09: "ROM+RAM+BATTERY",
    0x0B: "MMM01",
    0x0C: "MMM01+RAM",
    0x0D: "MMM01+RAM+BATTERY",
    0x0F: "MBC3+TIMER+BATTERY",
    0x10: "MBC3+TIMER+RAM+BATTERY",
    0x11: "MBC3",
    0x12: "MBC3+RAM",
    0x13: "MBC3+RAM+BATTERY",
    0x19: "MBC5",
    0x1A: "MBC5+RAM",
    0x1B: "MBC5+RAM+BATTERY",
    0x1C: "MBC5+RUMBLE",
    0x1D: "MBC5+RUMBLE+RAM",
    0x1E: "MBC5+RUMBLE+RAM+BATTERY",
    0x20: "MBC6",
    0x22: "MBC7+SENSOR+RUMBLE+RAM+BATTERY",
    0xFC: "POCKET CAMERA",
    0xFD: "BANDAI TAMA5",
    0xFE: "HuC3",
    0xFF: "HuC1+RAM+BATTERY",
}

# The types PyBoy 2.8.1 can emulate (its cartridge table); the others exist but PyBoy refuses them.
SUPPORTED_TYPES = frozenset(
    {0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x08, 0x09, 0x0F, 0x10, 0x11, 0x12, 0x13} | set(range(0x19, 0x1F))
)

# RAM size byte (0x149) values PyBoy knows; anything else makes it fail with a KeyError.
RAM_SIZES_KIB = {0x00: 0, 0x01: 2, 0x02: 8, 0x03: 32, 0x04: 128, 0x05: 64}


@dataclass(frozen=True)
class RomInfo:
    """Facts about a ROM file, read from its bytes and its cartridge header."""

    path: str
    size: int
    sha256: str
    title: str
    cartridge_type: int
    cartridge_name: str
    declared_rom_size: int
    ram_size_kib: int
    cgb: str  # "dmg", "cgb-compatible" or "cgb-only"
    sgb: bool
    header_checksum: int
    global_checksum_ok: bool

    @property
    def cgb_only(self) -> bool:
        """True when the cartridge refuses to run on an original Game Boy."""
        return self.cgb == "cgb-only"


def header_checksum(data: bytes) -> int:
    """The header checksum the boot ROM computes over 0x134-0x14C (stored at 0x14D)."""
    x = 0
    for b in data[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    return x


def _title(data: bytes) -> str:
    # On CGB-aware cartridges the last title byte is the CGB flag.
    end = 0x143 if data[0x143] in (0x80, 0xC0) else 0x144
    raw = data[0x134:end].split(b"\x00", 1)[0]
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw).strip()


def read_rom(path: str | Path) -> tuple[bytes, RomInfo]:
    """Read and validate the ROM at `path`; return its bytes and header facts.

    Checks, in order: the path exists and is a readable regular file; the file is not empty, is at most 8 MiB and
    a whole number of 16 KiB banks; the header checksum is valid; PyBoy supports the cartridge type and the RAM
    size; the file is not shorter than the size its header declares. Raises `RomError` on the first failure.
    """
    p = Path(path)
    shown = str(path)
    if not p.exists():
        raise RomError(f"ROM not found: {shown}. Check the path, or run `animus rom info` for the bundled cartridge.")
    if p.is_dir():
        raise RomError(f"ROM path is a directory: {shown}. Give the path of the .gb/.gbc file inside it.")
    if not p.is_file():
        raise RomError(f"ROM path is not a regular file: {shown}. Give the path of a .gb/.gbc file.")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RomError(f"cannot read ROM {shown}: {exc.strerror}. Check the file's permissions.") from None

    size = len(data)
    if size == 0:
        raise RomError(f"ROM file is empty: {shown}. Copy the ROM again; a Game Boy ROM is at least 32 KiB.")
    if size > MAX_ROM_SIZE:
        raise RomError(
            f"ROM file is too large: {shown} is {size} bytes, over the 8 MiB a Game Boy cartridge can hold. "
            "Is this really a .gb/.gbc file?"
        )
    if size % BANK_SIZE:
        raise RomError(
            f"ROM file looks truncated or padded: {shown} is {size} bytes, not a multiple of 16 KiB. "
            "Copy or dump the ROM again."
        )
    expected = header_checksum(data)
    if data[0x14D] != expected:
        raise RomError(
            f"bad header checksum in {shown}: stored 0x{data[0x14D]:02X}, computed 0x{expected:02X}. "
            "This is not a Game Boy ROM, or its header is corrupt: dump or download it again."
        )
    ctype = data[0x147]
    if ctype not in SUPPORTED_TYPES:
        name = CARTRIDGE_TYPES.get(ctype, "unknown")
        raise RomError(
            f"unsupported cartridge type 0x{ctype:02X} ({name}) in {shown}: PyBoy emulates only ROM ONLY, MBC1, "
            "MBC2, MBC3 and MBC5 cartridges."
        )
    ram_byte = data[0x149]
    if ram_byte not in RAM_SIZES_KIB:
        raise RomError(
            f"invalid RAM size byte 0x{ram_byte:02X} at 0x149 in {shown} (valid: 0x00-0x05). The header is corrupt: "
            "dump or download the ROM again."
        )
    rom_byte = data[0x148]
    declared = (32 * 1024) << rom_byte if rom_byte <= 0x08 else 0
    if declared and size < declared:
        raise RomError(
            f"ROM file is truncated: {shown} is {size} bytes but its header declares {declared}. "
            "Copy or dump the ROM again."
        )

    global_sum = sum(data) - data[0x14E] - data[0x14F]
    cgb_flag = data[0x143]
    info = RomInfo(
        path=str(p.resolve()),
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        title=_title(data),
        cartridge_type=ctype,
        cartridge_name=CARTRIDGE_TYPES[ctype],
        declared_rom_size=declared,
        ram_size_kib=RAM_SIZES_KIB[ram_byte],
        cgb={0x80: "cgb-compatible", 0xC0: "cgb-only"}.get(cgb_flag, "dmg"),
        sgb=data[0x146] == 0x03,
        header_checksum=data[0x14D],
        global_checksum_ok=(global_sum & 0xFFFF) == int.from_bytes(data[0x14E:0x150], "big"),
    )
    return data, info
