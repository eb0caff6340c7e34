"""The harness card: what a run's model could see and do, and every intervention during the run.

    card = run_card(reader)              # from a run's directory alone (no Animus process needed)
    card.short                           # "-minimap -navigate +image"; "" when everything is the default
    differences([card_a, card_b])        # ["minimap"]: the switches whose values differ

A `Card` holds:
- the channels, each on or off: every switch of `ChannelsConfig` in its order, then `image` (the screen as an
  image: `model.images` on a backend that sends images, `IMAGE_BACKENDS`; the mock, random and scripted models
  never do, and a plugin's backend is counted as sending none);
- the tools offered (`agent.tools.offered_tools`), and whether the profile reads a map position (without one,
  navigate_to cannot be offered, whatever `tools.navigate` says);
- the profile's id and sha256, the model and its settings that matter, the sha256 of the prompt templates;
- the interventions: operator notes (`animus note`) with the step each took effect at, resumes with the step they
  resumed after, and budget changes (a resume's new `budget.*`, against the session before it, or the run's stored
  config for the first session recorded). Runs from before sessions were recorded (`RunMeta.sessions`) show no
  resumes or budget changes.

Switches are the keys charts compare (`differences`): every channel by its name, and the tools by `navigate`
(navigate_to; only where the profile has a map position) and `note` (note and forget). Their defaults are the
config's (every channel on), except `image`, which is off by default: a text-only harness is the baseline, so a
run whose model saw the screen reads `+image`.

The card's JSON form (`to_json`, `from_json`) is plain JSON, stored in meta (`card`), printed by
`animus show RUN --card --json` and written by `animus export`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from animus.agent.tools import offered_tools
from animus.config import ChannelsConfig, RunConfig
from animus.errors import RunError
from animus.games import Profile, load_profile
from animus.memory.events import EventSource, MemoryEvent, MemoryKind
from animus.runs.meta import RunMeta
from animus.runs.reader import RunReader

CARD_VERSION = 1
PROFILE_FILE = "profile.toml"  # beside run.db: the exact profile the run played with (written by the runner)
IMAGE_BACKENDS = frozenset({"anthropic", "openai"})  # their `sends_images` is `model.images`
IMAGE = "image"
TOOL_SWITCHES = {"navigate": ("navigate_to",), "note": ("note", "forget")}  # switch -> the tools it offers
# The config key that sets each switch that is not a channel (channels are `channels.NAME`).
_CONFIG_KEYS = {IMAGE: "model.images", "navigate": "tools.navigate", "note": "tools.notes"}

Number = int | float | None


@dataclass(frozen=True)
class ModelSettings:
    """The model and the settings of it that change what it does."""

    name: str
    max_tokens: int
    temperature: float | None  # None: the API's default
    thinking: str | None  # the effective thinking type: enabled, adaptive, disabled; None: the API's default
    thinking_budget: int | None
    thinking_effort: str | None
    images: bool  # `model.images` as configured (whether images reach the model is the `image` channel)
    image_scale: float
    grid_overlay: bool
    context_tokens: int  # memory.context_tokens
    memory: bool  # memory.enabled
    branches: int  # branching.branches (1: no best-of-N)

    @classmethod
    def of(cls, config: RunConfig) -> ModelSettings:
        m, t = config.model, config.thinking
        return cls(
            name=m.name,
            max_tokens=m.max_tokens,
            temperature=m.temperature,
            thinking=t.kind,
            thinking_budget=t.budget_tokens,
            thinking_effort=t.effort,
            images=m.images,
            image_scale=m.image_scale,
            grid_overlay=m.grid_overlay,
            context_tokens=config.memory.context_tokens,
            memory=config.memory.enabled,
            branches=config.branching.branches,
        )


@dataclass(frozen=True)
class OperatorNote:
    """A note an operator wrote (or forgot: `text` None) with `animus note`, and the step it took effect at."""

    step: int
    key: str
    text: str | None
    at: float  # when it was written (Unix time)


@dataclass(frozen=True)
class Resume:
    """A resume of the run: it played on after step `step`."""

    step: int
    at: float


@dataclass(frozen=True)
class Fork:
    """The run is a fork (`animus fork`): it continued run `parent` after its step `step`, possibly with another
    model or settings (this card's are the fork's)."""

    parent: str
    step: int
    at: float


@dataclass(frozen=True)
class BudgetChange:
    """A budget a resume changed (`key` is `budget.steps`, `budget.max_minutes`, ...), from `old` to `new`."""

    step: int  # the step the resume played on after
    key: str
    old: Number
    new: Number
    at: float


@dataclass(frozen=True)
class Card:
    """A run's harness card (see the module docstring). Build one with `run_card` or `build_card`."""

    channels: tuple[tuple[str, bool], ...]  # (name, on), every ChannelsConfig switch in order, then "image"
    tools: tuple[str, ...]  # offered, in the order a model receives them
    map_position: bool  # the profile reads a map position (navigate_to can be offered)
    profile_id: str
    profile_sha256: str
    model: ModelSettings
    prompts_sha256: str  # of the prompt templates the run recorded (`prompts_hash`)
    game_prompt: str = ""  # what the profile's [prompt] added to the system prompt ("" for none; older cards: "")
    notes: tuple[OperatorNote, ...] = ()
    resumes: tuple[Resume, ...] = ()
    budget_changes: tuple[BudgetChange, ...] = ()
    fork: Fork | None = None  # older cards: None
    version: int = field(default=CARD_VERSION)

    def channel(self, name: str) -> bool:
        """Whether the channel `name` was on; `KeyError` for a name the card does not have."""
        for key, on in self.channels:
            if key == name:
                return on
        raise KeyError(name)

    @property
    def switches(self) -> tuple[tuple[str, bool | None], ...]:
        """Every switch with its value: the channels, then `navigate` (None where the profile has no map position,
        so navigate_to could not be offered) and `note`."""
        tools = {
            name: all(t in self.tools for t in offered) if name != "navigate" or self.map_position else None
            for name, offered in TOOL_SWITCHES.items()
        }
        return (*self.channels, *tools.items())

    @property
    def short(self) -> str:
        """The switches that differ from their defaults, as `-name` (off) or `+name` (on): "-minimap -navigate
        +image"; "" when every switch is at its default."""
        return " ".join(
            f"{'+' if value else '-'}{name}"
            for name, value in self.switches
            if value is not None and value != default_switch(name)
        )

    @property
    def interventions(self) -> int:
        """How many interventions the run had: operator notes, resumes and budget changes."""
        return len(self.notes) + len(self.resumes) + len(self.budget_changes) + (self.fork is not None)

    def to_json(self) -> dict[str, Any]:
        """The card as plain JSON (`from_json` reads it back)."""
        return {
            "version": self.version,
            "channels": dict(self.channels),
            "tools": list(self.tools),
            "map_position": self.map_position,
            "profile": {"id": self.profile_id, "sha256": self.profile_sha256},
            "model": _fields(self.model),
            "prompts_sha256": self.prompts_sha256,
            "game_prompt": self.game_prompt,
            "fork": None if self.fork is None else _fields(self.fork),
            "short": self.short,
            "interventions": {
                "notes": [_fields(n) for n in self.notes],
                "resumes": [_fields(r) for r in self.resumes],
                "budget_changes": [_fields(b) for b in self.budget_changes],
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Card:
        """The card `to_json` wrote; `ValueError` for anything else (`short` is recomputed, not read)."""
        try:
            done = data["interventions"]
            return cls(
                channels=tuple((str(k), bool(v)) for k, v in data["channels"].items()),
                tools=tuple(str(t) for t in data["tools"]),
                map_position=bool(data["map_position"]),
                profile_id=str(data["profile"]["id"]),
                profile_sha256=str(data["profile"]["sha256"]),
                model=ModelSettings(**data["model"]),
                prompts_sha256=str(data["prompts_sha256"]),
                game_prompt=str(data.get("game_prompt", "")),
                notes=tuple(OperatorNote(**n) for n in done["notes"]),
                resumes=tuple(Resume(**r) for r in done["resumes"]),
                budget_changes=tuple(BudgetChange(**b) for b in done["budget_changes"]),
                fork=Fork(**data["fork"]) if data.get("fork") else None,
                version=int(data["version"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a harness card: {type(exc).__name__} {exc}") from None

    def describe(self) -> list[str]:
        """The card as lines of text for people (`animus show RUN --card`)."""
        m = self.model
        on = [name for name, value in self.channels if value]
        off = [name for name, value in self.channels if not value]
        thinking = m.thinking or "API default"
        if m.thinking_budget is not None:
            thinking += f", budget {m.thinking_budget}"
        if m.thinking_effort is not None:
            thinking += f", effort {m.thinking_effort}"
        temperature = "API default" if m.temperature is None else f"{m.temperature:g}"
        if self.channel(IMAGE):
            images = f"sent at scale {m.image_scale:g}, grid {'on' if m.grid_overlay else 'off'}"
        else:
            images = "not sent" + (f" ({m.name} sends none)" if m.images else " (model.images off)")
        lines = [
            f"card      {self.short or 'all defaults'}",
            f"channels  on: {' '.join(on) or '(none)'}",
            f"          off: {' '.join(off) or '(none)'}",
            f"tools     {' '.join(self.tools)}"
            + ("" if self.map_position else " (the profile reads no map position: no navigate_to)"),
            f"profile   {self.profile_id} (sha256 {self.profile_sha256 or 'unknown'})",
            f"model     {m.name} · max_tokens {m.max_tokens} · temperature {temperature} · thinking {thinking}",
            f"          screen images {images}",
            f"memory    {'on' if m.memory else 'off'} · context {m.context_tokens} tokens · branches {m.branches}",
            f"prompts   sha256 {self.prompts_sha256}"
            + (f" · the profile adds: {' / '.join(self.game_prompt.splitlines())}" if self.game_prompt else ""),
            f"interventions {self.interventions}",
        ]
        events: list[tuple[int, float, str]] = []
        for n in self.notes:
            what = f"note {n.key!r} = {n.text!r}" if n.text is not None else f"note {n.key!r} forgotten"
            events.append((n.step, n.at, f"{what} (operator)"))
        for r in self.resumes:
            events.append((r.step, r.at, f"resumed after step {r.step}"))
        for b in self.budget_changes:
            events.append((b.step, b.at, f"{b.key} {_number(b.old)} -> {_number(b.new)} (on resuming)"))
        if self.fork is not None:
            events.append((self.fork.step, self.fork.at, f"forked from {self.fork.parent}: played on as {m.name}"))
        lines += [f"  step {step:>6}  {text}" for step, _, text in sorted(events, key=lambda e: (e[0], e[1]))]
        return lines


def default_switch(name: str) -> bool:
    """A switch's default: a channel's config default (`image`: off), and the tools offered (`navigate`, `note`)."""
    if name == IMAGE:
        return False
    found = ChannelsConfig.model_fields.get(name)
    return bool(found.default) if found is not None else True


def config_key(name: str) -> str:
    """The config key that sets the switch `name`: `channels.minimap`, `model.images`, `tools.navigate`..."""
    return _CONFIG_KEYS.get(name, f"channels.{name}")


def differences(cards: Sequence[Card]) -> list[str]:
    """The switches (see `Card.switches`) whose values differ between `cards`, in the cards' order. A switch a card
    does not have, or that does not apply to it (navigate without a map position), is not compared for it."""
    values: dict[str, set[bool]] = {}
    for card in cards:
        for name, value in card.switches:
            if value is not None:
                values.setdefault(name, set()).add(value)
    return [name for name, seen in values.items() if len(seen) > 1]


def prompts_hash(prompts: dict[str, str]) -> str:
    """The sha256 of a run's prompt templates (meta `prompts`): of their JSON with sorted keys and no spaces."""
    text = json.dumps(prompts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_card(meta: RunMeta, profile: Profile, events: Iterable[MemoryEvent] = ()) -> Card:
    """The card of a run with `meta`, played on `profile`; the operator notes among `events` (the run's memory
    events, in order; others are skipped) are its notes. `ConfigError` if the stored config cannot be read."""
    config = meta.run_config()
    name = config.model.name.partition(":")[0].strip()
    channels = [(key, value) for key, value in config.channels.model_dump().items() if isinstance(value, bool)]
    channels.append((IMAGE, config.model.images and name in IMAGE_BACKENDS))
    notes = tuple(
        OperatorNote(e.step, e.key or "", e.content if e.kind is MemoryKind.NOTE_SET else None, e.created_at)
        for e in events
        if e.source is EventSource.OPERATOR and e.kind in (MemoryKind.NOTE_SET, MemoryKind.NOTE_DELETE)
    )
    resumes: list[Resume] = []
    changes: list[BudgetChange] = []
    before: dict[str, Any] = dict(config.budget.model_dump(mode="json"))  # the stored config's: the first session's
    fork = None
    for session in meta.sessions:
        if session.kind == "fork" and meta.parent:
            fork = Fork(str(meta.parent.get("run", "")), session.step, session.started_at)
        if session.kind == "resume":
            resumes.append(Resume(session.step, session.started_at))
            for key in sorted(set(before) | set(session.budget)):
                old, new = before.get(key), session.budget.get(key)
                if old != new:
                    changes.append(BudgetChange(session.step, f"budget.{key}", old, new, session.started_at))
        before = dict(session.budget)
    return Card(
        channels=tuple(channels),
        tools=offered_tools(config.tools, profile),
        map_position=profile.map_fields is not None,
        profile_id=meta.profile_id or profile.id,
        profile_sha256=meta.profile_hash,
        model=ModelSettings.of(config),
        prompts_sha256=prompts_hash(dict(meta.prompts)),
        game_prompt=profile.prompt,
        notes=notes,
        resumes=tuple(resumes),
        budget_changes=tuple(changes),
        fork=fork,
    )


def run_card(reader: RunReader) -> Card:
    """The current card of the run `reader` has open, from its store and profile.toml alone. `RunError` for a run
    without a profile.toml (cut short while it was being created)."""
    meta = reader.meta()
    return build_card(meta, run_profile(reader.run_dir), reader.memory_events())


def run_profile(run_dir: Path) -> Profile:
    """The profile the run at `run_dir` played with (its profile.toml)."""
    path = run_dir / PROFILE_FILE
    if not path.is_file():
        raise RunError(f"run {run_dir} has no {PROFILE_FILE}: it is incomplete, so it has no harness card.")
    return load_profile(str(path))


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def _number(value: Number) -> str:
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
