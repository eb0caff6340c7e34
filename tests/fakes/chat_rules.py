"""The wire-format rules the fake chat completions API checks on every request, and its token counting."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from typing import Any

from tests.fakes.chat_replies import (
    CHARS_PER_TOKEN,
    FALLBACK_IMAGE_TOKENS,
    IMAGE_MAGIC,
    PIXELS_PER_TOKEN,
    REASONING_EFFORTS,
    ROLES,
    TOOL_CHOICES,
)
from tests.fakes.http import png_tokens

_DATA_URL = re.compile(r"data:(image/[a-z]+);base64,(.*)", re.S)
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNCOUNTED = {"role", "type", "id", "tool_call_id"}  # keys whose values are not prompt text


class Violation(Exception):
    """A broken rule of the wire format; `rule` names it (and becomes the error's `code`)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


# ---- request checks ---------------------------------------------------------------------------


def check(body: dict[str, Any]) -> None:
    """Raise `Violation` for the first broken rule of a request body."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Violation("model", "you must provide a model parameter")
    if body.get("stream") not in (None, False):
        raise Violation("stream", "this fake answers non-streaming requests only")
    _check_settings(body)
    _check_tool_choice(body.get("tool_choice"), _check_tools(body.get("tools")))
    _check_messages(body.get("messages"))


def _check_settings(body: dict[str, Any]) -> None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise Violation(key, f"{key} must be a positive integer, got {value!r}")
    effort = body.get("reasoning_effort")
    if effort is not None and (not isinstance(effort, str) or effort not in REASONING_EFFORTS):
        raise Violation("reasoning_effort", f"{effort!r} is not one of {sorted(REASONING_EFFORTS)}")
    temperature = body.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float) or isinstance(temperature, bool) or not 0 <= temperature <= 2
    ):
        raise Violation("temperature", f"temperature must be a number in [0, 2], got {temperature!r}")


def _check_tools(tools: Any) -> list[str]:
    """The tool names, after checking the tool definitions."""
    if tools is None:
        return []
    if not isinstance(tools, list) or not tools:
        raise Violation("tools", "tools must be a non-empty list")
    names: list[str] = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            raise Violation("tools.type", f"tools.{i}: expected {{'type': 'function', 'function': {{...}}}}")
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise Violation("tools.name", f"tools.{i}: bad function name {name!r}")
        if not isinstance(function.get("description", ""), str):
            raise Violation("tools.description", f"tools.{i}: description must be a string")
        parameters = function.get("parameters")
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            raise Violation("tools.parameters", f"tools.{i}: parameters must be an object schema")
        names.append(name)
    if len(set(names)) != len(names):
        raise Violation("tools.unique", f"tool names must be unique: {names}")
    return names


def _check_tool_choice(choice: Any, names: list[str]) -> None:
    if choice is None:
        return
    if not names:
        raise Violation("tool_choice", "tool_choice is only allowed when tools are specified")
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        return
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(function, dict) or choice.get("type") != "function" or function.get("name") not in names:
        raise Violation("tool_choice", f"tool_choice must be auto/none/required or a known function, got {choice!r}")


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise Violation("messages", "messages must be a non-empty list")
    pending: list[str] = []  # tool_call ids of the latest assistant message not yet answered
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise Violation("messages.role", f"messages.{i}: role must be one of {sorted(ROLES)}, got {role!r}")
        if role == "tool":
            _check_tool_message(i, message, pending)
            continue
        _check_answered(pending)
        if role == "assistant":
            pending = _check_assistant(i, message)
        elif role == "user":
            _check_parts(i, message.get("content"), images=True)
        else:
            _check_parts(i, message.get("content"), images=False)
    _check_answered(pending)


def _check_answered(pending: list[str]) -> None:
    if pending:
        raise Violation(
            "tool_calls.unanswered",
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(pending)}",
        )


def _check_tool_message(i: int, message: dict[str, Any], pending: list[str]) -> None:
    if message.get("tool_call_id") not in pending:
        raise Violation(
            "tool.orphan",
            f"messages.{i}: messages with role 'tool' must be a response to a preceding message with 'tool_calls' "
            f"(unexpected tool_call_id {message.get('tool_call_id')!r})",
        )
    pending.remove(message["tool_call_id"])
    if not isinstance(message.get("content"), str):
        raise Violation("tool.content", f"messages.{i}: tool message content must be a string")


def _check_assistant(i: int, message: dict[str, Any]) -> list[str]:
    """The assistant message's tool_call ids, after checking it."""
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise Violation("assistant.content", f"messages.{i}: assistant content must be a string or null")
    calls = message.get("tool_calls")
    if calls is None:
        if not content:
            raise Violation("assistant.empty", f"messages.{i}: assistant message needs content or tool_calls")
        return []
    if not isinstance(calls, list) or not calls:
        raise Violation("tool_calls", f"messages.{i}: tool_calls must be a non-empty list")
    ids: list[str] = []
    for call in calls:
        if not isinstance(call, dict):
            raise Violation("tool_calls.type", f"messages.{i}: tool calls must be objects")
        function = call.get("function")
        if not isinstance(call.get("id"), str) or not call["id"] or call["id"] in ids:
            raise Violation("tool_calls.id", f"messages.{i}: tool call ids must be unique non-empty strings")
        if call.get("type") != "function" or not isinstance(function, dict):
            raise Violation("tool_calls.type", f"messages.{i}: tool calls must be {{'type': 'function', ...}}")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise Violation("tool_calls.function", f"messages.{i}: tool call function needs a name")
        try:
            arguments = json.loads(function["arguments"]) if isinstance(function.get("arguments"), str) else None
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            raise Violation("tool_calls.arguments", f"messages.{i}: arguments must be a string holding a JSON object")
        ids.append(call["id"])
    return ids


def _check_parts(i: int, content: Any, images: bool) -> None:
    """User content (`images`) or system/developer content: a string or a list of parts."""
    if isinstance(content, str):
        return
    where = "user" if images else "system"
    if not isinstance(content, list) or not content:
        raise Violation(f"{where}.content", f"messages.{i}: content must be a string or a non-empty list of parts")
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and (not isinstance(part.get("text"), str) or not part["text"]):
            raise Violation("text.empty", f"messages.{i}: text parts must have non-empty text")
        if kind == "image_url" and images:
            image_data(part)
        elif kind != "text":
            raise Violation("content.type", f"messages.{i}: part type {kind!r} is not allowed in {where} content")


def image_data(part: dict[str, Any]) -> tuple[str, bytes]:
    """(media type, bytes) of an image_url part holding a base64 data URL; raises `Violation` if malformed."""
    image = part.get("image_url")
    image = image if isinstance(image, dict) else {}
    url = image.get("url")
    match = _DATA_URL.fullmatch(url) if isinstance(url, str) else None
    if match is None or match[1] not in IMAGE_MAGIC:
        raise Violation("image_url.url", f"url must be a data:image/(png|jpeg|gif|webp);base64 URL, not {url!r:.40}")
    if image.get("detail", "auto") not in ("auto", "low", "high"):
        raise Violation("image_url.detail", "image_url.detail must be auto, low or high")
    try:
        data = base64.b64decode(match[2], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Violation("image_url.base64", f"image data is not valid base64: {exc}") from None
    media = match[1]
    webp_ok = media != "image/webp" or data[8:12] == b"WEBP"
    if not data.startswith(IMAGE_MAGIC[media]) or not webp_ok:
        kind = media.removeprefix("image/")
        raise Violation(f"image_url.{kind}", f"image data is not a {kind.upper()} file")
    return media, data


# ---- token counting ---------------------------------------------------------------------------


def _image_tokens(part: dict[str, Any]) -> int:
    """ceil(width * height / 750) read from a PNG's IHDR chunk; a fixed guess for other images."""
    media, data = image_data(part)
    size = png_tokens(data, PIXELS_PER_TOKEN) if media == "image/png" else None
    return FALLBACK_IMAGE_TOKENS if size is None else size


def _count(obj: Any) -> tuple[int, int]:
    """(characters, image tokens) in a piece of a checked request; image data is not text."""
    if isinstance(obj, str):
        return len(obj), 0
    if isinstance(obj, list):
        pairs = [_count(x) for x in obj]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    if isinstance(obj, dict):
        if obj.get("type") == "image_url":
            return 0, _image_tokens(obj)
        return _count([value for key, value in obj.items() if key not in _UNCOUNTED])
    return 0, 0


def tokens(chars: int, image_tokens: int = 0) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN) + image_tokens


def prefixes(body: dict[str, Any]) -> list[tuple[str, int]]:
    """(key, tokens) of each prompt prefix at a message boundary: tools + messages[:k] for k = 0..n.

    The last entry is the whole prompt. Keys hash the model, the tools and the messages so far.
    """
    tools = body.get("tools") or []
    chars, images = (len(json.dumps(tools)) if tools else 0), 0
    digest = hashlib.sha256(json.dumps([body["model"], tools], sort_keys=True).encode())
    found = [(digest.hexdigest(), tokens(chars))]
    for message in body["messages"]:
        c, n = _count(message)
        chars, images = chars + c, images + n
        digest.update(json.dumps(message, sort_keys=True).encode())
        found.append((digest.copy().hexdigest(), tokens(chars, images)))
    return found
