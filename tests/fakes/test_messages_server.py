"""The fake Messages API, spoken to directly with urllib (no SDK needed)."""

from __future__ import annotations

import base64
import copy
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.messages_server import (
    SPEND_LIMIT_MESSAGE,
    DropConnection,
    FakeMessagesServer,
    Fault,
    MaxTokens,
    PauseTurn,
    Refusal,
    Text,
    ToolUse,
)

HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}
TOOLS = [
    {
        "name": "press_buttons",
        "description": "Press buttons.",
        "input_schema": {"type": "object", "properties": {"buttons": {"type": "array"}}},
    }
]


def tiny_png() -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


def image(data: str | None = None) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data or tiny_png()}}


def request(**overrides: Any) -> dict[str, Any]:
    body = {
        "model": "claude-test",
        "max_tokens": 4096,
        "system": [{"type": "text", "text": "You play a game.", "cache_control": {"type": "ephemeral"}}],
        "tools": TOOLS,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Here is the screen."}, image()]}],
    }
    body.update(overrides)
    return body


def post(server: FakeMessagesServer, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(server.url + "/v1/messages", data=data, headers=headers or HEADERS, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


@pytest.fixture
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer() as fake:
        yield fake


def follow_up(first: dict[str, Any], reply: dict[str, Any], result: str = "pressed") -> dict[str, Any]:
    tool_id = next(b["id"] for b in reply["content"] if b["type"] == "tool_use")
    messages = [
        *first["messages"],
        {"role": "assistant", "content": copy.deepcopy(reply["content"])},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": result}]},
    ]
    return {**first, "messages": messages}


def test_tool_use_reply_with_thinking(server: FakeMessagesServer) -> None:
    status, reply, headers = post(server, request())
    assert status == 200, reply
    assert headers["request-id"]
    assert reply["type"] == "message" and reply["role"] == "assistant" and reply["id"].startswith("msg_")
    assert reply["stop_reason"] == "tool_use" and reply["stop_sequence"] is None
    kinds = [b["type"] for b in reply["content"]]
    assert kinds == ["thinking", "tool_use"]
    assert reply["content"][0]["signature"]
    assert reply["content"][1]["name"] == "press_buttons" and reply["content"][1]["input"] == {"buttons": ["a"]}
    usage = reply["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["cache_creation_input_tokens"] > 0 and usage["cache_read_input_tokens"] == 0
    assert server.requests == [request()] and server.violations == []


def test_follow_up_with_unmodified_thinking_passes_and_reads_cache(server: FakeMessagesServer) -> None:
    first = request()
    _, reply, _ = post(server, first)
    second = follow_up(first, reply)
    status, again, _ = post(server, second)
    assert status == 200, again
    assert again["usage"]["cache_read_input_tokens"] > 0 and again["usage"]["cache_creation_input_tokens"] == 0
    third = follow_up(second, again)
    assert post(server, third)[0] == 200
    assert server.violations == []


def test_redacted_thinking_round_trip(server: FakeMessagesServer) -> None:
    server.add(ToolUse(redacted=True))
    first = request()
    _, reply, _ = post(server, first)
    assert reply["content"][0]["type"] == "redacted_thinking"
    assert post(server, follow_up(first, reply))[0] == 200
    reply["content"][0]["data"] = "AAAA" + reply["content"][0]["data"][4:]
    status, err, _ = post(server, follow_up(first, reply))
    assert status == 400 and "redacted_thinking.modified" in err["error"]["message"]


def test_no_thinking_block_when_thinking_is_off(server: FakeMessagesServer) -> None:
    body = request()
    del body["thinking"]
    _, reply, _ = post(server, body)
    assert [b["type"] for b in reply["content"]] == ["tool_use"]


def expect_violation(server: FakeMessagesServer, body: dict[str, Any], rule: str) -> None:
    status, err, _ = post(server, body)
    assert status == 400, err
    assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
    assert rule in err["error"]["message"]
    assert len(server.violations) == 1 and rule in server.violations[0]


def test_modified_thinking_is_rejected(server: FakeMessagesServer) -> None:
    first = request()
    _, reply, _ = post(server, first)
    reply["content"][0]["thinking"] += " (edited)"
    expect_violation(server, follow_up(first, reply), "thinking.modified")


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        (None, "messages.1.content.0.thinking.signature: Field required"),
        ("", "messages.1.content.0: Invalid `signature` in `thinking` block"),
        ("c2lnbmF0dXJl", "messages.1.content.0: Invalid `signature` in `thinking` block"),
    ],
)
def test_a_thinking_block_without_its_signature_is_rejected(
    server: FakeMessagesServer, signature: str | None, words: str
) -> None:
    first = request()
    _, reply, _ = post(server, first)
    if signature is None:
        del reply["content"][0]["signature"]
    else:
        reply["content"][0]["signature"] = signature
    expect_violation(server, follow_up(first, reply), "thinking.signature")
    status, err, _ = post(server, follow_up(first, reply))
    assert status == 400 and err == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": f"thinking.signature: {words}"},
    }


def test_an_unsigned_thinking_block_can_be_scripted_and_left_out(server: FakeMessagesServer) -> None:
    server.add(ToolUse(thinking="No signature here.", unsigned=True))
    first = request()
    _, reply, _ = post(server, first)
    assert reply["content"][0] == {"type": "thinking", "thinking": "No signature here."}
    reply["content"] = reply["content"][1:]  # the only way to send it back: without it, and with thinking off
    assert post(server, {**follow_up(first, reply), "thinking": {"type": "disabled"}})[0] == 200
    assert server.violations == []


FIRST_WORDS = (
    "thinking.first: messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    " When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the"
    " lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous"
    " turns. To avoid this requirement, disable `thinking`. Please consult our documentation at"
    " https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)


@pytest.mark.parametrize("thinking", [{"type": "enabled", "budget_tokens": 2048}, {"type": "adaptive"}])
def test_a_final_assistant_message_without_its_thinking_is_rejected(
    server: FakeMessagesServer, thinking: dict[str, Any]
) -> None:
    server.add(ToolUse(thinking="No signature here.", unsigned=True))
    first = request(thinking=thinking)
    _, reply, _ = post(server, first)
    reply["content"] = reply["content"][1:]
    expect_violation(server, follow_up(first, reply), "thinking.first")
    status, err, _ = post(server, follow_up(first, reply))
    assert status == 400 and err == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": FIRST_WORDS},
    }


def test_only_the_final_assistant_message_must_start_with_thinking(server: FakeMessagesServer) -> None:
    server.add(ToolUse(thinking="No signature here.", unsigned=True))
    first = request()
    _, unsigned, _ = post(server, first)
    unsigned["content"] = unsigned["content"][1:]
    second = {**follow_up(first, unsigned), "thinking": {"type": "disabled"}}
    _, plain, _ = post(server, second)  # thinking off: a reply without thinking, which needs none
    assert [b["type"] for b in plain["content"]] == ["tool_use"]
    third = follow_up(second, plain) | {"thinking": first["thinking"]}  # an earlier turn without its thinking is fine
    _, signed, _ = post(server, third)
    assert [b["type"] for b in signed["content"]] == ["thinking", "tool_use"]
    assert post(server, follow_up(third, signed))[0] == 200
    assert server.violations == []


def test_dropped_thinking_in_the_cycle_is_rejected(server: FakeMessagesServer) -> None:
    first = request()
    _, reply, _ = post(server, first)
    reply["content"] = reply["content"][1:]
    expect_violation(server, follow_up(first, reply), "thinking.missing")


def test_missing_tool_result_is_rejected(server: FakeMessagesServer) -> None:
    first = request()
    _, reply, _ = post(server, first)
    body = follow_up(first, reply)
    body["messages"][-1]["content"] = [{"type": "text", "text": "I ignored your tool."}]
    expect_violation(server, body, "tool_result.missing")


def test_tool_result_must_come_first(server: FakeMessagesServer) -> None:
    first = request()
    _, reply, _ = post(server, first)
    body = follow_up(first, reply)
    body["messages"][-1]["content"].insert(0, {"type": "text", "text": "Here is the result."})
    expect_violation(server, body, "tool_result.first")
    server.violations.clear()
    body["messages"][-1]["content"].append(body["messages"][-1]["content"].pop(0))
    assert post(server, body)[0] == 200 and server.violations == []


def test_orphan_tool_result_is_rejected(server: FakeMessagesServer) -> None:
    body = request(messages=[{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x"}]}])
    expect_violation(server, body, "tool_result.orphan")


def test_non_alternating_roles_are_rejected(server: FakeMessagesServer) -> None:
    messages = [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]
    expect_violation(server, request(messages=messages), "roles")


def test_assistant_first_is_rejected(server: FakeMessagesServer) -> None:
    expect_violation(server, request(messages=[{"role": "assistant", "content": "hi"}]), "roles")


def test_small_thinking_budget_is_rejected(server: FakeMessagesServer) -> None:
    expect_violation(server, request(thinking={"type": "enabled", "budget_tokens": 512}), "thinking.budget_tokens")


def test_budget_must_be_below_max_tokens(server: FakeMessagesServer) -> None:
    body = request(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 2048})
    expect_violation(server, body, "thinking.budget_tokens")


def test_adaptive_thinking_and_output_config_are_accepted(server: FakeMessagesServer) -> None:
    status, reply, _ = post(server, request(thinking={"type": "adaptive"}, output_config={"effort": "low"}))
    assert status == 200 and reply["content"][0]["type"] == "thinking"


@pytest.mark.parametrize("data", ["not base64!!", base64.b64encode(b"GIF89a not a png").decode()])
def test_bad_png_is_rejected(server: FakeMessagesServer, data: str) -> None:
    body = request(messages=[{"role": "user", "content": [image(data)]}])
    status, err, _ = post(server, body)
    assert status == 400 and "image." in err["error"]["message"]
    assert len(server.violations) == 1


def test_five_cache_breakpoints_are_rejected(server: FakeMessagesServer) -> None:
    mark = {"type": "ephemeral"}
    system = [{"type": "text", "text": f"part {i}", "cache_control": mark} for i in range(3)]
    tools = [{**TOOLS[0], "cache_control": mark}]
    content = [{"type": "text", "text": "screen", "cache_control": mark}]
    body = request(system=system, tools=tools, messages=[{"role": "user", "content": content}])
    expect_violation(server, body, "cache_control.limit")
    server.violations.clear()
    body["system"] = system[:2]
    assert post(server, body)[0] == 200 and server.violations == []


def test_missing_api_key_is_401(server: FakeMessagesServer) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != "x-api-key"}
    status, err, _ = post(server, request(), headers)
    assert status == 401 and err["error"]["type"] == "authentication_error"


def test_missing_version_is_400(server: FakeMessagesServer) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != "anthropic-version"}
    assert post(server, request(), headers)[0] == 400


@pytest.mark.parametrize(
    ("fault", "status", "kind"),
    [
        (Fault.overloaded(), 529, "overloaded_error"),
        (Fault.rate_limited(7), 429, "rate_limit_error"),
        (Fault.server_error(), 500, "api_error"),
        (Fault.bad_request(), 400, "invalid_request_error"),
        (Fault.spend_limit(), 429, "rate_limit_error"),
    ],
)
def test_injected_faults(fault: Fault, status: int, kind: str) -> None:
    with FakeMessagesServer([fault]) as server:
        got, err, headers = post(server, request())
        assert got == status and err["error"]["type"] == kind
        assert headers["request-id"]
        assert headers.get("retry-after") == (str(fault.retry_after) if fault.retry_after is not None else None)
        if fault == Fault.spend_limit():
            assert err["error"]["message"] == SPEND_LIMIT_MESSAGE
        assert post(server, request())[0] == 200  # the queue moved on to the default reply
        assert server.violations == []


def test_dropped_connection() -> None:
    with FakeMessagesServer([DropConnection()]) as server:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            post(server, request())
        assert post(server, request())[0] == 200


@pytest.mark.parametrize(
    ("spec", "stop"),
    [(Text(), "end_turn"), (MaxTokens(), "max_tokens"), (Refusal(), "refusal"), (PauseTurn(), "pause_turn")],
)
def test_scripted_stop_reasons(spec: Any, stop: str) -> None:
    with FakeMessagesServer([spec]) as server:
        status, reply, _ = post(server, request())
        assert status == 200 and reply["stop_reason"] == stop
        assert all(b["type"] == "text" for b in reply["content"])


def test_unknown_path_is_404(server: FakeMessagesServer) -> None:
    req = urllib.request.Request(server.url + "/v1/other", data=b"{}", headers=HEADERS, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 404
