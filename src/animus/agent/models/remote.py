"""What the remote backends (`anthropic:`, `openai:`) share: lazy SDK imports, retries, error triage, images.

The SDKs' own retries are turned off (`max_retries=0`): a run that lasts days needs one retry policy it controls,
that waits out long outages, honours `retry-after` and says what it is doing. `call_with_retries` is that policy.
An HTTP failure is triaged by `triage` into one of three outcomes:

- retry: connection errors, timeouts, 408, 409, 429 (rate limits), 5xx and 529 (overloaded), and a reply whose
  body cannot be read as the API's JSON object (cut short, not UTF-8, a proxy's page): a glitch, like a 5xx;
- overflow: the request does not fit the context window (a 400, 413 or 500 that says so); the sizes the message
  states are parsed (`overflow_sizes`), so the loop can tell a reply limit too large from a prompt too long;
- stop: 400, 401, 403, 404, 413, any other 4xx, a 429 that reports a spend limit or exhausted quota, and any
  status (a 5xx too) whose text is one of the `KNOWN_ERRORS` (no image support, unknown model, unsupported
  parameter, tool calling not enabled, a bad key). Retrying cannot fix these; the run stops with status `error`
  and the reason, which names the fix, and `animus resume` continues it.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from animus import notify
from animus.errors import ContextOverflow, ModelError, StopRun

if TYPE_CHECKING:
    from animus.config import ModelConfig

T = TypeVar("T")

# Phrases by which APIs report a context overflow or a spend limit in an error's message.
OVERFLOW_HINTS = (
    "prompt is too long",
    "context length",
    "context_length_exceeded",
    "context window",
    "context limit",
    "context size",
    "exceed_context_size",
)
SPEND_HINTS = (
    "spend_limit",
    "spend limit",
    "usage limit",
    "insufficient_quota",
    "exceeded your current quota",
    "credit balance",
)
# How servers state the sizes of a request that did not fit, as (regex, the sizes its groups are), tried in turn on
# the message; the first match of each size wins.
_SIZES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # vLLM, vllm/entrypoints/openai/serving_engine.py (_validate_prompt_and_tokenize, v0.4-0.5): "This model's
    # maximum context length is L tokens. However, you requested T tokens (P in the messages, M in the completion)."
    (r"\((\d+) in the messages, (\d+) in the completion\)", ("prompt", "reply")),
    # vLLM, serving_engine.py (_validate_input, ~v0.6-0.15): "'max_tokens' or 'max_completion_tokens' is too large:
    # M. This model's maximum context length is L tokens and your request has P input tokens (M > L - P)."; the
    # prompt alone: "... However, your request has P input tokens. Please reduce the length of the input messages."
    (r"'max_tokens' or 'max_completion_tokens' is too large: (\d+)", ("reply",)),
    (r"your request has (\d+) input tokens", ("prompt",)),
    # vLLM, vllm/renderers/params.py (after PR #36197, 2026): "... is L tokens. However, you requested M output
    # tokens and your prompt contains at least P input tokens, for a total of at least T tokens."
    (r"requested (\d+) output tokens and your prompt contains at least (\d+) input tokens", ("reply", "prompt")),
    (r"you passed (\d+) input tokens and requested (\d+) output tokens", ("prompt", "reply")),
    (r"context length is only (\d+) tokens", ("window",)),
    (r"maximum context length is (\d+) tokens", ("window",)),
    # OpenAI: "This model's maximum context length is L tokens. However, your messages resulted in P tokens."
    (r"your messages resulted in (\d+) tokens", ("prompt",)),
    # llama.cpp, tools/server/server-context.cpp (update_slots): "request (P tokens) exceeds the available context
    # size (L tokens), try increasing it", type exceed_context_size_error, with fields n_prompt_tokens and n_ctx.
    (r"request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)", ("prompt", "window")),
    # Anthropic (models before stop_reason model_context_window_exceeded): "input length and `max_tokens` exceed
    # context limit: P + M > L, decrease input length or `max_tokens` and try again".
    (r"exceed context limit: (\d+) \+ (\d+) > (\d+)", ("prompt", "reply", "window")),
)
_SIZE_FIELDS = {"n_prompt_tokens": "prompt", "n_ctx": "window"}  # llama-server's error fields


@dataclass(frozen=True)
class Sizes:
    """What an overflow error states, in tokens (None where it does not): the request's `prompt`, the `reply` it
    asked for (max_tokens) and the model's context `window`."""

    prompt: int | None = None
    reply: int | None = None
    window: int | None = None


def overflow_sizes(message: str, fields: Mapping[str, Any] | None = None) -> Sizes:
    """The `Sizes` an overflow error states, from its message (`_SIZES`) or its own fields (llama-server's)."""
    sizes: dict[str, int] = {}
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", message)  # 130,210 -> 130210
    for pattern, names in _SIZES:
        if (found := re.search(pattern, plain, re.IGNORECASE)) is not None:
            for name, value in zip(names, found.groups(), strict=True):
                sizes.setdefault(name, int(value))
    for key, name in _SIZE_FIELDS.items():
        value = (fields or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            sizes.setdefault(name, value)
    return Sizes(**sizes)


FIXES = {  # by status alone, when no `KNOWN_ERRORS` row matched
    404: "check the model name and --base-url; a new run is needed to change them",
    413: "the request is too large; start a new run with a lower model.image_scale or memory.context_tokens",
}


@dataclass(frozen=True)
class KnownError:
    """A permanent error a real server is known to answer, and its fix.

    It matches when one of `phrases` is in the lowercased "code message" text (no phrases: any text) and, when
    `statuses` is given, the status is one of them; the status alone never makes it retryable. `{name}` in `fix`
    is the first group of the first of `names` (regexes, case-insensitive) that matches the message, else "?".
    """

    what: str
    phrases: tuple[str, ...]
    fix: str
    statuses: tuple[int, ...] = ()
    names: tuple[str, ...] = ()

    def matches(self, status: int, text: str) -> bool:
        """Whether this row describes an answer with `status` and the lowercased "code message" `text`."""
        if self.statuses and status not in self.statuses:
            return False
        return not self.phrases or any(p in text for p in self.phrases)

    def reason(self, message: str) -> str:
        """The one-line fix, naming what the message names."""
        found = (m.group(1) for m in (re.search(n, message, re.IGNORECASE) for n in self.names) if m)
        return self.fix.format(name=next(found, "?"))


# Permanent errors by the real servers' own words; the first matching row wins. Each would otherwise be retried
# for model.retry_minutes (6 hours by default) when it comes as a 5xx, as llama-server's do.
KNOWN_ERRORS: tuple[KnownError, ...] = (
    # llama.cpp, tools/server/server-common.cpp (oaicompat_chat_params_parse) throws "image input is not
    # supported - hint: if this is unexpected, you may need to provide the mmproj" when no --mmproj is loaded;
    # tools/server/server.cpp (ex_wrapper) answers a runtime_error as 500 server_error. vLLM,
    # vllm/multimodal/registry.py (create_processor): "<model> is not a multimodal model", a 400.
    KnownError(
        "no images",
        ("image input is not supported", "is not a multimodal model"),
        "the server takes no images: start a new run with --set model.images=false, or give llama-server --mmproj",
    ),
    # vLLM, vllm/entrypoints/openai/serving_engine.py (_check_model): 404 "The model `X` does not exist.";
    # Ollama, server/routes.go (ChatHandler): 404 "model 'X' not found" (before v0.12: 'model "X" not found, try
    # pulling it first'), which openai/openai.go (NewError) wraps as not_found_error.
    KnownError(
        "unknown model",
        ("does not exist", "' not found", '" not found', "model_not_found"),
        "check the model name: the server has no model {name} (on Ollama: ollama pull {name}); "
        "a new run is needed to change it",
        statuses=(400, 404),
        names=(r"model [`'\"]([^`'\"]+)[`'\"]",),
    ),
    # OpenAI: 400 unsupported_parameter "Unsupported parameter: 'X' is not supported with this model. ..." and
    # "Unrecognized request argument supplied: X" (the API's answers; no public source). vLLM before its
    # protocol took extra="allow", vllm/entrypoints/openai/protocol.py (OpenAIBaseModel, extra="forbid"): a 400
    # listing pydantic's "Extra inputs are not permitted" at loc ('body', 'X').
    KnownError(
        "unsupported parameter",
        (
            "unsupported parameter",
            "unsupported_parameter",
            "unrecognized request argument",
            "extra inputs are not permitted",
            "extra_forbidden",
        ),
        "the server refuses the parameter {name}: drop it from model.extra_body or the config that sets it, "
        "then start a new run",
        names=(r"unsupported parameter: '([^']+)'", r"request arguments? supplied: ([\w.]+)", r"'body', '([^']+)'"),
    ),
    # Ollama, server/routes.go (ChatHandler): 400 "registry.ollama.ai/library/X does not support tools" for a model
    # whose template has no tools.
    KnownError(
        "tools unsupported (Ollama)",
        ("does not support tools",),
        "this model cannot call tools: start a new run with a model whose template supports tools",
    ),
    # vLLM, vllm/entrypoints/openai/serving_chat.py (create_chat_completion): 400 '"auto" tool choice requires
    # --enable-auto-tool-choice and --tool-call-parser to be set'.
    KnownError(
        "tool calling off (vLLM)",
        ("--enable-auto-tool-choice",),
        "restart vLLM with --enable-auto-tool-choice --tool-call-parser PARSER (the model's parser), then resume",
    ),
    # llama.cpp, tools/server/server-common.cpp (oaicompat_chat_params_parse): "tools param requires --jinja
    # flag" (and "tool_choice param requires --jinja flag"), a runtime_error: a 500 (server.cpp, ex_wrapper).
    KnownError(
        "tool calling off (llama-server)",
        ("requires --jinja",),
        "restart llama-server with --jinja (tool calling needs the model's chat template), then resume",
    ),
    # A bad key is permanent whatever the status: llama.cpp, tools/server/server-http.cpp answers 401
    # authentication_error "Invalid API Key"; OpenAI 401 invalid_api_key; a proxy may wrap one in a 5xx.
    KnownError("auth", (), "check the API key in the environment", statuses=(401,)),
    KnownError("auth", (), "the key may not have access to this model", statuses=(403,)),
    KnownError(
        "auth",
        ("invalid api key", "invalid_api_key", "incorrect api key", "invalid x-api-key"),
        "check the API key in the environment",
    ),
)


class MalformedReply(Exception):
    """A successful HTTP answer whose body is not the API's JSON object."""


def malformed(exc: Exception) -> Failure | None:
    """Retry (see the module docstring) when `exc` says the reply's body could not be read; None otherwise."""
    if isinstance(exc, MalformedReply | json.JSONDecodeError | UnicodeDecodeError):
        return Failure("retry", f"malformed reply ({type(exc).__name__}: {str(exc)[:200]})")
    return None


def as_json(response: object, exclude_none: bool = False) -> dict[str, Any]:
    """An SDK's response object as JSON; `MalformedReply` when the body was not a JSON object (an SDK hands back a
    list or a string as it is)."""
    dump = getattr(response, "model_dump", None)
    data = dump(mode="json", exclude_none=exclude_none, warnings=False) if callable(dump) else None
    if not isinstance(data, dict):
        raise MalformedReply(f"the body is {type(response).__name__}, not a JSON object")
    return data


def extra_headers(model: ModelConfig) -> dict[str, str]:
    """`model.extra_headers` as sent: an "env:VARIABLE" value read from the environment (`ModelError` if unset).
    The values are held only in memory: the stored config keeps the variable's name."""
    from animus.config import ENV_REFERENCE

    headers = {}
    for name, value in model.extra_headers.items():
        ref = ENV_REFERENCE.fullmatch(value)
        if ref is not None and not (value := os.environ.get(ref.group(1), "")):
            raise ModelError(f"model.extra_headers.{name} is read from ${ref.group(1)}, which is not set: export it")
        headers[name] = value
    return headers


def require(module: str, extra: str) -> ModuleType:
    """Import an optional SDK, or raise `ModelError` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelError(f"the {extra} backend needs the {module!r} package: pip install 'animus[{extra}]'") from None


@dataclass(frozen=True)
class Failure:
    """What to do about one failed request."""

    action: Literal["retry", "overflow", "stop"]
    reason: str
    retry_after: float | None = None  # seconds the server asked us to wait
    sizes: Sizes = Sizes()  # of an overflow: what `overflow_sizes` found


def triage(
    status: int | None,
    message: str,
    headers: Mapping[str, str] | None = None,
    code: str = "",
    fields: Mapping[str, Any] | None = None,
) -> Failure:
    """Classify an HTTP failure. `status` None means no response (connection dropped, timeout); `fields` are the
    error object's other fields, where a server states sizes there."""
    text = f"{code} {message}".lower()
    if status is None:
        return Failure("retry", f"no response ({message})")
    reason = f"HTTP {status}: {message}"
    # llama-server before its exceed_context_size_error (2025) answered an overflow with a 500.
    if any(h in text for h in OVERFLOW_HINTS) and status in (400, 413, 500):
        return Failure("overflow", reason, sizes=overflow_sizes(message, fields))
    if status == 429 and any(h in text for h in SPEND_HINTS):
        return Failure("stop", f"{reason} (a spend limit or quota: raise it, then resume the run)")
    if (known := next((k for k in KNOWN_ERRORS if k.matches(status, text)), None)) is not None:
        one_line = " ".join(f"HTTP {status}: {message}".split())  # a server's message may span lines
        return Failure("stop", f"{one_line} ({known.reason(message)})")
    if status in (408, 409, 429) or status >= 500:
        return Failure("retry", reason, _retry_after(headers or {}))
    fix = FIXES.get(status, "fix the request or the config, then resume the run")
    return Failure("stop", f"{reason} ({fix})")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    lower = {k.lower(): v for k, v in headers.items()}
    for key, factor in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(0.0, float(lower[key]) * factor)
        except (KeyError, ValueError):
            continue
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, for up to `window` seconds in all."""

    window: float
    base: float
    cap: float

    @classmethod
    def from_config(cls, model: ModelConfig) -> RetryPolicy:
        return cls(model.retry_minutes * 60, model.retry_base_seconds, model.retry_max_seconds)

    def wait(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt + 1`: a random share of the doubling ceiling, but never less
        than the server's retry-after."""
        jitter = rng.uniform(0, min(self.cap, self.base * 2 ** min(attempt, 40)))
        return max(jitter, retry_after or 0.0)


def call_with_retries(
    send: Callable[[], T],
    classify: Callable[[Exception], Failure | None],
    policy: RetryPolicy,
    what: str,
    log: Callable[[str], None] | None = None,
) -> T:
    """`send()`, retried per `policy` while `classify` says retry. Raises `ContextOverflow` or
    `StopRun("error", ...)`; an exception `classify` does not know (None) propagates as it is."""
    say = log or _status
    rng = random.Random()
    started, attempt = time.monotonic(), 0
    while True:
        try:
            return send()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
        if failure.action == "overflow":
            sizes = failure.sizes
            raise ContextOverflow(f"{what}: {failure.reason}", sizes.prompt, sizes.reply, sizes.window)
        if failure.action == "stop":
            raise StopRun("error", f"{what} refused the request: {failure.reason}")
        delay = policy.wait(attempt, failure.retry_after, rng)
        spent = time.monotonic() - started
        if spent + delay > policy.window:
            raise StopRun(
                "error",
                f"{what} kept failing for {spent / 60:.1f} minutes (model.retry_minutes): {failure.reason}; "
                "resume the run when the service is back",
            )
        attempt += 1
        say(f"{what}: {failure.reason}; retry {attempt} in {delay:.1f} s")
        time.sleep(delay)


def _status(message: str) -> None:
    notify.status(message, __name__)  # the CLI shows "animus: <message>"


def prepare_png(png: bytes, scale: float, grid: bool) -> bytes:
    """The screen as it is sent: scaled by `scale` (nearest neighbour, so pixels stay sharp), with an optional
    grid over the 8x8 tiles labelled with their column and row."""
    if scale == 1 and not grid:
        return png
    from PIL import Image, ImageDraw

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = round(image.width * scale), round(image.height * scale)
    image = image.resize((width, height), Image.Resampling.NEAREST)
    if grid:
        draw, tile = ImageDraw.Draw(image), 8 * scale
        for col in range(image.width // 8 + 1):
            x = round(col * tile)
            draw.line([(x, 0), (x, height)], fill=(255, 0, 0), width=1)
            if col < 20:
                draw.text((x + 1, 0), str(col), fill=(255, 0, 0))
        for row in range(18 + 1):
            y = round(row * tile)
            draw.line([(0, y), (width, y)], fill=(255, 0, 0), width=1)
            if 0 < row < 18:
                draw.text((1, y + 1), str(row), fill=(255, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
