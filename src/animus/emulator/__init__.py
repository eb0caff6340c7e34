"""The emulator layer: ROM validation and the `GameBoy` facade, the only code that touches PyBoy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from animus.emulator.gameboy import BUTTONS, RAM_HASH_REGIONS, GameBoy
from animus.emulator.rom import RomInfo, read_rom

__all__ = ["BUTTONS", "RAM_HASH_REGIONS", "GameBoy", "RomInfo", "bundled_rom", "read_rom"]


def bundled_rom() -> Path:
    """The path of Animus Quest, the cartridge shipped inside the package."""
    return Path(str(resources.files("animus.emulator") / "roms" / "animus_quest.gb"))
