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

__all__ = [
    "BUNDLED_ROMS",
    "BUTTONS",
    "DEFAULT_ROM",
    "RAM_HASH_REGIONS",
    "GameBoy",
    "RomInfo",
    "bundled_rom",
    "bundled_roms",
    "bundled_with_hash",
    "read_rom",
    "rom_file",
]

# The cartridges shipped inside the package, by the name `--rom` accepts: the seeded long worlds, and the classic
# six-area quest (kept byte for byte, so that runs recorded on it still verify).
BUNDLED_ROMS = {"animus-quest": "animus_quest.gb", "animus-quest-classic": "animus_quest_classic.gb"}
DEFAULT_ROM = "animus-quest"


def bundled_rom(name: str = DEFAULT_ROM) -> Path:
    """The path of a cartridge shipped inside the package (`name` from `BUNDLED_ROMS`; the default one if omitted)."""
    return Path(str(resources.files("animus.emulator") / "roms" / BUNDLED_ROMS[name]))


def bundled_roms() -> list[Path]:
    """Every cartridge shipped inside the package."""
    return [bundled_rom(name) for name in BUNDLED_ROMS]


def bundled_with_hash(sha256: str) -> Path | None:
    """The bundled cartridge whose bytes have `sha256`, if one has."""
    for path in bundled_roms():
        if path.is_file() and read_rom(path)[1].sha256 == sha256:
            return path
    return None


def rom_file(rom: str | None) -> Path:
    """The file a config's `rom` names: the default bundled cartridge for none, a bundled one by name, else a path.

    A file of the same name as a bundled cartridge wins over it: a path the user typed is never second-guessed.
    """
    if rom is None:
        return bundled_rom()
    if rom in BUNDLED_ROMS and not Path(rom).exists():
        return bundled_rom(rom)
    return Path(rom)


def __getattr__(name: str) -> Any:
    if name == "GameBoy":
        from animus.emulator.gameboy import GameBoy

        return GameBoy
    raise AttributeError(f"module 'animus.emulator' has no attribute {name!r}")
