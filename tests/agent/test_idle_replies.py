"""A model that answers without acting is caught: replies without a game action raise the watchdog's stages and
stop the run as `stuck`, and a tool call written as text is answered with how to call tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from animus.agent.watchdog import Watchdog
from animus.config import WatchdogConfig
from tests.agent.remote import Backend, meta, query
from tests.fakes.chat_server import FakeChatServer, Text, ToolCall
from tests.helpers import committed_steps

pytest.importorskip("openai")

KEY = "sk-idle-test"
# What a local model behind a server with no tool-call parser answers: its chat template's call markup, as text.
WRITTEN = '<tool_call>\n{"name": "press_buttons", "arguments": {"buttons": ["up"]}}\n</tool_call>'
REASON = "the model answered 15 times without calling a tool; does this server support tool calling?"


def _last_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)


def _text_only(body: dict[str, Any]) -> Any:
    return Text("(a summary)") if "call no tool" in _last_text(body) else Text(WRITTEN)


def test_calls_written_as_text_stop_the_run_as_stuck_and_are_answered(tmp_path: Path) -> None:
    with FakeChatServer(api_key=KEY, default=_text_only) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        out = api.run(tmp_path, "idle", "--steps", "100", "--set", "model.images=false")
        assert server.violations == []
        acts = [b for b in server.requests if "call no tool" not in _last_text(b)]
    db = tmp_path / "idle" / "run.db"
    m = meta(db)
    assert m["status"] == "stuck" and m["reason"].startswith(REASON), m
    assert "see README: Local models" in m["reason"] and REASON in out.stdout + out.stderr
    assert committed_steps(db) == 15 and m["stuck_at_step"] == 15, "3 stages of watchdog.idle_replies (5)"
    stages = query(db, "SELECT step, kind, key FROM memory_events WHERE source = 'watchdog' ORDER BY id")
    assert [(s, k) for s, k, key in stages if key == "idle"] == [(5, "stuck_warn"), (10, "stuck_reflect"),
                                                               (15, "stuck_stuck")]  # fmt: skip
    # Each written call was answered, in the step's stored results and in the next request the model read.
    results = [json.loads(r) for (r,) in query(db, "SELECT tool_results FROM steps ORDER BY step")]
    assert all(len(r) == 1 and r[0]["content"].startswith("not run: your reply wrote a tool call as text")
               for r in results)  # fmt: skip
    assert "<tool_call>" in results[0][0]["content"] and not results[0][0]["is_error"]
    assert "make the call through tool calling" in _last_text(acts[1])
    assert "Watchdog: your last 5 replies took no game action" in _last_text(acts[5])
    assert query(db, "SELECT SUM(step_actions) FROM steps") == [(0,)]


def test_the_idle_count_survives_a_resume_and_an_action_resets_it(tmp_path: Path) -> None:
    with FakeChatServer(api_key=KEY, default=lambda b: Text("I am thinking.")) as server:
        api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
        first = api.run(tmp_path, "r", "--steps", "7", "--set", "model.images=false")
        assert first.returncode == 0, first.stderr
        db = tmp_path / "r" / "run.db"
        assert meta(db)["status"] == "done"  # its step budget, in the middle of the idle streak
        resumed = api.animus("resume", str(tmp_path / "r"), "--steps", "100")
        assert resumed.returncode == 0, resumed.stderr
        # The streak goes on across the resume: stuck at step 15, not 7 + 15.
        m = meta(db)
        assert (
            m["status"] == "stuck"
            and m["reason"].startswith("the model answered 15 times")
            and m["stuck_at_step"] == 15
        )
        server.add(ToolCall(), *[Text("I am thinking.")] * 20)  # steps 16..: one action, then idle again
        again = api.animus("resume", str(tmp_path / "r"), "--steps", "100")
        assert again.returncode == 0 and server.violations == [], again.stderr
    stages = query(db, "SELECT step, kind FROM memory_events WHERE key = 'idle' AND source = 'watchdog' ORDER BY id")
    assert stages == [(5, "stuck_warn"), (10, "stuck_reflect"), (15, "stuck_stuck"),
                      (21, "stuck_warn"), (26, "stuck_reflect"), (31, "stuck_stuck")]  # fmt: skip
    assert meta(db)["stuck_at_step"] == 31 and committed_steps(db) == 31


def test_idle_replies_escalate_per_reply_and_clear_on_an_action() -> None:
    dog = Watchdog(WatchdogConfig(idle_replies=2))
    raised = [dog.update(0, (1, 1), False) for _ in range(7)]
    assert [(a.stage, a.kind) if a else None for a in raised] == [
        None, (1, "idle"), None, (2, "idle"), None, (3, "idle"), None,
    ]  # fmt: skip
    assert raised[5] is not None and "without calling a tool; does this server support" in raised[5].message
    assert dog.update(1, (1, 2), False) is None and dog.stage == 0, "an action clears the idle alarm"
    assert dog.update(1, (1, 2), False) is None and dog.update(1, (1, 2), False) is not None


def test_the_idle_alarm_has_its_own_stages_beside_an_action_alarm() -> None:
    cfg = WatchdogConfig(same_position_actions=4, escalate_actions=2, idle_replies=2)
    dog = Watchdog(cfg)
    alarms = [dog.update(n, (1, 1), False) for n in range(1, 12)]  # standing still: the action alarm's 3 stages
    assert [a.stage for a in alarms if a] == [1, 2, 3] and dog.stage == 3
    idle = [dog.update(11, (1, 1), False, tool_calls=1) for _ in range(6)]  # notes only: no game action
    assert [(a.stage, a.kind) for a in idle if a] == [(1, "idle"), (2, "idle"), (3, "idle")], "not hidden by it"
    assert idle[-1] is not None and "without a game action" in idle[-1].message, "it did call tools: notes"
    second = Watchdog(cfg)
    [second.update(n, (1, 1), False) for n in range(1, 8)]
    assert second.stage == 2
    early = [second.update(7, (1, 1), False) for _ in range(2)]
    assert early[-1] is not None and early[-1].stage == 1, "an action alarm at stage 2 does not raise it early"
