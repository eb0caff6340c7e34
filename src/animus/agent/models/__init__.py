"""Models, registered by name and imported only when used.

A model spec is `NAME` or `NAME:ARGUMENT` (`random`, `scripted:path/to/script.jsonl`, `anthropic:MODEL`).
Built-in names map to dotted paths below; other packages add models through the `animus.models` entry-point
group, whose entry points name a class (or factory) taking `(argument, config)`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

from animus.errors import ModelError

if TYPE_CHECKING:
    from animus.agent.types import Reply, Request
    from animus.config import RunConfig

BUILTIN: dict[str, str] = {
    "mock": "animus.agent.models.mock:MockModel",
    "random": "animus.agent.models.random:RandomModel",
    "scripted": "animus.agent.models.scripted:ScriptedModel",
    "anthropic": "animus.agent.models.anthropic_backend:AnthropicModel",
    "openai": "animus.agent.models.openai_backend:OpenAIModel",
}
ENTRY_POINT_GROUP = "animus.models"
# Backends whose requests leave out the thinking of earlier replies (chat completions has no field for it), so
# token estimates leave it out too (`HeuristicEstimator.for_config`).
DROPS_THINKING = frozenset({"openai"})


class Model(Protocol):
    """The seam every backend implements. `respond` may only use the request: no hidden state between steps."""

    name: str
    sends_images: bool

    def respond(self, request: Request) -> Reply: ...


class ModelFactory(Protocol):
    def __call__(self, argument: str | None, config: RunConfig) -> Model: ...


def plain_summary(request: Request, model: str) -> Reply:
    """The reply of a model that keeps no memory of its own to a summarize or reflect request: the summary's
    sections, unchanged from the current summary or empty."""
    from animus.agent import prompts
    from animus.agent.types import Reply

    if request.purpose == "summarize":
        text = request.memory.summary or "\n".join(f"{heading} (nothing yet)" for heading in prompts.SUMMARY_SECTIONS)
    else:
        text = "I act without a plan; nothing to reflect on."
    return Reply(text=text, stop_reason="end_turn", model=model)


def available() -> dict[str, str]:
    """Every model name with where it comes from: a dotted path, or the entry point's value."""
    names = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def split_spec(spec: str) -> tuple[str, str | None]:
    name, sep, argument = spec.partition(":")
    return name.strip(), (argument if sep else None)


def check_spec(spec: str) -> None:
    """Raise `ModelError` if the spec names no known model (without importing it)."""
    name, _ = split_spec(spec)
    if name not in available():
        raise ModelError(f"unknown model {name!r}: choose one of {', '.join(sorted(available()))}.")


def create_model(spec: str, config: RunConfig) -> Model:
    """Import and build the model `spec` names. Raises `ModelError` for an unknown name or bad argument."""
    check_spec(spec)
    name, argument = split_spec(spec)
    target = available()[name]
    if name in BUILTIN:
        module, _, attr = target.partition(":")
        factory: ModelFactory = getattr(importlib.import_module(module), attr)
    else:
        (ep,) = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        factory = ep.load()
    return factory(argument, config)
