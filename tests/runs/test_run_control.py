"""How runs stop: budgets, signals, bad tool calls; the lock; and bad input failing fast with exit code 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import animus
from tests.conftest import CLASSIC_ROM, animus_env, run_animus
from tests.helpers import committed_steps, start, wait_for


def script(tmp_path: Path, lines: list[dict[str, object]]) -> str:
    path = tmp_path / "script.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return f"scripted:{path}"


PRESS_A = {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["a"]}}]}


def test_sigterm_finishes_the_step_marks_stopped_and_resume_continues(tmp_path: Path) -> None:
    db = tmp_path / "t" / "run.db"
    proc = start(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "100000", "--runs-dir", str(tmp_path), "--name", "t"
    )
    wait_for(lambda: committed_steps(db) >= 30)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped — interrupted by SIGTERM" in out
    with animus.open_run(tmp_path / "t") as run:
        assert run.status == "stopped"
        stopped_at = run.totals().steps
        assert [s.step for s in run.steps()] == list(range(1, stopped_at + 1))
    resumed = run_animus("resume", "t", "--steps", str(stopped_at + 10), "--runs-dir", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    assert committed_steps(db) == stopped_at + 10


def test_a_second_signal_exits_at_once_and_the_store_stays_consistent(tmp_path: Path) -> None:
    db = tmp_path / "t" / "run.db"
    slow = script(tmp_path, [{"tool_calls": [{"name": "wait", "input": {"frames": 36000}}]}] * 50)
    proc = start("run", *CLASSIC_ROM, "--model", slow, "--set", "tools.max_tick_frames=36000",
                 "--runs-dir", str(tmp_path), "--name", "t")  # fmt: skip
    wait_for(lambda: committed_steps(db) >= 2)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)  # the first is handled (within one 600-frame chunk), the second comes mid-step
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode == 128 + signal.SIGINT
    listed = run_animus("runs", "--runs-dir", str(tmp_path))
    assert "crashed" in listed.stdout
    assert run_animus("resume", "t", "--steps", "6", "--runs-dir", str(tmp_path)).returncode == 0
    assert committed_steps(db) == 6


def test_lock_keeps_a_second_writer_out(tmp_path: Path) -> None:
    db = tmp_path / "t" / "run.db"
    proc = start(
        "run", *CLASSIC_ROM, "--model", "random", "--steps", "100000", "--runs-dir", str(tmp_path), "--name", "t"
    )
    try:
        wait_for(lambda: committed_steps(db) >= 5)
        second = run_animus("resume", "t", "--runs-dir", str(tmp_path))
        assert second.returncode == 2
        assert "being written by another process" in second.stderr
        listed = run_animus("runs", "--runs-dir", str(tmp_path))
        assert " running" in listed.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_time_budget(tmp_path: Path) -> None:
    result = run_animus(
        "run",
        *CLASSIC_ROM,
        "--model",
        "random",
        "--max-minutes",
        "0.01",
        "--steps",
        "1000000",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "m",
    )
    assert result.returncode == 0
    assert "time budget reached" in result.stdout
    with animus.open_run(tmp_path / "m") as run:
        assert 0 < run.totals().steps < 1000000


def test_token_budget_accumulates_across_resumes(tmp_path: Path) -> None:
    model = script(tmp_path, [PRESS_A | {"usage": {"input_tokens": 80, "output_tokens": 20}}] * 20)
    first = run_animus(
        "run", *CLASSIC_ROM, "--model", model, "--max-tokens", "350", "--runs-dir", str(tmp_path), "--name", "k"
    )
    assert first.returncode == 0
    assert "token budget reached (400 of 350 tokens)" in first.stdout
    again = run_animus("resume", "k", "--runs-dir", str(tmp_path))
    assert "token budget reached" in again.stdout
    assert committed_steps(tmp_path / "k" / "run.db") == 4, "the budget counts the tokens of earlier sessions"
    more = run_animus("resume", "k", "--max-tokens", "600", "--runs-dir", str(tmp_path))
    assert more.returncode == 0
    assert committed_steps(tmp_path / "k" / "run.db") == 6


def test_cost_budget_uses_the_pricing_table(tmp_path: Path) -> None:
    model = script(tmp_path, [PRESS_A | {"usage": {"input_tokens": 1000, "output_tokens": 100}}] * 20)
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", model, "--max-cost", "0.05", "--set", "pricing.scripted.input=10",
        "--set", "pricing.scripted.output=20", "--runs-dir", str(tmp_path), "--name", "c",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "cost budget reached ($0.06 of $0.05)" in result.stdout
    with animus.open_run(tmp_path / "c") as run:
        assert run.totals().steps == 5  # $0.012 per step: $0.048 < $0.05 after 4 steps, $0.06 after 5
        assert run.model_calls()[0].cost == pytest.approx(0.012)


def test_bad_tool_calls_are_shown_to_the_model_and_stop_the_run_when_repeated(tmp_path: Path) -> None:
    bad = [
        {"tool_calls": [{"name": "jump", "input": {}}]},
        {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["x"]}}]},
        {"tool_calls": [{"name": "press_buttons", "input": {"buttons": ["a"], "hold_frames": 0}}]},
        {"tool_calls": [{"name": "wait", "input": {}}]},
        {"tool_calls": [{"name": "forget", "input": {"key": "nothing"}}]},
    ]
    model = script(tmp_path, [PRESS_A, *bad, PRESS_A])
    result = run_animus("run", *CLASSIC_ROM, "--model", model, "--runs-dir", str(tmp_path), "--name", "b")
    assert result.returncode == 1
    assert "failed — 5 bad tool calls in a row" in result.stdout
    with animus.open_run(tmp_path / "b") as run:
        assert run.status == "failed"
        results = [json.loads(s.tool_results)[0] for s in run.steps()]
        assert [r["is_error"] for r in results] == [False, True, True, True, True, True]
        messages = [r["content"] for r in results[1:]]
        assert "unknown tool 'jump'" in messages[0]
        assert "unknown button 'x'" in messages[1]
        assert "hold_frames must be a whole number from 1 to 60" in messages[2]
        assert "frames is required" in messages[3]
        assert "no note 'nothing'" in messages[4]
        second_request = json.loads(run.model_calls()[2].request_delta)[0]
        assert second_request["tool_results"][0]["is_error"] is True, "the model sees its error"


def test_notes_are_kept_as_memory_events(tmp_path: Path) -> None:
    note = {"tool_calls": [{"name": "note", "input": {"key": "key", "text": "in the east well"}}]}
    forget = {"tool_calls": [{"name": "forget", "input": {"key": "key"}}]}
    model = script(tmp_path, [note, PRESS_A, forget])
    assert run_animus("run", *CLASSIC_ROM, "--model", model, "--runs-dir", str(tmp_path), "--name", "n").returncode == 0
    with animus.open_run(tmp_path / "n") as run:
        events = [(e.step, e.kind, e.key, e.content) for e in run.memory_events()]
        assert events == [(1, "note_set", "key", "in the east well"), (3, "note_delete", "key", "")]
        assert [s.step_actions for s in run.steps()] == [0, 1, 0], "notes are not actions"


BAD_INPUT = [
    (["--set", "tools.hold_frames=0"], "tools.hold_frames: Input should be greater than or equal to 1"),
    (["--set", "nope=1"], "nope: unknown key"),
    (["--set", "budget.steps=lots"], "budget.steps: Input should be a valid integer"),
    (["--set", "justtext"], "write it as key=value"),
    (["--config", "missing.toml"], "config file not found: missing.toml"),
    (["--model", "gpt-17"], "unknown model 'gpt-17': choose one of anthropic, mock, openai, random, scripted"),
    (["--model", "scripted:nowhere.jsonl"], "script not found: nowhere.jsonl"),
    (["--game", "zelda"], "zelda"),
    (["--rom", "missing.gb"], "ROM not found: missing.gb"),
    (["--name", "../escape"], "bad run name"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_one_line_exit_2_and_creates_no_run(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_animus("run", *CLASSIC_ROM, *args, "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert message in result.stderr
    assert not (tmp_path / "runs").exists()


def test_bad_config_file_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[tools]\nwait_frames = "slow"\n')
    result = run_animus("run", *CLASSIC_ROM, "--config", str(config), "--runs-dir", str(tmp_path))
    assert result.returncode == 2
    assert "tools.wait_frames: Input should be a valid integer" in result.stderr
    config.write_text("[tools\n")
    result = run_animus("run", *CLASSIC_ROM, "--config", str(config), "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and "not valid TOML" in result.stderr


@pytest.mark.parametrize("args", [args for args, _ in BAD_INPUT])
def test_bad_input_fails_before_pyboy_is_imported(tmp_path: Path, args: list[str]) -> None:
    code = (
        "import sys\nfrom animus.cli import main\n"
        "try:\n    main(['run', *sys.argv[2:], '--runs-dir', sys.argv[1]])\n"
        "except SystemExit as e:\n    print(e.code, 'pyboy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), *args],
        capture_output=True,
        text=True,
        env=animus_env(),
        check=False,
    )
    assert out.stdout.split() == ["2", "False"], out.stdout + out.stderr


def test_unknown_rom_falls_back_to_generic_with_a_notice(tmp_path: Path, quest_bytes: bytes) -> None:
    from tests.conftest import retitled

    rom = tmp_path / "homebrew.gb"
    rom.write_bytes(retitled(quest_bytes, "SOMEHOMEBREW"))
    result = run_animus("run", "--rom", str(rom), "--steps", "30", "--runs-dir", str(tmp_path), "--name", "g")
    assert result.returncode == 0, result.stderr
    assert "notice:" in result.stderr and "generic" in result.stderr
    with animus.open_run(tmp_path / "g") as run:
        assert run.meta.profile_id == "generic"


def test_games_and_models_are_listed() -> None:
    games = run_animus("games")
    assert games.returncode == 0
    assert [line.split()[0] for line in games.stdout.splitlines()] == [
        "animus-quest",
        "animus-quest-classic",
        "pokemon-red",
        "generic",
    ]
    models = run_animus("models")
    assert {line.split()[0] for line in models.stdout.splitlines()} >= {"random", "scripted"}
