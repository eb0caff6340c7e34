"""The requests `check_model` replays: every request of a real mock run on the bundled classic Animus Quest.

They are recorded when first needed, by playing that run (about a second) in a temporary directory, and kept for
the rest of the process. Nothing is shipped: a file of recorded requests would go stale whenever a prompt, a tool
or the `Request` type changes, whereas a fresh recording always has the shape the current loop sends. The run is
deterministic (the mock, seed 0, the classic ROM), so every recording is the same. The ROM is named, not left to
the default: the recording stays the same whichever cartridge `--rom` defaults to.

The settings in `RECORDING` make the short run exercise all three purposes: a small context budget makes the
loop summarize (a few `summarize` requests) and a short watchdog makes it reflect once (`reflect`). The recorder
is the run's model (`start_run(model=...)`): it wraps the mock with `sends_images = True`, so every act request
carries the frame's PNG; `for_model` strips the images for a model that is not sent them, as the loop would.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.agent.types import AssistantTurn, Reply, Request, Turn, UserTurn

if TYPE_CHECKING:
    from animus.agent.models import Model

# 40 act requests, 9 summarize and 1 reflect.
RECORDING: dict[str, Any] = {
    "rom": "animus-quest-classic",
    "model.name": "mock",
    "seed": 0,
    "budget.steps": 40,
    "memory.context_tokens": 5000,
    "watchdog.no_milestone_actions": 6,
    "watchdog.escalate_actions": 4,
}


class _Recorder:
    """Answers as `model` does, keeping every request it is asked."""

    sends_images = True

    def __init__(self, model: Model) -> None:
        self.requests: list[Request] = []
        self.model, self.name = model, model.name

    def respond(self, request: Request) -> Reply:
        self.requests.append(request)
        return self.model.respond(request)


@functools.lru_cache(maxsize=1)
def _recording() -> tuple[Request, ...]:
    from animus.agent.models import create_model
    from animus.config import load_config
    from animus.runs.runner import start_run

    config = load_config(overrides=RECORDING)
    recorder = _Recorder(create_model(config.model.name, config))
    with tempfile.TemporaryDirectory(prefix="animus-check-") as tmp:
        start_run(config, Path(tmp), name="recording", model=recorder)
    return tuple(recorder.requests)


def recorded_requests() -> tuple[Request, ...]:
    """The requests of the recording run, in the order the loop sent them (with images; see `for_model`).

    The first call plays the run; it installs the run's signal handlers, so it must be made from the main
    thread. Each call returns a deep copy: a model that edits a request cannot spoil the next check.
    """
    return copy.deepcopy(_recording())


def for_model(requests: Sequence[Request], sends_images: bool) -> tuple[Request, ...]:
    """`requests` as a model with this `sends_images` would get them: without any image when it is False, and
    with no reply limit of the recording run's session (the checked model's own config's `model.max_tokens`)."""
    unlimited = tuple(replace(r, max_tokens=None) for r in requests)
    if sends_images:
        return unlimited
    return tuple(
        replace(
            r,
            image_png=None,
            messages=tuple(replace(t, image=None) if isinstance(t, UserTurn) else t for t in r.messages),
        )
        for r in unlimited
    )


def without_thinking(requests: Sequence[Request]) -> tuple[Request, ...]:
    """`requests` with the thinking of the replies in their history removed. The recorded replies are the mock's,
    whose thinking blocks no API signed, and a remote API refuses a thinking block it did not sign."""

    def plain(turn: Turn) -> Turn:
        return replace(turn, reply=replace(turn.reply, thinking=())) if isinstance(turn, AssistantTurn) else turn

    return tuple(replace(r, messages=tuple(plain(t) for t in r.messages)) for r in requests)


def snapshot(request: Request) -> dict[str, Any]:
    """A deep copy of everything in `request`, to tell whether a model changed it."""
    return asdict(request)


def describe(index: int, request: Request) -> str:
    return f"request {index} (step {request.step}, {request.purpose})"
