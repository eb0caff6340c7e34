"""Shared fixtures: the bundled cartridge and ROM files derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from animus.emulator import bundled_rom
from animus.emulator.rom import header_checksum

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def quest_rom() -> Path:
    return bundled_rom()


@pytest.fixture(scope="session")
def quest_bytes(quest_rom: Path) -> bytes:
    return quest_rom.read_bytes()


def retitled(data: bytes, title: str) -> bytes:
    """`data` with a new cartridge title and a header checksum that matches it."""
    raw = bytearray(data)
    raw[0x134:0x143] = title.encode("ascii").ljust(15, b"\x00")
    raw[0x14D] = header_checksum(bytes(raw))
    return bytes(raw)


WALKTHROUGH = REPO / "cartridge" / "walkthrough.txt"


def load_walkthrough(path: Path = WALKTHROUGH) -> list[str]:
    """The walkthrough as a flat list of button names, one per press (format: cartridge/README.md)."""
    presses: list[str] = []
    for line in path.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        count = int(words[1].lstrip("x")) if len(words) > 1 else 1
        presses.extend([words[0].lower()] * count)
    return presses


@pytest.fixture(scope="session")
def walkthrough() -> list[str]:
    return load_walkthrough()
