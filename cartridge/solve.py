#!/usr/bin/env python3
"""Shortest known press sequence for any world of Animus Quest 2, read from the cartridge's own RAM.

The solver boots the ROM in PyBoy, writes the world number (0xC01A) once the title is ready (magic 0x57 at
0xC000), presses START and reads the world block (0xC080..0xCAEF, layout in cartridge/README.md). It then models
the rules: one d-pad press moves one tile or only turns when the tile ahead blocks, A acts on the faced tile,
one A per dialog page plus the closing A, battles with fixed damage and HP carried over, the inn, fainting.

Optimality: every leg (from where the last goal left the player to facing the next goal's tile) is a shortest
path by BFS over (area, x, y, facing); the order of the goals, optional inn visits and deliberate faints are
chosen by Dijkstra over (goals done, position, HP). Where several tiles next to a goal are equally near, the
leg ends on the first one found, so the result is optimal among plans built from such legs.

    python cartridge/solve.py WORLD            print the presses, one per line
    python cartridge/solve.py WORLD --check    also replay them on the ROM and check the FINISHED flag
    python cartridge/solve.py --table 0-99     world,presses for a range, then the distribution
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROM = REPO / "src" / "animus" / "emulator" / "roms" / "animus_quest.gb"

W, H, N_AREAS = 20, 14, 31
FLOOR, WALL, TREE, ROCK, WATER, DOOR = 0x80, 0x81, 0x82, 0x83, 0x84, 0x85
GUARDIAN, GATE, SEALED, INNKEEPER = 0x87, 0x89, 0x95, 0x97
BORDER = (WALL, TREE, ROCK, WALL)
PILLAR = (WALL, TREE, ROCK, WATER)
DX = (0, 0, -1, 1)  # facing / side order: down (S), up (N), left (W), right (E)
DY = (1, -1, 0, 0)
DIRS = ("down", "up", "left", "right")
HOME, HOME_X, HOME_Y = 0, 9, 5

# feature roles
R_ELDER, R_INN, R_G1, R_ALTAR, R_SWORD, R_BRONZE, R_GOLD, R_LEVER = 1, 5, 6, 9, 10, 11, 12, 13
# dialog ids
D_ELDER_END, D_INN, D_FOUND_SWORD, D_FOUND_BRONZE, D_FOUND_GOLD, D_LEVER_PULL = 4, 12, 15, 16, 17, 20
D_OPENS, D_CHALLENGE, D_WIN, D_ALTAR_CROWN, D_FAINTED = 25, 29, 32, 36, 38
FOE_HP, FOE_DMG, MAX_HP = (30, 40, 50), (5, 6, 7), 30

# goals (bit numbers of the `done` mask)
SWORD, BRONZE, GOLD, BGATE, SGATE, GGATE, LEVER, G1, G2, G3, ALTAR, END = range(12)
GOAL_NAMES = (
    "sword",
    "bronze key",
    "gold key",
    "bronze gate",
    "silver gate",
    "gold gate",
    "lever",
    "guardian 1",
    "guardian 2",
    "guardian 3",
    "altar",
    "elder",
)
NEEDS = {
    BGATE: 1 << BRONZE,
    SGATE: 1 << G1,
    GGATE: 1 << GOLD,
    ALTAR: (1 << G1) | (1 << G2) | (1 << G3),
    END: 1 << ALTAR,
}


@dataclass
class World:
    """The world block of one world, as the cartridge generated it."""

    number: int
    block: bytes
    town: int = 0
    feats: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    tiles: list[list[int]] = field(default_factory=list)  # per area, 280 tile ids with gates/seal closed
    kind: list[int] = field(default_factory=list)
    region: list[int] = field(default_factory=list)
    maze: list[int] = field(default_factory=list)
    sealed: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    dpos: list[tuple[int, ...]] = field(default_factory=list)
    dtype: list[tuple[int, ...]] = field(default_factory=list)
    gates: list[tuple[int, int]] = field(default_factory=list)  # (area, side) of the bronze/silver/gold gate
    seal: tuple[int, int] = (0, 0)

    def area_rec(self, a: int) -> bytes:
        return self.block[0x10 + 64 * a : 0x10 + 64 * a + 64]


def parse_block(number: int, block: bytes) -> World:
    """Decode the world block (0xC080..0xCAEF) into a `World`."""
    w = World(number, block)
    head = block[:16]
    w.town = head[2]
    nfeat = head[3]
    w.gates = [(head[4 + k], head[7 + k]) for k in range(3)]
    w.seal = (head[10], head[11])
    base = 0xC850 - 0xC080
    w.feats = [tuple(block[base + 6 * i : base + 6 * i + 6]) for i in range(nfeat)]  # type: ignore[misc]
    w.pages = list(block[0xCAB0 - 0xC080 : 0xCAB0 - 0xC080 + 40])
    for a in range(N_AREAS):
        r = w.area_rec(a)
        w.kind.append(r[0])
        w.region.append(r[1])
        w.dpos.append(tuple(r[4:8]))
        w.dtype.append(tuple(r[8:12]))
        w.maze.append(r[12])
        w.sealed.append(r[13])
        w.names.append(r[52:64].decode("ascii").rstrip())
        border = BORDER[r[0]]
        pillar = border if r[12] else PILLAR[r[0]]
        t = [border] * (W * H)
        for y in range(1, H - 1):
            row = r[16 + 3 * (y - 1)] | r[17 + 3 * (y - 1)] << 8 | r[18 + 3 * (y - 1)] << 16
            for x in range(1, W - 1):
                t[y * W + x] = pillar if row >> (x - 1) & 1 else FLOOR
        pos, typ = r[4:8], r[8:12]
        for side, (px, py) in enumerate(((None, 13), (None, 0), (0, None), (19, None))):
            if typ[side]:
                x = pos[side] if px is None else px
                y = pos[side] if py is None else py
                t[y * W + x] = GATE if 2 <= typ[side] <= 4 else SEALED if typ[side] == 5 else DOOR
        if a == w.town:
            t[10] = DOOR
        w.tiles.append(t)
    for area, x, y, tile, _role, _aux in w.feats:
        w.tiles[area][y * W + x] = tile
    return w


def neighbour(area: int, side: int) -> int:
    return area + (6, -6, -1, 1)[side]


class Model:
    """Movement under one world: tile BFS with the facing bookkeeping of the cartridge's d-pad rule."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.cache: dict[tuple[int, int, int], tuple[list[int], list[int], list[int]]] = {}
        gate_pos = []
        for area, side in world.gates:
            p = world.dpos[area][side]
            x, y = ((p, 13), (p, 0), (0, p), (19, p))[side]
            gate_pos.append(area * W * H + y * W + x)
        self.gate_node = gate_pos
        area, side = world.seal
        p = world.dpos[area][side]
        x, y = ((p, 13), (p, 0), (0, p), (19, p))[side]
        self.seal_node = area * W * H + y * W + x
        self.guard_node = {}
        for area, x, y, tile, role, _aux in world.feats:
            if tile == GUARDIAN:
                self.guard_node[role - R_G1] = area * W * H + y * W + x

    def tile(self, node: int, config: int) -> int:
        t = self.w.tiles[node // (W * H)][node % (W * H)]
        if t == GATE:
            k = self.gate_node.index(node)
            return DOOR if config >> k & 1 else GATE
        if t == SEALED:
            return DOOR if config >> 3 & 1 else SEALED
        if t == GUARDIAN:
            for k, n in self.guard_node.items():
                if n == node and config >> (4 + k) & 1:
                    return FLOOR
        return t

    def step(self, node: int, d: int, config: int) -> int:
        """Where pressing direction d from node leads (node itself when blocked)."""
        area, rest = divmod(node, W * H)
        y, x = divmod(rest, W)
        nx, ny = x + DX[d], y + DY[d]
        if not (0 <= nx < W and 0 <= ny < H):
            return node
        target = area * W * H + ny * W + nx
        t = self.tile(target, config)
        if t == FLOOR:
            return target
        if t != DOOR:
            return node
        if area == HOME:
            return self.w.town * W * H + 1 * W + 10
        if area == self.w.town and (nx, ny) == (10, 0):
            return HOME * W * H + 12 * W + 10
        side = 0 if ny == 13 else 1 if ny == 0 else 2 if nx == 0 else 3
        pos = self.w.dpos[area][side]
        dest = neighbour(area, side)
        ax, ay = ((pos, 1), (pos, 12), (18, pos), (1, pos))[side]
        return dest * W * H + ay * W + ax

    def bfs(self, start: int, facing: int, config: int) -> tuple[list[int], list[int], list[int]]:
        """dist per node, facings reachable at that distance (bit mask), predecessor per (node, facing)."""
        key = (start, facing, config)
        if key in self.cache:
            return self.cache[key]
        n = N_AREAS * W * H
        dist = [-1] * n
        faces = [0] * n
        pred = [-1] * (4 * n)
        dist[start] = 0
        faces[start] = 1 << facing
        q = deque([start])
        while q:
            u = q.popleft()
            du = dist[u] + 1
            for d in range(4):
                v = self.step(u, d, config)
                if v == u:
                    continue
                if dist[v] < 0:
                    dist[v] = du
                    q.append(v)
                if dist[v] == du and not faces[v] >> d & 1:
                    faces[v] |= 1 << d
                    pred[4 * v + d] = u
        self.cache[key] = (dist, faces, pred)
        return dist, faces, pred

    def leg(self, start: int, facing: int, config: int, target: int) -> tuple[int, int, int] | None:
        """Cheapest (presses, end node, end facing) to stand next to `target` facing it."""
        dist, faces, _ = self.bfs(start, facing, config)
        area, rest = divmod(target, W * H)
        ty, tx = divmod(rest, W)
        best = None
        for f in range(4):
            px, py = tx - DX[f], ty - DY[f]
            if not (0 <= px < W and 0 <= py < H):
                continue
            p = area * W * H + py * W + px
            if dist[p] < 0 or self.tile(p, config) != FLOOR:
                continue
            c = dist[p] + (0 if faces[p] >> f & 1 else 1)
            if best is None or c < best[0]:
                best = (c, p, f)
        return best

    def presses(self, start: int, facing: int, config: int, end: int, end_facing: int) -> list[str]:
        dist, faces, pred = self.bfs(start, facing, config)
        out: list[str] = []
        node, f = end, end_facing
        if not faces[end] >> end_facing & 1:
            out.append(DIRS[end_facing])
            f = next(d for d in range(4) if faces[end] >> d & 1)
        while node != start or dist[node] != 0:
            out.append(DIRS[f])
            node = pred[4 * node + f]
            f = next(d for d in range(4) if faces[node] >> d & 1)
        out.reverse()
        return out


def goal_targets(w: World, model: Model) -> dict[int, int]:
    t: dict[int, int] = {}
    by_role = {
        R_SWORD: SWORD,
        R_BRONZE: BRONZE,
        R_GOLD: GOLD,
        R_LEVER: LEVER,
        R_G1: G1,
        R_G1 + 1: G2,
        R_G1 + 2: G3,
        R_ALTAR: ALTAR,
        R_ELDER: END,
    }
    for area, x, y, _tile, role, _aux in w.feats:
        if role in by_role:
            t[by_role[role]] = area * W * H + y * W + x
    for k, g in enumerate((BGATE, SGATE, GGATE)):
        t[g] = model.gate_node[k]
    return t


def config_of(done: int) -> int:
    c = 0
    for bit, g in enumerate((BGATE, SGATE, GGATE, LEVER, G1, G2, G3)):
        if done >> g & 1:
            c |= 1 << bit
    return c


def plan(w: World) -> list[str]:
    """Dijkstra over (goals done, position, facing, HP); returns the presses after START."""
    model = Model(w)
    targets = goal_targets(w, model)
    inn = next((a * W * H + y * W + x) for a, x, y, tile, _r, _x in w.feats if tile == INNKEEPER)
    inn_front = inn + W
    pg = w.pages
    simple = {
        SWORD: 1 + pg[D_FOUND_SWORD],
        BRONZE: 1 + pg[D_FOUND_BRONZE],
        GOLD: 1 + pg[D_FOUND_GOLD],
        BGATE: 1 + pg[D_OPENS],
        SGATE: 1 + pg[D_OPENS + 1],
        GGATE: 1 + pg[D_OPENS + 2],
        LEVER: 1 + pg[D_LEVER_PULL],
        ALTAR: 1 + pg[D_ALTAR_CROWN],
        END: 1 + pg[D_ELDER_END],
    }
    start = (0, HOME * W * H + HOME_Y * W + HOME_X, 0, MAX_HP)
    best: dict[tuple[int, int, int, int], int] = {start: 0}
    back: dict[tuple[int, int, int, int], tuple[tuple[int, int, int, int], list[str]]] = {}
    heap = [(0, start)]
    while heap:
        cost, state = heapq.heappop(heap)
        if best.get(state, 1 << 30) < cost:
            continue
        done, node, facing, hp = state
        if done >> END & 1:
            out: list[str] = []
            while state != start:
                state, seg = back[state]
                out[:0] = seg
            return out
        config = config_of(done)
        moves: list[tuple[int, tuple[int, int, int, int], list[str], tuple[int, int, int]]] = []
        for g, target in targets.items():
            if done >> g & 1 or (done & NEEDS.get(g, 0)) != NEEDS.get(g, 0):
                continue
            leg = model.leg(node, facing, config, target)
            if leg is None:
                continue
            walk, end, f = leg
            if g in simple:
                moves.append((walk + simple[g], (done | 1 << g, end, f, hp), ["a"] * simple[g], leg))
                continue
            k = g - G1
            dmg = 10 if done >> SWORD & 1 else 4
            hits = -(-FOE_HP[k] // dmg)
            talk = 1 + pg[D_CHALLENGE + k]
            if hp > (hits - 1) * FOE_DMG[k]:
                n = talk + hits + pg[D_WIN + k]
                moves.append((walk + n, (done | 1 << g, end, f, hp - (hits - 1) * FOE_DMG[k]), ["a"] * n, leg))
            else:  # fight until fainting: back in TOWN in front of the inn, HP full
                n = talk + -(-hp // FOE_DMG[k]) + pg[D_FAINTED]
                moves.append((walk + n, (done, inn_front, 1, MAX_HP), ["a"] * n, leg))
        if hp < MAX_HP:
            leg = model.leg(node, facing, config, inn)
            if leg is not None:
                n = 1 + pg[D_INN]
                moves.append((leg[0] + n, (done, leg[1], leg[2], MAX_HP), ["a"] * n, leg))
        for add, nstate, tail, (_w, end, f) in moves:
            ncost = cost + add
            if ncost < best.get(nstate, 1 << 30):
                best[nstate] = ncost
                back[nstate] = (state, model.presses(node, facing, config, end, f) + tail)
                heapq.heappush(heap, (ncost, nstate))
    raise RuntimeError(f"world {w.number}: no plan finishes the game")


# -- the emulator side ---------------------------------------------------------------------------------------


def boot(world: int, rom: Path = DEFAULT_ROM) -> GameBoy:
    """A GameBoy on the title screen with `world` written per the harness protocol."""
    from animus.emulator.gameboy import GameBoy

    gb = GameBoy(rom)
    for _ in range(600):
        if gb.read(0xC000)[0] == 0x57:
            break
        gb.tick(1, render=False)
    gb.write(0xC01A, bytes((world & 0xFF, world >> 8)))
    gb.tick(2, render=False)
    return gb


def read_world(world: int, rom: Path = DEFAULT_ROM) -> World:
    gb = boot(world, rom)
    try:
        gb.press("start", hold_frames=2, wait_frames=4, render=False)
        for _ in range(400):
            if gb.read(0xC002)[0] == 1:
                break
            gb.tick(1, render=False)
        return parse_block(world, gb.read(0xC080, 0xCAF0 - 0xC080))
    finally:
        gb.close()


def solve(world: int, rom: Path = DEFAULT_ROM) -> list[str]:
    """The presses that finish `world` from the title screen (START first)."""
    return ["start", *plan(read_world(world, rom))]


def replay(world: int, presses: list[str], rom: Path = DEFAULT_ROM, hold: int = 2, wait: int = 6) -> bytes:
    """Play `presses` on the ROM; returns the 0xC000-0xC020 state bytes at the end."""
    gb = boot(world, rom)
    try:
        for i, p in enumerate(presses):
            gb.press(p, hold_frames=hold, wait_frames=200 if i == 0 else wait, render=False)
        return bytes(gb.read(0xC000, 0x20))
    finally:
        gb.close()


def finished(state: bytes) -> bool:
    return bool(state[0x09] & 0x20) and state[0x02] == 4


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("world", nargs="?", type=int)
    ap.add_argument("--rom", type=Path, default=DEFAULT_ROM)
    ap.add_argument("--check", action="store_true", help="replay on the ROM and check FINISHED")
    ap.add_argument("--table", help="A-B: world,presses for a range and the distribution")
    args = ap.parse_args(argv)
    if args.table:
        a, b = (int(x) for x in args.table.split("-"))
        counts = []
        for wn in range(a, b + 1):
            n = len(solve(wn, args.rom))
            counts.append(n)
            print(f"{wn},{n}", flush=True)
        q = statistics.quantiles(counts, n=4) if len(counts) > 1 else [counts[0]] * 3
        print(
            f"# worlds {a}-{b}: median {statistics.median(counts)} min {min(counts)} max {max(counts)} "
            f"quartiles {q[0]:g} {q[2]:g}"
        )
        return 0
    if args.world is None:
        ap.error("give a WORLD or --table A-B")
    presses = solve(args.world, args.rom)
    print("\n".join(presses))
    if args.check:
        state = replay(args.world, presses, args.rom)
        ok = finished(state)
        print(f"# {len(presses)} presses, finished={ok}", file=sys.stderr)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
