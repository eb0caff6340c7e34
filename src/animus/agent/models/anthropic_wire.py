"""The Anthropic Messages API's wire format: a `Request` as a request body, a response body as a `Reply`.

Pure functions on plain JSON (no SDK import), so the format can be read and tested on its own.

Layout of a request, in the order the API caches it (tools, then system, then messages):

- tools: every tool, on every request (summaries too), so all requests share one cached prefix;
- system: the fixed prompt (breakpoint 1: tools + system), then the memory block (breakpoint 2): the summary and
  the notes as they stood when it was written, so it changes only when the context is summarized anyway. Notes
  changed since then are listed in the newest user turn, which is not cached;
- messages: the turns, strictly alternating. A user turn holds the tool results of the previous reply (first, one
  per tool_use), then the screenshot (newest turn only), then the observation text. An assistant turn holds its
  thinking blocks verbatim (signatures, redacted data), its text and its tool_use blocks. Breakpoints 3 and 4
  mark the last two assistant turns: the earlier one is where the previous request wrote the cache (a read),
  the later one is where this request writes it for the next. The newest user turn is not marked: its image is
  sent only once, so a cache written through it would never be read.

Thinking blocks go back exactly as received, with one exception: a `thinking` block without a signature (None or
"") is left out of the request. The API takes a thinking block back only with the signature it issued for it: a
block without the field is a 400 `messages.N.content.M.thinking.signature: Field required`, and one with an empty
or altered signature a 400 `messages.N.content.M: Invalid `signature` in `thinking` block` (the wording users of
the API report, e.g. github.com/justlovemaki/AIClient2API/issues/437 and github.com/ding113/claude-code-hub/
issues/518; the rule itself: platform.claude.com/docs/build-with-claude/thinking-tool-workflows, "Pass thinking
blocks back complete and unmodified"). Such a block can only come from elsewhere (a proxy or a compatible server
that strips signatures, or a run begun with another backend whose reasoning has none), and no request carrying
it can succeed; leaving it out can (the API ignores thinking from before the current tool-use cycle anyway, and
within the cycle it is the best request there is: if the API still refuses it, the run stops with its 400 like
any other refused request). Redacted thinking carries no signature of its own (its `data` is the sealed block)
and always goes back as it is. The stored reply is never changed: the run records what the model sent.
`unsigned_thinking` counts the blocks left out, so that the backend can say so (this module does not warn).

Leaving a block out has a consequence of its own. With thinking on, the API asks that the final assistant message
start with a thinking block, else a 400 `messages.N.content.0.type: Expected `thinking` or `redacted_thinking`, but
found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block
(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from
previous turns. To avoid this requirement, disable `thinking`.` (as users of the API report it, e.g.
github.com/anomalyco/opencode/issues/3077 and github.com/deepset-ai/haystack-core-integrations/issues/2146). Every
Animus request ends with the tool results of the last assistant turn, so that turn is the final assistant message.
When it had thinking and all of it was left out (`lost_thinking`), that one request goes with
`"thinking": {"type": "disabled"}`, the API's own way out ("To avoid this requirement, disable `thinking`"); the
thinking of the run's config comes back with the next request whose last assistant turn sends its thinking (or had
none: a turn without thinking, such as the reply to that very request, goes back as it is). Nothing else changes
with it: the temperature stays unsent (it is sent only when configured and thinking is off in the config: one
request does not change the run's sampling), and `output_config.effort` stays (it is not a thinking setting).
Earlier assistant turns without their thinking need nothing: the API does not ask for thinking before the final
assistant message (it strips earlier turns' thinking anyway). A paused turn sent back to be continued is the final
assistant message too, and follows the same rule (`continuation`).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from animus.agent import prompts
from animus.agent.types import (
    UNPARSED_ARGUMENTS,
    AssistantTurn,
    Reply,
    ThinkingBlock,
    ToolCall,
    Turn,
    Usage,
    UserTurn,
)

if TYPE_CHECKING:
    from animus.agent.types import Request
    from animus.config import ModelConfig

JSONDict = dict[str, Any]
EPHEMERAL = {"type": "ephemeral"}
EMPTY_REPLY = "(no reply)"
MISSING_NAME = "missing_tool_name"
THINKING_ON = ("enabled", "adaptive")


def request_body(request: Request, model: str, cfg: ModelConfig, image: bytes | None) -> JSONDict:
    """The JSON body of `POST /v1/messages` for `request`. `image` is the prepared PNG of the newest frame."""
    system = [{"type": "text", "text": request.system}]
    memory = prompts.memory_text(request.memory)
    if memory:
        system.append({"type": "text", "text": memory})
    body: JSONDict = {
        "model": model,
        "max_tokens": request.max_tokens or cfg.max_tokens,
        "system": system,
        "tools": [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in request.tools
        ],
        "messages": messages(request.messages, image, prompts.note_changes(request.memory)),
    }
    # Summaries and reflections keep the default tool_choice: changing it would invalidate the cached messages.
    # Their task asks for text only; a tool call in such a reply is ignored.
    t = request.thinking
    if t.type in THINKING_ON and lost_thinking(request.messages):
        body["thinking"] = {"type": "disabled"}  # the final assistant message lost its thinking (see the docstring)
    elif t.type == "enabled":
        body["thinking"] = {"type": "enabled", "budget_tokens": t.budget_tokens}
    elif t.type in ("adaptive", "disabled"):
        body["thinking"] = {"type": t.type}
    if t.effort:
        body["output_config"] = {"effort": t.effort}
    if cfg.temperature is not None and t.type not in THINKING_ON:  # thinking fixes the temperature
        body["temperature"] = cfg.temperature
    if cfg.cache:
        mark_breakpoints(body)
    return body


def messages(turns: tuple[Turn, ...], image: bytes | None, changes: str = "") -> list[JSONDict]:
    """The turns as alternating messages; the image and the note `changes` go in the last user turn."""
    out: list[JSONDict] = []
    asked: list[str] = []  # tool_use ids of the previous assistant turn, which the next user turn must answer
    for i, turn in enumerate(turns):
        if isinstance(turn, AssistantTurn):
            out.append({"role": "assistant", "content": assistant_blocks(turn.reply)})
            asked = [c.id for c in turn.reply.tool_calls]
            continue
        last = i == len(turns) - 1
        blocks = user_blocks(turn, asked, image if last else None)
        if last and changes:
            blocks.insert(-1, {"type": "text", "text": changes})
        out.append({"role": "user", "content": blocks})
        asked = []
    return out


def user_blocks(turn: UserTurn, asked: list[str], image: bytes | None) -> list[JSONDict]:
    results = {r.call_id: r for r in turn.tool_results}
    blocks: list[JSONDict] = []
    for call_id in asked:
        r = results.get(call_id)
        blocks.append(
            {
                "type": "tool_result",
                "tool_use_id": call_id,
                "content": r.content if r else "not run",
                "is_error": r.is_error if r else True,
            }
        )
    # Results whose call has left the context (it was summarized) can no longer be tool_result blocks.
    earlier = [f"Result of an earlier call: {r.content}" for r in turn.tool_results if r.call_id not in asked]
    if image is not None:
        data = base64.b64encode(image).decode("ascii")
        blocks.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}})
    blocks.append({"type": "text", "text": "\n".join([*earlier, turn.text]) or "(nothing to show)"})
    return blocks


def assistant_blocks(reply: Reply) -> list[JSONDict]:
    """The content of an assistant turn for `reply`; an unsigned thinking block is left out (see the docstring)."""
    blocks: list[JSONDict] = []
    for t in reply.thinking:
        if t.redacted:
            blocks.append({"type": "redacted_thinking", "data": t.text})
        elif t.signature:
            blocks.append({"type": "thinking", "thinking": t.text, "signature": t.signature})
    if reply.text.strip():
        blocks.append({"type": "text", "text": reply.text})
    # A call whose name was missing goes back under a placeholder: the API refuses a tool_use without a name.
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name or MISSING_NAME, "input": c.input} for c in reply.tool_calls
    ]
    if not any(b["type"] in ("text", "tool_use") for b in blocks):
        blocks.append({"type": "text", "text": EMPTY_REPLY})  # the API refuses an empty assistant turn
    return blocks


def unsigned(thinking: ThinkingBlock) -> bool:
    """Whether `assistant_blocks` leaves `thinking` out: a (not redacted) thinking block without a signature."""
    return not thinking.redacted and not thinking.signature


def unsigned_thinking(turns: tuple[Turn, ...]) -> int:
    """How many thinking blocks of the assistant turns in `turns` `messages` leaves out, having no signature."""
    return sum(unsigned(t) for turn in turns if isinstance(turn, AssistantTurn) for t in turn.reply.thinking)


def lost_thinking(turns: tuple[Turn, ...]) -> bool:
    """Whether the last assistant turn in `turns` had thinking and `assistant_blocks` leaves all of it out."""
    last = next((turn for turn in reversed(turns) if isinstance(turn, AssistantTurn)), None)
    return last is not None and bool(last.reply.thinking) and all(unsigned(t) for t in last.reply.thinking)


def signed_blocks(content: list[Any]) -> list[Any]:
    """Raw reply `content` (a paused turn, sent back as it came) without its unsigned `thinking` blocks."""
    return [b for b in content if not _unsigned_block(b)]


def continuation(body: JSONDict, content: list[Any]) -> JSONDict:
    """The body that continues a paused turn: `body` with the turn's `content` so far (without unsigned thinking)
    as the final assistant message; thinking is turned off if leaving out its unsigned thinking made that message
    start with anything but thinking (see the docstring)."""
    signed = signed_blocks(content)
    out = {**body, "messages": [*body["messages"], {"role": "assistant", "content": signed}]}
    thinking = body.get("thinking")
    had = any(_unsigned_block(b) for b in content)
    if isinstance(thinking, dict) and thinking.get("type") in THINKING_ON and had and not _thinks_first(signed):
        out["thinking"] = {"type": "disabled"}
    return out


def _unsigned_block(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "thinking" and not _text(block.get("signature"))


def _thinks_first(content: list[Any]) -> bool:
    first = content[0] if content else None
    return isinstance(first, dict) and first.get("type") in ("thinking", "redacted_thinking")


def mark_breakpoints(body: JSONDict) -> None:
    """Put `cache_control` on the fixed prompt, the memory block and the last two assistant turns (at most 4)."""
    for block in body["system"]:
        block["cache_control"] = EPHEMERAL
    assistants = [m for m in body["messages"] if m["role"] == "assistant"]
    for message in assistants[-2:]:
        message["content"][-1]["cache_control"] = EPHEMERAL


def parse_reply(message: JSONDict) -> Reply:
    """A response body (`type: message`) as a `Reply`; thinking blocks are kept verbatim.

    A malformed body never raises: blocks of unknown types (or not objects) are skipped, a field of the wrong type
    reads as empty (token counts as 0), a tool call without an id gets one made from the message id, and one
    without a name or whose input is not an object stays a call that the tool refuses (the model reads why).
    """
    thinking: list[ThinkingBlock] = []
    texts: list[str] = []
    calls: list[ToolCall] = []
    content = message.get("content")
    for n, block in enumerate(content if isinstance(content, list) else []):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking":
            thinking.append(ThinkingBlock(_text(block.get("thinking")), _text(block.get("signature")) or None))
        elif kind == "redacted_thinking":
            thinking.append(ThinkingBlock(_text(block.get("data")), None, redacted=True))
        elif kind == "text":
            texts.append(_text(block.get("text")))
        elif kind == "tool_use":
            given = block.get("input")
            args = given if isinstance(given, dict) else {UNPARSED_ARGUMENTS: json.dumps(given)}
            call_id = _text(block.get("id")) or f"toolu_{_text(message.get('id')) or 'missing'}_{n}"
            calls.append(ToolCall(call_id, _text(block.get("name")), args))
    u = message.get("usage")
    u = u if isinstance(u, dict) else {}
    usage = Usage(
        input_tokens=_tokens(u.get("input_tokens")),
        output_tokens=_tokens(u.get("output_tokens")),
        cache_creation_input_tokens=_tokens(u.get("cache_creation_input_tokens")),
        cache_read_input_tokens=_tokens(u.get("cache_read_input_tokens")),
    )
    return Reply(
        text="\n".join(texts),
        tool_calls=tuple(calls),
        thinking=tuple(thinking),
        usage=usage,
        stop_reason=_text(message.get("stop_reason")) or "end_turn",
        model=_text(message.get("model")),
    )


def _text(value: Any) -> str:
    """A string field of a reply; anything else (missing, null, a number) reads as empty."""
    return value if isinstance(value, str) else ""


def _tokens(value: Any) -> int:
    """A token count of a reply; anything but a whole number >= 0 reads as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def merge(first: Reply, then: Reply) -> Reply:
    """A paused reply (`pause_turn`) and its continuation, as one reply with their usage summed."""
    u, v = first.usage, then.usage
    return Reply(
        text="\n".join(x for x in (first.text, then.text) if x),
        tool_calls=first.tool_calls + then.tool_calls,
        thinking=first.thinking + then.thinking,
        usage=Usage(
            u.input_tokens + v.input_tokens,
            u.output_tokens + v.output_tokens,
            u.cache_creation_input_tokens + v.cache_creation_input_tokens,
            u.cache_read_input_tokens + v.cache_read_input_tokens,
        ),
        stop_reason=then.stop_reason,
        model=then.model or first.model,
    )
