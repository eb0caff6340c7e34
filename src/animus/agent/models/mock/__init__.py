"""`mock`: a deterministic heuristic agent with no weights that plays the way an LLM agent would.

It sees only the request (the observation texts, its notes and summary, the thinking budget) and answers through
the same typed replies as real backends: visible thinking, a one-line text, note/forget calls for what it learnt
and one game action. It keeps nothing between calls, so the reply at step N is a pure function of the request
and a resumed run plays exactly like an uninterrupted one. It knows no game: it reads the state text (text
maps and their legends, dialogs, menus, screen ids) and writes down doors, what it tried and what it was told.
"""

from __future__ import annotations

from animus.agent.models.mock import policy, summary
from animus.agent.types import Reply, Request
from animus.config import RunConfig
from animus.errors import ModelError

__all__ = ["MockModel"]

DEFAULT_NOTES_CAP = 4000


class MockModel:
    """The default heuristic agent: `respond(request)` depends on nothing but the request (and the notes cap)."""

    sends_images = False

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        if argument:
            raise ModelError(f"the mock model takes no argument (got mock:{argument}); set the seed with --seed.")
        self.name = "mock"
        self.notes_cap = _notes_cap(config)

    def respond(self, request: Request) -> Reply:
        if request.purpose == "summarize":
            return summary.summarize(request, self.name)
        if request.purpose == "reflect":
            return summary.reflect(request, self.name)
        return policy.act(request, self.notes_cap, self.name)


def _notes_cap(config: RunConfig) -> int:
    """The notes cap from the config (`memory.notes_max_chars`, or the older `agent.notes_max_chars`)."""
    for section in ("memory", "agent"):
        value = getattr(getattr(config, section, None), "notes_max_chars", None)
        if isinstance(value, int):
            return value
    return DEFAULT_NOTES_CAP
