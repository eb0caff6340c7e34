"""A night with a local model, compressed: the fake chat-completions server answers one run after another with what
wastes a night unattended (replies without tool calls, a context error, Ollama's silent cut, a permanent 5xx). Each
run ends within a minute, with the status and the one line that say what happened, on the default retry settings
(six hours of retries for an outage), and keeps every step it played."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.agent.remote import meta
from tests.conftest import CLASSIC_ROM, animus_env
from tests.fakes.chat_flavors import Flavor
from tests.fakes.chat_server import FakeChatServer, Text
from tests.helpers import committed_steps

pytest.importorskip("openai")

KEY = "sk-soak"


def _text_only(body: dict[str, Any]) -> Any:
    return Text('I will call press_buttons(["up"]) now.')


def night() -> list[tuple[str, dict[str, Any], int, str, str]]:
    """(name, the server's settings, steps, the status, words of the line that says what happened), in turn."""
    return [
        ("text-only", {"default": _text_only}, 100, "stuck", "answered 15 times without calling a tool"),
        ("context", {"flavor": Flavor("vllm", window=8000, lists_models=False)}, 40, "done",
         "model.max_tokens (16000) does not fit"),
        ("ollama-cut", {"flavor": Flavor("ollama", window=2048)}, 60, "done", "seems to cut prompts"),
        ("permanent-5xx", {"flavor": Flavor("llama-server", images=False, lists_models=False)}, 100, "error",
         "--set model.images=false"),
    ]  # fmt: skip


def test_a_night_of_local_model_failures_ends_each_run_within_a_minute(tmp_path: Path) -> None:
    for name, server_args, steps, status, words in night():
        with FakeChatServer(api_key=KEY, **server_args) as server:
            cmd = [sys.executable, "-m", "animus", "run", *CLASSIC_ROM, "--model", "openai:qwen3",
                   "--base-url", server.url, "--runs-dir", str(tmp_path), "--name", name,
                   "--steps", str(steps)]  # fmt: skip
            started = time.monotonic()
            out = subprocess.run(cmd, capture_output=True, text=True, env={**animus_env(), "OPENAI_API_KEY": KEY},
                                 timeout=120)  # fmt: skip
            elapsed = time.monotonic() - started
            assert server.violations == [], name
            answered = len(server.responses)
        db = tmp_path / name / "run.db"
        m = meta(db)
        assert elapsed < 60, f"{name}: {elapsed:.0f} s"
        assert m["status"] == status, (name, m["status"], m["reason"], out.stderr[-2000:])
        assert words in out.stdout + out.stderr, (name, out.stdout, out.stderr)
        # Every reply the server gave was recorded and acted on: nothing played was lost.
        assert committed_steps(db) == (steps if status == "done" else answered if status == "error" else 15), name
