"""Animus Quest 2 (cartridge/, DESIGN.md): seeded worlds read from the real ROM's RAM, the solver, the title picker.

Everything runs the committed ROM in PyBoy; the solver's plans are replayed on it and must reach FINISHED.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from animus.emulator import GameBoy
from animus.emulator.rom import header_checksum, read_rom
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "cartridge"))
import solve

ROM = REPO / "src" / "animus" / "emulator" / "roms" / "animus_quest.gb"
CARTRIDGE = REPO / "cartridge"
WORLDS = range(100)
BLOCK = (0xC080, 0xCAF0 - 0xC080)
NAMES_AND_TEXT = [(0x10 + 64 * a + 52, 12) for a in range(31)] + [(0xCAB0 - 0xC080, 0x40)]


@pytest.fixture(scope="module")
def worlds() -> dict[int, solve.World]:
    """The world block of worlds 0-99, as the ROM generates it after START."""
    return {w: solve.read_world(w, ROM) for w in WORLDS}


def test_header() -> None:
    data = ROM.read_bytes()
    _, info = read_rom(ROM)
    assert info.title == "ANIMUSQUEST2"
    assert info.cgb == "dmg"
    assert info.cartridge_type == 0x00 and info.size == 32 * 1024
    assert data[0x14D] == header_checksum(data)
    assert len(set(data[0x104:0x134])) == 1, "no Nintendo logo"


def test_same_world_gives_the_same_block_twice() -> None:
    a = hashlib.sha256(solve.read_world(4242, ROM).block).hexdigest()
    b = hashlib.sha256(solve.read_world(4242, ROM).block).hexdigest()
    assert a == b


def test_worlds_0_to_99_are_100_different_worlds(worlds: dict[int, solve.World]) -> None:
    # the first two bytes are the world number itself: compare everything else
    assert len({w.block[2:] for w in worlds.values()}) == 100


def _edges(w: solve.World) -> set[tuple[int, int]]:
    out = set()
    for a in range(1, 31):
        for side in range(4):
            if w.dtype[a][side]:
                b = solve.neighbour(a, side)
                assert w.dtype[b][side ^ 1], f"world {w.number}: door {a}->{b} has no partner"
                assert w.dpos[b][side ^ 1] == w.dpos[a][side] and w.dpos[a][side] % 2 == 1
                out.add((min(a, b), max(a, b)))
    return out


@pytest.mark.parametrize("number", range(0, 100, 4))
def test_structure(worlds: dict[int, solve.World], number: int) -> None:
    w = worlds[number]
    edges = _edges(w)
    adj: dict[int, set[int]] = {a: set() for a in range(31)}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    adj[0].add(w.town)
    adj[w.town].add(0)
    seen, todo = {0}, [0]
    while todo:
        for b in adj[todo.pop()]:
            if b not in seen:
                seen.add(b)
                todo.append(b)
    assert len(seen) == 31 >= 25
    assert len(edges) - 29 >= 3, "a spanning tree of 30 areas has 29 edges; at least 3 loops"
    assert sum(1 for a in range(1, 31) if len(adj[a] - {0}) == 1) >= 2, "dead ends"
    assert sum(w.maze[1:]) >= 2 and not w.maze[w.town]
    assert all(w.region[a] > 0 for a in range(1, 31) if w.maze[a])
    assert w.region[w.town] == 0
    for k in (1, 2, 3):
        assert sum(1 for a in range(1, 31) if w.region[a] == k) >= 4
    for (a, side), kind in zip(w.gates, (2, 3, 4), strict=True):
        assert w.region[a] == 0 and w.dtype[a][side] == kind and w.region[solve.neighbour(a, side)] > 0
    crossing = [(a, b) for a, b in edges if w.region[a] != w.region[b] or w.sealed[a] != w.sealed[b]]
    assert len(crossing) == 4, "only the three gates and the sealed door join regions or the sealed part"
    names = [n for n in w.names[1:]]
    assert len(set(names)) == 30 and all(0 < len(n) <= 12 for n in names)
    roles = {role: (area, x, y, tile) for area, x, y, tile, role, _aux in w.feats}
    assert roles[1][0] == w.town and roles[5][0] == w.town  # ELDER, INN
    assert w.region[roles[2][0]] == 0 and w.region[roles[10][0]] == 0  # SMITH, SWORD
    assert w.region[roles[11][0]] == 0 and roles[11][0] != w.town  # BRONZE KEY
    assert w.region[roles[3][0]] == 1 and w.region[roles[13][0]] == 1 and not w.sealed[roles[13][0]]  # SAGE, LEVER
    assert w.sealed[roles[6][0]]  # guardian 1 behind the sealed door
    assert w.region[roles[4][0]] == 2 and w.region[roles[7][0]] == 2  # HERMIT, guardian 2
    assert w.region[roles[12][0]] in (0, 1)  # GOLD KEY, never R2
    assert w.region[roles[8][0]] == 3 and w.region[roles[9][0]] == 3  # guardian 3, ALTAR
    _check_hints(w)


def _check_hints(w: solve.World) -> None:
    """A hint names its object's area (or a door-joined neighbour) and, when needed, a unique extreme."""
    base = 0xCA90 - 0xC080
    for h in range(4):
        feat, _fmt, direction, _syn, mode, ref, rel, _phrase = w.block[base + 8 * h : base + 8 * h + 8]
        area, x, y, tile, _role, _aux = w.feats[feat]
        same = [(fx, fy) for fa, fx, fy, ft, _r, _a in w.feats if fa == area and ft == tile]
        if len(same) > 1:
            assert direction in (1, 2, 3, 4), f"world {w.number} hint {h}: {len(same)} objects, no direction"
            key = {1: lambda p: p[1], 2: lambda p: -p[1], 3: lambda p: p[0], 4: lambda p: -p[0]}[direction]
            ranked = sorted(same, key=key)
            assert ranked[0] == (x, y) and key(ranked[0]) < key(ranked[1])
        if mode:
            assert solve.neighbour(ref, rel) == area and w.dtype[ref][rel] and w.dtype[area][rel ^ 1]


def _replay(item: tuple[int, list[str]]) -> tuple[int, bool]:
    number, presses = item
    return number, solve.finished(solve.replay(number, presses, ROM, hold=2, wait=6))


def test_the_solver_finishes_every_world_0_to_99(worlds: dict[int, solve.World]) -> None:
    plans = {n: ["start", *solve.plan(w)] for n, w in worlds.items()}
    lengths = sorted(len(p) for p in plans.values())
    assert lengths[50] >= 1000, f"median optimum {lengths[50]} is below 1000 presses"
    failed = [n for n, ok in map(_replay, plans.items()) if not ok]
    assert not failed, f"the solver's plan did not finish worlds {failed}"


@pytest.fixture
def title() -> Iterator[GameBoy]:
    gb = solve.boot(0, ROM)
    yield gb
    gb.close()


def _world(gb: GameBoy) -> int:
    return int.from_bytes(gb.read(0xC01A, 2), "little")


def _shown(gb: GameBoy) -> str:
    return gb.read(0x9800 + 9 * 32 + 10, 5).decode("ascii")


def test_title_picker_changes_the_number_with_the_dpad(title: GameBoy) -> None:
    gb = title
    assert gb.read(0xC002)[0] == 0 and _shown(gb) == "00000"
    gb.press("up", hold_frames=2, wait_frames=4)
    assert _world(gb) == 10000 and _shown(gb) == "10000"
    gb.press("right", hold_frames=2, wait_frames=4)
    gb.press("up", hold_frames=2, wait_frames=4)
    gb.press("up", hold_frames=2, wait_frames=4)
    assert _world(gb) == 12000
    gb.press("down", hold_frames=2, wait_frames=4)
    assert _world(gb) == 11000 and gb.read(0xC01C)[0] == 1
    gb.press("left", hold_frames=2, wait_frames=4)
    gb.press("left", hold_frames=2, wait_frames=4)
    gb.press("down", hold_frames=2, wait_frames=4)  # digit 4 (wrapped): 0 -> 9
    assert _world(gb) == 11009 and _shown(gb) == "11009"
    gb.write(0xC01A, (65535).to_bytes(2, "little"))
    gb.tick(3)
    assert _shown(gb) == "65535"
    gb.press("up", hold_frames=2, wait_frames=4)  # 65536 is clamped
    assert _world(gb) == 65535


@pytest.mark.skipif(shutil.which("sdcc") is None, reason="sdcc is not installed (apt-get install sdcc)")
def test_sources_rebuild_the_rom_and_the_alt_vocabulary_keeps_the_world(tmp_path: Path) -> None:
    out, alt = tmp_path / "rebuilt.gb", tmp_path / "alt.gb"
    subprocess.run(["sh", str(CARTRIDGE / "build.sh"), str(out)], check=True, capture_output=True, timeout=300)
    assert out.read_bytes() == ROM.read_bytes()
    env = {**os.environ, "VOCAB": "alt"}
    subprocess.run(["sh", str(CARTRIDGE / "build.sh"), str(alt)], check=True, capture_output=True, timeout=300, env=env)
    assert not list(CARTRIDGE.rglob("*.ihx")) and not list(CARTRIDGE.rglob("*.rel")), "build left artifacts"
    std_world, alt_world = solve.read_world(31, ROM), solve.read_world(31, alt)

    def structure(block: bytes) -> bytes:
        b = bytearray(block)
        for start, length in NAMES_AND_TEXT:
            b[start : start + length] = bytes(length)
        return bytes(b)

    assert structure(std_world.block) == structure(alt_world.block)
    assert std_world.names[1:] != alt_world.names[1:]
    assert _first_words(ROM, std_world) != _first_words(alt, alt_world)


def _first_words(rom: Path, w: solve.World) -> str:
    """Walk to the person in HOME and read the first page of what they say."""
    model = solve.Model(w)
    area, x, y = next((a, fx, fy) for a, fx, fy, _t, role, _x in w.feats if role == 15)
    start = solve.HOME_Y * solve.W + solve.HOME_X
    _, end, face = model.leg(start, 0, 0, area * 280 + y * 20 + x) or (0, 0, 0)
    gb = solve.boot(w.number, rom)
    try:
        for i, p in enumerate(["start", *model.presses(start, 0, 0, end, face), "a"]):
            gb.press(p, hold_frames=2, wait_frames=200 if i == 0 else 6)
        return gb.read(0xC020, 36).decode("ascii")
    finally:
        gb.close()
