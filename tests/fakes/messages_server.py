"""A fake Anthropic Messages API (`POST /v1/messages`, non-streaming) on 127.0.0.1, for tests.

    with FakeMessagesServer([ToolUse(thinking="look"), Fault.overloaded(), Text("done")]) as server:
        client = anthropic.Anthropic(api_key="test", base_url=server.url)
        ...
        assert server.violations == []

Each valid request takes the next item of the queue: a reply (`ToolUse`, `Text`, `MaxTokens`,
`Refusal`, `PauseTurn`) or a fault (`Fault.*`, `DropConnection`). An empty queue answers with `default(body)`
when a `default` callable was given, else as a compliant model would: `Text("(a summary)")` when the
last user message asks for text only ("call no tool", as summaries and reflections do), else `ToolUse()`:
`press_buttons {"buttons": ["a"]}` with a short thinking block.
Thinking blocks are only sent when the request enables thinking (`enabled` or `adaptive`).
`ToolUse(unsigned=True)` sends its thinking block with no `signature` (as a proxy that strips it would); a
thinking block sent back without the signature the fake issued for it (missing, empty or unknown) is refused as
the real API refuses it: 400 invalid_request_error, `messages.N.content.M.thinking.signature: Field required` or
`messages.N.content.M: Invalid `signature` in `thinking` block`. A request with thinking on whose final assistant
message holds the tool call of a reply sent with thinking (signed or not) but does not start with a thinking block
is refused as the real API refuses it: `messages.N.content.0.type: Expected `thinking` or `redacted_thinking`, but
found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block ...`
(rule `thinking.first`); the way out, as the API says, is a request with thinking disabled.

Every request is checked strictly (see `_check`); a broken rule answers 400 invalid_request_error
naming the rule, is recorded in `.violations`, and does not consume the queue. A missing key
(`x-api-key`, or `Authorization: Bearer` as the SDK 2.x sends it) is a 401 and a missing
`anthropic-version` a 400; both are recorded in `.violations` too.

Usage is a deterministic heuristic: ceil(characters / 3.5) over the request's strings (minus image
data and signatures) plus ceil(width * height / 750) per image. The request is read as a sequence of
parts (tools, then system blocks, then message blocks). As with the real cache, the longest prefix
ending at a `cache_control` breakpoint that an earlier request also marked is a cache read, and the
rest up to the last breakpoint is a cache write. Output tokens are ceil(characters of the reply's
text, thinking and tool input / 3.5).

The spend-limit fault is a 429 rate_limit_error whose message is `SPEND_LIMIT_MESSAGE`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from tests.fakes.http import Answer, FakeServer
from tests.fakes.messages_replies import (
    SPEND_LIMIT_MESSAGE,
    DropConnection,
    Fault,
    MaxTokens,
    PauseTurn,
    Refusal,
    Reply,
    Scripted,
    Text,
    ToolUse,
)
from tests.fakes.messages_rules import Violation, _blocks, _Checker, _tokens

__all__ = [
    "SPEND_LIMIT_MESSAGE",
    "DropConnection",
    "FakeMessagesServer",
    "Fault",
    "MaxTokens",
    "PauseTurn",
    "Refusal",
    "Text",
    "ToolUse",
]

# ---- the server -------------------------------------------------------------------------------


class FakeMessagesServer(FakeServer[Scripted]):
    """The fake API in a background thread; see the module docstring."""

    PATH = "/v1/messages"
    REQUEST_ID = ("request-id", "req_")

    def __init__(
        self,
        replies: list[Scripted] | None = None,
        api_key: str | None = None,
        default: Callable[[dict[str, Any]], Scripted] | None = None,
    ) -> None:
        super().__init__(replies, api_key, default)  # default None: ToolUse()
        self._checker = _Checker()
        self._prefixes: set[str] = set()

    def not_found(self, method: str, path: str) -> dict[str, Any]:
        return _error("not_found_error", f"Not found: {path}")

    def handle(self, headers: dict[str, str], raw: bytes) -> Answer:
        """(status, JSON body or None to drop the connection, extra headers) for one POST /v1/messages."""
        with self._lock:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            self.requests.append(body)
            self.headers.append(headers)
            key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
            if not key or (self.api_key and key != self.api_key):
                return self._refuse(401, "authentication_error", "x-api-key: invalid or missing API key")
            if not headers.get("anthropic-version"):
                return self._refuse(400, "invalid_request_error", "anthropic-version: header is required")
            if not isinstance(body, dict):
                return self._refuse(400, "invalid_request_error", "body: the request body is not a JSON object")
            try:
                self._checker.check(body)
            except Violation as exc:
                return self._refuse(400, "invalid_request_error", str(exc))
            item = self.queue.pop(0) if self.queue else self.default(body) if self.default else _compliant(body)
            if isinstance(item, DropConnection):
                return 0, None, {}
            if isinstance(item, Fault):
                extra = {"retry-after": str(item.retry_after)} if item.retry_after is not None else {}
                return item.status, _error(item.error_type, item.message, item.details), extra
            if isinstance(item, ToolUse) and (body.get("tool_choice") or {}).get("type") == "none":
                item = Text(item.text or "(a summary)")  # the real API never calls a tool then
            reply = self._reply(body, item)
            self.responses.append(reply)
            return 200, reply, {}

    def _refuse(self, status: int, kind: str, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.violations.append(message)
        return status, _error(kind, message), {}

    def _reply(self, body: dict[str, Any], spec: Reply) -> dict[str, Any]:
        thinking_on = (body.get("thinking") or {}).get("type") in {"enabled", "adaptive"}
        content: list[dict[str, Any]] = []
        if isinstance(spec, ToolUse):
            think: dict[str, Any] | None = None
            if thinking_on and spec.redacted:
                data = base64.b64encode(hashlib.sha256(self.next_id("redacted_").encode()).digest() * 3).decode()
                think = {"type": "redacted_thinking", "data": data}
                self._checker.sent_redacted.add(data)
            elif thinking_on and spec.thinking and spec.unsigned:
                # No signature, so no way to send it back: the cycle rule cannot ask for it (see `_check_cycle`),
                # but a request with thinking on cannot end the cycle without it (see `_check_first`).
                content.append({"type": "thinking", "thinking": spec.thinking})
            elif thinking_on and spec.thinking:
                digest = hashlib.sha256(f"{spec.thinking}|{self.next_id('sig_')}".encode()).digest()
                think = {
                    "type": "thinking",
                    "thinking": spec.thinking,
                    "signature": base64.b64encode(digest * 4).decode(),
                }
                self._checker.sent_thinking[think["signature"]] = spec.thinking
            if think:
                content.append(think)
            if spec.text:
                content.append({"type": "text", "text": spec.text})
            tool_id = self.next_id("toolu_")
            content.append({"type": "tool_use", "id": tool_id, "name": spec.name, "input": spec.input})
            if think:
                self._checker.thinking_of_tool[tool_id] = think
            if content[0]["type"] in {"thinking", "redacted_thinking"}:
                self._checker.thought_tools.add(tool_id)
            stop = "tool_use"
        else:
            stop = {Text: "end_turn", MaxTokens: "max_tokens", Refusal: "refusal", PauseTurn: "pause_turn"}[type(spec)]
            if spec.text:
                content.append({"type": "text", "text": spec.text})
        return {
            "id": self.next_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {**self._usage(body), "output_tokens": max(1, _tokens(content))},
        }

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        parts: list[Any] = list(body.get("tools") or [])
        system = body.get("system")
        parts += system if isinstance(system, list) else [system] if system else []
        for message in body["messages"]:
            parts += _blocks(message["content"])
        marked = [i for i, p in enumerate(parts) if isinstance(p, dict) and p.get("cache_control")]
        total = _tokens(parts)
        read = written = 0  # the longest prefix seen before is read; the rest up to the last breakpoint written
        for i in marked:
            prefix = [
                {k: v for k, v in p.items() if k != "cache_control"} if isinstance(p, dict) else p
                for p in parts[: i + 1]
            ]
            key = hashlib.sha256(json.dumps([body["model"], prefix], sort_keys=True).encode()).hexdigest()
            if key in self._prefixes:
                read = _tokens(prefix)
            self._prefixes.add(key)
        if marked:
            written = _tokens(parts[: marked[-1] + 1]) - read
        return {
            "input_tokens": total - read - written,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }


def _error(kind: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if details:
        error["details"] = details
    return {"type": "error", "error": error}


def _compliant(body: dict[str, Any]) -> Scripted:
    """What a model that follows instructions answers when nothing is scripted."""
    content = ((body.get("messages") or [{}])[-1]).get("content")
    parts = [content] if isinstance(content, str) else [b.get("text", "") for b in content or [] if isinstance(b, dict)]
    return Text("(a summary)") if "call no tool" in "\n".join(map(str, parts)) else ToolUse()
