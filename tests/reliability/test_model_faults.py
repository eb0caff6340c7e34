"""Model faults from the fake Messages and chat-completions servers: replies that cannot be read, replies with
missing or strange fields, tool calls with the wrong types, and an outage longer than the retry window. The run
degrades as documented and never shows a traceback:

- a body that is not the API's JSON object (cut short, not UTF-8, a list, an HTML page) is retried like a 5xx, and
  if it never gets better the run stops with status `error` after `model.retry_minutes`, to be resumed;
- a JSON reply with fields missing or of the wrong type is read as far as it goes (unknown blocks skipped, a missing
  id made up, a nameless call or one whose input is not an object refused as a bad call);
- a bad tool call is an error result the model reads in its next request; `agent.max_bad_calls` in a row fail the
  run (exit 1).

The Anthropic outage longer than the retry window is `tests/agent/test_anthropic.py`'s; the OpenAI one is here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent.remote import Backend, meta, query
from tests.fakes.chat_server import Fault as ChatFault
from tests.fakes.chat_server import ToolCall
from tests.fakes.messages_server import ToolUse
from tests.helpers import committed_steps
from tests.reliability.raw_fakes import Raw, RawChatServer, RawMessagesServer

pytest.importorskip("anthropic")
pytest.importorskip("openai")

KEY = "sk-fault-SENTINEL-93b1"
Server = RawMessagesServer | RawChatServer


@pytest.fixture(params=["anthropic", "openai"])
def side(request: pytest.FixtureRequest) -> Iterator[tuple[str, Server, Backend]]:
    """(backend, its fake server, how to run animus against it)."""
    if request.param == "anthropic":
        with RawMessagesServer(api_key=KEY) as messages:
            yield "anthropic", messages, Backend("anthropic:claude-fake-1", messages.url, "ANTHROPIC_API_KEY", KEY)
    else:
        with RawChatServer(api_key=KEY) as chat:
            yield "openai", chat, Backend("openai:gpt-fake-1", chat.url, "OPENAI_API_KEY", KEY)


def good(kind: str, name: str = "press_buttons", args: dict[str, Any] | None = None) -> ToolUse | ToolCall:
    args = {"buttons": ["a"]} if args is None else args
    return ToolUse(name=name, input=args) if kind == "anthropic" else ToolCall(name=name, arguments=args)


GARBLED = [
    Raw(b'{"id": "msg_cut", "content": [{"type": "te'),  # cut short
    Raw(b'{"id": "msg_\xff\xfe", "content": []}'),  # not UTF-8
    Raw.json([1, 2, 3]),  # JSON, but not an object
    Raw(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),  # a proxy's page
]


def test_an_unreadable_reply_is_retried_and_the_run_goes_on(side: tuple[str, Server, Backend], tmp_path: Path) -> None:
    kind, server, api = side
    server.add(good(kind), *GARBLED, good(kind))
    out = api.run(tmp_path, "garbled", "--steps", "3")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    retries = [line for line in out.stderr.splitlines() if "; retry " in line]
    assert len(retries) == len(GARBLED) and all("malformed reply" in line for line in retries), out.stderr
    assert committed_steps(tmp_path / "garbled" / "run.db") == 3 and server.violations == []


def test_a_reply_that_stays_unreadable_stops_the_run_with_status_error_and_resume_continues(
    side: tuple[str, Server, Backend], tmp_path: Path
) -> None:
    kind, server, api = side
    server.add(good(kind), *[Raw(b"{not json")] * 400)
    out = api.run(tmp_path, "broken", "--steps", "3", "--set", "model.retry_minutes=0.005")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "error —" in out.stdout and "kept failing" in out.stdout and "malformed reply" in out.stdout
    db = tmp_path / "broken" / "run.db"
    assert meta(db)["status"] == "error" and committed_steps(db) == 1
    server.queue.clear()  # the service is back
    again = api.animus("resume", str(db.parent))
    assert again.returncode == 0, again.stderr
    assert committed_steps(db) == 3 and meta(db)["status"] == "done"


def anthropic_message(content: Any, **fields: Any) -> Raw:
    base = {"id": "msg_odd", "type": "message", "role": "assistant", "model": "claude-fake-1",
            "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5}}  # fmt: skip
    return Raw.json({**base, "content": content, **fields})


def chat_completion(message: Any, **fields: Any) -> Raw:
    base = {"id": "chatcmpl-odd", "object": "chat.completion", "model": "gpt-fake-1",
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}}  # fmt: skip
    return Raw.json({**base, "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}], **fields})


PRESS = {"buttons": ["a"]}
USE = {"type": "tool_use", "name": "press_buttons", "input": PRESS}  # an Anthropic tool call, less what a case drops


def chat_call(**parts: Any) -> Raw:
    """A chat completion whose one tool call has `parts` (id, type, function) as given."""
    return chat_completion({"role": "assistant", "content": None, "tool_calls": [parts]})


# backend -> [(the reply, (actions, bad calls) of its step)]
ODD: dict[str, list[tuple[Raw, tuple[int, int]]]] = {
    "anthropic": [
        (Raw.json({}), (0, 0)),  # nothing at all: a reply without a tool call
        (anthropic_message([USE]), (1, 0)),  # no id: one is made up
        (anthropic_message([{**USE, "id": "toolu_3", "name": None}]), (0, 1)),  # no name
        (anthropic_message([{**USE, "id": "toolu_4", "input": [60]}]), (0, 1)),  # input not an object
        (anthropic_message([{"type": "hologram", "beam": 1}, {**USE, "id": "toolu_5"}]), (1, 0)),  # unknown block
        (anthropic_message([{"type": "text", "text": 42}], usage={"input_tokens": "many"}), (0, 0)),
    ],
    "openai": [
        (Raw.json({}), (0, 0)),
        (chat_completion(None, choices="none today"), (0, 0)),
        (chat_completion({"role": "assistant", "content": None, "tool_calls": ["press a"]}), (0, 1)),
        (chat_call(id="c4", type="function"), (0, 1)),  # no function
        (chat_call(id="c5", type="function", function={"name": "press_buttons", "arguments": PRESS}), (1, 0)),
        (chat_completion({"role": "assistant", "content": 42}, usage={"prompt_tokens": "many"}), (0, 0)),
    ],
}


def test_a_reply_with_missing_or_strange_fields_is_read_as_far_as_it_goes(
    side: tuple[str, Server, Backend], tmp_path: Path
) -> None:
    kind, server, api = side
    server.add(*[raw for raw, _ in ODD[kind]], good(kind))
    out = api.run(tmp_path, "odd", "--steps", str(len(ODD[kind]) + 1))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert server.violations == [], "what went back in the history was a valid request"
    db = tmp_path / "odd" / "run.db"
    outcomes = query(db, "SELECT step_actions, bad_calls FROM steps ORDER BY step")
    assert outcomes == [expected for _, expected in ODD[kind]] + [(1, 0)]
    assert query(db, "SELECT input_tokens FROM model_calls ORDER BY id DESC LIMIT 1 OFFSET 1") == [(0,)]


WRONG = [  # (tool, arguments, what the error result says)
    ("press_buttons", {"buttons": 3}, "buttons must be a non-empty list"),
    ("wait", {"frames": "60"}, "frames must be a whole number"),
    (None, None, ""),  # a good call between: the streak of bad calls starts again
    ("note", {"key": 7, "text": "the wells"}, "key must be a string"),
    (None, None, ""),
    ("teleport", {"to": "the shrine"}, "unknown tool 'teleport'"),
    ("press_buttons", {"buttons": ["a", 5]}, "unknown button 5"),
    ("press_buttons", {"buttons": ["a"], "hold_frames": 2.5}, "hold_frames must be a whole number"),
]


def last_result(kind: str, body: dict[str, Any]) -> tuple[bool, str]:
    """(is it an error, its text) of the newest tool result in a request body."""
    if kind == "anthropic":
        block = next(b for b in body["messages"][-1]["content"] if b["type"] == "tool_result")
        return bool(block["is_error"]), str(block["content"])
    message = [m for m in body["messages"] if m["role"] == "tool"][-1]
    return str(message["content"]).startswith("error:"), str(message["content"])


def test_tool_calls_with_wrong_types_are_error_results_the_model_reads_until_too_many_fail_the_run(
    side: tuple[str, Server, Backend], tmp_path: Path
) -> None:
    kind, server, api = side
    server.add(*[good(kind) if name is None else good(kind, name, args) for name, args, _ in WRONG])
    out = api.run(tmp_path, "wrong", "--steps", "20", "--set", "agent.max_bad_calls=3")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "failed — 3 bad tool calls in a row (agent.max_bad_calls)" in out.stdout
    assert server.violations == []
    db = tmp_path / "wrong" / "run.db"
    assert meta(db)["status"] == "failed" and committed_steps(db) == len(WRONG)
    stored = [json.loads(r)[0] for (r,) in query(db, "SELECT tool_results FROM steps ORDER BY step")]
    for step, (name, _, words) in enumerate(WRONG, start=1):
        assert stored[step - 1]["is_error"] is (name is not None), (step, stored[step - 1])
        assert words in stored[step - 1]["content"], (step, stored[step - 1])
        if step < len(WRONG):  # the model reads it in the next request
            is_error, text = last_result(kind, server.requests[step])
            assert is_error is (name is not None) and words in text, (step, text)


def test_an_openai_outage_longer_than_the_retry_window_stops_the_run_and_resume_continues(tmp_path: Path) -> None:
    with RawChatServer(api_key=KEY) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        server.add(ToolCall(), *[ChatFault.overloaded()] * 400)
        out = api.run(tmp_path, "down", "--steps", "3", "--set", "model.retry_minutes=0.005")
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert "kept failing" in out.stdout and "model.retry_minutes" in out.stdout and "HTTP 503" in out.stdout
        db = tmp_path / "down" / "run.db"
        assert meta(db)["status"] == "error" and committed_steps(db) == 1
        server.queue.clear()
        again = api.animus("resume", str(db.parent))
        assert again.returncode == 0, again.stderr
        assert committed_steps(db) == 3
