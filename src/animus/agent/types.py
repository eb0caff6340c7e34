"""The typed values that cross the model seam: requests, replies, turns, tool calls and results.

All are frozen dataclasses. Each converts to and from plain JSON (`to_json`/`from_json`), which is how the run
store keeps them; a value read back from a run compares equal to the one that was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

    from animus.games import GameState

JSON = Any  # a value json.dumps accepts: tool inputs are JSON objects by nature

# A backend that gets call arguments it cannot parse keeps the raw text under this key; the tool refuses the call.
UNPARSED_ARGUMENTS = "_unparsed_arguments"

Purpose = Literal["act", "summarize", "reflect"]


@dataclass(frozen=True)
class ToolCall:
    """One call the model asks for: `name(**input)`. `id` pairs it with its result."""

    id: str
    name: str
    input: dict[str, JSON]

    def to_json(self) -> dict[str, JSON]:
        return {"id": self.id, "name": self.name, "input": self.input}

    @classmethod
    def from_json(cls, d: dict[str, JSON]) -> ToolCall:
        return cls(id=d["id"], name=d["name"], input=d["input"])


@dataclass(frozen=True)
class ToolResult:
    """What a tool call did, as the model will read it. `is_error` marks a bad call."""

    call_id: str
    content: str
    is_error: bool = False

    def to_json(self) -> dict[str, JSON]:
        return {"call_id": self.call_id, "content": self.content, "is_error": self.is_error}

    @classmethod
    def from_json(cls, d: dict[str, JSON]) -> ToolResult:
        return cls(call_id=d["call_id"], content=d["content"], is_error=d["is_error"])


@dataclass(frozen=True)
class ThinkingBlock:
    """A block of model thinking, kept verbatim. `redacted` blocks carry opaque data in `text`."""

    text: str
    signature: str | None = None
    redacted: bool = False

    def to_json(self) -> dict[str, JSON]:
        return {"text": self.text, "signature": self.signature, "redacted": self.redacted}

    @classmethod
    def from_json(cls, d: dict[str, JSON]) -> ThinkingBlock:
        return cls(text=d["text"], signature=d["signature"], redacted=d["redacted"])


@dataclass(frozen=True)
class Usage:
    """Tokens one model call used, as the backend reported them (0 for models with no tokens)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def to_json(self) -> dict[str, JSON]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }

    @classmethod
    def from_json(cls, d: dict[str, JSON]) -> Usage:
        return cls(**d)


@dataclass(frozen=True)
class Reply:
    """A model's answer: its thinking, its text, the tool calls it wants, its usage and why it stopped."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    thinking: tuple[ThinkingBlock, ...] = ()
    usage: Usage = field(default_factory=Usage)
    stop_reason: str = "tool_use"
    model: str = ""

    def to_json(self) -> dict[str, JSON]:
        return {
            "text": self.text,
            "tool_calls": [c.to_json() for c in self.tool_calls],
            "thinking": [t.to_json() for t in self.thinking],
            "usage": self.usage.to_json(),
            "stop_reason": self.stop_reason,
            "model": self.model,
        }

    @classmethod
    def from_json(cls, d: dict[str, JSON]) -> Reply:
        return cls(
            text=d["text"],
            tool_calls=tuple(ToolCall.from_json(c) for c in d["tool_calls"]),
            thinking=tuple(ThinkingBlock.from_json(t) for t in d["thinking"]),
            usage=Usage.from_json(d["usage"]),
            stop_reason=d["stop_reason"],
            model=d["model"],
        )


@dataclass(frozen=True)
class UserTurn:
    """What the model is shown at a step: the results of its previous calls, then the new observation.

    `image` is the sha256 of the frame's PNG in the run's blobs, present only when the model is sent images.
    """

    step: int
    text: str
    tool_results: tuple[ToolResult, ...] = ()
    image: str | None = None

    def to_json(self) -> dict[str, JSON]:
        return {
            "role": "user",
            "step": self.step,
            "text": self.text,
            "tool_results": [r.to_json() for r in self.tool_results],
            "image": self.image,
        }


@dataclass(frozen=True)
class AssistantTurn:
    """A reply as it stands in the conversation."""

    step: int
    reply: Reply

    def to_json(self) -> dict[str, JSON]:
        return {"role": "assistant", "step": self.step, "reply": self.reply.to_json()}


Turn = UserTurn | AssistantTurn


def turn_from_json(d: dict[str, JSON]) -> Turn:
    """Inverse of `UserTurn.to_json` / `AssistantTurn.to_json`."""
    if d["role"] == "assistant":
        return AssistantTurn(step=d["step"], reply=Reply.from_json(d["reply"]))
    return UserTurn(
        step=d["step"],
        text=d["text"],
        tool_results=tuple(ToolResult.from_json(r) for r in d["tool_results"]),
        image=d["image"],
    )


@dataclass(frozen=True, eq=False)
class Observation:
    """What the agent sees before a step: the game state, its progress, and what its last calls did.

    `frame` is the RGB screen (144, 160, 3), copied only for models that are sent images.
    """

    step: int
    state: GameState
    milestones: tuple[str, ...]  # labels of the milestones reached, in game order
    milestone_total: int
    actions: int
    actions_since_milestone: int
    tool_results: tuple[ToolResult, ...]
    notices: tuple[str, ...] = ()
    frame: np.ndarray | None = None
    minimap: str = ""  # the explored map around the player ("" when off, or off the map)
    progress: bool = True  # show the milestone count and the latest label (channels.progress)


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a model backend receives it: a name, a description and a JSON schema for its input."""

    name: str
    description: str
    input_schema: dict[str, JSON]


@dataclass(frozen=True)
class Memory:
    """The long-term memory a request carries: the running summary and the notes. `version` counts changes.

    `base_notes` are the notes as they stood at the last summary. A backend that caches prompts puts the summary
    and these in its cached prefix and sends the changes since (`notes` against `base_notes`) with the newest
    turn, so editing a note does not invalidate the cached conversation.
    """

    summary: str = ""
    notes: tuple[tuple[str, str], ...] = ()
    version: int = 0
    base_notes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Thinking:
    """How much a model may think, from the `thinking.*` config. `None` leaves the choice to the model.

    `type` is enabled, adaptive or disabled; `budget_tokens` bounds the thinking (0 turns it off).
    """

    type: str | None = None
    budget_tokens: int | None = None
    effort: str | None = None


@dataclass(frozen=True)
class Request:
    """Everything a model is given for one call. `image_png` is the newest frame, only for image-taking models.

    `system` is the same for every purpose, so a remote API's cached prefix serves them all. The messages of a
    summarize or reflect request end with a user turn holding the task (the summary or reflection prompt) and
    the results of the calls before it.
    """

    purpose: Purpose
    step: int
    seed: int
    system: str
    messages: tuple[Turn, ...]
    memory: Memory
    tools: tuple[ToolSpec, ...]
    thinking: Thinking = field(default_factory=Thinking)
    image_png: bytes | None = None
    max_tokens: int | None = None  # the largest reply for this session; None: the config's model.max_tokens
