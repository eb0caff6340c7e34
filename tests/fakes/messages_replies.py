"""What the fake Messages API answers: scripted replies and injected faults (see `messages_server`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEND_LIMIT_MESSAGE = (
    "You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC."
)
IMAGE_TOKENS = 1600
MAX_BREAKPOINTS = 4
MEDIA_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
USER_BLOCKS = {"text", "image", "tool_result", "document"}
ASSISTANT_BLOCKS = {"text", "tool_use", "thinking", "redacted_thinking"}


# ---- reply specs and faults -------------------------------------------------------------------


@dataclass
class ToolUse:
    """A tool_use reply (stop_reason "tool_use"), preceded by a thinking block when thinking is on."""

    name: str = "press_buttons"
    input: dict[str, Any] = field(default_factory=lambda: {"buttons": ["a"]})
    thinking: str | None = "I should press A."
    redacted: bool = False  # send a redacted_thinking block instead of a thinking block
    unsigned: bool = False  # send the thinking block with no `signature` field (as a proxy that strips it would)
    text: str | None = None  # an optional text block before the tool_use


@dataclass
class Text:
    """A text-only reply with stop_reason "end_turn"."""

    text: str = "Done."


@dataclass
class MaxTokens:
    """A reply cut short: stop_reason "max_tokens"."""

    text: str = "I will press"


@dataclass
class Refusal:
    text: str = ""


@dataclass
class PauseTurn:
    text: str = "Let me keep going."


@dataclass
class Fault:
    """An error answer injected instead of a reply."""

    status: int
    error_type: str
    message: str
    retry_after: int | None = None
    details: dict[str, Any] | None = None  # the error's `details` (the API names spend limits there)

    @classmethod
    def overloaded(cls) -> Fault:
        return cls(529, "overloaded_error", "Overloaded")

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Fault:
        return cls(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit.", retry_after)

    @classmethod
    def spend_limit(cls) -> Fault:
        return cls(429, "rate_limit_error", SPEND_LIMIT_MESSAGE, details={"error_code": "enforced_spend_limit_reached"})

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, "api_error", "Internal server error")

    @classmethod
    def bad_request(cls, message: str = "Injected bad request") -> Fault:
        return cls(400, "invalid_request_error", message)


@dataclass
class DropConnection:
    """Close the socket without sending any response."""


Reply = ToolUse | Text | MaxTokens | Refusal | PauseTurn
Scripted = Reply | Fault | DropConnection
