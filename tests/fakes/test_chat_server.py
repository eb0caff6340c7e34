"""The fake chat completions API, spoken to with urllib (no SDK needed) and, where installed, the openai SDK."""

from __future__ import annotations

import base64
import copy
import json
import math
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fakes.chat_server import (
    QUOTA_MESSAGE,
    ContentFilter,
    DropConnection,
    FakeChatServer,
    Fault,
    Length,
    Text,
    ToolCall,
)

HEADERS = {"authorization": "Bearer test-key", "content-type": "application/json"}
SCHEMA = {"type": "object", "properties": {"buttons": {"type": "array", "items": {"type": "string"}}}}
TOOLS = [
    {"type": "function", "function": {"name": "press_buttons", "description": "Press buttons.", "parameters": SCHEMA}}
]
DELETE = object()


def png(width: int = 160, height: int = 144) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def image(data: bytes | None = None, media: str = "image/png") -> dict[str, Any]:
    url = f"data:{media};base64,{base64.b64encode(png() if data is None else data).decode()}"
    return {"type": "image_url", "image_url": {"url": url}}


def request(**overrides: Any) -> dict[str, Any]:
    screen = [{"type": "text", "text": "Here is the screen."}, image()]
    body = {
        "model": "gpt-test",
        "max_completion_tokens": 1024,
        "tools": copy.deepcopy(TOOLS),
        "messages": [{"role": "system", "content": "You play a game."}, {"role": "user", "content": screen}],
    }
    body.update(overrides)
    return body


def cycle() -> dict[str, Any]:
    """A valid request after one tool call: system, user, assistant tool call, tool answer, user."""
    call = {"id": "call_1", "type": "function", "function": {"name": "press_buttons", "arguments": '{"buttons": []}'}}
    answer = [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "pressed"},
        {"role": "user", "content": "What next?"},
    ]
    return request(messages=[*request()["messages"], *answer])


def follow_up(body: dict[str, Any], reply: dict[str, Any], result: str = "pressed") -> dict[str, Any]:
    """`body` grown by the reply's assistant message and a tool answer to each of its tool calls."""
    message = copy.deepcopy(reply["choices"][0]["message"])
    answers = [{"role": "tool", "tool_call_id": c["id"], "content": result} for c in message.get("tool_calls") or []]
    return {**body, "messages": [*body["messages"], message, *answers]}


def edit(*path: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a request: set (or DELETE) the value at a path of keys and indices."""
    *keys, last, value = path

    def apply(body: dict[str, Any]) -> None:
        for key in keys:
            body = body[key]
        if value is DELETE:
            del body[last]
        else:
            body[last] = value

    return apply


def send(server: FakeChatServer, data: bytes, headers: dict[str, str], path: str = "/chat/completions") -> Any:
    req = urllib.request.Request(server.url + path, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


def post(server: FakeChatServer, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    return send(server, json.dumps(body).encode(), headers or HEADERS)


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as fake:
        yield fake


def expect_violation(server: FakeChatServer, body: dict[str, Any], rule: str) -> None:
    status, err, _ = post(server, body)
    assert status == 400, err
    assert len(server.violations) == 1 and server.violations[0].startswith(f"{rule}:")
    assert err == {
        "error": {"message": server.violations[0], "type": "invalid_request_error", "param": None, "code": rule}
    }


# ---- replies and usage ------------------------------------------------------------------------


def test_default_tool_call_reply(server: FakeChatServer) -> None:
    status, reply, headers = post(server, request())
    assert status == 200, reply
    assert headers["x-request-id"].startswith("req_")
    assert reply["id"].startswith("chatcmpl-") and reply["object"] == "chat.completion"
    assert isinstance(reply["created"], int) and reply["model"] == "gpt-test"
    [choice] = reply["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["role"] == "assistant" and message["content"] is None and "reasoning_content" not in message
    [call] = message["tool_calls"]
    assert call["id"] == "call_fake000001" and call["type"] == "function"
    assert call["function"]["name"] == "press_buttons"
    assert json.loads(call["function"]["arguments"]) == {"buttons": ["a"]}
    assert reply["usage"]["completion_tokens"] == 6  # ceil(len('{"buttons": ["a"]}') / 3.5)
    assert server.requests == [request()] and server.responses == [reply] and server.violations == []


def test_multi_turn_tool_cycle_passes(server: FakeChatServer) -> None:
    server.add(
        ToolCall(reasoning="The door is north.", content="Going north."), ToolCall("press_buttons", {"buttons": []})
    )
    body = request()
    for _ in range(3):
        status, reply, _ = post(server, body)
        assert status == 200, reply
        body = follow_up(body, reply)
    assert body["messages"][2]["reasoning_content"] == "The door is north."
    assert body["messages"][2]["content"] == "Going north."
    assert [m["role"] for m in body["messages"]].count("tool") == 3
    assert server.violations == [] and len(server.responses) == 3


def test_usage_counts_characters_png_size_and_tools(server: FakeChatServer) -> None:
    content = [{"type": "text", "text": "u" * 35}, image(png(160, 144))]
    body = {
        "model": "gpt-test",
        "messages": [{"role": "system", "content": "s" * 35}, {"role": "user", "content": content}],
    }
    server.add(Text("a" * 8), Text("a"))
    usage = post(server, body)[1]["usage"]
    # 70 characters -> 20 tokens; 160 x 144 pixels / 750 -> 31 tokens; 8 characters -> 3 tokens
    assert usage == {
        "prompt_tokens": 51,
        "completion_tokens": 3,
        "total_tokens": 54,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    with_tools = post(server, {**body, "tools": TOOLS})[1]["usage"]
    assert with_tools["prompt_tokens"] == math.ceil((70 + len(json.dumps(TOOLS))) / 3.5) + 31
    assert with_tools["completion_tokens"] == 1


def test_prefix_cache_grows_in_steps_of_128(server: FakeChatServer) -> None:
    first = {
        "model": "gpt-test",
        "messages": [{"role": "system", "content": "s" * 4000}, {"role": "user", "content": "look"}],
    }
    cached = []
    body = first
    for _ in range(3):
        status, reply, _ = post(server, body)
        assert status == 200, reply
        cached.append(reply["usage"]["prompt_tokens_details"]["cached_tokens"])
        body = follow_up(body, reply)
    assert cached == [0, 1024, 1152]  # prefixes of 1,144 and 1,155 tokens, rounded down
    other_model = {**first, "model": "gpt-other"}
    assert post(server, other_model)[1]["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    short = request()
    post(server, short)
    assert post(server, short)[1]["usage"]["prompt_tokens_details"]["cached_tokens"] == 0  # under 1,024 tokens


@pytest.mark.parametrize(
    ("spec", "finish"), [(Text(), "stop"), (Length(), "length"), (ContentFilter(), "content_filter")]
)
def test_scripted_finish_reasons(spec: Any, finish: str) -> None:
    with FakeChatServer([spec]) as server:
        status, reply, _ = post(server, request())
        assert status == 200 and reply["choices"][0]["finish_reason"] == finish
        message = reply["choices"][0]["message"]
        assert "tool_calls" not in message and message["content"] == getattr(spec, "text", None)


def test_default_callable_and_verbatim_arguments() -> None:
    with FakeChatServer([ToolCall(arguments="{oops")], default=lambda body: Text(str(len(body["messages"])))) as server:
        _, reply, _ = post(server, request())
        assert reply["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{oops"
        _, reply, _ = post(server, cycle())
        assert reply["choices"][0]["message"]["content"] == "5"


# ---- the rules --------------------------------------------------------------------------------

IMAGE_URL = ("messages", 1, "content", 1, "image_url", "url")
CALL = ("messages", 2, "tool_calls", 0)
CASES = [
    (edit("model", DELETE), "model"),
    (edit("model", ""), "model"),
    (edit("stream", True), "stream"),
    (edit("messages", []), "messages"),
    (edit("messages", 4, "role", "robot"), "messages.role"),
    (edit("messages", 0, "content", []), "system.content"),
    (edit("messages", 4, "content", 42), "user.content"),
    (edit("messages", 1, "content", 0, "text", ""), "text.empty"),
    (edit("messages", 1, "content", 0, "type", "input_audio"), "content.type"),
    (edit(*IMAGE_URL, "https://example.com/screen.png"), "image_url.url"),
    (edit(*IMAGE_URL, "data:image/png;base64,not base64!!"), "image_url.base64"),
    (edit(*IMAGE_URL, image(b"GIF89a, not a png")["image_url"]["url"]), "image_url.png"),
    (edit(*IMAGE_URL, image(png(), "image/jpeg")["image_url"]["url"]), "image_url.jpeg"),
    (edit("messages", 2, "content", [{"type": "text", "text": "hi"}]), "assistant.content"),
    (edit("messages", 2, "tool_calls", DELETE), "assistant.empty"),
    (edit("messages", 2, "tool_calls", []), "tool_calls"),
    (edit(*CALL, "type", "custom"), "tool_calls.type"),
    (edit(*CALL, "id", ""), "tool_calls.id"),
    (edit(*CALL, "function", "name", ""), "tool_calls.function"),
    (edit(*CALL, "function", "arguments", "{oops"), "tool_calls.arguments"),
    (edit(*CALL, "function", "arguments", "[1, 2]"), "tool_calls.arguments"),
    (edit(*CALL, "function", "arguments", {"buttons": ["a"]}), "tool_calls.arguments"),
    (edit("messages", 3, "role", "user"), "tool_calls.unanswered"),
    (edit("messages", 3, DELETE), "tool_calls.unanswered"),
    (edit("messages", 3, "tool_call_id", "call_2"), "tool.orphan"),
    (edit("messages", 3, "content", [{"type": "text", "text": "pressed"}]), "tool.content"),
    (edit("tools", []), "tools"),
    (edit("tools", 0, "type", "custom"), "tools.type"),
    (edit("tools", 0, "function", "name", "press buttons"), "tools.name"),
    (edit("tools", 0, "function", "parameters", {"type": "array"}), "tools.parameters"),
    (edit("tools", [TOOLS[0], TOOLS[0]]), "tools.unique"),
    (edit("tool_choice", "sometimes"), "tool_choice"),
    (edit("tool_choice", {"type": "function", "function": {"name": "jump"}}), "tool_choice"),
    (edit("max_completion_tokens", 0), "max_completion_tokens"),
    (edit("max_tokens", "100"), "max_tokens"),
    (edit("reasoning_effort", "extreme"), "reasoning_effort"),
    (edit("temperature", 2.5), "temperature"),
    (edit("temperature", -0.1), "temperature"),
]


def test_the_valid_cycle_passes(server: FakeChatServer) -> None:
    status, reply, _ = post(server, cycle())
    assert status == 200, reply
    assert server.violations == []


@pytest.mark.parametrize(("change", "rule"), CASES, ids=[rule for _, rule in CASES])
def test_broken_rule_is_rejected_without_consuming_the_queue(
    server: FakeChatServer, change: Callable[[dict[str, Any]], None], rule: str
) -> None:
    body = cycle()
    change(body)
    server.add(Text("kept"))
    expect_violation(server, body, rule)
    status, reply, _ = post(server, cycle())
    assert status == 200 and reply["choices"][0]["message"]["content"] == "kept"


def test_unanswered_call_at_the_end_and_answer_to_an_older_call(server: FakeChatServer) -> None:
    body = cycle()
    expect_violation(server, {**body, "messages": body["messages"][:3]}, "tool_calls.unanswered")
    server.violations.clear()
    late = [*body["messages"][:4], {"role": "assistant", "content": "Pressed."}, body["messages"][3]]
    expect_violation(server, {**body, "messages": late}, "tool.orphan")


def test_tool_choice_needs_tools(server: FakeChatServer) -> None:
    body = request(tool_choice="auto")
    del body["tools"]
    expect_violation(server, body, "tool_choice")


ACCEPTED = [
    edit("tool_choice", "required"),
    edit("tool_choice", {"type": "function", "function": {"name": "press_buttons"}}),
    edit("reasoning_effort", "xhigh"),
    edit("temperature", 0),
    edit("temperature", 2),
    edit("stream", False),
    edit("max_tokens", 1),
    edit("messages", 0, "role", "developer"),
    edit("messages", 0, "content", [{"type": "text", "text": "Play."}]),
    edit("messages", 1, "content", 1, "image_url", "detail", "low"),
    edit("messages", 2, "content", "Pressing A."),
]


@pytest.mark.parametrize("change", ACCEPTED)
def test_valid_variants_are_accepted(server: FakeChatServer, change: Callable[[dict[str, Any]], None]) -> None:
    body = cycle()
    change(body)
    status, reply, _ = post(server, body)
    assert status == 200, reply
    assert server.violations == []


@pytest.mark.parametrize(
    ("media", "data"),
    [("image/jpeg", b"\xff\xd8\xff\xe0 jpeg"), ("image/gif", b"GIF89a gif"), ("image/webp", b"RIFF\0\0\0\0WEBPVP8 ")],
)
def test_other_image_types_cost_a_fixed_85_tokens(server: FakeChatServer, media: str, data: bytes) -> None:
    bare = {"model": "gpt-test", "messages": [{"role": "user", "content": [{"type": "text", "text": "screen"}]}]}
    with_image = copy.deepcopy(bare)
    with_image["messages"][0]["content"].append(image(data, media))
    with_png = copy.deepcopy(bare)
    with_png["messages"][0]["content"].append(image(png(300, 250)))
    base, other, png_cost = (post(server, b)[1]["usage"]["prompt_tokens"] for b in (bare, with_image, with_png))
    assert (other - base, png_cost - base) == (85, 100)
    assert server.violations == []


def test_context_length_exceeded_is_not_a_violation() -> None:
    with FakeChatServer([Text("kept")], context_window=100) as server:
        body = {"model": "gpt-test", "messages": [{"role": "user", "content": "x" * 700}]}
        status, err, _ = post(server, body)
        message = "This model's maximum context length is 100 tokens. However, your messages resulted in 200 tokens."
        assert status == 400
        assert err["error"] == {
            "message": message,
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
        body["messages"][0]["content"] = "x" * 350  # exactly 100 tokens
        status, reply, _ = post(server, body)
        assert status == 200 and reply["choices"][0]["message"]["content"] == "kept"
        assert server.violations == []


def test_auth_and_bad_bodies() -> None:
    with FakeChatServer(api_key="right") as server:
        for headers in ({"content-type": "application/json"}, {**HEADERS, "authorization": "Bearer wrong"}):
            status, err, _ = post(server, request(), headers)
            assert status == 401 and err["error"]["code"] == "invalid_api_key"
        assert post(server, request(), {**HEADERS, "authorization": "Bearer right"})[0] == 200
        status, err, _ = send(server, b"{not json", {**HEADERS, "authorization": "Bearer right"})
        assert status == 400 and err["error"]["code"] == "body"
        assert len(server.violations) == 3
        assert send(server, b"{}", HEADERS, "/responses")[0] == 404


# ---- faults -----------------------------------------------------------------------------------

FAULTS = [
    (Fault.rate_limited(7), 429, "requests", "rate_limit_exceeded", "7"),
    (Fault.quota(), 429, "insufficient_quota", "insufficient_quota", None),
    (Fault.server_error(), 500, "server_error", None, None),
    (Fault.overloaded(), 503, "server_error", None, None),
    (Fault.bad_request("nope"), 400, "invalid_request_error", None, None),
]


@pytest.mark.parametrize(("fault", "status", "kind", "code", "retry"), FAULTS)
def test_injected_faults(fault: Fault, status: int, kind: str, code: str | None, retry: str | None) -> None:
    with FakeChatServer([fault]) as server:
        got, err, headers = post(server, request())
        assert got == status and headers["x-request-id"] and headers.get("retry-after") == retry
        assert err["error"] == {"message": fault.message, "type": kind, "param": None, "code": code}
        assert post(server, request())[0] == 200  # the queue moved on to the default reply
        assert server.violations == []
    assert Fault.quota().message == QUOTA_MESSAGE and Fault.bad_request("nope").message == "nope"


def test_dropped_connection() -> None:
    with FakeChatServer([DropConnection()]) as server:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            post(server, request())
        assert post(server, request())[0] == 200


# ---- through the openai SDK -------------------------------------------------------------------


@pytest.fixture
def openai() -> Any:
    return pytest.importorskip("openai")


def sdk(openai: Any, server: FakeChatServer) -> Any:
    return openai.OpenAI(api_key="test", base_url=server.url, max_retries=0, timeout=10)


def test_sdk_tool_call_round_trip_and_cached_tokens(openai: Any) -> None:
    with FakeChatServer([ToolCall(reasoning="The door is north."), Text("Done.")]) as server:
        client = sdk(openai, server)
        messages = [{"role": "system", "content": "s" * 4000}, *request()["messages"][1:]]
        first = client.chat.completions.create(model="gpt-test", messages=messages, tools=TOOLS, reasoning_effort="low")
        choice = first.choices[0]
        [call] = choice.message.tool_calls
        assert choice.finish_reason == "tool_calls" and call.function.name == "press_buttons"
        assert json.loads(call.function.arguments) == {"buttons": ["a"]}
        assert choice.message.model_extra["reasoning_content"] == "The door is north."
        assert first.usage.prompt_tokens_details.cached_tokens == 0
        messages += [
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "ok"},
        ]
        second = client.chat.completions.create(model="gpt-test", messages=messages, tools=TOOLS)
        assert second.choices[0].message.content == "Done." and second.choices[0].finish_reason == "stop"
        usage = second.usage
        assert (
            usage.prompt_tokens_details.cached_tokens >= 1024 and usage.prompt_tokens_details.cached_tokens % 128 == 0
        )
        assert usage.prompt_tokens > usage.prompt_tokens_details.cached_tokens
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        assert server.violations == [] and server.requests[1]["messages"][2]["tool_calls"][0]["id"] == call.id


@pytest.mark.parametrize(
    ("fault", "error", "status", "code", "retry"),
    [
        (Fault.rate_limited(3), "RateLimitError", 429, "rate_limit_exceeded", "3"),
        (Fault.quota(), "RateLimitError", 429, "insufficient_quota", None),
        (Fault.server_error(), "InternalServerError", 500, None, None),
        (Fault.overloaded(), "InternalServerError", 503, None, None),
        (Fault.bad_request("nope"), "BadRequestError", 400, None, None),
    ],
)
def test_sdk_sees_faults(
    openai: Any, fault: Fault, error: str, status: int, code: str | None, retry: str | None
) -> None:
    with FakeChatServer([fault]) as server:
        with pytest.raises(getattr(openai, error)) as info:
            sdk(openai, server).chat.completions.create(model="gpt-test", messages=request()["messages"])
        assert info.value.status_code == status and info.value.code == code
        assert info.value.response.headers.get("retry-after") == retry


def test_sdk_dropped_connection_context_limit_violation_and_auth(openai: Any) -> None:
    with FakeChatServer([DropConnection()], api_key="test", context_window=50) as server:
        client = sdk(openai, server)
        short = [{"role": "user", "content": "hi"}]
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model="gpt-test", messages=short)
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x" * 350}])
        assert info.value.code == "context_length_exceeded" and "maximum context length is 50" in info.value.message
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(model="gpt-test", messages=short, temperature=3)
        assert info.value.code == "temperature"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(api_key="wrong", base_url=server.url, max_retries=0).chat.completions.create(
                model="gpt-test", messages=short
            )
        assert client.chat.completions.create(model="gpt-test", messages=short).choices[0].finish_reason == "tool_calls"
        assert len(server.violations) == 2
