"""One `act` step of the mock: read the observation and the notes, decide, and write what was learnt.

Everything comes from the request: the newest observation, the previous observation and presses (when the
history still holds them), and the notes. The only randomness is `random.Random(f"mock:{seed}:{step}")`.
"""

from __future__ import annotations

import random
import re

from animus.agent.models.mock import generic, hints, overworld
from animus.agent.models.mock.knowledge import Knowledge, fmt, note_calls
from animus.agent.models.mock.parse import Menu, Pos, View, parse
from animus.agent.types import AssistantTurn, Reply, Request, ThinkingBlock, ToolCall, Usage, UserTurn

DEFAULT_BUDGET = 4096  # thinking tokens when the request leaves the choice to the model
TOKENS_PER_NODE = 4  # search effort: a budget of B tokens expands at most B // 4 map tiles
CHARS_PER_TOKEN = 4


def budget(request: Request) -> int:
    """Thinking tokens for this call: the request's budget, the default when unset, 0 when disabled."""
    t = request.thinking
    if t.type == "disabled":
        return 0
    return DEFAULT_BUDGET if t.budget_tokens is None else max(0, t.budget_tokens)


def previous(request: Request) -> tuple[View, list[str]] | None:
    """The previous observation and the buttons pressed after it, if the history still holds them."""
    msgs = request.messages
    if len(msgs) < 3 or not isinstance(msgs[-2], AssistantTurn) or not isinstance(msgs[-3], UserTurn):
        return None
    presses: list[str] = []
    for call in msgs[-2].reply.tool_calls:
        if call.name == "navigate_to":
            presses.append(overworld.NAVIGATED)  # the way it went is the harness's: no press to follow
        buttons = call.input.get("buttons") if call.name == "press_buttons" else None
        if isinstance(buttons, list):
            presses += [str(b).lower() for b in buttons]
        elif isinstance(buttons, str):
            presses.append(buttons.lower())
    return parse(msgs[-3].text), presses


def act(request: Request, cap: int, name: str) -> Reply:
    """The reply to an `act` request: note calls for what was learnt, then one game action."""
    rng = random.Random(f"mock:{request.seed}:{request.step}")
    think = budget(request)
    limit = think // TOKENS_PER_NODE
    last = request.messages[-1] if request.messages else None
    text = last.text if isinstance(last, UserTurn) else ""
    view = parse(text)
    prev = previous(request)
    know = Knowledge.from_notes(request.memory.notes)
    _recall(request, view, know)
    seen: list[str] = [_scene(view)]
    used: list[str] = []
    target: tuple[int, int, str] | None = None
    extra: dict[str, str] | None = None
    if view.kind == "map":
        extra = _new_round(view, know, seen)
    if view.kind == "map" and view.area is not None and view.pos is not None:
        seen += overworld.observe(view, know, prev)
        navigable = _navigable(request, last)
        choice = overworld.choose(view, know, limit, rng, _circling(request, view), seen, navigable)
        presses, why, used, target = choice.presses, choice.why, choice.used, choice.navigate
    elif view.kind == "dialog":
        presses, why = _dialog(view, know, seen)
    elif view.kind == "menu" and view.menu is not None:
        presses, why = _menu(view.menu)
    elif view.kind == "start":
        presses, why = ["start"], "the screen says to press START"
    elif view.kind == "screen":
        presses, why, extra = generic.explore(view, know.raw, prev, limit, rng)
        used = ["screens", "links"]
    else:
        presses = [rng.choice(["a", "start"])]
        why = f"I cannot read this screen; trying {presses[0].upper()}"
    if isinstance(last, UserTurn) and any("notes are full" in r.content for r in last.tool_results):
        cap = cap * 3 // 4  # the store refused a note: free a good share of it, not just enough for one note
    wanted = know.notes(extra)
    keep = frozenset(k for k, v in wanted.items() if k.startswith("said ") and _hinty(know, v))
    calls = note_calls(know.raw, wanted, cap, keep)
    tool_calls = [ToolCall(f"call_{request.step}_{i}", n, dict(a)) for i, (n, a) in enumerate(calls)]
    if target is not None:
        where = {"x": target[0], "y": target[1], "map": target[2]}
        tool_calls.append(ToolCall(f"call_{request.step}_{len(tool_calls)}", "navigate_to", where))
        presses = [f"navigate_to({target[0]}, {target[1]}, {target[2]})"]
    else:
        tool_calls.append(ToolCall(f"call_{request.step}_{len(tool_calls)}", "press_buttons", {"buttons": presses}))
    thinking: tuple[ThinkingBlock, ...] = ()
    if think > 0:
        memo = f"From my notes: {', '.join(used)}." if used and request.memory.notes else "No notes to go on."
        words = " ".join([*seen, memo, f"I choose {' '.join(presses)}: {why}.", _noted(calls)])
        thinking = (ThinkingBlock(text=words[: think * CHARS_PER_TOKEN]),)
    return Reply(
        text=why[0].upper() + why[1:] + ".",
        tool_calls=tuple(tool_calls),
        thinking=thinking,
        usage=Usage(),
        stop_reason="tool_use",
        model=name,
    )


def _navigable(request: Request, last: object) -> bool:
    """Whether to walk with navigate_to this step: it is offered, and the last one did not fail (a route the
    harness does not know, or a way that turned out blocked: then this step walks with presses)."""
    if not any(tool.name == "navigate_to" for tool in request.tools):
        return False
    results = last.tool_results if isinstance(last, UserTurn) else ()
    return not any(r.content.startswith(("no known path", "blocked", "stopped")) for r in results)


def _new_round(view: View, know: Knowledge, seen: list[str]) -> dict[str, str]:
    """Items held this round, as the `held` note. Items that vanish mean the game started over (a new game
    after an ending, a reset): what gave progress or was used up last round may be needed again. A new item
    makes people worth hearing again."""
    held = {i for i in know.raw.get("held", "").split(",") if i}
    now = {i for i in view.items.split(",") if i}
    if held - now:
        for area in know.areas.values():
            area.done.clear()
            area.spent.clear()
            area.epoch = ""
        seen.append(f"I no longer hold {', '.join(sorted(held - now))}: the game has started over.")
        held = set()
    elif now - held:  # something new to show: people may have more to say
        talk = {ch for ch, d in know.legend.items() if "(talk)" in d}
        for area in know.areas.values():
            area.spent = {p for p in area.spent if area.things.get(p) not in talk}
    return {"held": ",".join(sorted(held | now))}


def _recall(request: Request, view: View, know: Knowledge) -> None:
    """Count the speakers of dialogs still in the history as tried since the last progress.

    With notes this adds nothing (they hold it already); without them it keeps the mock from talking to the
    same person forever. What was said is not taken from the history: hints live only in the notes. Dialogs
    before the game last started over (items held before are gone) belong to an earlier game and count not.
    """
    found: list[tuple[str, Pos]] = []
    held: set[str] = set()
    for turn in [*request.messages[:-1], *request.messages[-1:]]:
        if not isinstance(turn, UserTurn):
            continue
        before = parse(turn.text)
        now = {i for i in before.items.split(",") if i}
        if held - now:
            found = []  # a new game began here
        held = now
        spoke = before.kind == "dialog" and before.area is not None and before.faced is not None and before.dialog
        if spoke and before.epoch == view.epoch and turn is not request.messages[-1]:
            assert before.area is not None and before.faced is not None
            found.append((before.area, before.faced))
    for name, faced in found:
        area = know.area(name)
        if area.epoch in ("", view.epoch):
            area.epoch = view.epoch
            area.tried.add(faced)


def _circling(request: Request, view: View) -> Pos | None:
    """The previous step's target ("... at x,y") if the player now stands where it already stood in the history."""
    msgs = request.messages
    if len(msgs) < 3 or not isinstance(msgs[-2], AssistantTurn):
        return None
    m = re.search(r"\bat (\d+),(\d+)", msgs[-2].reply.text)
    if m is None:
        return None
    for turn in msgs[:-1]:
        if isinstance(turn, UserTurn):
            before = parse(turn.text)
            if before.kind == "map" and before.area == view.area and before.pos == view.pos:
                return int(m.group(1)), int(m.group(2))
    return None


def _dialog(view: View, know: Knowledge, seen: list[str]) -> tuple[list[str], str]:
    """Keep the page under its speaker (the faced tile); a page that came with progress marks the thing done."""
    page = " ".join(view.dialog)
    speaker = view.faced
    if view.area is not None and speaker is not None and page:
        know.hear(view.area, speaker, page)
        area = know.area(view.area)
        if area.epoch != view.epoch:
            if speaker in area.tried:
                area.done.add(speaker)
                seen.append(f"Talking to the thing at {fmt(speaker)} made progress ({view.epoch}).")
            area.fresh(view.epoch)
        area.tried.add(speaker)
    return ["a"], f'reading "{page}"; A for the next page' if page else "a dialog is open; A to go on"


def _menu(menu: Menu) -> tuple[list[str], str]:
    """Move the cursor to the aggressive option (not RUN) and confirm it with A."""
    choice = menu.choice()
    if choice is None or menu.cursor in (None, choice):
        return ["a"], f"the cursor is on {choice or 'the first option'}; A confirms it"
    if choice in menu.keys:
        return [menu.keys[choice], "a"], f"{menu.keys[choice].upper()} selects {choice}, then A"
    if menu.cursor in menu.options:
        steps = menu.options.index(choice) - menu.options.index(menu.cursor)
        move = "down" if steps > 0 else "up"
        return [move] * abs(steps) + ["a"], f"moving the cursor to {choice}, then A"
    return ["a"], "A confirms the menu"


def _scene(view: View) -> str:
    if view.kind == "map" and view.pos is not None:
        return f"I am in {view.area} at {fmt(view.pos)} facing {view.facing}; progress {view.epoch}."
    if view.kind == "dialog":
        return f'A dialog is open in {view.area}: "{" ".join(view.dialog)}".'
    if view.kind == "menu" and view.menu is not None:
        return f"A menu: {', '.join(view.menu.options)}; the cursor is on {view.menu.cursor}."
    if view.kind == "screen":
        return f"An unknown game; screen {view.screen}."
    return f"Mode: {view.mode or 'unknown'}."


def _hinty(know: Knowledge, text: str) -> bool:
    words = {ch: hints.class_words(d) for ch, d in know.legend.items()}
    found = (hints.read(s, "", words, set()) for s in text.split("."))
    return any(h is not None and bool(h.classes or h.toward) for h in found)


def _noted(calls: list[tuple[str, dict[str, str]]]) -> str:
    if not calls:
        return ""
    return "Updating notes: " + ", ".join(f"{n} {a['key']}" for n, a in calls) + "."
