"""Benchmark: what reading a profile's state costs, against one press of the game it reads.

Each step of a run reads the whole profile once (`Profile.read`: every field, the screen, the dialog, the state
text). This puts that cost next to the press it follows, in one process, on two cartridges:
- the classic Animus Quest with its profile, after its walkthrough's first 60 presses;
- PKMN LAYOUT (tests/games/pokecart, built here with SDCC) with `pokemon-red` at its richest scene (a party with
  moves, a bag, a badge and a text box open), and the same profile on a synthetic memory image with a full
  party of six with four moves each and a full bag of 20 items: the most its arrays of records can read.
Sides alternate within each repetition; reports medians of microseconds per read and the ratio to one press
(the profile's own hold + wait frames on that cartridge).

    python bench/profiles.py [--reps 5] [--reads 2000]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from animus.emulator import GameBoy, bundled_rom
from animus.games import load_profile
from animus.games.profile import Profile

REPO = Path(__file__).resolve().parent.parent
WALKTHROUGH = REPO / "cartridge" / "classic" / "walkthrough.txt"
POKECART = REPO / "tests" / "games" / "pokecart"


class Image:
    """A 64 KiB address space in memory (what `Profile.read` needs from a Game Boy)."""

    def __init__(self) -> None:
        self.ram = bytearray(0x10000)

    def read(self, address: int, length: int = 1) -> bytes:
        return bytes(self.ram[address : address + length])


def presses(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out += [words[0].lower()] * (int(words[1][1:]) if len(words) == 2 else 1)
    return out


def full_party() -> Image:
    """Six Pokémon with four moves each and 20 bag items (pret/pokered's layout, as the profile reads it)."""
    image = Image()
    image.ram[0xD163] = 6
    for i in range(6):
        base = 0xD16B + 44 * i
        image.ram[base : base + 44] = bytes([0xB0, 0, 30, 12, 0, 0x14, 0x14, 45, 10, 45, 33, 52] + [0] * 32)
        image.ram[base + 29 : base + 33] = bytes([35, 40, 35, 25])
        image.ram[base + 33], image.ram[base + 35] = 12, 35
        image.ram[0xD2B5 + 11 * i : 0xD2B5 + 11 * i + 6] = bytes([0x82, 0x87, 0x80, 0x91, 0x8C, 0x50])
    image.ram[0xD31D] = 20
    for i in range(20):
        image.ram[0xD31E + 2 * i : 0xD320 + 2 * i] = bytes([i + 1, 5])
    return image


def per_read(profile: Profile, memory: object, reads: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reads):
        profile.read(memory)  # type: ignore[arg-type]
    return (time.perf_counter() - t0) / reads * 1e6


def per_press(gb: GameBoy, button: str, hold: int, wait: int, presses_: int) -> float:
    saved = gb.save_state()
    t0 = time.perf_counter()
    for _ in range(presses_):
        gb.press(button, hold, wait)
    elapsed = (time.perf_counter() - t0) / presses_ * 1e6
    gb.load_state(saved)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()

    classic = load_profile("animus-quest-classic")
    red = load_profile("pokemon-red")
    with tempfile.TemporaryDirectory() as tmp:
        cart = Path(tmp) / "pokecart.gb"
        subprocess.run(["sh", str(POKECART / "build.sh"), str(cart)], check=True, capture_output=True)
        quest = GameBoy(bundled_rom("animus-quest-classic"))
        poke = GameBoy(cart)
    for button in presses(WALKTHROUGH)[:60]:
        quest.press(button, 4, 12)
    for button in presses(POKECART / "walkthrough.txt")[:-2]:  # scene 14: the badge's text box
        poke.press(button, 10, 120)
    image = full_party()
    assert "Received the" in red.read(poke).dialog, "PKMN LAYOUT did not reach its badge scene"

    sides: dict[str, Callable[[], tuple[float, float]]] = {
        "animus-quest-classic on its cartridge": lambda: (
            per_read(classic, quest, args.reads),
            per_press(quest, "b", 4, 12, 50),
        ),
        "pokemon-red on PKMN LAYOUT (scene 14)": lambda: (
            per_read(red, poke, args.reads),
            per_press(poke, "b", 10, 120, 20),
        ),
        "pokemon-red, full party and bag (image)": lambda: (
            per_read(red, image, args.reads),
            per_press(poke, "b", 10, 120, 20),
        ),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(args.reps):
        for name, side in sides.items():
            results[name].append(side())
    quest.close()
    poke.close()

    print(f"# {platform.machine()} · {platform.python_implementation()} {platform.python_version()}")
    print("| profile and memory | median µs per read | median µs per press | read / press |")
    print("|---|---:|---:|---:|")
    for name, rows in results.items():
        read = statistics.median(r for r, _ in rows)
        press = statistics.median(p for _, p in rows)
        ratio = statistics.median(r / p for r, p in rows)
        print(f"| {name} | {read:,.0f} | {press:,.0f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
