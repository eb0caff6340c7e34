"""What the fake chat completions API answers: scripted replies and injected faults (see `chat_server`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http import PNG_SIGNATURE

QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."

# media type -> the leading bytes its data must have (webp: "RIFF", then the size, then "WEBP")
IMAGE_MAGIC = {
    "image/png": (PNG_SIGNATURE,),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
FALLBACK_IMAGE_TOKENS = 85  # an image whose size cannot be read (not a PNG with an IHDR chunk)
PIXELS_PER_TOKEN = 750
CHARS_PER_TOKEN = 3.5
CONTEXT_WINDOW = 128_000
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
ROLES = {"system", "developer", "user", "assistant", "tool"}
REASONING_EFFORTS = {"none", "minimal", "low", "medium", "high", "xhigh"}
TOOL_CHOICES = {"auto", "none", "required"}


# ---- reply specs and faults -------------------------------------------------------------------


@dataclass
class ToolCall:
    """A reply with one function call (finish_reason "tool_calls").

    `arguments` is sent JSON-encoded; a string is sent verbatim (to script malformed arguments).
    `reasoning`, if set, is sent as the message's `reasoning_content`, as vLLM and llama.cpp do.
    """

    name: str = "press_buttons"
    arguments: dict[str, Any] | str = field(default_factory=lambda: {"buttons": ["a"]})
    content: str | None = None
    reasoning: str | None = None


@dataclass
class Text:
    """A text-only reply with finish_reason "stop"."""

    text: str = "Done."


@dataclass
class Length:
    """A reply cut short by the token limit: finish_reason "length"."""

    text: str = "I will press"


@dataclass
class ContentFilter:
    """A reply withheld by the content filter: finish_reason "content_filter", content null."""


@dataclass
class Fault:
    """An error answer injected instead of a reply; `retry_after` (seconds) becomes a retry-after header."""

    status: int
    error_type: str
    message: str
    code: str | None = None
    retry_after: int | None = None

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Fault:
        message = f"Rate limit reached for requests. Please try again in {retry_after}s."
        return cls(429, "requests", message, "rate_limit_exceeded", retry_after)

    @classmethod
    def quota(cls) -> Fault:
        return cls(429, "insufficient_quota", QUOTA_MESSAGE, "insufficient_quota")

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, "server_error", "The server had an error while processing your request. Sorry about that!")

    @classmethod
    def overloaded(cls) -> Fault:
        return cls(503, "server_error", "The engine is currently overloaded, please try again later.")

    @classmethod
    def bad_request(cls, message: str = "Injected bad request") -> Fault:
        return cls(400, "invalid_request_error", message)


@dataclass
class DropConnection:
    """Close the socket without sending any response."""


Reply = ToolCall | Text | Length | ContentFilter
Scripted = Reply | Fault | DropConnection
