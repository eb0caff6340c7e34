"""The requests `animus rerequest` compares, as text part by part: a re-driven request as the harness built it
(`redriven_view`), and a recorded one rebuilt from the run's store (`Record`).

The parts (`PARTS`), each rendered as text:
- `system`: the system prompt;
- `memory`: the long-term memory block as a remote model reads it: the summary and the notes as of it
  (`prompts.memory_text`), then the notes changed since (`prompts.note_changes`);
- `context`: which earlier turns the request carries (the steps they are of);
- `observation` (act requests): the newest observation's text;
- `results` (act): the results of the previous step's tool calls, which that observation carries;
- `image` (act): the sha256 of the screen sent with it, or none;
- `tools`: the tools offered, with their descriptions and input schemas;
- `thinking`: the thinking settings.
Each request also carries its estimated input tokens (the project's estimator, `memory.tokens`).

What a run stores of a request, and so how the recorded one is rebuilt:
- observation, results, image and the token estimate: verbatim (the turn each act call added, `request_delta`,
  and `context_tokens`; a schema-1 store recorded no estimate: 0).
- system: the prompt templates the run recorded (meta `prompts`), filled with its profile's name and `[prompt]`
  text and the tools its harness card lists, by `prompts.system_prompt` given the run's templates. So an edit of a
  template in `animus.agent.prompts` is found.
- memory: the memory events. A call's `memory_version` counts the events applied when it was made (operator notes
  included), so its notes are those the first `memory_version` events leave; its summary is the latest one folded
  in before it (a step's summaries are folded before its act request), with the notes as they stood at that fold.
  It is shown as the run's config showed it (`memory.enabled`, `channels.summary`, `channels.notes`).
- context: the turns after that summary (through the newest observation for an act request, through the step
  before for a summarize or reflect request, whose task turn is not stored).
- tools: today's specs (`agent.tools.tool_specs`) of the tools the card lists, with the run's `tools` settings: a
  run stores no descriptions, so an edit of one in `animus.agent.tools` is not found; a setting that changes one is.
- thinking: the run's config.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from animus.agent import prompts
from animus.agent.tools import tool_specs
from animus.agent.types import Memory, Reply, Request, Thinking, ToolResult, ToolSpec, Turn, UserTurn, turn_from_json
from animus.memory import Notes
from animus.memory.digest import summary_problem
from animus.memory.events import MemoryEvent, MemoryKind

if TYPE_CHECKING:
    from animus.config import RunConfig
    from animus.games import Profile
    from animus.runs.reader import RunReader
    from animus.runs.rows import ModelCallRow, StepRow

# The parts of a request in the order they are reported. `calls` is no part of one request: it is the purposes of
# a step's requests, which differ when the harness asks for a summary or a reflection where the run did not.
PARTS = ("calls", "system", "memory", "context", "observation", "results", "image", "tools", "thinking")

R = TypeVar("R")


@dataclass(frozen=True)
class RequestView:
    """One request as text, part by part (`PARTS`; an act request's only: observation, results, image), with its
    estimated input tokens (None: unknown, for a request the replay could not answer)."""

    step: int
    purpose: str
    parts: tuple[tuple[str, str], ...]
    tokens: int | None

    def part(self, name: str) -> str | None:
        """The text of the part `name`, None when this request has no such part."""
        return next((text for key, text in self.parts if key == name), None)


# -- rendering, shared by both sides --------------------------------------------------------------------------------


def _join(*texts: str) -> str:
    return "\n\n".join(text for text in texts if text)


def _context(first: int, last: int) -> str:
    return f"the turns of steps {first}-{last}" if first <= last else "no earlier turns"


def _results(results: Iterable[ToolResult]) -> str:
    return "\n".join(f"{r.call_id}: {'(error) ' if r.is_error else ''}{r.content}" for r in results)


def _image(sha256: str | None) -> str:
    return f"sha256 {sha256}" if sha256 else "none"


def _tools(specs: Iterable[ToolSpec]) -> str:
    return "\n".join(
        json.dumps({"name": s.name, "description": s.description, "input_schema": s.input_schema}, sort_keys=True)
        for s in specs
    )


def _thinking(t: Thinking) -> str:
    return f"type {t.type}, budget_tokens {t.budget_tokens}, effort {t.effort}"


def _act_parts(user: UserTurn) -> tuple[tuple[str, str], ...]:
    return (("observation", user.text), ("results", _results(user.tool_results)), ("image", _image(user.image)))


# -- the re-driven side ---------------------------------------------------------------------------------------------


def redriven_view(request: Request, tokens: int | None) -> RequestView:
    """`request` as the harness built it, with its estimated input tokens `tokens` (as the caller recorded them).
    Its memory is rendered by today's `prompts` (the run's side by its own templates)."""
    act = request.purpose == "act"
    earlier: Sequence[Turn] = request.messages if act else request.messages[:-1]  # (the last is the task turn)
    steps = [t.step for t in earlier]
    parts = [
        ("system", request.system),
        ("memory", _join(prompts.memory_text(request.memory), prompts.note_changes(request.memory))),
        ("context", _context(min(steps), max(steps)) if steps else _context(1, 0)),
    ]
    newest = request.messages[-1] if request.messages else None
    if act and isinstance(newest, UserTurn):
        parts += _act_parts(newest)
    parts += [("tools", _tools(request.tools)), ("thinking", _thinking(request.thinking))]
    return RequestView(request.step, request.purpose, tuple(parts), tokens)


# -- the recorded side ----------------------------------------------------------------------------------------------


class ByStep(Generic[R]):
    """Rows of a stream ordered by step, handed out a step at a time: `at(step)` for steps in increasing order
    (asking again for the current step is free). Only the current step's rows are held."""

    def __init__(self, rows: Iterable[R], step_of: Callable[[R], int]) -> None:
        self._rows: Iterator[R] = iter(rows)
        self._step_of = step_of
        self._ahead: R | None = None  # the first row of a later step, read ahead
        self._step = -1
        self._held: list[R] = []

    def close(self) -> None:
        """Close the stream (a store's cursor is closed with it: its connection can then close for good)."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()

    def at(self, step: int) -> list[R]:
        """The rows of `step` (rows of steps before it are skipped; a step before the current one has none)."""
        if step == self._step:
            return self._held
        if step < self._step:
            return []
        self._step, self._held = step, []
        while True:
            row = self._ahead if self._ahead is not None else next(self._rows, None)
            self._ahead = None
            if row is None:
                return self._held
            if self._step_of(row) > step:
                self._ahead = row
                return self._held
            if self._step_of(row) == step:
                self._held.append(row)


@dataclass(frozen=True)
class _Summary:
    """A summary folded into the context: its text, the notes when it was folded, the last step it covers."""

    text: str = ""
    base_notes: tuple[tuple[str, str], ...] = ()
    through: int = 0


class _NotesAt:
    """The notes the first N memory events leave, for N that mostly grow (replayed incrementally)."""

    def __init__(self, events: list[MemoryEvent], max_chars: int) -> None:
        self.events, self.max_chars = events, max_chars
        self.notes, self.applied = Notes(max_chars), 0

    def at(self, version: int) -> tuple[tuple[str, str], ...]:
        if version < self.applied:  # (a resumed session may count again from fewer events)
            self.notes, self.applied = Notes(self.max_chars), 0
        self.notes.replay(self.events[self.applied : version])
        self.applied = max(self.applied, min(version, len(self.events)))
        return self.notes.items()


class Record:
    """The recorded side of a run, read in step order from an open `RunReader` (see the module docstring): its
    requests (`views`), its calls (`calls`) and its steps (`step_row`). `views` must be asked for every step, in
    order, once: it follows the summaries step by step. `profile` is the run's own (its profile.toml). `close` it
    before the reader: it reads the store through open cursors."""

    def __init__(self, reader: RunReader, profile: Profile) -> None:
        meta = reader.meta()
        self.config: RunConfig = meta.run_config()
        self.templates = dict(meta.prompts)
        card = meta.card
        listed = card.get("tools")
        offered = tuple(str(t) for t in listed) if isinstance(listed, list) else None
        today = tool_specs(self.config.tools, profile)
        if offered is None:
            offered = tuple(s.name for s in today)
        about = str(card["game_prompt"]) if "game_prompt" in card else profile.prompt
        self.system = prompts.system_prompt(meta.profile_name or profile.name, offered, about, self.templates)
        by_name = {s.name: s for s in today}
        self.tools = _tools(by_name.get(n, ToolSpec(n, "(no longer offered here)", {})) for n in offered)
        t = self.config.thinking
        self.thinking = _thinking(Thinking(type=t.kind, budget_tokens=t.budget_tokens, effort=t.effort))
        self.events = reader.memory_events()
        self._calls: ByStep[ModelCallRow] = ByStep(reader.calls(), lambda c: c.step)
        self._steps: ByStep[StepRow] = ByStep(reader.steps(), lambda s: s.step)
        self._folds: ByStep[MemoryEvent] = ByStep(
            (e for e in self.events if e.kind is MemoryKind.SUMMARY), lambda e: e.step
        )
        self._notes = _NotesAt(self.events, self.config.memory.notes_max_chars)
        self._summary = _Summary()  # the latest summary folded in before the current step

    def close(self) -> None:
        for stream in (self._calls, self._steps, self._folds):
            stream.close()

    def calls(self, step: int) -> list[ModelCallRow]:
        """The model calls the run made at `step`, in order (steps in increasing order)."""
        return self._calls.at(step)

    def step_row(self, step: int) -> StepRow | None:
        """The run's row of `step` (steps in increasing order)."""
        rows = self._steps.at(step)
        return rows[0] if rows else None

    def views(self, step: int) -> list[RequestView]:
        """The requests the run made at `step`, rebuilt (see the module docstring)."""
        calls, folds = self.calls(step), self._folds.at(step)
        notes = self._notes.at(calls[0].memory_version) if calls else self._notes.notes.items()
        current, fold, tries, views = self._summary, 0, 0, []
        for call in calls:
            if call.purpose == "act" and folds:  # every fold of a step comes before its act request
                current = _Summary(folds[-1].content, notes, _through(folds[-1]))
            views.append(self._view(call, current, notes))
            if call.purpose == "summarize":
                # A fold asks once, and once more when the answer is no usable summary (`Agent.summarize`).
                tries += 1
                usable = summary_problem(Reply.from_json(json.loads(call.reply))) is None
                if (usable or tries == 2) and fold < len(folds):
                    current = _Summary(folds[fold].content, notes, _through(folds[fold]))
                    fold, tries = fold + 1, 0
        if folds:
            self._summary = _Summary(folds[-1].content, notes, _through(folds[-1]))
        return views

    def _view(self, call: ModelCallRow, summary: _Summary, notes: tuple[tuple[str, str], ...]) -> RequestView:
        act = call.purpose == "act"
        last = call.step if act else call.step - 1
        parts = [
            ("system", self.system),
            ("memory", self._memory(summary, notes, call.memory_version)),
            ("context", _context(summary.through + 1, last)),
        ]
        if act:
            turns = [turn_from_json(t) for t in json.loads(call.request_delta)]
            user = next((t for t in reversed(turns) if isinstance(t, UserTurn)), UserTurn(call.step, ""))
            parts += _act_parts(user)
        parts += [("tools", self.tools), ("thinking", self.thinking)]
        return RequestView(call.step, call.purpose, tuple(parts), call.context_tokens or None)

    def _memory(self, summary: _Summary, notes: tuple[tuple[str, str], ...], version: int) -> str:
        """The memory block as the run's config showed it (`Agent.memory`), with the run's templates."""
        cfg, shown = self.config.memory, self.config.channels
        if not cfg.enabled:
            return ""
        live, base = (notes, summary.base_notes) if shown.notes else ((), ())
        memory = Memory(summary.text if shown.summary else "", live, version, base)
        return _join(prompts.memory_text(memory, self.templates), prompts.note_changes(memory, self.templates))


def _through(event: MemoryEvent) -> int:
    """The last step a summary event covers (its key)."""
    return int(event.key or 0)
