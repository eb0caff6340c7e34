"""`anthropic:MODEL` end to end: the real CLI and the real SDK against the strict fake Messages API on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent.remote import Backend, assert_no_key, count, meta, priced, query
from tests.conftest import CLASSIC_ROM, animus_env
from tests.fakes.messages_server import (
    DropConnection,
    FakeMessagesServer,
    Fault,
    MaxTokens,
    PauseTurn,
    Refusal,
    Text,
    ToolUse,
)
from tests.helpers import committed_steps, wait_for

pytest.importorskip("anthropic")

KEY = "sk-ant-SENTINEL-7f3a9c"
MODEL = "claude-fake-1"


@pytest.fixture
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def api(server: FakeMessagesServer) -> Backend:
    return Backend(f"anthropic:{MODEL}", server.url, "ANTHROPIC_API_KEY", KEY)


def is_summary(body: dict[str, Any]) -> bool:
    return "are leaving its context" in user_texts(body)


def user_texts(body: dict[str, Any]) -> str:
    last = body["messages"][-1]["content"]
    return "\n".join(b.get("text", "") for b in last if b["type"] == "text")


def test_a_long_run_completes_with_cached_usage_cost_and_verbatim_thinking(
    server: FakeMessagesServer, api: Backend, tmp_path: Path
) -> None:
    sets = ["thinking.budget_tokens=2048", "memory.context_tokens=3000", "model.image_scale=2"]
    out = api.run(tmp_path, "long", "--steps", "300", *[x for s in sets for x in ("--set", s)])
    assert out.returncode == 0, out.stderr
    assert server.violations == []
    db = tmp_path / "long" / "run.db"
    assert meta(db)["status"] == "done" and query(db, "SELECT MAX(step) FROM steps") == [(300,)]

    calls = query(db, "SELECT purpose, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost, reply"
                      " FROM model_calls")  # fmt: skip
    purposes = [c[0] for c in calls]
    assert purposes.count("act") == 300 and purposes.count("summarize") >= 3
    assert len(server.requests) == len(calls), "one HTTP request per recorded call"
    for _, inp, out_, write, read, cost, _ in calls:
        assert inp + write + read > 0 and out_ > 0
        assert cost == pytest.approx(priced(inp, out_, write, read))
    assert sum(c[4] for c in calls) > 5 * sum(c[3] for c in calls), "the cache is read far more than written"

    # Every request carries the tools, summaries too; act requests end with the newest frame as a 320x288 PNG.
    for body in server.requests:
        assert [t["name"] for t in body["tools"]] == ["press_buttons", "wait", "navigate_to", "note", "forget"]
    act = [b for b in server.requests if not is_summary(b)]
    images = [blk for blk in act[-1]["messages"][-1]["content"] if blk["type"] == "image"]
    png = base64.b64decode(images[0]["source"]["data"])
    assert png[16:24] == (320).to_bytes(4, "big") + (288).to_bytes(4, "big")
    assert all(blk["type"] != "image" for m in act[-1]["messages"][:-1] for blk in m["content"])

    # The thinking the fake sent is what the run stored, signature and all.
    sent = [blk for r in server.responses for blk in r["content"] if blk["type"] == "thinking"]
    stored = [t for c in calls for t in json.loads(c[6])["thinking"]]
    assert [(t["text"], t["signature"]) for t in stored] == [(b["thinking"], b["signature"]) for b in sent]

    assert_no_key(KEY, tmp_path / "long", out.stdout, out.stderr)


def test_a_run_killed_mid_tool_use_cycle_resumes_it(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    slow = ToolUse(name="wait", input={"frames": 36000}, redacted=True)  # opaque thinking must come back as is
    server.add(*[ToolUse(thinking=f"Step {n}.") for n in range(1, 5)], slow)
    args = ("--steps", "8", "--set", "thinking.budget_tokens=2048", "--set", "tools.max_tick_frames=36000")
    proc = subprocess.Popen(api.command(tmp_path, "cut", *args), env=api.env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    db = tmp_path / "cut" / "run.db"
    wait_for(lambda: db.exists() and count(db, "SELECT COUNT(*) FROM model_calls WHERE step = 5") == 1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert committed_steps(db) == 4, "the kill should land while step 5's wait runs"
    before = len(server.requests)

    out = api.animus("resume", str(tmp_path / "cut"))
    assert out.returncode == 0, out.stderr
    assert server.violations == [], "the resumed requests must close the tool-use cycle with its thinking intact"
    first = server.requests[before]
    wait_id = server.responses[4]["content"][-1]["id"]
    assert first["messages"][-2]["content"][0] == server.responses[4]["content"][0], "thinking sent back verbatim"
    assert first["messages"][-1]["content"][0]["tool_use_id"] == wait_id
    per_step = dict(query(db, "SELECT step, COUNT(*) FROM model_calls WHERE purpose = 'act' GROUP BY step"))
    assert per_step == {n: 1 for n in range(1, 9)}, "the stored reply was executed, not asked for again"


def test_outages_are_waited_out_honouring_retry_after(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    server.add(Fault.overloaded(), Fault.rate_limited(retry_after=1), Fault.server_error(), DropConnection())
    t0 = time.monotonic()
    out = api.run(tmp_path, "flaky", "--steps", "3")
    assert out.returncode == 0, out.stderr
    retries = [line for line in out.stderr.splitlines() if "; retry " in line]
    assert len(retries) == 4, out.stderr
    assert "HTTP 529" in retries[0] and "HTTP 429" in retries[1] and "HTTP 500" in retries[2]
    assert "no response" in retries[3]
    assert "retry 2 in 1.0 s" in retries[1], "the retry-after header sets the wait"
    assert time.monotonic() - t0 >= 1.0
    assert query(tmp_path / "flaky" / "run.db", "SELECT MAX(step) FROM steps") == [(3,)]


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault.bad_request("messages: injected"), "HTTP 400"),
        (Fault.spend_limit(), "spend limit"),
        (Fault(401, "authentication_error", "invalid x-api-key"), "HTTP 401"),
        (Fault(404, "not_found_error", "model: claude-nope"), "check the model name"),
    ],
)
def test_a_refused_request_stops_the_run_cleanly_and_resume_continues(
    server: FakeMessagesServer, api: Backend, tmp_path: Path, fault: Fault, words: str
) -> None:
    server.add(ToolUse(), ToolUse(), fault)
    out = api.run(tmp_path, "refused", "--steps", "5")
    assert out.returncode == 1
    assert "error —" in out.stdout and words in out.stdout and "animus resume" in out.stdout
    assert "Traceback" not in out.stderr and "; retry " not in out.stderr, "never retried"
    assert len(server.requests) == 3
    db = tmp_path / "refused" / "run.db"
    assert meta(db)["status"] == "error" and words in meta(db)["reason"]
    assert committed_steps(db) == 2

    again = api.animus("resume", str(tmp_path / "refused"))
    assert again.returncode == 0, again.stderr
    assert committed_steps(db) == 5 and meta(db)["status"] == "done"


def test_an_outage_longer_than_the_retry_window_stops_the_run(
    server: FakeMessagesServer, api: Backend, tmp_path: Path
) -> None:
    server.add(*[Fault.server_error()] * 200)
    out = api.run(tmp_path, "down", "--steps", "3", "--set", "model.retry_minutes=0.01")
    assert out.returncode == 1
    assert "kept failing" in out.stdout and "model.retry_minutes" in out.stdout
    assert meta(tmp_path / "down" / "run.db")["status"] == "error"


def test_a_context_overflow_is_summarized_away_and_asked_again(
    server: FakeMessagesServer, api: Backend, tmp_path: Path
) -> None:
    overflow = Fault(400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum")
    server.add(*[ToolUse()] * 6, overflow)
    out = api.run(tmp_path, "full", "--steps", "9", "--set", "memory.keep_turns=1")
    assert out.returncode == 0, out.stderr
    db = tmp_path / "full" / "run.db"
    assert query(db, "SELECT step FROM memory_events WHERE kind = 'summary'") == [(7,)]
    assert query(db, "SELECT purpose FROM model_calls WHERE step = 7 ORDER BY id") == [("summarize",), ("act",)]
    refused, summary, retried = server.requests[6:9]
    assert is_summary(summary) and not is_summary(retried)
    assert len(retried["messages"]) < len(refused["messages"])
    assert "context budget is now 7200 tokens" in out.stderr
    assert committed_steps(db) == 9


def test_every_stop_reason_is_handled(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    server.add(Text("I am looking around."), MaxTokens(), Refusal(), PauseTurn(), ToolUse(), ToolUse())
    out = api.run(tmp_path, "stops", "--steps", "5")
    assert out.returncode == 0, out.stderr
    assert server.violations == []
    bodies = server.requests
    assert "called no tool" in user_texts(bodies[1])
    assert "cut off at the token limit" in user_texts(bodies[2])
    assert "safety refusal" in user_texts(bodies[3])
    assert bodies[4]["messages"][-1]["role"] == "assistant", "pause_turn: the paused turn is sent back to continue"
    db = tmp_path / "stops" / "run.db"
    replies = [json.loads(r) for (r,) in query(db, "SELECT reply FROM model_calls ORDER BY id")]
    assert [r["stop_reason"] for r in replies] == ["end_turn", "max_tokens", "refusal", "tool_use", "tool_use"]
    assert "Let me keep going." in replies[3]["text"] and replies[3]["tool_calls"], "the continuation is merged"
    assert query(db, "SELECT step_actions FROM steps ORDER BY step") == [(0,), (0,), (0,), (1,), (1,)]


def test_a_model_without_a_price_records_unknown_cost_with_a_warning(
    server: FakeMessagesServer, api: Backend, tmp_path: Path
) -> None:
    out = api.run(tmp_path, "free", "--steps", "3", priced=False)
    assert out.returncode == 0, out.stderr
    assert out.stderr.count(f"no price for model {MODEL!r}") == 1
    db = tmp_path / "free" / "run.db"
    assert query(db, "SELECT COUNT(*), COUNT(cost) FROM model_calls") == [(3, 0)]
    show = api.animus("show", str(tmp_path / "free"))
    assert "3 calls of unknown cost" in show.stdout


def test_the_cost_budget_stops_the_run_gracefully(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    out = api.run(tmp_path, "capped", "--steps", "50", "--max-cost", "0.01")
    assert out.returncode == 0, out.stderr
    db = tmp_path / "capped" / "run.db"
    assert "cost budget reached" in meta(db)["reason"]
    (spent,) = query(db, "SELECT SUM(cost) FROM model_calls")[0]
    assert 0.01 <= spent < 0.02 and committed_steps(db) < 50


def test_no_key_stops_with_a_clear_reason(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    out = api.animus(*api.command(tmp_path, "nokey", "--steps", "2")[3:], with_key=False)
    assert out.returncode == 1
    assert "ANTHROPIC_API_KEY" in out.stdout and "Traceback" not in out.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("thinking.budget_tokens=512", "at least 1024"),
        ("thinking.budget_tokens=16000", "below model.max_tokens (16000)"),
        ("thinking.type=enabled", "needs thinking.budget_tokens"),
    ],
)
def test_bad_thinking_settings_are_config_errors(tmp_path: Path, setting: str, words: str) -> None:
    cmd = [sys.executable, "-m", "animus", "run", *CLASSIC_ROM, "--model", "anthropic:x", "--runs-dir", str(tmp_path),
           "--set", setting]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, env=animus_env(), timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("error: bad config") and words in out.stderr and len(out.stderr.splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_ctrl_c_during_a_retry_wait_stops_at_once(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    server.add(ToolUse(), Fault.rate_limited(retry_after=120))
    proc = subprocess.Popen(api.command(tmp_path, "wait", "--steps", "5"), env=api.env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    wait_for(lambda: len(server.requests) == 2)
    time.sleep(0.5)  # into the 120 s wait
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 20, "the wait was not cut short"
    db = tmp_path / "wait" / "run.db"
    assert meta(db)["status"] == "stopped" and "SIGINT" in meta(db)["reason"]
    assert committed_steps(db) == 1 and count(db, "SELECT COUNT(*) FROM model_calls") == 1


def test_the_grid_overlay_is_drawn_on_the_screenshot(server: FakeMessagesServer, api: Backend, tmp_path: Path) -> None:
    from PIL import Image

    out = api.run(tmp_path, "grid", "--steps", "2", "--set", "model.grid_overlay=true", "--set", "model.image_scale=3")
    assert out.returncode == 0, out.stderr
    (image,) = [b for b in server.requests[-1]["messages"][-1]["content"] if b["type"] == "image"]
    picture = Image.open(io.BytesIO(base64.b64decode(image["source"]["data"]))).convert("RGB")
    assert picture.size == (480, 432)
    assert picture.getpixel((24, 200)) == (255, 0, 0), "a grid line every 8 screen pixels"
    assert picture.getpixel((0, 0)) == (255, 0, 0) and picture.getpixel((12, 12)) != (255, 0, 0)
