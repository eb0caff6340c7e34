"""Fixtures for the game-profile tests: PKMN LAYOUT, the Pokémon-layout test cartridge, built once a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.games.pokecart_rom import build


@pytest.fixture(scope="session")
def pokecart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built PKMN LAYOUT ROM (skips when SDCC is not installed)."""
    return build(tmp_path_factory.mktemp("pokecart") / "pokecart.gb")
