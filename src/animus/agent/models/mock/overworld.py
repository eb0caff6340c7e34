"""Walking a text map: update the area's notes from what is seen, then pick one goal and the presses to reach it.

Goals, in order: (1) a thing or door a remembered hint points at; (2) a usable thing here not tried since the
last progress; (3) a door here never taken (hinted directions first); (4) the nearest known area that still has
such things or doors, through known doors; (5) anything reachable, at random.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from animus.agent.models.mock import hints, plan
from animus.agent.models.mock.knowledge import Area, Knowledge, fmt
from animus.agent.models.mock.parse import MOVES, Pos, View

CROSS_AREA_BUDGET = 256  # below this search limit there is no planning across areas, only the screen
# In the presses of the previous step: it walked with navigate_to, through areas it did not see (the harness's
# minimap tells where the doors it took lead).
NAVIGATED = "navigate_to"


@dataclass
class Choice:
    """The presses for this step, a one-line reason, and the notes the reasoning used."""

    presses: list[str]
    why: str
    used: list[str] = field(default_factory=list)
    navigate: tuple[int, int, str] | None = None  # instead of the presses: navigate_to(x, y, map), across areas


def observe(view: View, know: Knowledge, prev: tuple[View, list[str]] | None) -> list[str]:
    """Write what this map shows into the notes: things, doors, legend, door links, blocked tiles.

    Returns sentences for the thinking. `prev` is the previous observation and the presses made from it.
    """
    assert view.area is not None and view.pos is not None
    said: list[str] = []
    area = know.area(view.area)
    area.fresh(view.epoch)
    area.things = {}
    for y, row in enumerate(view.grid):
        for x, ch in enumerate(row):
            if view.usable(ch):
                area.things[(x, y)] = ch
                desc = view.legend[ch]
                # People may say new things after progress; other things that gave progress stay done.
                know.legend.setdefault(ch, desc.split("(")[0].strip() + _uses(desc))
            elif view.is_door(ch):
                area.doors.setdefault((x, y), "?")
    for where, dest in view.warps.items():  # the harness's explored map knows where taken warps lead
        area.doors[where] = dest
    for (name, where), dest in view.elsewhere.items():
        know.area(name).doors[where] = dest
    if prev is None or prev[0].kind != "map" or prev[0].area is None or prev[0].pos is None:
        return said
    before, presses = prev
    trail, door = plan.simulate(before, presses)
    if before.area is not None and before.area != view.area and NAVIGATED not in presses:
        if door is not None:
            know.area(before.area).doors[door] = view.area
            said.append(f"The door at {fmt(door)} in {before.area} leads here to {view.area}.")
        back = _door_behind(view)
        if back is not None:
            area.doors[back] = before.area
    elif trail[-1] != view.pos and view.pos in trail:
        stuck = trail[trail.index(view.pos) + 1]
        area.blocked.add(stuck)
        said.append(f"My last path was blocked at {fmt(stuck)}; I re-plan around it.")
    return said


def choose(
    view: View,
    know: Knowledge,
    limit: int,
    rng: random.Random,
    stuck: Pos | None = None,
    remarks: list[str] | None = None,
    navigable: bool = False,
) -> Choice:
    """The goal for this step and the presses toward it (at most `plan.MAX_PRESSES`).

    `stuck` is the target of the previous step when the player is back on a tile it stood on a few steps ago:
    without a full search that means it is walking in circles, so it gives that target up until the next
    progress. With `navigable` (the harness offers navigate_to), a route across two areas or more is one
    navigate_to call to the last door of the route instead of the presses to the first one.
    """
    assert view.area is not None and view.pos is not None
    area = know.areas[view.area]
    reach = plan.search(view, area.blocked, limit, rng)
    epoch = view.epoch
    if stuck is not None and not reach.complete and stuck != view.pos:
        area.tried.add(stuck)
        if remarks is not None:
            remarks.append(f"I keep coming back to this tile, so I give up on {fmt(stuck)} until the next progress.")
    # (1) hints
    for name, kind, where, hint in hint_goals(know, epoch):
        used = [hint.note]
        if name == view.area:
            walk = _go(view, area, reach, where, kind == "thing", rng, spends(know, area, where))
            what = know.legend.get(area.things.get(where, ""), "door").split(" (")[0]
            if walk is not None:
                return Choice(walk, f"a hint says: {hint.describe()} -> the {what} at {fmt(where)}", used)
        elif limit >= CROSS_AREA_BUDGET:
            got = _travel(view, know, reach, {name}, rng, limit, navigable)
            if got is not None:
                why = f"a hint points to {name} ({hint.describe()}); going via {got[1]}"
                return Choice(got[0], why, used, got[2])
    # (2) things not tried since the last progress, nearest first
    talk = {ch for ch, d in know.legend.items() if "(talk)" in d}
    # (1b) hurt with a fight ahead: heal first, where the legend says something heals
    healing = _heal_first(view, know, reach, limit, rng, talk, navigable)
    if healing is not None:
        return healing
    healers = {ch for ch, d in know.legend.items() if "(heal)" in d}  # worth a visit only when hurt (1b)

    def todo(a: Area) -> list[Pos]:
        return [p for p in a.open_things(epoch, again=talk) if a.things[p] not in healers]

    for where in sorted(todo(area), key=lambda p: (reach.dist.get(_near(reach, p), 999), p)):
        walk = _go(view, area, reach, where, True, rng, spends(know, area, where))
        if walk is not None:
            what = know.legend.get(area.things[where], "thing").split(" (")[0]
            return Choice(walk, f"the {what} at {fmt(where)} is untried since the last progress", [f"area {view.area}"])
    # (3) doors never taken, hinted directions first
    leads = _leads(know, view.area)
    for where in sorted(area.open_doors(epoch), key=lambda p: (p not in leads, reach.dist.get(p, 999), p)):
        walk = _go(view, area, reach, where, False, rng)
        if walk is not None:
            lead = " (a hint points that way)" if where in leads else ""
            return Choice(walk, f"the door at {fmt(where)} was never taken{lead}", [f"area {view.area}"])
    # (4) the nearest area with something left to try
    if limit >= CROSS_AREA_BUDGET:
        wanted = {n for n, a in know.areas.items() if n != view.area and (todo(a) or a.open_doors(epoch))}
        got = _travel(view, know, reach, wanted, rng, limit, navigable)
        if got is not None:
            return Choice(got[0], f"nothing left here; {got[1]} still has things to try", ["area notes"], got[2])
    else:
        # Without a search across areas: a door whose far side still has things to try, if one is known here.
        for where in sorted(area.doors, key=lambda p: (reach.dist.get(p, 999), p)):
            far = know.areas.get(area.doors[where])
            if far is not None and (todo(far) or far.open_doors(epoch)):
                walk = _go(view, area, reach, where, False, rng)
                if walk is not None:
                    return Choice(walk, f"{area.doors[where]} through the door at {fmt(where)} has things to try")
    # (5) wander: a random door or a random walk. When nothing anywhere is left to try, start a new round.
    if not any(todo(a) or a.open_doors(epoch) for a in know.areas.values()):
        for a in know.areas.values():
            a.tried = set()
    if area.doors and rng.random() < 0.7:
        where = rng.choice(sorted(area.doors))
        walk = _go(view, area, reach, where, False, rng)
        if walk is not None:
            return Choice(walk, f"nothing untried; wandering to the door at {fmt(where)}")
    moves = [rng.choice(list(MOVES)) for _ in range(12)]
    return Choice(moves, "nothing untried that I can reach; wandering")


def spends(know: Knowledge, area: Area, where: Pos) -> bool:
    """Whether using the thing at `where` uses it up: searched or read things tell all they have the first time,
    and people repeat themselves until something new is held."""
    desc = know.legend.get(area.things.get(where, ""), "")
    return "(once)" in desc or "(talk)" in desc


def _uses(desc: str) -> str:
    """What a legend entry says its thing is for, as markers kept in the notes: talk, fight, heal, and once
    (a thing searched or read tells all it has the first time)."""
    marks = [("talk", "talk"), ("battle", "fight"), ("fight", "fight"), ("heal", "heal"), ("search", "once"),
             ("read", "once")]  # fmt: skip
    words = set(re.findall(r"[a-z]+", desc.lower()))  # whole words: "read" is not in "ready"
    found = dict.fromkeys(mark for word, mark in marks if word in words)
    return "".join(f" ({mark})" for mark in found)


def _heal_first(
    view: View, know: Knowledge, reach: plan.Reach, limit: int, rng: random.Random, talk: set[str], navigable: bool
) -> Choice | None:
    """When hurt and a fight is still to be tried: the way to the nearest thing that heals, or None.

    Health carries from fight to fight, so going in hurt can lose a fight that full health would win.
    """
    if not view.hurt or view.hp is None or view.area is None:
        return None
    fights = {ch for ch, d in know.legend.items() if "(fight)" in d}
    healers = {ch for ch, d in know.legend.items() if "(heal)" in d}
    epoch = view.epoch
    pending = any(a.things.get(p) in fights for a in know.areas.values() for p in a.open_things(epoch, talk))
    if not pending or not healers:
        return None
    area = know.areas[view.area]
    why = f"I am hurt (HP {view.hp[0]}/{view.hp[1]}) and a fight is ahead"
    here = sorted(p for p, c in area.things.items() if c in healers)
    if here:
        walk = _go(view, area, reach, here[0], True, rng)
        return Choice(walk, f"{why}: healing at {fmt(here[0])} first", [f"area {view.area}"]) if walk else None
    if limit < CROSS_AREA_BUDGET:
        return None
    wanted = {n for n, a in know.areas.items() if any(c in healers for c in a.things.values())}
    got = _travel(view, know, reach, wanted, rng, limit, navigable)
    return Choice(got[0], f"{why}: going to heal, via {got[1]}", ["area notes"], got[2]) if got else None


def _go(
    view: View, area: Area, reach: plan.Reach, where: Pos, use: bool, rng: random.Random, spend: bool = False
) -> list[str] | None:
    """Presses to step on door `where`, or to face thing `where` and press A (`use`); None if unreachable.

    With `spend`, a thing used is noted as used up (see `spends`).
    """
    assert view.pos is not None
    if use:
        goals = [n for n in _around(where) if view.walkable(view.tile(n)) and not view.is_door(view.tile(n))]
        goals = [g for g in goals if g not in area.blocked]
    else:
        goals = [where]
    if reach.complete and not any(g in reach.dist for g in goals):
        area.tried.add(where)  # unreachable for now; progress may open a way
        return None
    path = plan.toward(reach, view, goals, area.blocked, rng)
    if path is None:
        return None
    end = plan.simulate(view, path)[0][-1]
    if use and end in goals:
        face = plan.facing_move(end, where)
        if face is not None and len(path) + 2 <= plan.MAX_PRESSES:
            area.tried.add(where)
            if spend:
                area.spent.add(where)
            return [*path, face, "a"]
    return path[: plan.MAX_PRESSES] or None


def _travel(
    view: View,
    know: Knowledge,
    reach: plan.Reach,
    wanted: set[str],
    rng: random.Random,
    limit: int,
    navigable: bool = False,
) -> tuple[list[str], str, tuple[int, int, str] | None] | None:
    """Presses toward the first door on the shortest known route to an area in `wanted`, the route, and (when
    `navigable` and the route crosses two areas or more) the last door of the route, for navigate_to.

    The route search thinks about at most `limit // plan.NODES_PER_AREA` areas: a small budget sees only
    nearby areas, and a far goal is out of its sight."""
    assert view.area is not None
    avoid: set[tuple[str, Pos]] = set()
    for name, a in know.areas.items():
        if a.epoch == view.epoch:
            avoid |= {(name, p) for p in a.doors if p in a.tried}
    for _ in range(4):
        doors = {n: a.doors for n, a in know.areas.items()}
        path = plan.route(doors, view.area, wanted, avoid, limit // plan.NODES_PER_AREA)
        if len(path) < 2:
            return None
        area = know.areas[view.area]
        door = min((p for p, d in area.doors.items() if d == path[1] and (view.area, p) not in avoid), default=None)
        if door is None:
            return None
        got = _go(view, area, reach, door, False, rng)
        if got is not None:
            return got, " > ".join(path), _last_door(know, path, view) if navigable and len(path) > 2 else None
        avoid.add((view.area, door))
    return None


def _last_door(know: Knowledge, path: list[str], view: View) -> tuple[int, int, str] | None:
    """The farthest door of the route that the harness's explored map can walk to (every door before it is a
    warp its minimap lists), as navigate_to(x, y, map) takes it; None when that is only the first door."""
    known = {(view.area, p, d) for p, d in view.warps.items()}
    known |= {(name, p, d) for (name, p), d in view.elsewhere.items()}
    best = None
    for i in range(len(path) - 1):
        doors = know.areas[path[i]].doors
        door = min((p for p, d in doors.items() if d == path[i + 1]), default=None)
        if door is None:
            break
        if i > 0:
            best = (door[0], door[1], path[i])
        if (path[i], door, path[i + 1]) not in known:
            break
    return best


def hint_goals(know: Knowledge, epoch: str) -> list[tuple[str, str, Pos, hints.Hint]]:
    """(area, "thing" | "door", position, hint) for each hint that points at something still open."""
    out: list[tuple[str, str, Pos, hints.Hint]] = []
    for h in hints.find(know):
        if not h.classes:
            continue
        resolved = False
        for name in h.areas:
            resolved |= _pick(know, name, h, epoch, out)
        if resolved or h.toward is None:
            continue
        direction, base = h.toward
        b = know.areas.get(base)
        door = hints.extreme(sorted(b.doors), direction) if b else None
        if b is None or door is None:
            continue
        if b.doors[door] == "?":
            if door in b.open_doors(epoch):
                out.append((base, "door", door, h))
        else:
            _pick(know, b.doors[door], h, epoch, out)
    return out


def _pick(know: Knowledge, name: str, h: hints.Hint, epoch: str, out: list[tuple[str, str, Pos, hints.Hint]]) -> bool:
    """Add the thing of a hinted class in area `name` (the extreme one in the hinted direction) if still open."""
    a = know.areas.get(name)
    if a is None:
        return False
    found = False
    for ch in h.classes:
        target = hints.extreme(sorted(p for p, c in a.things.items() if c == ch), h.direction)
        if target is not None:
            found = True
            if target in a.open_things(epoch):
                out.append((name, "thing", target, h))
    return found


def _leads(know: Knowledge, here: str) -> set[Pos]:
    """Doors of this area that a heard direction points at ("EAST OF HERE", "NORTH: ...")."""
    area = know.areas[here]
    out: set[Pos] = set()
    for h in hints.find(know):
        if h.toward is not None and h.toward[1] == here:
            door = hints.extreme(sorted(area.doors), h.toward[0])
            if door is not None:
                out.add(door)
    return out


def _around(p: Pos) -> list[Pos]:
    return [(p[0] + dx, p[1] + dy) for dx, dy in MOVES.values()]


def _near(reach: plan.Reach, p: Pos) -> Pos:
    """The reached neighbour of `p` closest to the player (for sorting things by distance)."""
    return min(_around(p), key=lambda n: reach.dist.get(n, 999))


def _door_behind(view: View) -> Pos | None:
    """The door next to the player, preferring the one behind it: arrivals face away from the door they used."""
    assert view.pos is not None
    doors = [n for n in _around(view.pos) if view.is_door(view.tile(n))]
    if view.facing in MOVES:
        dx, dy = MOVES[view.facing]
        behind = (view.pos[0] - dx, view.pos[1] - dy)
        if behind in doors:
            return behind
    return doors[0] if doors else None
