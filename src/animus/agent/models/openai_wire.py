"""The OpenAI chat-completions wire format: a `Request` as a request body, a response body as a `Reply`.

Pure functions on plain JSON (no SDK import). The layout:

- one system message: the fixed prompt, then the summary and the notes as of it (one message, because some local
  servers' chat templates take only one); notes changed since are listed in the newest user message;
- per user turn: a `tool` message for each tool call of the previous reply, then a user message with the
  observation text and, in the newest turn only, the screen as a PNG data URL;
- per reply: an assistant message with its text and its `tool_calls` (arguments as JSON text). Reasoning that a
  server returns (`reasoning_content`, as vLLM and llama.cpp do) is kept as thinking but not sent back.

Servers cache prompt prefixes on their own (no breakpoints): the stable prefix is the system message.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from animus.agent import prompts
from animus.agent.types import UNPARSED_ARGUMENTS, AssistantTurn, Reply, ThinkingBlock, ToolCall, Turn, Usage

if TYPE_CHECKING:
    from animus.agent.types import Request
    from animus.config import ModelConfig

JSONDict = dict[str, Any]
MISSING_NAME = "missing_tool_name"  # sent back for a call that had no name: servers refuse a nameless one
STOP_REASONS = {"tool_calls": "tool_use", "stop": "end_turn", "length": "max_tokens", "content_filter": "refusal"}


def request_body(request: Request, model: str, cfg: ModelConfig, image: bytes | None, official: bool) -> JSONDict:
    """The JSON body of `POST /chat/completions`. `official`: OpenAI's own API, which names the reply limit
    `max_completion_tokens`; other servers get the older `max_tokens`."""
    system = "\n\n".join(x for x in (request.system, prompts.memory_text(request.memory)) if x)
    body: JSONDict = {
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            *messages(request.messages, image, prompts.note_changes(request.memory)),
        ],
        "tools": [_function(t.name, t.description, t.input_schema) for t in request.tools],
        ("max_completion_tokens" if official else "max_tokens"): request.max_tokens or cfg.max_tokens,
        "seed": request.seed,
    }
    if request.thinking.effort:
        body["reasoning_effort"] = request.thinking.effort
    elif cfg.temperature is not None:  # reasoning models refuse a temperature
        body["temperature"] = cfg.temperature
    return body


def _function(name: str, description: str, schema: JSONDict) -> JSONDict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def messages(turns: tuple[Turn, ...], image: bytes | None, changes: str = "") -> list[JSONDict]:
    """The turns as chat messages; the image and the note `changes` go in the last user message."""
    out: list[JSONDict] = []
    asked: list[str] = []
    for i, turn in enumerate(turns):
        if isinstance(turn, AssistantTurn):
            out.append(assistant_message(turn.reply))
            asked = [c.id for c in turn.reply.tool_calls]
            continue
        results = {r.call_id: r for r in turn.tool_results}
        for call_id in asked:
            r = results.get(call_id)
            out.append({"role": "tool", "tool_call_id": call_id, "content": r.content if r else "error: not run"})
        earlier = [f"Result of an earlier call: {r.content}" for r in turn.tool_results if r.call_id not in asked]
        last = i == len(turns) - 1
        text = "\n".join([*earlier, *([changes] if last and changes else []), turn.text]) or "(nothing to show)"
        content: str | list[JSONDict] = text
        if image is not None and last:
            url = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
            content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
        out.append({"role": "user", "content": content})
        asked = []
    return out


def assistant_message(reply: Reply) -> JSONDict:
    message: JSONDict = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name or MISSING_NAME, "arguments": _arguments(c)}}
            for c in reply.tool_calls
        ]
    elif not reply.text:
        message["content"] = "(no reply)"  # an assistant message needs content or tool calls
    return message


def _arguments(call: ToolCall) -> str:
    # Unparsable arguments go back as {}: servers refuse a history whose arguments are not JSON; the call's
    # error result quotes what the model wrote.
    return "{}" if UNPARSED_ARGUMENTS in call.input else json.dumps(call.input)


def parse_reply(data: JSONDict) -> Reply:
    """A `chat.completion` body as a `Reply`. Arguments that are not a JSON object stay, verbatim, under
    `UNPARSED_ARGUMENTS`, so the tool reports a bad call that the model reads.

    A malformed body never raises: a part of the wrong type reads as empty (no choice, no message, no calls; token
    counts as 0), and a call without a name stays a call that the tool refuses.
    """
    choices = data.get("choices")
    choice = _object(choices[0] if isinstance(choices, list) and choices else None)
    message = _object(choice.get("message"))
    calls = []
    tool_calls = message.get("tool_calls")
    for n, call in enumerate(tool_calls if isinstance(tool_calls, list) else []):
        fn = _object(_object(call).get("function"))
        given = fn.get("arguments") or "{}"
        raw = given if isinstance(given, str) else json.dumps(given)  # some servers send the object itself
        try:
            args = json.loads(raw)
        except ValueError:
            args = None
        args = args if isinstance(args, dict) else {UNPARSED_ARGUMENTS: raw}
        call_id = _text(_object(call).get("id")) or f"call_{_text(data.get('id'))}_{n}"  # some local servers send none
        calls.append(ToolCall(call_id, _text(fn.get("name")), args))
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    u = _object(data.get("usage"))
    cached = _tokens(_object(u.get("prompt_tokens_details")).get("cached_tokens"))
    usage = Usage(
        input_tokens=max(0, _tokens(u.get("prompt_tokens")) - cached),
        output_tokens=_tokens(u.get("completion_tokens")),
        cache_read_input_tokens=cached,
    )
    finish = _text(choice.get("finish_reason")) or "stop"
    return Reply(
        text=_text(message.get("content")),
        tool_calls=tuple(calls),
        thinking=(ThinkingBlock(reasoning),) if isinstance(reasoning, str) and reasoning else (),
        usage=usage,
        stop_reason=STOP_REASONS.get(finish, finish),
        model=_text(data.get("model")),
    )


def _object(value: Any) -> JSONDict:
    """A JSON object of a reply; anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A string field of a reply; anything else (missing, null, a number) reads as empty."""
    return value if isinstance(value, str) else ""


def _tokens(value: Any) -> int:
    """A token count of a reply; anything but a whole number >= 0 reads as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
