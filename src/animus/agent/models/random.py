"""`random`: a seeded button masher, the baseline every agent should beat.

Its choice at step N depends only on (seed, N), so a resumed run continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import random as _random

from animus.agent.models import plain_summary
from animus.agent.types import Reply, Request, ToolCall
from animus.config import RunConfig
from animus.errors import ModelError

# Directions and A move most games along; START and SELECT mostly open menus.
_WEIGHTED_BUTTONS = ["up", "down", "left", "right"] * 3 + ["a"] * 3 + ["b", "start", "select"]


class RandomModel:
    """Presses 1-3 random buttons per step, and now and then waits."""

    sends_images = False

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        if argument:
            raise ModelError(f"the random model takes no argument (got random:{argument}); set the seed with --seed.")
        self.name = "random"

    def respond(self, request: Request) -> Reply:
        if request.purpose != "act":
            return plain_summary(request, self.name)
        rng = _random.Random(f"animus-random:{request.seed}:{request.step}")
        call_id = f"call_{request.step}_0"
        if rng.random() < 0.1:
            frames = rng.randint(10, 120)
            call = ToolCall(call_id, "wait", {"frames": frames})
            text = f"Waiting {frames} frames."
        else:
            buttons = [rng.choice(_WEIGHTED_BUTTONS) for _ in range(rng.randint(1, 3))]
            call = ToolCall(call_id, "press_buttons", {"buttons": buttons})
            text = f"Pressing {' '.join(buttons)} at random."
        return Reply(text=text, tool_calls=(call,), stop_reason="tool_use", model=self.name)
