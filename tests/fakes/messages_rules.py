"""The wire-format rules the fake Messages API checks on every request, and its token counting."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from tests.fakes.http import PNG_SIGNATURE, png_tokens
from tests.fakes.messages_replies import (
    ASSISTANT_BLOCKS,
    IMAGE_TOKENS,
    MAX_BREAKPOINTS,
    MEDIA_TYPES,
    USER_BLOCKS,
)

THINKING_FIRST = (
    "When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the"
    " lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous"
    " turns. To avoid this requirement, disable `thinking`. Please consult our documentation at"
    " https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)


class Violation(Exception):
    """A broken rule of the wire format; `rule` names it."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


# ---- request checks ---------------------------------------------------------------------------


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        raise Violation("content", "content must be a string or a list of blocks")
    return content


def _check_image(block: dict[str, Any]) -> None:
    source = block.get("source") or {}
    if source.get("type") != "base64" or source.get("media_type") not in MEDIA_TYPES:
        raise Violation("image.source", "image source must be base64 with a supported media_type")
    try:
        data = base64.b64decode(source.get("data", ""), validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise Violation("image.base64", f"image data is not valid base64: {exc}") from None
    if source["media_type"] == "image/png" and not data.startswith(PNG_SIGNATURE):
        raise Violation("image.png", "image data is not a PNG")


def _walk_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every block of the request that may carry cache_control, in cache order (tools, system, messages)."""
    found: list[dict[str, Any]] = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    if isinstance(body.get("system"), list):
        found += body["system"]
    for message in body.get("messages", []):
        for block in _blocks(message.get("content")):
            found.append(block)
            if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                found += block["content"]
    return found


class _Checker:
    """The strict rules; `sent_thinking` maps signature -> thinking text, `sent_redacted` holds data."""

    def __init__(self) -> None:
        self.sent_thinking: dict[str, str] = {}
        self.sent_redacted: set[str] = set()
        self.thinking_of_tool: dict[str, dict[str, Any]] = {}  # tool_use id -> thinking block sent with it
        self.thought_tools: set[str] = set()  # tool_use ids of replies sent with a thinking block (of any kind)

    def check(self, body: dict[str, Any]) -> None:
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise Violation("model", "model: Field required")
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise Violation("max_tokens", "max_tokens must be a positive integer")
        self._check_system(body.get("system"))
        self._check_tools(body.get("tools"))
        self._check_thinking(body.get("thinking"), max_tokens)
        if "output_config" in body and not isinstance(body["output_config"], dict):
            raise Violation("output_config", "output_config must be an object")
        self._check_messages(body.get("messages"))
        self._check_first(body)
        marks = [b["cache_control"] for b in _walk_blocks(body) if b.get("cache_control") is not None]
        if any(not isinstance(m, dict) or m.get("type") != "ephemeral" for m in marks):
            raise Violation("cache_control.type", "cache_control must be {'type': 'ephemeral'}")
        if len(marks) > MAX_BREAKPOINTS:
            raise Violation(
                "cache_control.limit",
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marks)}.",
            )

    @staticmethod
    def _check_system(system: Any) -> None:
        if system is None or isinstance(system, str):
            return
        if not isinstance(system, list) or any(not isinstance(b, dict) or b.get("type") != "text" for b in system):
            raise Violation("system", "system must be a string or a list of text blocks")
        if any(not isinstance(b.get("text"), str) or not b["text"] for b in system):
            raise Violation("system.text", "system text blocks must be non-empty")

    @staticmethod
    def _check_tools(tools: Any) -> None:
        if tools is None:
            return
        if not isinstance(tools, list):
            raise Violation("tools", "tools must be a list")
        names = [t.get("name") if isinstance(t, dict) else None for t in tools]
        for tool, name in zip(tools, names, strict=True):
            if not isinstance(name, str) or not name or len(name) > 64:
                raise Violation("tools.name", f"bad tool name {name!r}")
            schema = tool.get("input_schema")
            if not isinstance(schema, dict) or schema.get("type") != "object":
                raise Violation("tools.input_schema", f"tool {name}: input_schema must be an object schema")
        if len(set(names)) != len(names):
            raise Violation("tools.unique", "tool names must be unique")

    @staticmethod
    def _check_thinking(thinking: Any, max_tokens: int) -> None:
        if thinking is None:
            return
        kind = thinking.get("type") if isinstance(thinking, dict) else None
        if kind not in {"enabled", "adaptive", "disabled"}:
            raise Violation("thinking.type", f"unknown thinking type {kind!r}")
        if kind == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                raise Violation("thinking.budget_tokens", "thinking.budget_tokens: must be >= 1024")
            if budget >= max_tokens:
                raise Violation("thinking.budget_tokens", "max_tokens must be greater than thinking.budget_tokens")

    def _check_messages(self, messages: Any) -> None:
        if not isinstance(messages, list) or not messages:
            raise Violation("messages", "messages: at least one message is required")
        for i, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role != ("user" if i % 2 == 0 else "assistant"):
                raise Violation("roles", f"messages.{i}: roles must alternate user/assistant starting with user")
            allowed = USER_BLOCKS if role == "user" else ASSISTANT_BLOCKS
            for j, block in enumerate(_blocks(message.get("content"))):
                if block.get("type") not in allowed:
                    raise Violation("block.type", f"messages.{i}: {block.get('type')!r} not allowed in {role} content")
                if block["type"] == "thinking":
                    self._check_signature(f"messages.{i}.content.{j}", block)
                self._check_block(i, block)
        self._check_tool_pairs(messages)
        self._check_cycle(messages)

    def _check_first(self, body: dict[str, Any]) -> None:
        """With thinking on, the final assistant message, when it holds tool calls of a reply sent with thinking,
        must start with a thinking block, in the real API's words (as reported by its users, e.g.
        github.com/anomalyco/opencode/issues/3077, github.com/deepset-ai/haystack-core-integrations/issues/2146)."""
        if (body.get("thinking") or {}).get("type") not in {"enabled", "adaptive"}:
            return
        finals = [(i, m) for i, m in enumerate(body["messages"]) if m["role"] == "assistant"][-1:]
        for i, message in finals:
            blocks = _blocks(message["content"])
            thought = any(b["type"] == "tool_use" and b.get("id") in self.thought_tools for b in blocks)
            first = blocks[0]["type"] if blocks else None
            if thought and first not in {"thinking", "redacted_thinking"}:
                raise Violation(
                    "thinking.first",
                    f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`."
                    f" {THINKING_FIRST}",
                )

    def _check_signature(self, where: str, block: dict[str, Any]) -> None:
        """A thinking block comes back only with the signature the API issued for it, in the real API's words
        (as reported by its users: `...thinking.signature: Field required` when the field is missing, e.g.
        github.com/justlovemaki/AIClient2API/issues/437; `Invalid `signature` in `thinking` block` when it is
        empty or not one the API issued, e.g. github.com/ding113/claude-code-hub/issues/518)."""
        signature = block.get("signature")
        if signature is None:
            raise Violation("thinking.signature", f"{where}.thinking.signature: Field required")
        if not isinstance(signature, str) or signature not in self.sent_thinking:
            raise Violation("thinking.signature", f"{where}: Invalid `signature` in `thinking` block")

    def _check_block(self, i: int, block: dict[str, Any]) -> None:
        kind = block["type"]
        if kind == "text" and (not isinstance(block.get("text"), str) or not block["text"].strip()):
            raise Violation("text.empty", f"messages.{i}: text content blocks must contain non-whitespace text")
        if kind == "image":
            _check_image(block)
        if kind == "tool_result" and isinstance(block.get("content"), list):
            for inner in block["content"]:
                if inner.get("type") not in {"text", "image"}:
                    raise Violation("tool_result.content", f"messages.{i}: bad tool_result block {inner.get('type')}")
                self._check_block(i, inner)
        if kind == "thinking" and self.sent_thinking.get(block.get("signature", "")) != block.get("thinking"):
            raise Violation("thinking.modified", f"messages.{i}: thinking block does not match what was sent")
        if kind == "redacted_thinking" and block.get("data") not in self.sent_redacted:
            raise Violation("redacted_thinking.modified", f"messages.{i}: redacted_thinking data was not sent")

    @staticmethod
    def _check_tool_pairs(messages: list[dict[str, Any]]) -> None:
        for i, message in enumerate(messages):
            blocks = _blocks(message["content"])
            if message["role"] == "assistant":
                ids = [b.get("id") for b in blocks if b["type"] == "tool_use"]
                answer = _blocks(messages[i + 1]["content"]) if i + 1 < len(messages) else []
                answered = {b.get("tool_use_id") for b in answer if b["type"] == "tool_result"}
                missing = [x for x in ids if x not in answered]
                if missing:
                    raise Violation(
                        "tool_result.missing",
                        f"messages.{i}: tool_use ids without tool_result blocks immediately after: {missing}",
                    )
                continue
            previous = _blocks(messages[i - 1]["content"]) if i else []
            asked = {b.get("id") for b in previous if b["type"] == "tool_use"}
            kinds = [b["type"] for b in blocks]
            for b in blocks:
                if b["type"] == "tool_result" and b.get("tool_use_id") not in asked:
                    raise Violation(
                        "tool_result.orphan", f"messages.{i}: unexpected tool_use_id {b.get('tool_use_id')}"
                    )
            results = kinds.count("tool_result")
            if kinds[:results] != ["tool_result"] * results:
                raise Violation("tool_result.first", f"messages.{i}: tool_result blocks must come first")

    def _check_cycle(self, messages: list[dict[str, Any]]) -> None:
        """Assistant turns since the last user turn without tool_result must carry their thinking intact."""
        for i in range(len(messages) - 1, -1, -1):
            blocks = _blocks(messages[i]["content"])
            if messages[i]["role"] == "user":
                if not any(b["type"] == "tool_result" for b in blocks):
                    return
                continue
            for b in blocks:
                sent = self.thinking_of_tool.get(b.get("id", "")) if b["type"] == "tool_use" else None
                if sent is not None and sent not in [{k: x.get(k) for k in sent} for x in blocks]:
                    raise Violation(
                        "thinking.missing", f"messages.{i}: the thinking block of the tool-use cycle was not returned"
                    )


# ---- usage ------------------------------------------------------------------------------------


def image_tokens(block: dict[str, Any]) -> int:
    """ceil(width * height / 750) from the PNG header; IMAGE_TOKENS when the size cannot be read."""
    try:
        size = png_tokens(base64.b64decode(block["source"]["data"][:64], validate=False))
    except (KeyError, TypeError, ValueError, binascii.Error):
        size = None
    return IMAGE_TOKENS if size is None else size


def _count(obj: Any) -> tuple[int, int]:
    """(characters, image tokens) in a piece of the request, ignoring image data and signatures."""
    if isinstance(obj, str):
        return len(obj), 0
    if isinstance(obj, list):
        pairs = [_count(x) for x in obj]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    if isinstance(obj, dict):
        if obj.get("type") == "image":
            return 0, image_tokens(obj)
        chars, images = 0, 0
        for key, value in obj.items():
            if key in {"signature", "cache_control", "type", "data"}:
                continue
            c, n = _count(json.dumps(value) if key in {"input", "input_schema"} else value)
            chars, images = chars + c, images + n
        return chars, images
    return 0, 0


def _tokens(obj: Any) -> int:
    chars, images = _count(obj)
    return math.ceil(chars / 3.5) + images
