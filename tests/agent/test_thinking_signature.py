"""A thinking block that comes without a signature: the real CLI against the strict fake Messages API.

The API refuses a thinking block sent back without the signature it issued (see `anthropic_wire`'s docstring), so
Animus leaves such a block out of what it sends, warns once, and keeps it in the run as it was received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from animus.agent.models import anthropic_wire as wire
from animus.agent.types import AssistantTurn, Reply, ThinkingBlock, ToolCall
from tests.agent.remote import Backend, meta, query
from tests.fakes.messages_server import FakeMessagesServer, ToolUse

pytest.importorskip("anthropic")

KEY = "sk-ant-SENTINEL-5e1d0b"
MODEL = "claude-fake-1"
THOUGHT = "An unsigned thought."
WARNING = "animus: warning: the model sent a thinking block without a signature"


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
    server.add(ToolUse(thinking=THOUGHT, unsigned=True), ToolUse(), ToolUse(thinking=THOUGHT, unsigned=True))
    out = api.run(tmp_path, "unsigned", "--steps", "4", "--set", "thinking.budget_tokens=2048")
    assert out.returncode == 0, out.stderr
    assert server.violations == [], "no request carried a thinking block the API would refuse"
    db = tmp_path / "unsigned" / "run.db"
    assert meta(db)["status"] == "done" and query(db, "SELECT MAX(step) FROM steps") == [(4,)]

    # The fake did send it unsigned, and the request after it answered the tool call without it.
    assert server.responses[0]["content"][0] == {"type": "thinking", "thinking": THOUGHT}
    step1 = server.requests[1]["messages"][1]
    assert step1["role"] == "assistant"
    assert [b["type"] for b in step1["content"]] == ["tool_use"]
    assert step1["content"][0]["id"] == server.responses[0]["content"][-1]["id"]
    sent = [b for body in server.requests for m in body["messages"] for b in m["content"] if b["type"] == "thinking"]
    assert sent and all(b["signature"] and b["thinking"] != THOUGHT for b in sent), "signed thinking still goes back"

    # The run stored the reply as received: the thinking text, with no signature.
    replies = [json.loads(r) for (r,) in query(db, "SELECT reply FROM model_calls ORDER BY id")]
    assert replies[0]["thinking"] == [{"text": THOUGHT, "signature": None, "redacted": False}]
    assert replies[2]["thinking"] == [{"text": THOUGHT, "signature": None, "redacted": False}]

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
