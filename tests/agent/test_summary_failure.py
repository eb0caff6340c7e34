"""A summary that would wipe memory is refused: asked again once, then the old summary is kept with a digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.remote import Backend, count, meta, query
from tests.fakes.chat_server import FakeChatServer, Length, Text, ToolCall
from tests.helpers import committed_steps

pytest.importorskip("openai")

KEY = "sk-summary-test"


def _last_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)


@pytest.mark.parametrize("bad", [ToolCall(), Text(""), Length("Current objective: fi")], ids=["tool", "empty", "cut"])
def test_a_failed_summary_keeps_memory_and_records_why(tmp_path: Path, bad: object) -> None:
    def answer(body: dict[str, Any]) -> Any:
        text = _last_text(body)
        return bad if ("are leaving its context" in text or "not a usable summary" in text) else ToolCall()

    with FakeChatServer(api_key=KEY, default=answer) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        out = api.run(tmp_path, "wipe", "--steps", "30", "--set", "memory.context_tokens=2500",
                      "--set", "memory.keep_turns=1", "--set", "model.images=false")  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert server.violations == []
        retries = [b for b in server.requests if "not a usable summary" in _last_text(b)]
    db = tmp_path / "wipe" / "run.db"
    assert meta(db)["status"] == "done" and committed_steps(db) == 30
    failed = count(db, "SELECT COUNT(*) FROM memory_events WHERE kind = 'summary_failed'")
    assert failed >= 1 and len(retries) == failed, "each failed summary was asked for once more"
    summaries = [c for (c,) in query(db, "SELECT content FROM memory_events WHERE kind = 'summary' ORDER BY id")]
    assert summaries and all(s.strip() for s in summaries), "no summary is ever empty"
    assert "Digest of turns" in summaries[-1] and "press_buttons(buttons=" in summaries[-1]
    assert "the old summary is kept" in out.stderr


def test_a_good_retry_is_used(tmp_path: Path) -> None:
    def answer(body: dict[str, Any]) -> Any:
        text = _last_text(body)
        if "are leaving its context" in text:
            return Text("")
        return Text("Current objective: the well.") if "not a usable summary" in text else ToolCall()

    with FakeChatServer(api_key=KEY, default=answer) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        out = api.run(tmp_path, "retry", "--steps", "30", "--set", "memory.context_tokens=2500",
                      "--set", "memory.keep_turns=1", "--set", "model.images=false")  # fmt: skip
        assert out.returncode == 0, out.stderr
    db = tmp_path / "retry" / "run.db"
    summaries = [c for (c,) in query(db, "SELECT content FROM memory_events WHERE kind = 'summary'")]
    assert summaries and set(summaries) == {"Current objective: the well."}
    assert count(db, "SELECT COUNT(*) FROM memory_events WHERE kind = 'summary_failed'") == 0
