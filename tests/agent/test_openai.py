"""`openai:MODEL` end to end: the real CLI and the real SDK against the strict fake chat-completions API."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.remote import Backend, assert_no_key, count, meta, priced, query
from tests.conftest import CLASSIC_ROM
from tests.fakes.chat_server import ContentFilter, DropConnection, FakeChatServer, Fault, Length, Text, ToolCall
from tests.helpers import committed_steps, wait_for

pytest.importorskip("openai")

KEY = "sk-proj-SENTINEL-41c2e8"
MODEL = "gpt-fake-1"


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def api(server: FakeChatServer) -> Backend:
    return Backend(f"openai:{MODEL}", server.url, "OPENAI_API_KEY", KEY)


def last_user_text(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    content = messages[-1]["content"]
    return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)


def test_a_long_run_completes_with_usage_cost_and_cached_prefix(
    server: FakeChatServer, api: Backend, tmp_path: Path
) -> None:
    out = api.run(tmp_path, "long", "--steps", "200", "--set", "memory.context_tokens=6000",
                  "--set", "thinking.effort=low")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert server.violations == []
    db = tmp_path / "long" / "run.db"
    assert meta(db)["status"] == "done" and committed_steps(db) == 200
    calls = query(db, "SELECT purpose, input_tokens, output_tokens, cache_read_tokens, cost FROM model_calls")
    assert [c[0] for c in calls].count("act") == 200 and len(calls) == len(server.requests)
    for _, inp, out_, read, cost in calls:
        assert inp + read > 0 and out_ > 0 and cost == pytest.approx(priced(inp, out_, 0, read))
    assert sum(c[3] for c in calls) > 0, "the server's prefix cache was hit"
    body = server.requests[-1]
    assert body["reasoning_effort"] == "low" and body["max_tokens"] == 16000
    assert [t["function"]["name"] for t in body["tools"]] == ["press_buttons", "wait", "navigate_to", "note", "forget"]
    act = [b for b in server.requests if "are leaving its context" not in last_user_text(b)][-1]
    parts = act["messages"][-1]["content"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert_no_key(KEY, tmp_path / "long", out.stdout, out.stderr)


def test_a_run_killed_mid_tool_call_resumes_it(server: FakeChatServer, api: Backend, tmp_path: Path) -> None:
    server.add(*[ToolCall()] * 4, ToolCall(name="wait", arguments={"frames": 36000}))
    args = ("--steps", "7", "--set", "tools.max_tick_frames=36000")
    proc = subprocess.Popen(api.command(tmp_path, "cut", *args), env=api.env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    db = tmp_path / "cut" / "run.db"
    wait_for(lambda: db.exists() and count(db, "SELECT COUNT(*) FROM model_calls WHERE step = 5") == 1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert committed_steps(db) == 4
    before = len(server.requests)
    out = api.animus("resume", str(tmp_path / "cut"))
    assert out.returncode == 0, out.stderr
    assert server.violations == []
    wait_id = server.responses[4]["choices"][0]["message"]["tool_calls"][0]["id"]
    tool_message = server.requests[before]["messages"][-2]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == wait_id
    per_step = dict(query(db, "SELECT step, COUNT(*) FROM model_calls GROUP BY step"))
    assert per_step == {n: 1 for n in range(1, 8)}


def test_outages_are_waited_out(server: FakeChatServer, api: Backend, tmp_path: Path) -> None:
    server.add(Fault.rate_limited(retry_after=1), Fault.server_error(), Fault.overloaded(), DropConnection())
    out = api.run(tmp_path, "flaky", "--steps", "2")
    assert out.returncode == 0, out.stderr
    retries = [line for line in out.stderr.splitlines() if "; retry " in line]
    assert len(retries) == 4 and "retry 1 in 1.0 s" in retries[0], out.stderr
    assert committed_steps(tmp_path / "flaky" / "run.db") == 2


@pytest.mark.parametrize(
    ("fault", "words"), [(Fault.quota(), "spend limit or quota"), (Fault.bad_request("bad tools"), "HTTP 400")]
)
def test_a_refused_request_stops_the_run_and_resume_continues(
    server: FakeChatServer, api: Backend, tmp_path: Path, fault: Fault, words: str
) -> None:
    server.add(ToolCall(), fault)
    out = api.run(tmp_path, "refused", "--steps", "3")
    assert out.returncode == 1 and words in out.stdout and "; retry " not in out.stderr
    db = tmp_path / "refused" / "run.db"
    assert meta(db)["status"] == "error" and committed_steps(db) == 1
    assert api.animus("resume", str(tmp_path / "refused")).returncode == 0
    assert committed_steps(db) == 3


def test_context_length_exceeded_is_summarized_away(api: Backend, tmp_path: Path) -> None:
    with FakeChatServer(api_key=KEY, context_window=1500) as small:
        backend = Backend(api.model, small.url, api.key_var, KEY)
        out = backend.run(tmp_path, "small", "--steps", "12", "--set", "memory.keep_turns=1")
        assert out.returncode == 0, out.stderr
    db = tmp_path / "small" / "run.db"
    assert count(db, "SELECT COUNT(*) FROM memory_events WHERE kind = 'summary'") >= 1
    assert committed_steps(db) == 12


def test_finish_reasons_and_malformed_arguments(server: FakeChatServer, api: Backend, tmp_path: Path) -> None:
    server.add(Text("Looking."), Length(), ContentFilter(), ToolCall(arguments="{not json"), ToolCall())
    out = api.run(tmp_path, "odd", "--steps", "5")
    assert out.returncode == 0, out.stderr
    assert server.violations == [], "a malformed call is sent back as it came, with its error result"
    bodies = server.requests
    assert "called no tool" in last_user_text(bodies[1])
    assert "cut off at the token limit" in last_user_text(bodies[2])
    assert "safety refusal" in last_user_text(bodies[3])
    db = tmp_path / "odd" / "run.db"
    replies = [json.loads(r) for (r,) in query(db, "SELECT reply FROM model_calls ORDER BY id")]
    assert [r["stop_reason"] for r in replies] == ["end_turn", "max_tokens", "refusal", "tool_use", "tool_use"]
    (results,) = [json.loads(r) for (r,) in query(db, "SELECT tool_results FROM steps WHERE step = 4")]
    assert results[0]["is_error"] is True and "not a JSON object" in results[0]["content"]


def test_a_local_server_needs_no_key(server: FakeChatServer, tmp_path: Path) -> None:
    with FakeChatServer() as open_server:
        local = Backend(f"openai:{MODEL}", open_server.url, "OPENAI_API_KEY", KEY)
        out = local.animus(*local.command(tmp_path, "local", "--steps", "2")[3:], with_key=False)
        assert out.returncode == 0, out.stderr
        assert open_server.violations == []


def test_openai_itself_needs_a_key(api: Backend, tmp_path: Path) -> None:
    out = api.animus("run", *CLASSIC_ROM, "--model", api.model, "--runs-dir", str(tmp_path), with_key=False)
    assert out.returncode == 2 and out.stderr.startswith("error: openai: OPENAI_API_KEY is not set")
