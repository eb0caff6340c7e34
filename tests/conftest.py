"""Shared fixtures: the bundled classic cartridge and ROM files derived from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from animus.emulator import bundled_rom
from animus.emulator.rom import header_checksum

REPO = Path(__file__).resolve().parent.parent

# The classic six-area Animus Quest, which most tests play or inspect: pinned by its bundled name (`--rom`, a config's
# `rom`), so they keep playing it whichever cartridge is the default. Its sources live in cartridge/classic/.
CLASSIC = "animus-quest-classic"
CLASSIC_ROM = ("--rom", CLASSIC)  # the `animus run` options that select it
CLASSIC_CONFIG = f'[config]\nrom = "{CLASSIC}"\n'  # a fleet plan's [config] table that selects it
CLASSIC_DIR = REPO / "cartridge" / "classic"


@pytest.fixture(scope="session")
def quest_rom() -> Path:
    """The classic cartridge's bundled ROM file."""
    return bundled_rom(CLASSIC)


@pytest.fixture(scope="session")
def quest_bytes(quest_rom: Path) -> bytes:
    return quest_rom.read_bytes()


def retitled(data: bytes, title: str) -> bytes:
    """`data` with a new cartridge title and a header checksum that matches it."""
    raw = bytearray(data)
    raw[0x134:0x143] = title.encode("ascii").ljust(15, b"\x00")
    raw[0x14D] = header_checksum(bytes(raw))
    return bytes(raw)


WALKTHROUGH = CLASSIC_DIR / "walkthrough.txt"


def load_walkthrough(path: Path = WALKTHROUGH) -> list[str]:
    """The walkthrough as a flat list of button names, one per press (format: cartridge/classic/README.md)."""
    from animus.agent.models.scripted import read_walkthrough

    return [button for line in read_walkthrough(path) for button in line]


@pytest.fixture(scope="session")
def walkthrough() -> list[str]:
    return load_walkthrough()


def animus_env() -> dict[str, str]:
    """The environment a user's shell would give `animus`: PySDL2 warns only where its variable is unset."""
    import os

    return {k: v for k, v in os.environ.items() if k != "PYSDL2_DLL_PATH"}


def run_animus(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "animus", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=animus_env(),
    )


def deterministic_steps(db: Path) -> list[tuple[object, ...]]:
    """A run's steps rows without the wall-clock columns (names containing time, wall or _at)."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(steps)")]
        keep = [c for c in cols if not any(w in c for w in ("time", "wall", "_at"))]
        return conn.execute(f"SELECT {', '.join(keep)} FROM steps ORDER BY step").fetchall()
    finally:
        conn.close()
