"""The emulator layer: ROM validation and the `GameBoy` facade, the only code that touches PyBoy.

`GameBoy` is imported on first use, so code that only validates input (a ROM, a config) never pays for
importing PyBoy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.emulator.constants import BUTTONS, RAM_HASH_REGIONS
from animus.emulator.rom import RomInfo, read_rom

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy

__all__ = ["BUTTONS", "RAM_HASH_REGIONS", "GameBoy", "RomInfo", "bundled_rom", "read_rom"]


def bundled_rom() -> Path:
    """The path of Animus Quest, the cartridge shipped inside the package."""
    return Path(str(resources.files("animus.emulator") / "roms" / "animus_quest.gb"))


def __getattr__(name: str) -> Any:
    if name == "GameBoy":
        from animus.emulator.gameboy import GameBoy

        return GameBoy
    raise AttributeError(f"module 'animus.emulator' has no attribute {name!r}")
