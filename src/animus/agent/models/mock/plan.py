"""Paths on a text map and routes between areas, with a search effort the thinking budget bounds.

A search expands at most `limit` tiles. With a limit of 0 there is no search at all: `greedy` steps straight
toward the target and turns aside when a tile blocks, which gets stuck in mazes. Doors end a path: stepping on
one changes the area, so a press after it would land somewhere unknown.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from animus.agent.models.mock.parse import MOVES, Pos, View

MAX_PRESSES = 20  # tools.max_buttons by default; a longer path is walked over several steps
NODES_PER_AREA = 32  # search effort one area of a route costs: 1,024 thinking tokens plan 8 areas ahead


@dataclass(frozen=True)
class Reach:
    """What one breadth-first search from the player found: distances, parents and whether it saw everything."""

    dist: dict[Pos, int]
    parent: dict[Pos, tuple[Pos, str]]
    complete: bool  # False when the limit stopped it: tiles it did not reach may still be reachable

    def path(self, goal: Pos) -> list[str]:
        out: list[str] = []
        while goal in self.parent:
            goal, move = self.parent[goal]
            out.append(move)
        return out[::-1]


def search(view: View, blocked: set[Pos], limit: int, rng: random.Random) -> Reach:
    """Breadth-first search over walkable tiles from the player, expanding at most `limit` tiles.

    The order neighbours are tried in comes from `rng`: among equally short paths, the seed picks one.
    """
    assert view.pos is not None
    moves = list(MOVES.items())
    rng.shuffle(moves)
    start = view.pos
    dist = {start: 0}
    parent: dict[Pos, tuple[Pos, str]] = {}
    queue = deque([start])
    expanded = 0
    while queue:
        if expanded >= limit:
            return Reach(dist, parent, False)
        here = queue.popleft()
        expanded += 1
        if here != start and view.is_door(view.tile(here)):
            continue  # a door is a place to arrive at, not to walk through
        for move, (dx, dy) in moves:
            nxt = (here[0] + dx, here[1] + dy)
            if nxt in dist or nxt in blocked or not view.walkable(view.tile(nxt)):
                continue
            dist[nxt] = dist[here] + 1
            parent[nxt] = (here, move)
            queue.append(nxt)
    return Reach(dist, parent, True)


def toward(reach: Reach, view: View, goals: list[Pos], blocked: set[Pos], rng: random.Random) -> list[str] | None:
    """Moves to the nearest of `goals`: the searched path if the search reached one, else greedy steps.

    Returns None when no goal was reached and greedy walking cannot even start (every way is blocked).
    """
    reached = [g for g in goals if g in reach.dist]
    if reached:
        best = min(reached, key=lambda g: (reach.dist[g], g))
        return reach.path(best)
    if not goals:
        return None
    assert view.pos is not None
    goal = min(goals, key=lambda g: manhattan(view.pos, g))  # type: ignore[arg-type]
    # Search stopped short: walk to the searched tile closest to the goal, then go straight on.
    frontier = min(reach.dist, key=lambda p: (manhattan(p, goal), reach.dist[p]))
    path = reach.path(frontier)
    rest = greedy(view, frontier, goal, blocked, rng, MAX_PRESSES - len(path))
    return (path + rest) or None


def greedy(view: View, start: Pos, goal: Pos, blocked: set[Pos], rng: random.Random, n: int) -> list[str]:
    """Up to `n` steps that each bring the player closer to `goal`, or sidestep at random when blocked."""
    out: list[str] = []
    here, seen = start, {start}
    while len(out) < n and here != goal:
        options = []
        for move, (dx, dy) in MOVES.items():
            nxt = (here[0] + dx, here[1] + dy)
            if nxt in blocked or nxt in seen or not view.walkable(view.tile(nxt)):
                continue
            if view.is_door(view.tile(nxt)) and nxt != goal:
                continue
            options.append((manhattan(nxt, goal) - manhattan(here, goal), rng.random(), move, nxt))
        if not options:
            break
        _, _, move, nxt = min(options)
        out.append(move)
        here = nxt
        seen.add(nxt)
        if view.is_door(view.tile(nxt)):
            break
    return out


def manhattan(a: Pos, b: Pos) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def simulate(view: View, buttons: list[str]) -> tuple[list[Pos], Pos | None]:
    """Where `buttons` pressed on `view` should lead: the tiles walked (start first) and the door stepped on.

    It follows the rules the text states: a move onto a blocking tile only turns, A (or any other button) ends
    walking, a door ends it too.
    """
    assert view.pos is not None
    trail = [view.pos]
    for b in buttons:
        if b not in MOVES:
            break
        dx, dy = MOVES[b]
        nxt = (trail[-1][0] + dx, trail[-1][1] + dy)
        if view.walkable(view.tile(nxt)):
            trail.append(nxt)
            if view.is_door(view.tile(nxt)):
                return trail, nxt
    return trail, None


def facing_move(here: Pos, target: Pos) -> str | None:
    """The button that turns the player at `here` toward the adjacent `target`."""
    for move, (dx, dy) in MOVES.items():
        if (here[0] + dx, here[1] + dy) == target:
            return move
    return None


def route(
    doors: dict[str, dict[Pos, str]], start: str, wanted: set[str], avoid: set[tuple[str, Pos]], areas: int
) -> list[str]:
    """Areas from `start` to the nearest area in `wanted` through known doors (fewest doors), or [] when there is
    none among the first `areas` areas the search expands."""
    prev: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    expanded = 0
    while queue and expanded < areas:
        here = queue.popleft()
        expanded += 1
        if here in wanted and here != start:
            out = [here]
            while out[-1] != start:
                out.append(prev[out[-1]])
            return out[::-1]
        for where, dest in sorted(doors.get(here, {}).items()):
            if dest == "?" or dest in seen or (here, where) in avoid:
                continue
            seen.add(dest)
            prev[dest] = here
            queue.append(dest)
    return []
