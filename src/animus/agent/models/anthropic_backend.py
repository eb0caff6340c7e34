"""`anthropic:MODEL`: Claude through the Anthropic Messages API (the `anthropic` extra).

The key comes from `ANTHROPIC_API_KEY` (or the SDK's own configuration) and is never stored: the run keeps only
the config, which has no key. `model.base_url` (`--base-url`) or `ANTHROPIC_BASE_URL` change the endpoint.

Stop reasons: `tool_use` and `end_turn` are replies like any other (a reply without a tool call gets the loop's
"call a tool" notice); `max_tokens` and `refusal` get notices of their own; `pause_turn` is continued here, up to
`MAX_CONTINUATIONS` times; a reply cut at the end of the context window (`model_context_window_exceeded`) is
recorded like one cut at max_tokens, and a request that does not fit (HTTP 400 "prompt is too long") raises
`ContextOverflow`: the loop summarizes and asks again.

Thinking blocks without a signature are left out of what is sent (the API refuses them; see `anthropic_wire`),
the stored reply keeps them, and the first such block of a run session brings one warning. A request whose last
assistant turn so lost all its thinking goes with thinking off (the API asks a final assistant message to start
with thinking when thinking is on; see `anthropic_wire`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from animus import notify
from animus.agent.models import anthropic_wire as wire
from animus.agent.models.remote import (
    Failure,
    RetryPolicy,
    as_json,
    call_with_retries,
    extra_headers,
    malformed,
    prepare_png,
    require,
    triage,
)
from animus.errors import ModelError

if TYPE_CHECKING:
    from animus.agent.types import Reply, Request
    from animus.config import RunConfig

MAX_CONTINUATIONS = 3
UNSIGNED_WARNING = (
    "the model sent a thinking block without a signature; the API refuses such a block, so it is left out of"
    " the requests (the run keeps it as received), and a request answering a reply whose thinking was all left"
    " out is sent with thinking off"
)


SAMPLING = ("temperature", "top_p", "top_k")


class AnthropicModel:
    """Claude via `anthropic.Anthropic().messages.create`, with Animus's own retries."""

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        if not argument:
            raise ModelError("anthropic needs a model name: --model anthropic:MODEL (e.g. anthropic:claude-sonnet-4-5)")
        self.sdk = require("anthropic", "anthropic")
        self.model_id = argument
        self.name = f"anthropic:{argument}"
        self.cfg = config.model
        self.sends_images = config.model.images
        self.policy = RetryPolicy.from_config(config.model)
        # The SDK reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL itself; its own retries are off (ours are on).
        self.client = self.sdk.Anthropic(
            base_url=config.model.base_url,
            timeout=config.model.timeout_seconds,
            max_retries=0,
            default_headers=extra_headers(config.model) or None,
        )
        self.warned_unsigned = False  # one warning per run session (one model per session)

    def respond(self, request: Request) -> Reply:
        image = None
        if request.image_png is not None:
            image = prepare_png(request.image_png, self.cfg.image_scale, self.cfg.grid_overlay)
        body = wire.request_body(request, self.model_id, self.cfg, image)
        self._dropped(wire.unsigned_thinking(request.messages))
        data = self._send(body)
        reply, content = wire.parse_reply(data), _blocks(data)
        for _ in range(MAX_CONTINUATIONS):
            if reply.stop_reason != "pause_turn":
                break
            # Send the paused turn back as it is (all so far but unsigned thinking); the model continues it.
            self._dropped(len(content) - len(wire.signed_blocks(content)))
            data = self._send(wire.continuation(body, content))
            reply, content = wire.merge(reply, wire.parse_reply(data)), content + _blocks(data)
        return reply

    def _dropped(self, unsigned: int) -> None:
        """Warn, once per session, that `unsigned` thinking blocks were left out of a request."""
        if unsigned and not self.warned_unsigned:
            self.warned_unsigned = True
            notify.warn(UNSIGNED_WARNING, __name__)

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        # SDK 1.0 dropped the sampling parameters from `create`'s signature; the API still takes them (on models
        # that sample), so they travel in `extra_body`, which the SDK merges into the JSON as it is, and so does
        # model.extra_body, last.
        kwargs = {k: v for k, v in body.items() if k not in SAMPLING}
        extra = {k: v for k, v in body.items() if k in SAMPLING} | self.cfg.extra_body
        if extra:
            kwargs["extra_body"] = extra
        create = self.client.messages.create
        return call_with_retries(
            lambda: as_json(create(**kwargs), exclude_none=True), self._classify, self.policy, self.name
        )

    def _classify(self, exc: Exception) -> Failure | None:
        sdk = self.sdk
        if (failure := malformed(exc)) is not None:
            return failure
        if isinstance(exc, sdk.APIStatusError):
            error = exc.body.get("error") if isinstance(exc.body, dict) else None
            error = error if isinstance(error, dict) else {}
            code = str((error.get("details") or {}).get("error_code") or error.get("type") or "")
            return triage(exc.status_code, str(error.get("message") or exc.message), exc.response.headers, code)
        if isinstance(exc, sdk.APIConnectionError):  # includes timeouts
            return triage(None, type(exc).__name__)
        if isinstance(exc, TypeError) and "authentication" in str(exc).lower():
            return Failure("stop", "no API key: export ANTHROPIC_API_KEY (it is read only from the environment)")
        if isinstance(exc, sdk.AnthropicError):
            return Failure("stop", f"{type(exc).__name__}: {exc}")
        return None


def _blocks(data: dict[str, Any]) -> list[Any]:
    """The content blocks of a reply as sent (a paused turn goes back as it is); none if they are not a list."""
    content = data.get("content")
    return list(content) if isinstance(content, list) else []
