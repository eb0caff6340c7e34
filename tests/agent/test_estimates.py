"""Token estimates price a request as it is sent: the image at the size sent, and the thinking of earlier turns
only where the backend sends it back (chat completions does not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from animus.config import load_config
from animus.memory.tokens import HeuristicEstimator
from tests.agent.remote import Backend, query
from tests.fakes.chat_server import FakeChatServer, ToolCall

pytest.importorskip("openai")

KEY = "sk-estimate-test"


def test_estimates_follow_what_the_server_counts(tmp_path: Path) -> None:
    # A big image (640x576: 492 tokens at the fake's w*h/750) and 1,000 tokens of reasoning per reply, which the
    # chat completions wire never sends back: an estimate of a 160x144 image with the reasoning counted would be
    # about half the reported input at step 1 and far above it from step 2 on.
    with FakeChatServer(api_key=KEY, default=lambda body: ToolCall(reasoning="x" * 3500)) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        out = api.run(tmp_path, "r", "--steps", "6", "--set", "model.image_scale=4")
        assert out.returncode == 0, out.stderr
        assert server.violations == []
    calls = query(tmp_path / "r" / "run.db", "SELECT context_tokens, input_tokens + cache_read_tokens FROM model_calls")
    assert len(calls) == 6
    ratios = [estimated / reported for estimated, reported in calls]
    assert all(0.85 < r < 1.15 for r in ratios), ratios


def test_the_estimator_of_a_run_follows_its_config() -> None:
    big = HeuristicEstimator.for_config(load_config(sets=["model=openai:x", "model.image_scale=3"]))
    assert (big.image_pixels, big.resends_thinking) == (480 * 432, False)
    claude = HeuristicEstimator.for_config(load_config(sets=["model=anthropic:x", "model.image_scale=0.5"]))
    assert (claude.image_pixels, claude.resends_thinking) == (80 * 72, True)
