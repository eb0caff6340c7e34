"""A fake OpenAI chat completions API (`POST /v1/chat/completions`, non-streaming) on 127.0.0.1, for tests.

    with FakeChatServer([ToolCall(reasoning="look"), Fault.rate_limited(), Text("done")]) as server:
        client = openai.OpenAI(api_key="test", base_url=server.url, max_retries=0)
        ...
        assert server.violations == []

Each valid request takes the next item of the queue: a reply (`ToolCall`, `Text`, `Length`,
`ContentFilter`) or a fault (`Fault.*`, `DropConnection`). An empty queue answers with
`default(body)` if a `default` callable was given, otherwise as a compliant model would: `Text("(a
summary)")` when the last user message asks for text only ("call no tool", as summaries and reflections do),
else `ToolCall()` — `press_buttons {"buttons": ["a"]}`. A `ToolCall`'s `reasoning` is sent as `reasoning_content`.

Every request is checked strictly (see `chat_rules.check`); a broken rule answers 400
invalid_request_error whose `code` names the rule, is recorded in `.violations`, and does not
consume the queue. A missing or wrong `Authorization: Bearer` key is a 401 `invalid_api_key`,
also recorded in `.violations`. A prompt larger than `context_window` answers 400
`context_length_exceeded` as the real API does: not a violation, and the queue is not consumed.

`flavor` makes it answer as vLLM, llama-server or Ollama do where they differ from OpenAI (see
`chat_flavors`): their context errors and silent truncation, their refusals of images, tools, unknown
models and parameters, and `GET /v1/models`. Such refusals are not violations either and consume
nothing. `.headers` keeps every POST's headers (names in lower case).

Usage is a deterministic heuristic: ceil(characters / 3.5) over the request's strings (tools as
JSON, image data excluded) plus ceil(width * height / 750) per PNG image. Prefix caching works like
OpenAI's: the longest prefix (tools + messages[:k]) already seen in an earlier answered request,
if at least 1,024 tokens, is reported as `cached_tokens`, rounded down to a multiple of 128.
Completion tokens are ceil(characters of the reply's content, reasoning and arguments / 3.5), min 1.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.chat_flavors import Flavor
from tests.fakes.chat_replies import (
    CACHE_MIN_TOKENS,
    CACHE_STEP_TOKENS,
    CHARS_PER_TOKEN,
    CONTEXT_WINDOW,
    QUOTA_MESSAGE,
    ContentFilter,
    DropConnection,
    Fault,
    Length,
    Reply,
    Scripted,
    Text,
    ToolCall,
)
from tests.fakes.chat_rules import Violation, check, prefixes
from tests.fakes.http import Answer, FakeServer

__all__ = [
    "QUOTA_MESSAGE",
    "ContentFilter",
    "DropConnection",
    "FakeChatServer",
    "Fault",
    "Length",
    "Text",
    "ToolCall",
    "Violation",
]


# ---- the server -------------------------------------------------------------------------------


class FakeChatServer(FakeServer[Scripted]):
    """The fake API in a background thread; see the module docstring."""

    PATH = "/v1/chat/completions"
    URL_SUFFIX = "/v1"
    REQUEST_ID = ("x-request-id", "req_")

    def __init__(
        self,
        replies: list[Scripted] | None = None,
        api_key: str | None = None,
        default: Callable[[dict[str, Any]], Scripted] | None = None,
        context_window: int = CONTEXT_WINDOW,
        flavor: str | Flavor = "openai",
    ) -> None:
        super().__init__(replies, api_key, default)
        self.flavor = flavor if isinstance(flavor, Flavor) else Flavor(flavor, window=context_window)
        self.context_window = self.flavor.window
        self.truncated = 0  # requests Ollama's way cut short
        self._prefixes: set[str] = set()

    def handle_get(self, path: str) -> Answer | None:
        if path == "/v1/models" and self.flavor.lists_models:
            return 200, self.flavor.models_list("fake-model"), {}
        return None

    def not_found(self, method: str, path: str) -> dict[str, Any]:
        return _error(f"Invalid URL ({method} {path})", "invalid_request_error", None)

    def handle(self, headers: dict[str, str], raw: bytes) -> Answer:
        """The answer to one POST /v1/chat/completions."""
        with self._lock:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            self.requests.append(body)
            self.headers.append(headers)
            auth = headers.get("authorization", "")
            key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
            if not key:
                self.violations.append("no key")
                return self.flavor.bad_key("You didn't provide an API key (Authorization: Bearer).")
            if self.api_key and key != self.api_key:
                self.violations.append("wrong key")
                return self.flavor.bad_key(f"Incorrect API key provided: {key[:3]}...{key[-4:]}.")
            if not isinstance(body, dict):
                return self._refuse(400, "body", "body: We could not parse the JSON body of your request.")
            try:
                check(body)
            except Violation as exc:
                return self._refuse(400, exc.rule, str(exc))
            sizes = prefixes(body)
            refused = self.flavor.refusal(body, sizes[-1][1], _has_image(body))
            if refused is not None:
                return refused
            if self.flavor.truncates(sizes[-1][1]):
                body, sizes = _truncated(body, self.flavor.window)
                self.truncated += 1
            item = self.queue.pop(0) if self.queue else self.default(body) if self.default else _compliant(body)
            if isinstance(item, DropConnection):
                return 0, None, {}
            if isinstance(item, Fault):
                extra = {"retry-after": str(item.retry_after)} if item.retry_after is not None else {}
                return item.status, _error(item.message, item.error_type, item.code), extra
            reply = self._reply(body, item, sizes)
            self.responses.append(reply)
            return 200, reply, {}

    def _refuse(self, status: int, code: str, message: str) -> Answer:
        self.violations.append(message)
        return status, _error(message, "invalid_request_error", code), {}

    def _reply(self, body: dict[str, Any], spec: Reply, sizes: list[tuple[str, int]]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        written: list[str] = []
        if isinstance(spec, ToolCall):
            arguments = spec.arguments if isinstance(spec.arguments, str) else json.dumps(spec.arguments)
            message["content"] = spec.content
            if spec.reasoning is not None:
                message["reasoning_content"] = spec.reasoning
            call = {"id": self.next_id("call_"), "type": "function"}
            message["tool_calls"] = [{**call, "function": {"name": spec.name, "arguments": arguments}}]
            written += [spec.content or "", spec.reasoning or "", arguments]
            finish = "tool_calls"
        elif isinstance(spec, ContentFilter):
            finish = "content_filter"
        else:
            message["content"] = spec.text
            written.append(spec.text)
            finish = {Text: "stop", Length: "length"}[type(spec)]
        completion = max(1, math.ceil(sum(map(len, written)) / CHARS_PER_TOKEN))
        return {
            "id": self.next_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": self._usage(sizes, completion),
        }

    def _usage(self, sizes: list[tuple[str, int]], completion: int) -> dict[str, Any]:
        """Usage with the longest prefix seen before (>= 1,024 tokens) as cached; remembers these prefixes."""
        prompt = sizes[-1][1]
        seen = [size for key, size in sizes if key in self._prefixes and size >= CACHE_MIN_TOKENS]
        cached = max(seen, default=0) // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS
        self._prefixes.update(key for key, _ in sizes)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        }


def _error(message: str, kind: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _has_image(body: dict[str, Any]) -> bool:
    return any(
        isinstance(part, dict) and part.get("type") == "image_url"
        for message in body["messages"]
        if isinstance(message.get("content"), list)
        for part in message["content"]
    )


def _truncated(body: dict[str, Any], window: int) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """`body` cut as Ollama's chatPrompt cuts it: the oldest messages but system ones and the last are dropped
    until the prompt fits `window` (or only those are left); with its prefixes."""
    messages = list(body["messages"])
    while True:
        cut = {**body, "messages": messages}
        sizes = prefixes(cut)
        droppable = [i for i, m in enumerate(messages[:-1]) if m.get("role") != "system"]
        if sizes[-1][1] <= window or not droppable:
            return cut, sizes
        del messages[droppable[0]]


def _compliant(body: dict[str, Any]) -> Scripted:
    """What a model that follows instructions answers when nothing is scripted."""
    last = (body.get("messages") or [{}])[-1]
    content = last.get("content")
    parts = [content] if isinstance(content, str) else [p.get("text", "") for p in content or [] if isinstance(p, dict)]
    return Text("(a summary)") if "call no tool" in "\n".join(map(str, parts)) else ToolCall()
