"""Summaries (turns leaving the context) and reflections (the watchdog says the agent seems stuck).

A summary has exactly five sections, in order, built from the old summary, the notes and the leaving turns;
lines of the old summary that still say something new are kept. Neither reply calls a tool.
"""

from __future__ import annotations

import re

from animus.agent.models.mock import hints, overworld
from animus.agent.models.mock.knowledge import Knowledge, fmt
from animus.agent.models.mock.parse import parse
from animus.agent.prompts import SUMMARY_SECTIONS
from animus.agent.types import Reply, Request, Usage, UserTurn

HEADINGS = SUMMARY_SECTIONS  # the five sections the summary prompt asks for, in order
MAX_LINES = 8  # per section, so the summary stays short however long the run


def summarize(request: Request, name: str) -> Reply:
    """A new summary that replaces `request.memory.summary`."""
    know = Knowledge.from_notes(request.memory.notes)
    users = [t for t in request.messages[:-1] if isinstance(t, UserTurn)]  # the last turn is the task
    latest = users[-1].text if users else ""
    view = parse(latest)
    fresh: dict[str, list[str]] = {h: [] for h in HEADINGS}
    leads = [h for h in hints.find(know) if h.useful or h.toward]
    goals = overworld.hint_goals(know, view.epoch)
    if goals:
        goal_area, kind, where, hint = goals[0]
        fresh[HEADINGS[0]].append(f"the {kind} at {fmt(where)} in {goal_area}, as a hint says: {hint.describe()}")
    else:
        fresh[HEADINGS[0]].append("try every person and thing not tried since the last progress, then new doors")
    if m := re.search(r"Milestones reached: (\d+/\d+)(?: \(latest: ([^)]*)\))?", latest):
        fresh[HEADINGS[1]].append(f"milestones {m.group(1)}" + (f", latest: {m.group(2)}" if m.group(2) else ""))
    if view.area:
        fresh[HEADINGS[1]].append(f"last seen in {view.area}" + (f" at {fmt(view.pos)}" if view.pos else ""))
    for area_name, area in know.areas.items():
        doors = ", ".join(f"{fmt(p)} to {d}" for p, d in sorted(area.doors.items()) if d != "?")
        fresh[HEADINGS[2]].append(f"{area_name}: doors {doors or 'none known'}")
        fresh[HEADINGS[4]] += [f"door {fmt(p)} in {area_name} never taken" for p in area.open_doors(view.epoch)]
        fresh[HEADINGS[3]] += [f"{area_name} {fmt(p)} blocks" for p in sorted(area.blocked)]
    for (area_name, p), text in know.said.items():
        if p not in know.areas.get(area_name, _NO_AREA).done:
            fresh[HEADINGS[3]].append(f"{area_name} {fmt(p)} says: {text[:80]}")
    fresh[HEADINGS[4]] = [f"hint: {h.describe()}" for h in leads] + fresh[HEADINGS[4]]
    old = _sections(request.memory.summary)
    lines: list[str] = []
    for h in HEADINGS:
        new = fresh[h]
        kept = [x for x in old.get(h, []) if x not in new and _still_news(h, x, new)]
        lines.append(h)
        lines += [f"- {x}" for x in ((new + kept)[:MAX_LINES] or ["nothing yet"])]
    return Reply(text="\n".join(lines), usage=Usage(), stop_reason="end_turn", model=name)


def _still_news(heading: str, line: str, fresh: list[str]) -> bool:
    """Whether a line of the old summary says something the fresh lines do not (they replace what they update)."""
    if heading == HEADINGS[0]:
        return False
    if heading == HEADINGS[1]:
        return not line.startswith(("milestones ", "last seen "))
    if heading == HEADINGS[2]:
        return not any(f.split(":")[0] == line.split(":")[0] for f in fresh)
    if heading == HEADINGS[4]:
        return not fresh  # leads are rebuilt from the notes; old ones may have been followed since
    return True


def reflect(request: Request, name: str) -> Reply:
    """A short reflection: what was tried, why it may be stuck, and a new plan. Text only."""
    know = Knowledge.from_notes(request.memory.notes)
    users = [t for t in request.messages[:-1] if isinstance(t, UserTurn)]  # the last turn is the task
    view = parse(users[-1].text) if users else parse("")
    tried = sum(len(a.tried) for a in know.areas.values())
    open_doors = sum(1 for a in know.areas.values() for d in a.doors.values() if d == "?")
    where = f"in {view.area} at {fmt(view.pos)}" if view.area and view.pos else f"on a {view.kind} screen"
    plan = "take the doors I never took" if open_doors else "go back to the people and things I know and try them again"
    text = (
        f"I am {where}. Since the last progress I tried {tried} things and know {len(know.areas)} areas. "
        f"I may be stuck because my path is blocked or everything near is tried. New plan: {plan}; "
        "if a move does not change my position, go around."
    )
    return Reply(text=text, usage=Usage(), stop_reason="end_turn", model=name)


_NO_AREA = Knowledge.from_notes(()).area("")


def _sections(summary: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in summary.splitlines():
        if line.strip() in HEADINGS:
            current = line.strip()
            out[current] = []
        elif current and line.strip().startswith("- "):
            body = line.strip()[2:]
            if body != "nothing yet":
                out[current].append(body)
    return out
