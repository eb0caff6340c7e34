"""How the real OpenAI-compatible servers answer where they differ: OpenAI, vLLM, llama.cpp's llama-server, Ollama.

`FakeChatServer(flavor=...)` answers as the named server does: its error bodies and status codes for a request
that does not fit, an image it cannot take, tools it was not started for, a model it does not have, a bad key and a
parameter it does not know; its `GET /v1/models`; and Ollama's silent truncation. Every string below is the real
server's, with the place it comes from (read in each project's source; the vLLM and llama.cpp paths are of their
2026 trees unless a version is named).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

Answer = tuple[int, dict[str, Any] | None, dict[str, str]]

FLAVORS = ("openai", "vllm", "llama-server", "ollama")
# Top-level fields OpenAI's chat completions accept; anything else is refused there ("Unrecognized request argument
# supplied: X", a 400 the API answers; there is no public source). vLLM, llama-server and Ollama ignore unknown
# fields (vLLM's OpenAIBaseModel has extra="allow" and only logs them; llama-server copies them into its params).
OPENAI_FIELDS = {
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens", "max_completion_tokens",
    "seed", "temperature", "top_p", "reasoning_effort", "stream", "stream_options", "stop", "n", "user", "logprobs",
    "top_logprobs", "presence_penalty", "frequency_penalty", "logit_bias", "response_format", "metadata", "store",
    "modalities", "prediction", "service_tier", "verbosity", "prompt_cache_key", "safety_identifier",
}  # fmt: skip


@dataclass(frozen=True)
class Flavor:
    """One server's ways. `window` is its context length in the fake's tokens; `images` and `tools` whether it was
    started to take them (llama-server with --mmproj, with --jinja; vLLM with a multimodal model, with
    --enable-auto-tool-choice); `models` the model names it serves (empty: any); `vllm_wording` which generation
    of vLLM's context messages it uses ("v0.6": _validate_input's two messages, "2026": the renderer's one);
    `lists_models` False makes `GET /v1/models` a 404 (an older build, or a proxy in front)."""

    name: str = "openai"
    window: int = 128_000
    images: bool = True
    tools: bool = True
    models: tuple[str, ...] = ()
    vllm_wording: str = "v0.6"
    lists_models: bool = True

    def __post_init__(self) -> None:
        if self.name not in FLAVORS:
            raise ValueError(f"unknown flavor {self.name!r}: one of {FLAVORS}")

    # -- refusals before a reply ------------------------------------------------------------------------------

    def refusal(self, body: dict[str, Any], prompt: int, has_image: bool) -> Answer | None:
        """The error this server answers `body` with (a prompt of `prompt` tokens), or None if it would reply."""
        model = body["model"]
        if self.models and model not in self.models:
            return self.unknown_model(model)
        if self.name == "openai" and (extra := sorted(set(body) - OPENAI_FIELDS)):
            return 400, _openai(f"Unrecognized request argument supplied: {extra[0]}", "invalid_request_error"), {}
        if body.get("tools") and not self.tools:
            return self.tools_off()
        if has_image and not self.images:
            return self.no_images(model)
        return self.too_long(prompt, _reply_limit(body))

    def unknown_model(self, model: str) -> Answer:
        if self.name == "vllm":  # vllm/entrypoints/openai/engine/serving.py (_check_model)
            return 404, _vllm(f"The model `{model}` does not exist.", "NotFoundError", 404, "model"), {}
        if self.name == "ollama":  # server/routes.go (ChatHandler, v0.12+) through openai/openai.go (NewError)
            return 404, _openai(f"model '{model}' not found", "not_found_error"), {}
        if self.name == "llama-server":  # a single-model server answers any name; a router: 404 not_found_error
            return 404, _llama(f"model '{model}' not found", "not_found_error", 404), {}
        message = f"The model `{model}` does not exist or you do not have access to it."
        return 404, _openai(message, "invalid_request_error", "model_not_found"), {}

    def tools_off(self) -> Answer:
        if self.name == "vllm":  # vllm/entrypoints/openai/serving_chat.py (create_chat_completion): tools imply "auto"
            message = '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
            return 400, _vllm(message, "BadRequestError", 400), {}
        if self.name == "llama-server":
            # tools/server/server-common.cpp (oaicompat_chat_params_parse) throws a runtime_error, which
            # tools/server/server.cpp (ex_wrapper) answers as a 500 server_error.
            return 500, _llama("tools param requires --jinja flag", "server_error", 500), {}
        # Ollama: a model whose template has no tools (server/routes.go, ChatHandler): a 400.
        return 400, _openai("registry.ollama.ai/library/model does not support tools", "invalid_request_error"), {}

    def no_images(self, model: str) -> Answer:
        if self.name == "llama-server":  # server-common.cpp (oaicompat_chat_params_parse), a runtime_error: 500
            message = "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"
            return 500, _llama(message, "server_error", 500), {}
        if self.name == "vllm":  # vllm/multimodal/registry.py (create_processor): a ValueError, answered as a 400
            return 400, _vllm(f"{model} is not a multimodal model", "BadRequestError", 400), {}
        message = "Invalid content type. image_url is only supported by certain models."
        return 400, _openai(message, "invalid_request_error"), {}

    def too_long(self, prompt: int, reply: int) -> Answer | None:
        """The context error, if `prompt` tokens asking for a `reply` of that many do not fit (Ollama never
        refuses: see `truncate`)."""
        window = self.window
        if self.name == "vllm":
            return self._vllm_too_long(prompt, reply)
        if self.name == "llama-server":
            # tools/server/server-context.cpp (update_slots): only the prompt is checked (>= n_ctx); a reply that
            # runs out of room is cut with finish_reason "length" instead. tools/server/server-task.cpp adds the
            # fields n_prompt_tokens and n_ctx to an exceed_context_size_error.
            if prompt < window:
                return None
            message = (
                f"request ({prompt} tokens) exceeds the available context size ({window} tokens), try increasing it"
            )
            body = _llama(message, "exceed_context_size_error", 400)
            body["error"] |= {"n_prompt_tokens": prompt, "n_ctx": window}
            return 400, body, {}
        if self.name == "openai" and prompt > window:
            message = (f"This model's maximum context length is {window} tokens. However, your messages resulted "
                       f"in {prompt} tokens.")  # fmt: skip
            return 400, _openai(message, "invalid_request_error", "context_length_exceeded", "messages"), {}
        return None

    def _vllm_too_long(self, prompt: int, reply: int) -> Answer | None:
        window = self.window
        if self.vllm_wording == "2026":
            # vllm/renderers/params.py (after PR #36197): one message for both excesses.
            if prompt + reply <= window:
                return None
            message = (f"This model's maximum context length is {window} tokens. However, you requested {reply} "
                       f"output tokens and your prompt contains at least {prompt} input tokens, for a total of at "
                       f"least {prompt + reply} tokens. Please reduce the length of the input prompt or the number "
                       f"of requested output tokens. (parameter=input_tokens, value={prompt})")  # fmt: skip
            return 400, _vllm(message, "BadRequestError", 400, "input_tokens"), {}
        # vllm/entrypoints/openai/serving_engine.py (_validate_input, ~v0.6-0.15): the prompt alone (>= the window),
        # then the prompt and max_tokens together.
        if prompt >= window:
            message = (f"This model's maximum context length is {window} tokens. However, your request has {prompt} "
                       "input tokens. Please reduce the length of the input messages.")  # fmt: skip
            return 400, _vllm(message, "BadRequestError", 400, "input_tokens"), {}
        if prompt + reply > window:
            message = (f"'max_tokens' or 'max_completion_tokens' is too large: {reply}. This model's maximum context "
                       f"length is {window} tokens and your request has {prompt} input tokens ({reply} > {window} - "
                       f"{prompt}).")  # fmt: skip
            return 400, _vllm(message, "BadRequestError", 400, "max_tokens"), {}
        return None

    def truncates(self, prompt: int) -> bool:
        """Whether this server silently cuts a prompt of `prompt` tokens: Ollama's server/prompt.go (chatPrompt)
        drops the oldest messages but the system message and the last one until the prompt fits num_ctx; its
        usage then reports the tokens left (openai/openai.go, ToUsage: PromptEvalCount)."""
        return self.name == "ollama" and prompt > self.window

    def bad_key(self, message: str) -> Answer:
        """A missing or wrong key: llama-server's tools/server/server-http.cpp answers 401 authentication_error
        "Invalid API Key" when started with --api-key; the others OpenAI's 401 invalid_api_key."""
        if self.name == "llama-server":
            return 401, _llama("Invalid API Key", "authentication_error", 401), {}
        return 401, _openai(message, "invalid_request_error", "invalid_api_key"), {}

    # -- GET /v1/models ---------------------------------------------------------------------------------------

    def models_list(self, default_model: str) -> dict[str, Any]:
        ids = list(self.models) or [default_model]
        created = int(time.time())
        if self.name == "vllm":  # vllm/entrypoints/openai/engine/protocol.py (ModelCard): max_model_len
            data = [{"id": i, "object": "model", "created": created, "owned_by": "vllm", "root": i, "parent": None,
                     "max_model_len": self.window, "permission": []} for i in ids]  # fmt: skip
        elif self.name == "llama-server":  # tools/server/server-context.cpp (get_models): meta.n_ctx per slot
            meta = {"vocab_type": 2, "n_vocab": 151936, "n_ctx": self.window, "n_ctx_train": 40960, "n_embd": 4096}
            data = [{"id": i, "object": "model", "created": created, "owned_by": "llamacpp", "meta": meta} for i in ids]
        else:  # OpenAI and Ollama (openai/openai.go, ToListCompletion): no context length
            data = [{"id": i, "object": "model", "created": created, "owned_by": "library"} for i in ids]
        return {"object": "list", "data": data}


def _reply_limit(body: dict[str, Any]) -> int:
    value = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return value if isinstance(value, int) else 0


def _openai(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _vllm(message: str, kind: str, code: int, param: str | None = None) -> dict[str, Any]:
    # vllm/entrypoints/openai/engine/protocol.py (ErrorResponse, ErrorInfo; v0.10.1 and later).
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _llama(message: str, kind: str, code: int) -> dict[str, Any]:
    # tools/server/server-common.cpp (format_error_response), wrapped as {"error": ...} by the HTTP layer.
    return {"error": {"code": code, "message": message, "type": kind}}
