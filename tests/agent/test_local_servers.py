"""Local OpenAI-compatible servers (vLLM, llama-server, Ollama), each faked as it really answers (`chat_flavors`):
the right cure for a context error, a window read at start, prompts cut without an error, and permanent errors that
stop at once with their fix instead of hours of retries."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.agent.remote import Backend, meta, query
from tests.fakes.chat_flavors import Flavor
from tests.fakes.chat_server import FakeChatServer, Fault, ToolCall
from tests.helpers import committed_steps

pytest.importorskip("openai")

KEY = "sk-local-test"
MODEL = "gpt-fake-1"


def backend(server: FakeChatServer) -> Backend:
    return Backend(f"openai:{MODEL}", server.url, "OPENAI_API_KEY", KEY)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning:" in line]


def reply_limits(server: FakeChatServer) -> list[int]:
    return [b["max_tokens"] for b in server.requests if isinstance(b, dict)]


# -- point 3: the reply limit or the prompt --------------------------------------------------------------------------


@pytest.mark.parametrize("wording", ["v0.6", "2026"])
def test_vllm_refusing_max_tokens_lowers_it_for_the_session(tmp_path: Path, wording: str) -> None:
    flavor = Flavor("vllm", window=8000, lists_models=False, vllm_wording=wording)
    with FakeChatServer(api_key=KEY, flavor=flavor) as server:
        out = backend(server).run(tmp_path, "v", "--steps", "12", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        assert server.violations == []
        limits, answered = reply_limits(server), len(server.responses)
    db = tmp_path / "v" / "run.db"
    assert meta(db)["status"] == "done" and committed_steps(db) == 12
    # The first request asked for 16,000 and was refused; every later one asks for what fits beside the context.
    assert limits[0] == 16000 and set(limits[1:]) == {2000} and answered == len(limits) - 1
    [line] = warnings(out.stderr)
    assert "model.max_tokens (16000) does not fit the model's context of 8000 tokens" in line
    assert "replies are limited to 2000 tokens" in line and "memory.context_tokens" not in line


def test_llama_server_refusing_the_prompt_shrinks_the_context_instead(tmp_path: Path) -> None:
    flavor = Flavor("llama-server", window=3000, lists_models=False)
    with FakeChatServer(api_key=KEY, flavor=flavor) as server:
        out = backend(server).run(tmp_path, "l", "--steps", "30", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        assert server.violations == []
        limits = reply_limits(server)
    db = tmp_path / "l" / "run.db"
    assert meta(db)["status"] == "done" and committed_steps(db) == 30
    assert set(limits) == {16000}, "llama-server checks the prompt alone: the reply limit is left as it is"
    shrunk = [line for line in warnings(out.stderr) if "the context budget is now" in line]
    assert shrunk and "exceeds the available context size (3000 tokens)" in shrunk[0]
    assert query(db, "SELECT COUNT(*) FROM memory_events WHERE kind = 'summary'")[0][0] >= 1


@pytest.mark.parametrize("flavor", ["vllm", "llama-server"])
def test_a_window_the_server_lists_is_fitted_before_the_first_request(tmp_path: Path, flavor: str) -> None:
    with FakeChatServer(api_key=KEY, flavor=Flavor(flavor, window=8192)) as server:
        out = backend(server).run(tmp_path, "w", "--steps", "5", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        resumed = backend(server).animus("resume", str(tmp_path / "w"), "--steps", "7")
        assert resumed.returncode == 0, resumed.stderr
        limits, answered = reply_limits(server), len(server.responses)
    assert set(limits) == {2048} and answered == len(limits) == 7, "fitted at start: nothing was refused"
    for stderr in (out.stderr, resumed.stderr):  # each session asks again: the server may have been restarted
        notice = [line for line in stderr.splitlines() if "the server reports a context of 8192 tokens" in line]
        assert len(notice) == 1 and "model.max_tokens is 16000" in notice[0] and "context budget to 5529" in notice[0]
    stored = json.loads(query(tmp_path / "w" / "run.db", "SELECT value FROM meta WHERE key = 'config'")[0][0])
    assert stored["model"]["max_tokens"] == 16000, "a session's fit is not the run's config"


def test_a_server_without_a_window_changes_nothing(tmp_path: Path) -> None:
    with FakeChatServer(api_key=KEY, flavor="ollama") as server:
        out = backend(server).run(tmp_path, "o", "--steps", "3", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        assert set(reply_limits(server)) == {16000} and "context" not in out.stderr


# -- point 5: Ollama's silent cut -----------------------------------------------------------------------------------


def test_prompts_cut_by_ollama_warn_once_and_do_not_teach_the_estimator(tmp_path: Path) -> None:
    with FakeChatServer(api_key=KEY, flavor=Flavor("ollama", window=2048)) as server:
        out = backend(server).run(tmp_path, "c", "--steps", "60", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        assert server.truncated > 3
    [line] = [w for w in warnings(out.stderr) if "seems to cut prompts" in w]
    assert "at a context of 2048 tokens" in line and "num_ctx" in line and "OLLAMA_CONTEXT_LENGTH" in line
    calls = query(tmp_path / "c" / "run.db", "SELECT context_tokens, input_tokens + cache_read_tokens FROM model_calls")
    estimated, reported = calls[-1]
    assert reported <= 2048 and estimated > 2 * reported, "the cut reports were not calibrated on"


# -- point 4: permanent errors stop at once, with the fix ----------------------------------------------------------

ROWS: list[tuple[str, dict[str, Any], tuple[str, ...], str]] = [
    # (id, flavor, extra run arguments, words of the fix in the stop's reason)
    ("llama-no-images", {"name": "llama-server", "images": False}, (), "--set model.images=false"),
    ("vllm-no-images", {"name": "vllm", "images": False}, (), "--set model.images=false"),
    ("vllm-unknown-model", {"name": "vllm", "models": ("qwen3",)}, (), f"the server has no model {MODEL}"),
    ("ollama-unknown-model", {"name": "ollama", "models": ("qwen3",)}, (), f"ollama pull {MODEL}"),
    ("openai-unknown-parameter", {"name": "openai"}, ("--set", "model.extra_body={top_k=20}"), "parameter top_k"),
    ("vllm-tools-off", {"name": "vllm", "tools": False}, (), "--enable-auto-tool-choice --tool-call-parser"),
    ("llama-tools-off", {"name": "llama-server", "tools": False}, (), "restart llama-server with --jinja"),
    ("ollama-no-tools", {"name": "ollama", "tools": False}, (), "this model cannot call tools"),
    ("llama-bad-key", {"name": "llama-server"}, ("--key", "sk-wrong"), "check the API key"),
]


@pytest.mark.parametrize(("flavor", "args", "fix"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_a_permanent_error_stops_the_run_at_once_naming_the_fix(
    tmp_path: Path, flavor: dict[str, Any], args: tuple[str, ...], fix: str
) -> None:
    key = args[1] if args[:1] == ("--key",) else KEY
    args = args[2:] if args[:1] == ("--key",) else args
    with FakeChatServer(api_key=KEY, flavor=Flavor(**flavor, lists_models=False)) as server:
        api = Backend(f"openai:{MODEL}", server.url, "OPENAI_API_KEY", key)
        started = time.monotonic()
        out = api.run(tmp_path, "p", "--steps", "5", *args)  # the default retry window: 6 hours
        elapsed = time.monotonic() - started
        posts = len(server.requests)
    m = meta(tmp_path / "p" / "run.db")
    assert out.returncode == 1 and m["status"] == "error", out.stderr
    assert posts == 1 and elapsed < 30, "refused once, never retried"
    assert fix in m["reason"] and fix in out.stdout, m["reason"]
    assert "\n" not in m["reason"]


def test_an_unknown_5xx_is_still_retried(tmp_path: Path) -> None:
    with FakeChatServer([Fault(500, "server_error", "CUDA error: an illegal memory access"), ToolCall()],
                        api_key=KEY, flavor=Flavor("vllm", lists_models=False)) as server:  # fmt: skip
        out = backend(server).run(tmp_path, "r", "--steps", "2", "--set", "model.images=false")
        assert out.returncode == 0, out.stderr
        assert len(server.requests) == 3
    assert meta(tmp_path / "r" / "run.db")["status"] == "done"
    assert "retry 1" in out.stderr


# -- point 6: server-specific fields -------------------------------------------------------------------------------


def test_extra_body_and_headers_reach_the_server_and_no_secret_is_stored(tmp_path: Path) -> None:
    secret = "gw-SENTINEL-77a1"
    with FakeChatServer(api_key=KEY, flavor=Flavor("vllm", lists_models=False)) as server:
        api = backend(server)
        env = {**api.env(), "GATEWAY_TOKEN": secret}
        headers = 'model.extra_headers={X-Gateway-Token="env:GATEWAY_TOKEN", X-Team="games"}'
        body = "model.extra_body={chat_template_kwargs={enable_thinking=false}, top_k=20}"
        cmd = api.command(tmp_path, "x", "--steps", "2", "--set", "model.images=false", "--set", headers, "--set", body)
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        bodies, headers = server.requests, server.headers
    assert all(b["chat_template_kwargs"] == {"enable_thinking": False} and b["top_k"] == 20 for b in bodies)
    assert all(h["x-gateway-token"] == secret and h["x-team"] == "games" for h in headers)
    stored = json.loads(query(tmp_path / "x" / "run.db", "SELECT value FROM meta WHERE key = 'config'")[0][0])
    assert stored["model"]["extra_headers"]["X-Gateway-Token"] == "env:GATEWAY_TOKEN"
    for path in (tmp_path / "x").rglob("*"):
        assert not path.is_file() or secret.encode() not in path.read_bytes(), path
    assert secret not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ('model.extra_headers={Authorization="Bearer sk-1"}', 'looks like a credential: write it as "env:VARIABLE"'),
        ('model.extra_headers={X-Api-Key="env:NOT_SET_ANYWHERE"}', "$NOT_SET_ANYWHERE, which is not set"),
        ("model.extra_body={when=1979-05-27T07:32:00Z}", "model.extra_body.when: input was not a valid JSON value"),
        ("model.extra_body={max_tokens=100}", "model.extra_body may not set max_tokens"),
    ],
)
def test_bad_extra_fields_are_one_line_and_exit_2(tmp_path: Path, setting: str, words: str) -> None:
    with FakeChatServer(api_key=KEY) as server:
        out = backend(server).run(tmp_path, "b", "--steps", "2", "--set", setting)
        assert server.requests == []
    assert out.returncode == 2 and out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert words in out.stderr and "sk-1" not in out.stderr
    assert not (tmp_path / "b").exists()


def test_extra_fields_reach_the_messages_api_too(tmp_path: Path) -> None:
    from tests.fakes.messages_server import FakeMessagesServer

    with FakeMessagesServer(api_key="sk-ant-local") as server:
        api = Backend("anthropic:claude-fake-1", server.url, "ANTHROPIC_API_KEY", "sk-ant-local")
        out = api.run(tmp_path, "a", "--steps", "2", "--set", "model.extra_body={top_k=5}",
                      "--set", 'model.extra_headers={X-Team="games"}')  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert server.violations == []
        assert all(b["top_k"] == 5 for b in server.requests) and all(h["x-team"] == "games" for h in server.headers)
