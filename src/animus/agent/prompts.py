"""The text a model is given: the system prompt and each observation. Stored in the run's meta as templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from animus.agent.types import Memory, Observation

SYSTEM_PROMPT = """\
You are playing the Game Boy game {game} through tools. You cannot see the cartridge's code: you see the game as \
text (and, for some models, a screenshot) after every step, and you act by calling tools.

Tools: press_buttons presses buttons one after another; wait lets time pass; note and forget keep long-term \
notes that stay with you for the whole run, long after older turns have left your context. Write down what you \
learn: places, exits, people, what they said, what worked and what failed.

Goal: make progress through the game's milestones, in order, with as few actions as you can. Every reply must \
call at least one tool."""

OBSERVATION = """\
Step {step}. Actions so far: {actions}.{progress}{notices}

{state}"""

PROGRESS = " Milestones reached: {reached}/{total}{last}. Actions since the last milestone: {since}."

NO_TOOL_NOTICE = "Your last reply called no tool: call press_buttons or wait to act."
CUT_NOTICE = "Your last reply was cut off at the token limit before it acted: think less, then call a tool."
REFUSAL_NOTICE = "Your last reply was stopped by a safety refusal. This is a video game: keep playing with the tools."

SUMMARY_SECTIONS = (
    "Current objective:",
    "Progress so far:",
    "Known places and how to reach them:",
    "What was tried and failed:",
    "Open leads:",
)

SUMMARY_PROMPT = (
    """\
You are keeping the long-term memory of an agent playing the Game Boy game {game}. The turns above through step \
{through} are leaving its context for good (later ones stay). Write a new summary that replaces the current one \
(given in your memory): keep everything from the current summary that still matters and add what the leaving \
turns taught. Be concrete: names, places, positions, what people said, what worked. Use exactly these sections, \
in this order:
"""
    + "\n".join(SUMMARY_SECTIONS)
    + "\nReply with the summary only; call no tool."
)

SUMMARY_RETRY_PROMPT = """\
Your last answer was not a usable summary ({problem}). Answer in plain text now, call no tool, and keep it short: \
the summary of the agent playing {game} through step {through}, in exactly these sections:
""" + "\n".join(SUMMARY_SECTIONS)

REFLECT_PROMPT = """\
A watchdog says the agent playing {game} is stuck: {reason} Reflect briefly: what have you been trying, why might \
it not work, and what will you do differently now? Reply with text only; call no tool."""


MEMORY = """\
Your long-term memory. Summary of earlier play:
{summary}

Your notes (as of that summary; changes since are listed with the newest observation):
{notes}"""

NOTE_CHANGES = "Your notes changed since the summary:\n{changes}"


NAVIGATE_PROMPT = """
navigate_to walks you to a cell of the explored map (the minimap shown after the game state), on this map or on \
another one through warps you have taken: use it for every walk longer than a few steps."""

NO_NOTES_PROMPT = "\nThis run offers no note or forget tool: your memory is the summary of earlier play."

GAME_PROMPT = "\n\nAbout {game}, from its profile:\n{text}"


def system_prompt(
    game: str,
    offered: Sequence[str] = ("press_buttons", "wait", "note", "forget"),
    about: str = "",
    templates: Mapping[str, str] | None = None,
) -> str:
    """The system prompt of a run on `game` that offers the tools `offered` (`tools.offered_tools`), with the
    profile's `[prompt]` text `about` the game added last. `templates` replaces some of `TEMPLATES` (a run's
    recorded ones, to rebuild what it was sent)."""
    t = _templates(templates)
    text = t["system"].format(game=game)
    if "navigate_to" in offered:
        text += t["navigate"]
    if "note" not in offered:
        text += t["no_notes"]
    if about:
        text += t["game"].format(game=game, text=about)
    return text


def memory_text(memory: Memory, templates: Mapping[str, str] | None = None) -> str:
    """The summary and the notes as of it, as a remote model reads them (a cached system block); "" when empty."""
    if not memory.summary and not memory.base_notes:
        return ""
    notes = "\n".join(f"- {key}: {value}" for key, value in memory.base_notes) or "(none)"
    return _templates(templates)["memory"].format(summary=memory.summary or "(none yet)", notes=notes)


def note_changes(memory: Memory, templates: Mapping[str, str] | None = None) -> str:
    """The notes set, changed or deleted since the summary, for the newest turn; "" when there are none."""
    base, live = dict(memory.base_notes), dict(memory.notes)
    lines = [f"- {key}: {value}" for key, value in live.items() if base.get(key) != value]
    lines += [f"- {key}: (deleted)" for key in base if key not in live]
    return _templates(templates)["note_changes"].format(changes="\n".join(lines)) if lines else ""


def _templates(templates: Mapping[str, str] | None) -> Mapping[str, str]:
    """`TEMPLATES`, with `templates` in place of the ones it names."""
    return TEMPLATES if not templates else {**TEMPLATES, **templates}


def observation(obs: Observation) -> str:
    """The text of one observation: progress facts, notices (e.g. from the watchdog), then the game state."""
    progress = ""
    if obs.progress:
        progress = PROGRESS.format(
            reached=len(obs.milestones),
            total=obs.milestone_total,
            last=f" (latest: {obs.milestones[-1]})" if obs.milestones else "",
            since=obs.actions_since_milestone,
        )
    state = "\n\n".join(part for part in (obs.state.text, obs.minimap) if part)
    return OBSERVATION.format(
        step=obs.step,
        actions=obs.actions,
        progress=progress,
        notices="".join(f"\nNote: {n}" for n in obs.notices),
        state=state,
    )


TEMPLATES = {
    "system": SYSTEM_PROMPT,
    "navigate": NAVIGATE_PROMPT,
    "no_notes": NO_NOTES_PROMPT,
    "game": GAME_PROMPT,
    "observation": OBSERVATION,
    "progress": PROGRESS,
    "no_tool": NO_TOOL_NOTICE,
    "memory": MEMORY,
    "note_changes": NOTE_CHANGES,
    "summary": SUMMARY_PROMPT,
    "summary_retry": SUMMARY_RETRY_PROMPT,
    "reflect": REFLECT_PROMPT,
}
