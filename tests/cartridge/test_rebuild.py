"""The committed classic ROM is exactly what its committed sources build, and its header is what Animus promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from animus.emulator.rom import header_checksum, read_rom
from tests.conftest import CLASSIC_DIR, REPO

CARTRIDGE = REPO / "cartridge"  # every cartridge's sources, for the scans below


@pytest.mark.skipif(shutil.which("sdcc") is None, reason="sdcc is not installed (apt-get install sdcc)")
def test_sources_rebuild_the_committed_rom_byte_for_byte(quest_rom: Path, tmp_path: Path) -> None:
    out = tmp_path / "rebuilt.gb"
    subprocess.run(["bash", str(CLASSIC_DIR / "build.sh"), str(out)], check=True, capture_output=True, timeout=300)
    assert out.read_bytes() == quest_rom.read_bytes()
    assert not list(CARTRIDGE.rglob("*.ihx")) and not list(CARTRIDGE.rglob("*.rel")), "build left artifacts"


def test_header(quest_bytes: bytes, quest_rom: Path) -> None:
    _, info = read_rom(quest_rom)
    assert info.title == "ANIMUSQUEST"
    assert info.cgb == "dmg"
    assert info.cartridge_type == 0x00
    assert info.size == 32 * 1024
    assert quest_bytes[0x14D] == header_checksum(quest_bytes)
    assert len(set(quest_bytes[0x104:0x134])) == 1, "the logo area must be blank: no Nintendo logo"


def test_sources_never_busy_wait_on_ly() -> None:
    """Every wait is a HALT on the VBlank interrupt; polling LY (0xFF44) would cut emulation speed ~6x."""
    sources = [p for p in CARTRIDGE.rglob("*") if p.suffix in {".c", ".h", ".s", ".asm"}]
    assert sources
    for path in sources:
        text = path.read_text()
        assert not re.search(r"0x[fF]{2}44\b|\brLY\b|\bLY_REG\b", text), f"{path} reads LY"
    assert any("halt" in p.read_text() for p in sources)
