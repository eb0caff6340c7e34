"""The tools a model plays with, their JSON schemas, and their execution.

`press_buttons` and `wait` are game tools: each executed call is one *action*. `note` and `forget` edit the
long-term notes and are not actions. A bad call (unknown tool, bad button, bad arguments) runs nothing and
becomes an error result the model reads; it never stops the loop by itself.

Game tools are first turned into `InputOp`s, the frame-exact inputs the run store logs; `apply_ops` plays them
on the emulator, live and again on resume or replay, rendering only the last frame of the step.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from animus.agent.pad import Pad, Target
from animus.agent.types import UNPARSED_ARGUMENTS, ToolCall, ToolResult, ToolSpec
from animus.config import ToolsConfig
from animus.emulator import BUTTONS
from animus.errors import BadToolCall
from animus.memory import Notes
from animus.memory.events import MemoryEvent
from animus.memory.notes import normalize_key

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy
    from animus.games import Profile

GAME_TOOLS = ("press_buttons", "wait")  # one action per call; navigate_to counts its presses (see `execute`)
TEXT_CALL_ID = "written_call"  # the id of the result that answers a tool call written as text
# A tool call written as text instead of made: JSON with "name" and "arguments" (or "parameters") in either order,
# a tool's name followed by "(" and an argument, or the call markup of chat templates (Hermes/Qwen <tool_call>, Llama's
# <function=...>, Mistral's [TOOL_CALLS]) that a server without a tool-call parser passes through as text.
_WRITTEN_CALL = re.compile(
    r'"name"\s*:\s*"[^"]*"[^{}]*"(?:arguments|parameters)"\s*:'
    r'|"(?:arguments|parameters)"\s*:.*"name"\s*:\s*"'
    r"""|\b(?:press_buttons|wait|note|forget|navigate_to)\((?:[\[{"'\d)]|\s*\w+\s*=)"""
    r"|<tool_call>|<function[=>]|\[TOOL_CALLS\]",
    re.DOTALL,
)
WRITTEN_CALL_RESULT = (
    "not run: your reply wrote a tool call as text ({snippet}). Text is never run: make the call through tool "
    "calling (function calling), so that it comes back as a tool call, not as part of your message."
)


@dataclass(frozen=True)
class InputOp:
    """One emulator input: press `buttons` together for `hold` frames then wait `wait`; no buttons = just wait."""

    buttons: tuple[str, ...]
    hold: int
    wait: int

    def to_json(self) -> list[Any]:
        return [list(self.buttons), self.hold, self.wait]

    @property
    def frames(self) -> int:
        return self.hold + self.wait


@dataclass(frozen=True)
class Executed:
    """What a step's tool calls did: one result per call, the inputs, and the note changes."""

    results: tuple[ToolResult, ...]
    ops: tuple[InputOp, ...]
    actions: int
    events: tuple[MemoryEvent, ...]  # the note changes (note_set / note_delete), in order

    @property
    def bad_calls(self) -> int:
        return sum(r.is_error for r in self.results)


def navigates(cfg: ToolsConfig, profile: Profile) -> bool:
    """Whether navigate_to is offered: `tools.navigate`, or by default wherever `profile` reads a map position."""
    has_map = profile.map_fields is not None
    return has_map if cfg.navigate is None else cfg.navigate and has_map


def offered_tools(cfg: ToolsConfig, profile: Profile) -> tuple[str, ...]:
    """The names of the tools a run with `cfg` on `profile` offers its model, in the order they are listed."""
    names = ["press_buttons", "wait"]
    if navigates(cfg, profile):
        names.append("navigate_to")
    if cfg.notes:
        names += ["note", "forget"]
    return tuple(names)


def tool_specs(cfg: ToolsConfig, profile: Profile) -> tuple[ToolSpec, ...]:
    """The tools as a model backend receives them (those `offered_tools` names), with this run's bounds."""
    offered = offered_tools(cfg, profile)
    return tuple(spec for spec in _specs(cfg) if spec.name in offered)


def _specs(cfg: ToolsConfig) -> tuple[ToolSpec, ...]:
    frames = {"type": "integer", "minimum": 1}
    return (
        ToolSpec(
            "press_buttons",
            "Press Game Boy buttons one after another. Each is held for hold_frames, then released for "
            f"wait_frames before the next (60 frames = 1 second). Defaults: hold {cfg.hold_frames}, "
            f"wait {cfg.wait_frames}.",
            {
                "type": "object",
                "properties": {
                    "buttons": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(BUTTONS)},
                        "minItems": 1,
                        "maxItems": cfg.max_buttons,
                        "description": 'Buttons to press in order, e.g. ["up", "up", "a"].',
                    },
                    "hold_frames": frames | {"maximum": cfg.max_hold_frames, "default": cfg.hold_frames},
                    "wait_frames": frames | {"maximum": cfg.max_wait_frames, "default": cfg.wait_frames},
                },
                "required": ["buttons"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "wait",
            "Let the game run without input for some frames (60 frames = 1 second).",
            {
                "type": "object",
                "properties": {"frames": frames | {"maximum": cfg.max_tick_frames}},
                "required": ["frames"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "navigate_to",
            "Walk to cell (x, y) as the explored map (the minimap) numbers it, on the current map or on another "
            "known map through known warps: the shortest known way is pressed for you, one move at a time, trying "
            "unseen cells when needed. It stops early when a move is blocked or the game leaves the map (a dialog, "
            "a battle) and says what happened. Entering a warp's cell takes it. Each "
            f"{cfg.max_buttons} moves count as one action.",
            {
                "type": "object",
                "properties": {
                    "x": {"type": "integer", "description": "The column, as the minimap numbers it."},
                    "y": {"type": "integer", "description": "The row, as the minimap numbers it."},
                    "map": {
                        "type": ["integer", "string"],
                        "description": "Another known map's id or name; leave out for the current map.",
                    },
                },
                "required": ["x", "y"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "note",
            "Save or replace a long-term note under a short key. Notes stay in your memory across the whole run.",
            {
                "type": "object",
                "properties": {"key": {"type": "string"}, "text": {"type": "string"}},
                "required": ["key", "text"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "forget",
            "Delete a long-term note you no longer need.",
            {
                "type": "object",
                "properties": {"key": {"type": "string"}},
                "required": ["key"],
                "additionalProperties": False,
            },
        ),
    )


def execute(
    calls: Sequence[ToolCall],
    cfg: ToolsConfig,
    notes: Notes,
    step: int,
    pad: Pad,
    offered: Sequence[str],
    text: str = "",
) -> Executed:
    """Check and run a reply's calls, in order: inputs are played through `pad` as each call comes (navigate_to
    needs the positions its presses lead to), `notes` edited (the events are `step`'s). Only the tools in `offered`
    may be called. A reply with no call whose `text` writes one out gets one result (id `TEXT_CALL_ID`, not an
    error: no call was made) saying how to call tools."""
    if not calls and (written := written_call(text)):
        return Executed((ToolResult(TEXT_CALL_ID, WRITTEN_CALL_RESULT.format(snippet=written)),), (), 0, ())
    results: list[ToolResult] = []
    events: list[MemoryEvent] = []
    actions = 0
    for call in calls:
        try:
            done = _one(call, cfg, notes, step, offered)
        except BadToolCall as exc:
            results.append(ToolResult(call.id, f"error: {exc}", is_error=True))
            continue
        if isinstance(done, Target):
            pressed = len(pad.ops)
            results.append(ToolResult(call.id, pad.navigate(done, cfg.hold_frames, cfg.wait_frames,
                                                            cfg.max_navigate_moves)))  # fmt: skip
            # Counted as press_buttons calls of at most max_buttons presses would be, so charts stay comparable.
            actions += -(-(len(pad.ops) - pressed) // cfg.max_buttons)
            continue
        result, new_ops, event = done
        results.append(ToolResult(call.id, result))
        for op in new_ops:
            pad.play(op)
        actions += call.name in GAME_TOOLS
        if event:
            events.append(event)
    return Executed(tuple(results), tuple(pad.ops), actions, tuple(events))


def calls_made(results: Sequence[ToolResult]) -> int:
    """How many of a step's `results` answer a call the model made (not the answer to a call written as text)."""
    return sum(r.call_id != TEXT_CALL_ID for r in results)


def bad_streak(streak: int, results: Sequence[ToolResult]) -> int:
    """The bad-call streak after a step's `results`: one more per bad call, 0 after a good one; the answer to a call
    written as text is no call and changes nothing (the watchdog's idle alarm counts those replies)."""
    for result in results:
        if result.call_id != TEXT_CALL_ID:
            streak = streak + 1 if result.is_error else 0
    return streak


def written_call(text: str) -> str | None:
    """The start of a tool call written as text in `text` (at most 60 characters), or None."""
    found = _WRITTEN_CALL.search(text)
    if found is None:
        return None
    snippet = " ".join(text[found.start() : found.start() + 60].split())
    return snippet + ("…" if len(text) > found.start() + 60 else "")


def apply_ops(gb: GameBoy, ops: Sequence[InputOp], render: bool = True) -> None:
    """Play `ops` on `gb` in order; only the very last frame is rendered (when `render`)."""
    last = len(ops) - 1
    for i, op in enumerate(ops):
        draw = render and i == last
        if op.buttons:
            gb.press(op.buttons, op.hold, op.wait, render=draw)
        else:
            gb.tick(op.wait, render=draw)


def _one(
    call: ToolCall, cfg: ToolsConfig, notes: Notes, step: int, offered: Sequence[str]
) -> tuple[str, list[InputOp], MemoryEvent | None] | Target:
    if call.name not in offered:
        listed = ", ".join(offered[:-1]) + f" and {offered[-1]}"
        raise BadToolCall(f"unknown tool {call.name!r}; the tools are {listed}.")
    if not isinstance(call.input, dict):
        raise BadToolCall(f"{call.name}: the input must be a JSON object.")
    if UNPARSED_ARGUMENTS in call.input:
        raw = str(call.input[UNPARSED_ARGUMENTS])[:200]
        raise BadToolCall(f"{call.name}: the arguments are not a JSON object: {raw!r}.")
    args = call.input
    if call.name == "press_buttons":
        _only(args, {"buttons", "hold_frames", "wait_frames"}, call.name)
        buttons = args.get("buttons")
        if isinstance(buttons, str):
            buttons = [buttons]
        if not isinstance(buttons, list) or not buttons:
            raise BadToolCall('press_buttons: buttons must be a non-empty list, e.g. ["a"].')
        if len(buttons) > cfg.max_buttons:
            raise BadToolCall(f"press_buttons: at most {cfg.max_buttons} buttons per call, got {len(buttons)}.")
        bad = [b for b in buttons if not isinstance(b, str) or b.lower() not in BUTTONS]
        if bad:
            raise BadToolCall(f"press_buttons: unknown button {bad[0]!r}; use: {', '.join(BUTTONS)}.")
        hold = _frames(args, "hold_frames", cfg.hold_frames, cfg.max_hold_frames)
        wait = _frames(args, "wait_frames", cfg.wait_frames, cfg.max_wait_frames)
        names = [b.lower() for b in buttons]
        ops = [InputOp((b,), hold, wait) for b in names]
        return f"pressed {' '.join(names)} (hold {hold}, wait {wait} frames each)", ops, None
    if call.name == "wait":
        _only(args, {"frames"}, call.name)
        frames = _frames(args, "frames", None, cfg.max_tick_frames)
        return f"waited {frames} frames", [InputOp((), 0, frames)], None
    if call.name == "note":
        _only(args, {"key", "text"}, call.name)
        key, text = normalize_key(_text(args, "key")), _text(args, "text")
        notes.set(key, text)
        return f"noted {key!r}", [], MemoryEvent.note(step, key, text)
    if call.name == "forget":
        _only(args, {"key"}, call.name)
        key = normalize_key(_text(args, "key"))
        notes.forget(key)
        return f"forgot {key!r}", [], MemoryEvent.forget(step, key)
    if call.name == "navigate_to":
        _only(args, {"x", "y", "map"}, call.name)
        x, y = (_coordinate(args, name) for name in ("x", "y"))
        where = args.get("map")
        if where is not None and (isinstance(where, bool) or not isinstance(where, int | str)):
            raise BadToolCall("navigate_to: map must be a map id or name as the minimap shows it, e.g. 3.")
        return Target(x, y, where)
    raise BadToolCall(f"unknown tool {call.name!r}.")


def _only(args: dict[str, Any], allowed: set[str], tool: str) -> None:
    extra = sorted(set(args) - allowed)
    if extra:
        raise BadToolCall(f"{tool}: unknown argument {extra[0]!r}; it takes {', '.join(sorted(allowed))}.")


def _frames(args: dict[str, Any], name: str, default: int | None, maximum: int) -> int:
    value = args.get(name, default)
    if value is None:
        raise BadToolCall(f"{name} is required: a whole number of frames from 1 to {maximum}.")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise BadToolCall(f"{name} must be a whole number from 1 to {maximum}, got {value!r}.")
    return value


def _coordinate(args: dict[str, Any], name: str) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not -1024 <= value <= 4096:
        raise BadToolCall(
            f"navigate_to: {name} must be a whole number (a cell as the minimap numbers it), got {value!r}."
        )
    return value


def _text(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise BadToolCall(f"{name} must be a string.")
    return value
