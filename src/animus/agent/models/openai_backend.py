"""`openai:MODEL`: OpenAI, or any server that speaks its chat-completions API (vLLM, llama.cpp, Ollama ...).

The key comes from `OPENAI_API_KEY`. A local server reached by `--base-url` often needs no key: with none in the
environment, a placeholder is sent. The key is never stored. Stop reasons map onto Anthropic's names
(`tool_calls` -> tool_use, `stop` -> end_turn, `length` -> max_tokens, `content_filter` -> refusal), so the loop
treats both backends alike; a 400 `context_length_exceeded` raises `ContextOverflow`.

`context_window()` asks a server that is not OpenAI's own for the model's context length, once per run session
(`GET /v1/models`: vLLM's `max_model_len`, llama-server's `meta.n_ctx`), so the loop can fit its reply limit and
context budget to it before the first request; servers that do not report it (Ollama) give None.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from animus.agent.models import openai_wire as wire
from animus.agent.models.remote import (
    Failure,
    MalformedReply,
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

LOCAL_PLACEHOLDER_KEY = "none"
WINDOW_QUERY_SECONDS = 10.0  # a server that does not answer GET /v1/models in this time is not asked again


class OpenAIModel:
    """A chat-completions model via `openai.OpenAI().chat.completions.create`, with Animus's own retries."""

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        if not argument:
            raise ModelError("openai needs a model name: --model openai:MODEL (e.g. openai:gpt-5, openai:qwen3)")
        sdk = require("openai", "openai")
        self.sdk = sdk
        self.model_id = argument
        self.name = f"openai:{argument}"
        self.cfg = config.model
        self.sends_images = config.model.images
        self.policy = RetryPolicy.from_config(config.model)
        base_url = config.model.base_url or os.environ.get("OPENAI_BASE_URL")
        key = os.environ.get("OPENAI_API_KEY")
        if not key and not base_url:
            raise ModelError("openai: OPENAI_API_KEY is not set; export it (keys are read only from the environment)")
        self.official = base_url is None or "api.openai.com" in base_url
        self.client = sdk.OpenAI(
            api_key=key or LOCAL_PLACEHOLDER_KEY,
            base_url=base_url,
            timeout=config.model.timeout_seconds,
            max_retries=0,
            default_headers=extra_headers(config.model) or None,
        )

    def respond(self, request: Request) -> Reply:
        image = None
        if request.image_png is not None:
            image = prepare_png(request.image_png, self.cfg.image_scale, self.cfg.grid_overlay)
        body = wire.request_body(request, self.model_id, self.cfg, image, self.official)
        create, extra = self.client.chat.completions.create, self.cfg.extra_body or None  # merged in last, as given
        data = call_with_retries(
            lambda: as_json(create(**body, extra_body=extra)), self._classify, self.policy, self.name
        )
        return wire.parse_reply(data)

    def context_window(self) -> int | None:
        """The model's context length as the server reports it (`GET /v1/models`), or None: OpenAI's own API, a
        server that does not say, or one that does not answer (the first request will tell)."""
        if self.official:
            return None
        try:
            listed = self.client.with_options(timeout=WINDOW_QUERY_SECONDS).models.list()
            entries = [as_json(m) for m in listed.data]
        except (self.sdk.OpenAIError, MalformedReply, AttributeError, TypeError):
            return None
        mine = [e for e in entries if e.get("id") == self.model_id] or (entries if len(entries) == 1 else [])
        for entry in mine:
            meta = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
            # vLLM: max_model_len (vllm/entrypoints/openai/models/serving.py, show_available_models); llama-server:
            # meta.n_ctx, the context of a slot (tools/server/server-context.cpp); not n_ctx_train, a training length.
            for value in (entry.get("max_model_len"), meta.get("n_ctx")):
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
        return None

    def _classify(self, exc: Exception) -> Failure | None:
        sdk = self.sdk
        if (failure := malformed(exc)) is not None:
            return failure
        if isinstance(exc, sdk.APIStatusError):
            body = exc.body if isinstance(exc.body, dict) else {}
            error = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
            code = str(error.get("code") or error.get("type") or "")
            message = str(error.get("message") or exc.message)
            return triage(exc.status_code, message, exc.response.headers, code, error)
        if isinstance(exc, sdk.APIConnectionError):  # includes timeouts
            return triage(None, type(exc).__name__)
        if isinstance(exc, sdk.OpenAIError):
            return Failure("stop", f"{type(exc).__name__}: {exc}")
        return None
