"""`animus run`, `show`, `runs`, `resume` end to end, through the real CLI on the bundled classic cartridge."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import animus
from tests.conftest import CLASSIC, CLASSIC_DIR, CLASSIC_ROM, deterministic_steps, run_animus

WALKTHROUGH = str(CLASSIC_DIR / "walkthrough.txt")
QUEST_MILESTONES = [
    "Left the house",
    "Talked to the elder",
    "Found the key",
    "Opened the gate",
    "Reached the cave",
    "Beat the guardian",
    "Got the badge",
    "Finished the quest",
]


def test_scripted_walkthrough_reaches_every_milestone_and_show_lists_them(tmp_path: Path) -> None:
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", f"scripted:{WALKTHROUGH}", "--runs-dir", str(tmp_path), "--name", "w"
    )
    assert result.returncode == 0, result.stderr
    assert "done — finished" in result.stdout
    assert all(f"animus {verb} " in result.stdout for verb in ("show", "chart", "replay"))

    shown = run_animus("show", "w", "--runs-dir", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if line.strip()[:2].strip(".").isdigit()]
    labels = [line.split(".", 1)[1].split("step")[0].strip() for line in lines]
    assert labels == QUEST_MILESTONES
    assert "milestones 8/8" in shown.stdout

    with animus.open_run(tmp_path / "w") as run:
        rows = run.milestones()
        assert [m.ordinal for m in rows] == list(range(8))
        steps = [m.step for m in rows]
        assert steps == sorted(steps) and len(set(steps)) == 8
        assert rows[-1].step == run.totals().steps, "the run stops at the final milestone"
        assert run.status == "done"
        assert all(m.actions == m.step for m in rows), "each walkthrough line is one press_buttons call"


def test_runs_lists_runs_and_show_names_a_missing_run(tmp_path: Path) -> None:
    assert (
        run_animus(
            "run", *CLASSIC_ROM, "--model", "random", "--steps", "20", "--runs-dir", str(tmp_path), "--name", "a"
        ).returncode
        == 0
    )
    listed = run_animus("runs", "--runs-dir", str(tmp_path))
    assert listed.returncode == 0
    row = next(line for line in listed.stdout.splitlines() if line.startswith("a "))
    assert row.split()[1:] == [CLASSIC, "random", "20", "20", "0/8", "done"]
    missing = run_animus("show", "nope", "--runs-dir", str(tmp_path))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no run 'nope'")


def test_resume_of_a_budget_stop_continues_to_a_new_total_and_matches_one_long_run(tmp_path: Path) -> None:
    assert (
        run_animus(
            "run",
            *CLASSIC_ROM,
            "--model",
            "random",
            "--steps",
            "150",
            "--seed",
            "4",
            "--runs-dir",
            str(tmp_path),
            "--name",
            "long",
        ).returncode
        == 0
    )
    assert (
        run_animus(
            "run",
            *CLASSIC_ROM,
            "--model",
            "random",
            "--steps",
            "60",
            "--seed",
            "4",
            "--runs-dir",
            str(tmp_path),
            "--name",
            "cut",
        ).returncode
        == 0
    )
    again = run_animus("resume", "cut", "--runs-dir", str(tmp_path))
    assert again.returncode == 0
    assert "complete" in again.stdout, "resuming a run at its step budget has nothing to do"
    more = run_animus("resume", "cut", "--steps", "150", "--runs-dir", str(tmp_path))
    assert more.returncode == 0, more.stderr
    assert deterministic_steps(tmp_path / "cut" / "run.db") == deterministic_steps(tmp_path / "long" / "run.db")


def test_resuming_a_finished_run_says_it_is_complete(tmp_path: Path) -> None:
    run_animus("run", *CLASSIC_ROM, "--model", f"scripted:{WALKTHROUGH}", "--runs-dir", str(tmp_path), "--name", "w")
    result = run_animus("resume", "w", "--runs-dir", str(tmp_path))
    assert result.returncode == 0
    assert "is complete" in result.stdout


def test_resume_refuses_a_different_rom(tmp_path: Path, quest_bytes: bytes) -> None:
    from tests.conftest import retitled

    rom = tmp_path / "mine.gb"
    rom.write_bytes(quest_bytes)
    assert (
        run_animus("run", "--rom", str(rom), "--steps", "5", "--runs-dir", str(tmp_path), "--name", "r").returncode == 0
    )
    rom.write_bytes(retitled(quest_bytes, "ANIMUSQUES2"))
    result = run_animus("resume", "r", "--steps", "10", "--runs-dir", str(tmp_path))
    assert result.returncode == 2
    assert "not the ROM this run played" in result.stderr


def test_start_state_starts_from_the_users_state(tmp_path: Path, quest_rom: Path) -> None:
    from animus.emulator import GameBoy

    with GameBoy(quest_rom) as gb:
        gb.press("start")
        (tmp_path / "house.state").write_bytes(gb.save_state())
    result = run_animus(
        "run",
        *CLASSIC_ROM,
        "--start-state",
        str(tmp_path / "house.state"),
        "--steps",
        "3",
        "--runs-dir",
        str(tmp_path),
        "--name",
        "s",
    )
    assert result.returncode == 0, result.stderr
    with animus.open_run(tmp_path / "s") as run:
        assert run.meta.start_state is True
        first = run.model_calls()[0]
        assert "Area: HOUSE" in json.loads(first.request_delta)[0]["text"], "the first observation is in the house"


@pytest.mark.parametrize(
    ("state", "message"),
    [(b"", "is empty"), (b"\x05garbage", "state version 5"), (None, "start state not found")],
)
def test_bad_start_state_is_refused_before_the_run_is_created(
    tmp_path: Path, state: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.state"
    if state is not None:
        path.write_bytes(state)
    result = run_animus(
        "run", *CLASSIC_ROM, "--start-state", str(path), "--runs-dir", str(tmp_path / "runs"), "--name", "x"
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_start_state_of_another_rom_is_refused(tmp_path: Path, quest_bytes: bytes) -> None:
    from animus.emulator import GameBoy
    from tests.conftest import retitled

    other = tmp_path / "other.gb"
    other.write_bytes(retitled(quest_bytes, "OTHERQUEST"))
    with GameBoy(other) as gb:
        (tmp_path / "other.state").write_bytes(gb.save_state())
    result = run_animus(
        "run", *CLASSIC_ROM, "--start-state", str(tmp_path / "other.state"), "--runs-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "open the ROM it was made with" in result.stderr


def test_open_run_reads_meta_steps_milestones_and_calls(tmp_path: Path) -> None:
    run_animus("run", *CLASSIC_ROM, "--model", f"scripted:{WALKTHROUGH}", "--runs-dir", str(tmp_path), "--name", "w")
    with animus.open_run(tmp_path / "w") as run:
        meta = run.meta
        assert meta.rom_title == "ANIMUSQUEST" and meta.profile_id == CLASSIC
        assert meta.pyboy_version == "2.8.1" and meta.state_version == 29
        assert meta.config["model"]["name"].startswith("scripted:")
        assert "system" in meta.prompts
        steps = list(run.steps())
        assert [s.step for s in steps] == list(range(1, len(steps) + 1))
        calls = [c for c in run.model_calls() if c.purpose == "act"]
        assert len(calls) == len(steps)
        reply = run.reply(calls[0])
        assert reply.tool_calls[0].name == "press_buttons"
        state = run.state(len(steps))
        assert state is not None and state.value("flags") == 0xFF


def test_request_deltas_rebuild_the_conversation(tmp_path: Path) -> None:
    """Each call stores only the turns it added: one user turn, never the whole context again."""
    run_animus("run", *CLASSIC_ROM, "--model", "random", "--steps", "12", "--runs-dir", str(tmp_path), "--name", "d")
    conn = sqlite3.connect(tmp_path / "d" / "run.db")
    deltas = [json.loads(d) for (d,) in conn.execute("SELECT request_delta FROM model_calls ORDER BY id")]
    assert all(len(d) == 1 and d[0]["role"] == "user" for d in deltas)
    assert [d[0]["step"] for d in deltas] == list(range(1, 13))
    assert deltas[1][0]["tool_results"][0]["content"].startswith(("pressed", "waited"))
