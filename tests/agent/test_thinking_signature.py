"""A thinking block that comes without a signature: the real CLI against the strict fake Messages API.

The API refuses a thinking block sent back without the signature it issued (see `anthropic_wire`'s docstring), so
Animus leaves such a block out of what it sends, warns once, and keeps it in the run as it was received. As the
API asks the final assistant message to start with thinking when thinking is on, a request whose last assistant
turn so lost all its thinking goes with thinking off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from animus.agent.models import anthropic_wire as wire
from animus.agent.types import (
    AssistantTurn,
    Memory,
    Reply,
    Request,
    Thinking,
    ThinkingBlock,
    ToolCall,
    ToolResult,
    UserTurn,
)
from animus.config import ModelConfig
from tests.agent.remote import Backend, meta, query
from tests.fakes.messages_server import FakeMessagesServer, ToolUse

pytest.importorskip("anthropic")

KEY = "sk-ant-SENTINEL-5e1d0b"
MODEL = "claude-fake-1"
THOUGHT = "An unsigned thought."
WARNING = "animus: warning: the model sent a thinking block without a signature"
DISABLED = {"type": "disabled"}


@pytest.fixture
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def api(server: FakeMessagesServer) -> Backend:
    return Backend(f"anthropic:{MODEL}", server.url, "ANTHROPIC_API_KEY", KEY)


def test_an_unsigned_thinking_block_is_left_out_of_requests_and_kept_in_the_run(
    server: FakeMessagesServer, api: Backend, tmp_path: Path
) -> None:
    unsigned = ToolUse(thinking=THOUGHT, unsigned=True)
    server.add(unsigned, ToolUse(), ToolUse(), unsigned)
    out = api.run(tmp_path, "unsigned", "--steps", "5", "--set", "thinking.budget_tokens=2048")
    assert out.returncode == 0, out.stderr
    assert server.violations == [], "no request carried a thinking block the API would refuse, nor lacked one"
    db = tmp_path / "unsigned" / "run.db"
    assert meta(db)["status"] == "done" and query(db, "SELECT MAX(step) FROM steps") == [(5,)]

    # The fake did send it unsigned, and the request after it answered the tool call without it.
    assert server.responses[0]["content"][0] == {"type": "thinking", "thinking": THOUGHT}
    step1 = server.requests[1]["messages"][1]
    assert step1["role"] == "assistant"
    assert [b["type"] for b in step1["content"]] == ["tool_use"]
    assert step1["content"][0]["id"] == server.responses[0]["content"][-1]["id"]
    sent = [b for body in server.requests for m in body["messages"] for b in m["content"] if b["type"] == "thinking"]
    assert sent and all(b["signature"] and b["thinking"] != THOUGHT for b in sent), "signed thinking still goes back"

    # The API asks a final assistant message to start with thinking when thinking is on: a request answering a reply
    # whose thinking was all left out goes with thinking off, the next one with thinking on again.
    enabled = {"type": "enabled", "budget_tokens": 2048}
    kinds = [[b["type"] for b in r["content"]] for r in server.responses]
    thought, plain = ["thinking", "tool_use"], ["tool_use"]
    assert kinds == [thought, plain, thought, thought, plain]
    assert "signature" in server.responses[2]["content"][0] and "signature" not in server.responses[3]["content"][0]
    assert [body["thinking"] for body in server.requests] == [enabled, DISABLED, enabled, enabled, DISABLED]
    assert all("temperature" not in body for body in server.requests)

    # The run stored the reply as received: the thinking text, with no signature.
    replies = [json.loads(r) for (r,) in query(db, "SELECT reply FROM model_calls ORDER BY id")]
    assert replies[0]["thinking"] == [{"text": THOUGHT, "signature": None, "redacted": False}]
    assert replies[3]["thinking"] == [{"text": THOUGHT, "signature": None, "redacted": False}]

    warnings = [line for line in out.stderr.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 1, out.stderr


def test_the_wire_leaves_out_only_unsigned_thinking() -> None:
    call = ToolCall("toolu_1", "press_buttons", {"buttons": ["a"]})
    thinking = (
        ThinkingBlock("signed", "c2ln"),
        ThinkingBlock("no signature", None),
        ThinkingBlock("empty signature", ""),
        ThinkingBlock("c2VhbGVk", None, redacted=True),
    )
    reply = Reply(text="", tool_calls=(call,), thinking=thinking)
    assert wire.assistant_blocks(reply) == [
        {"type": "thinking", "thinking": "signed", "signature": "c2ln"},
        {"type": "redacted_thinking", "data": "c2VhbGVk"},
        {"type": "tool_use", "id": "toolu_1", "name": "press_buttons", "input": {"buttons": ["a"]}},
    ]
    assert wire.unsigned_thinking((AssistantTurn(1, reply),)) == 2
    paused = [
        {"type": "thinking", "thinking": "x"},
        {"type": "thinking", "thinking": "y", "signature": ""},
        {"type": "thinking", "thinking": "z", "signature": "c2ln"},
        {"type": "text", "text": "so far"},
    ]
    assert wire.signed_blocks(paused) == paused[2:]


def turn(*thinking: ThinkingBlock, call: str = "toolu_1") -> AssistantTurn:
    return AssistantTurn(1, Reply(text="", tool_calls=(ToolCall(call, "press_buttons", {}),), thinking=thinking))


def answered(*turns: AssistantTurn) -> tuple[AssistantTurn | UserTurn, ...]:
    """The turns, each answered by a user turn with its tool result, after a first user turn."""
    out: list[AssistantTurn | UserTurn] = [UserTurn(0, "start")]
    for t in turns:
        out += [t, UserTurn(2, "screen", (ToolResult(t.reply.tool_calls[0].id, "pressed"),))]
    return tuple(out)


@pytest.mark.parametrize(
    ("config", "on"),
    [
        (Thinking("enabled", 2048), {"type": "enabled", "budget_tokens": 2048}),
        (Thinking("adaptive", effort="high"), {"type": "adaptive"}),
    ],
)
def test_thinking_is_off_only_for_a_request_whose_last_assistant_turn_lost_all_its_thinking(
    config: Thinking, on: dict[str, object]
) -> None:
    cfg = ModelConfig(temperature=0.5)
    signed, unsigned = ThinkingBlock("signed", "c2ln"), ThinkingBlock("no signature", None)
    redacted = ThinkingBlock("c2VhbGVk", None, redacted=True)

    def body(*turns: AssistantTurn) -> dict[str, object]:
        request = Request("act", 1, 0, "system", answered(*turns), Memory(), (), config)
        return wire.request_body(request, MODEL, cfg, None)

    assert body()["thinking"] == on
    assert body(turn(unsigned))["thinking"] == DISABLED
    assert body(turn(unsigned, ThinkingBlock("empty", "")))["thinking"] == DISABLED
    assert body(turn(signed), turn(unsigned, call="toolu_2"))["thinking"] == DISABLED
    assert body(turn(unsigned), turn(signed, call="toolu_2"))["thinking"] == on, "only the last turn counts"
    assert body(turn(unsigned), turn(call="toolu_2"))["thinking"] == on, "a turn without thinking goes as it is"
    assert body(turn(unsigned, signed))["thinking"] == on, "it still starts with thinking"
    assert body(turn(redacted, unsigned))["thinking"] == on
    off = body(turn(unsigned))
    assert "temperature" not in off, "one request does not change the run's sampling"
    assert off.get("output_config") == ({"effort": config.effort} if config.effort else None), "effort stays"
    assert wire.lost_thinking(answered(turn(unsigned))) and not wire.lost_thinking(answered(turn()))


def test_a_paused_turn_that_lost_all_its_thinking_is_continued_with_thinking_off() -> None:
    body = {"model": MODEL, "thinking": {"type": "adaptive"}, "messages": [{"role": "user", "content": "go"}]}
    unsigned = {"type": "thinking", "thinking": "x"}
    signed = {"type": "thinking", "thinking": "z", "signature": "c2ln"}
    text = {"type": "text", "text": "so far"}
    continued = wire.continuation(body, [unsigned, text])
    assert continued["thinking"] == DISABLED
    assert continued["messages"] == [*body["messages"], {"role": "assistant", "content": [text]}]
    assert wire.continuation(body, [unsigned, signed, text])["thinking"] == {"type": "adaptive"}
    assert wire.continuation(body, [text])["thinking"] == {"type": "adaptive"}
    assert body["thinking"] == {"type": "adaptive"} and len(body["messages"]) == 1, "the body is not changed"
