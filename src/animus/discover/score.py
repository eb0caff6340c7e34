"""Scoring RAM bytes as the player's x and y, the map id and progress, from `Observations`.

Each role has its own test, and every candidate keeps the numbers that made it one (`Candidate.evidence`):
- x (y): moves by a constant step k with RIGHT (DOWN), by -k with LEFT (UP), never with the other axis, never
  while idle;
- map: changes when the screen changes wholesale, never while the player walks on one screen, never while idle;
- progress: only ever increases (a counter) or only ever gains bits (flags) over every forward transition seen,
  changed at least once, never while idle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from animus.discover.probe import Observations
from animus.discover.screens import QUIET, scrolled, wholesale

MAX_STEP = 32  # the largest step per move tried: a cell of 16 pixels, or two of them
MIN_MOVES = 3  # probes an axis candidate must have moved with, at least
BUSY = 0.5  # a progress byte changes in fewer than this share of the transitions (more is a timer)
STACK_PAGE = 0xDF00
SMALL_START = 16  # progress bytes start below this once past the title (text and pointers seldom do)
AXES = {"x": ("right", "left", "up", "down"), "y": ("down", "up", "left", "right")}


@dataclass(frozen=True)
class Candidate:
    """A guess for one role: its address and field type, a score (higher is better) and why, in words.

    `step` is the change per move (x and y); `first` is the value once past the title (progress) or the smallest
    value seen (map), `last` the largest value seen."""

    role: str  # "x", "y", "map", "flags" or "counter"
    address: int
    type: str  # "u8", "u16le" or "u16be"
    score: float
    evidence: str
    step: int = 1
    first: int = 0
    last: int = 0


@dataclass(frozen=True)
class Scores:
    """The candidates for each role, best first."""

    x: list[Candidate]
    y: list[Candidate]
    map: list[Candidate]
    progress: list[Candidate]


@dataclass(frozen=True)
class _Transitions:
    """Every forward transition seen (exploration presses and probe presses): RAM before and after, and how the
    screen changed: wholesale (`big`), or a little or by scrolling (`quiet`)."""

    before: np.ndarray
    after: np.ndarray
    big: np.ndarray
    quiet: np.ndarray


def score(obs: Observations) -> Scores:
    """Rank candidates for every role; an address has at most one role, x and y taking theirs first."""
    idle = np.any(obs.idle_ram[:, 0] != obs.idle_ram[:, 1], axis=0)
    # A probe through a door moves the player to another map: its changes say nothing about the axes either way.
    doors = np.array([wholesale(t[0], t[1]) or wholesale(t[1], t[2]) for t in obs.probe_tiles])
    x = _axis(obs, "x", idle, doors)
    y = [c for c in _axis(obs, "y", idle, doors) if not x or c.address != x[0].address]
    taken = {c.address for c in x[:1] + y[:1]} | {c.address + 1 for c in x[:1] + y[:1] if c.type != "u8"}
    moves = _transitions(obs)
    maps = _map(obs, moves, idle, taken)
    taken |= {c.address for c in maps[:1]}
    return Scores(x, y, maps, _progress(obs, moves, idle, taken))


# -- x and y ----------------------------------------------------------------------------------------------------


def _axis(obs: Observations, role: str, idle: np.ndarray, doors: np.ndarray) -> list[Candidate]:
    """Candidates for `role` ("x" or "y"): u8 bytes first, then the best few tried as u16 too. `idle` marks the
    bytes that change without input, `doors` the probes that changed the screen wholesale."""
    index = {int(a): i for i, a in enumerate(obs.addresses)}
    ram = obs.probe_ram.astype(np.int64)
    stats = _moves(obs.probe_dirs, doors, role, ram, 256)
    count = stats["with"]
    floor = max(MIN_MOVES, 0.1 * int(stats["along"][0]))
    # Ties (a copy of the position moves alike) go to the smaller step, a variable over the stack's copy, and
    # the smaller values: a map coordinate counts from the map's edge, a sprite's from off screen.
    lowest = obs.probe_ram.min(axis=(0, 1))
    order = np.lexsort((obs.addresses, lowest, _stack(obs.addresses), stats["step"], -stats["score"]))
    best = [i for i in order[:8] if count[i] >= floor and stats["score"][i] > 0 and not idle[i]]
    out = []
    for i in best:
        address = int(obs.addresses[i])
        chosen = (address, "u8", _pick(stats, i))
        for kind, low, high in (("u16le", address, address + 1), ("u16be", address, address - 1)):
            if high not in index or idle[index[high]]:
                continue
            wide = ram[:, :, index[low]] + 256 * ram[:, :, index[high]]
            if not _carries(ram[:, :, index[low]], ram[:, :, index[high]]):
                continue
            wstats = _pick(_moves(obs.probe_dirs, doors, role, wide[:, :, None], 65536), 0)
            if wstats["score"] >= chosen[2]["score"] and wstats["cross"] == 0:
                chosen = (min(low, high), kind, wstats)
        out.append(_axis_candidate(role, *chosen))
    return out


def _carries(low: np.ndarray, high: np.ndarray) -> bool:
    """Whether `high` is the high byte of `low` by what probes saw: it changed, and only when `low` wrapped
    (moved by half its range or more, as 0xFF to 0x00 does)."""
    high_moved = np.diff(high, axis=1) != 0
    wrapped = np.abs(np.diff(low, axis=1)) >= 128
    return bool(high_moved.any()) and not np.any(high_moved & ~wrapped)


def _moves(dirs: list[str], doors: np.ndarray, role: str, values: np.ndarray, modulus: int) -> dict[str, np.ndarray]:
    """Per column of `values` (probes x 3 moments x columns): how it moved with the presses along `role`'s axis.

    with: probes along the axis where it moved, every time by +k with the plus direction and -k with the minus
    one; against: probes along the axis where it moved otherwise; cross: probes across the axis where it changed
    at all; step: k, the commonest positive change. Probes through doors (`doors`) count for none of them.
    """
    plus, minus, *_ = AXES[role]
    sign = np.array([1 if d == plus else -1 if d == minus else 0 for d in dirs])
    delta = (np.diff(values, axis=1) + modulus // 2) % modulus - modulus // 2  # (P, 2, M), signed
    along = sign != 0
    norm = delta[along] * sign[along, None, None]
    tallies = np.stack([np.count_nonzero(norm == k, axis=(0, 1)) for k in range(1, MAX_STEP + 1)])
    step = tallies.argmax(axis=0) + 1
    moved = norm != 0
    good = moved & (norm == step)
    bad = (moved & ~good).any(axis=1)
    with_ = np.count_nonzero(good.any(axis=1) & ~bad & ~doors[along, None], axis=0)
    against = np.count_nonzero(bad & ~doors[along, None], axis=0)
    cross = np.count_nonzero((delta[~along] != 0).any(axis=1) & ~doors[~along, None], axis=0)
    return {
        "with": with_,
        "against": against,
        "cross": cross,
        "step": step,
        "score": with_ - 2 * against - 3 * cross,
        "along": np.full(values.shape[2], np.count_nonzero(along)),
        "across": np.full(values.shape[2], np.count_nonzero(~along)),
    }


def _pick(stats: dict[str, np.ndarray], i: int) -> dict[str, int]:
    return {key: int(value[i]) for key, value in stats.items()}


def _axis_candidate(role: str, address: int, kind: str, s: dict[str, int]) -> Candidate:
    plus, minus, cross_plus, cross_minus = (d.upper() for d in AXES[role])
    never = "never" if not s["cross"] else f"{s['cross']} of {s['across']} times"
    otherwise = f", {s['against']} times otherwise" if s["against"] else ""
    evidence = (
        f"moved with {plus}/{minus} in {s['with']} of {s['along']} probes ({s['step']:+d} a move){otherwise}, "
        f"{never} with {cross_plus}/{cross_minus}"
    )
    return Candidate(role, address, kind, float(s["score"]), evidence, step=s["step"])


# -- map -------------------------------------------------------------------------------------------------------


def _transitions(obs: Observations) -> _Transitions:
    before = np.concatenate([obs.step_ram[:, 0], obs.probe_ram[:, 0], obs.probe_ram[:, 1]])
    after = np.concatenate([obs.step_ram[:, 1], obs.probe_ram[:, 1], obs.probe_ram[:, 2]])
    tiles_before = np.concatenate([obs.step_tiles[:, 0], obs.probe_tiles[:, 0], obs.probe_tiles[:, 1]])
    tiles_after = np.concatenate([obs.step_tiles[:, 1], obs.probe_tiles[:, 1], obs.probe_tiles[:, 2]])
    differ = np.count_nonzero(tiles_before != tiles_after, axis=1)
    big = np.zeros(len(differ), dtype=bool)
    quiet = differ <= QUIET * tiles_before.shape[1]
    for i in np.flatnonzero(~quiet):
        big[i] = wholesale(tiles_before[i], tiles_after[i])
        quiet[i] = not big[i] and scrolled(tiles_before[i], tiles_after[i])
    return _Transitions(before, after, big, quiet)


def _map(obs: Observations, moves: _Transitions, idle: np.ndarray, taken: set[int]) -> list[Candidate]:
    """Candidates for the map id: they change with wholesale screen changes and at no other time."""
    changed = moves.before != moves.after
    on_big = np.count_nonzero(changed & moves.big[:, None], axis=0)
    walking = np.count_nonzero(changed & moves.quiet[:, None], axis=0)
    other = np.count_nonzero(changed & ~moves.big[:, None] & ~moves.quiet[:, None], axis=0)
    total = int(np.count_nonzero(moves.big))
    both = np.concatenate([moves.before, moves.after])
    lowest, top = both.min(axis=0), both.max(axis=0)
    distinct = np.array([len(np.unique(both[:, i])) if on_big[i] >= 2 else 0 for i in range(both.shape[1])])
    points = on_big - 3 * walking - other
    # Of bytes that change alike (the map id, and what the game derives from it: sizes, pointers, names), the
    # id tells the most maps apart, and counts from small numbers. The stack's copies lose.
    order = np.lexsort((obs.addresses, top, lowest, -distinct, _stack(obs.addresses), -points))
    out = []
    for i in order:
        address = int(obs.addresses[i])
        if points[i] <= 0 or on_big[i] < 2 or idle[i] or address in taken:
            continue
        evidence = (
            f"changed in {on_big[i]} of {total} wholesale screen changes, {_times(walking[i])} while walking on one "
            f"screen, {_times(other[i])} at other screen changes; {distinct[i]} values seen, {lowest[i]}-{top[i]}"
        )
        out.append(Candidate("map", address, "u8", float(points[i]), evidence, first=int(lowest[i]), last=int(top[i])))
        if len(out) == 5:
            break
    return out


def _stack(addresses: np.ndarray) -> np.ndarray:
    """1 for the last page of work RAM, 0 elsewhere. Most games (and SDCC's start-up code) put the stack there:
    its bytes hold call frames, which copy real variables at times, so on a tie they lose to the variables."""
    return ((addresses >= STACK_PAGE) & (addresses < 0xE000)).astype(np.int64)


def _times(n: int) -> str:
    return "never" if not n else "once" if n == 1 else f"{n} times"


# -- progress --------------------------------------------------------------------------------------------------


def _progress(obs: Observations, moves: _Transitions, idle: np.ndarray, taken: set[int]) -> list[Candidate]:
    """Candidates for progress: bytes that only rise (counters) or only gain bits (flags), best first."""
    before = np.concatenate([moves.before, obs.idle_ram[:, 0]])
    after = np.concatenate([moves.after, obs.idle_ram[:, 1]])
    changed = np.count_nonzero(before != after, axis=0)
    fell = np.any(after < before, axis=0)
    lost = np.any(before & ~after, axis=0)
    busy = changed >= BUSY * len(before)
    top = np.maximum(before.max(axis=0), after.max(axis=0))
    stack = _stack(obs.addresses)
    out = []
    # The stack's bytes hold whatever the calls of the moment pushed: never progress, however they happened to go.
    for i in np.flatnonzero((changed > 0) & ~fell & ~idle & ~busy & (stack == 0)):
        address = int(obs.addresses[i])
        if address in taken:
            continue
        first, last = int(obs.first_ram[i]), int(top[i])
        if not lost[i]:
            evidence = f"gained bits {_times(changed[i])} ({first:#04x} to {last:#04x}), never lost one"
            role = "flags"
        else:
            evidence = f"rose {_times(changed[i])} ({first} to {last}), never fell"
            role = "counter"
        # Progress starts from (next to) nothing after a new game (text and pointers seldom do); flags are likelier
        # milestones than counters; and the more changes seen, the less a lucky run of rises explains it.
        points = 2.0 * (first < SMALL_START) + 0.5 * (role == "flags") + min(int(changed[i]), 10) / 10
        out.append(Candidate(role, address, "u8", points, evidence, first=first, last=last))
    out.sort(key=lambda c: (-c.score, c.address))
    return out
