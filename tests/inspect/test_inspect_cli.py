"""`animus frame`, `clip`, `verify` and `export` on real runs, and every reading command refusing a bad store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

import animus
from animus.emulator import GameBoy
from tests.conftest import CLASSIC_DIR, CLASSIC_ROM, run_animus

WALKTHROUGH = str(CLASSIC_DIR / "walkthrough.txt")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A walkthrough run with keyframes every 10 steps (so frames come from keyframes plus replay)."""
    root = tmp_path_factory.mktemp("inspect")
    result = run_animus(
        "run", *CLASSIC_ROM, "--model", f"scripted:{WALKTHROUGH}", "--set", "record.keyframe_every=10",
        "--runs-dir", str(root), "--name", "w",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root


def test_frame_is_the_frame_the_run_showed(runs: Path, tmp_path: Path, quest_rom: Path) -> None:
    out = tmp_path / "f.png"
    result = run_animus("frame", "w", "23", "-o", str(out), "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    image = Image.open(out)
    assert image.size == (160, 144)
    # The same frame, by playing the walkthrough's first 23 lines on a fresh emulator.
    with animus.open_run(runs / "w") as run, GameBoy(quest_rom) as gb:
        for row in run.steps(1, 23):
            for buttons, hold, wait in row.input_ops():
                gb.press(buttons, hold, wait)
        assert (image.convert("RGB").tobytes()) == gb.frame().tobytes()
        assert gb.frame_hash() == next(run.steps(23, 23)).frame_hash


@pytest.mark.parametrize("suffix", [".webp", ".gif", ".png"])
def test_clip_has_one_frame_per_step(runs: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"clip{suffix}"
    args = ["clip", "w", "--from", "5", "--to", "16", "-o", str(out), "--overlay", "--runs-dir", str(runs)]
    result = run_animus(*args)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert getattr(image, "n_frames", 1) == 12
        assert image.size == (320, 288 + 14), "scale 2, plus the overlay banner"


def test_mp4_without_the_extra_says_how_to_get_it(runs: Path, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        result = run_animus(
            "clip", "w", "--from", "1", "--to", "3", "-o", str(tmp_path / "c.mp4"), "--runs-dir", str(runs)
        )
        assert result.returncode == 2
        assert "pip install 'animus[video]'" in result.stderr
        assert not (tmp_path / "c.mp4").exists()
    else:
        result = run_animus(
            "clip", "w", "--from", "1", "--to", "3", "-o", str(tmp_path / "c.mp4"), "--runs-dir", str(runs)
        )
        assert result.returncode == 0 and (tmp_path / "c.mp4").stat().st_size > 0


def test_verify_passes_on_a_run_and_on_a_resumed_run(runs: Path, tmp_path: Path) -> None:
    result = run_animus("verify", "w", "--runs-dir", str(runs))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 86 steps")

    common = ["--model", "random", "--seed", "3", "--set", "record.keyframe_every=25", "--runs-dir", str(tmp_path)]
    assert run_animus("run", *CLASSIC_ROM, *common, "--steps", "70", "--name", "r").returncode == 0
    assert run_animus("resume", "r", "--steps", "160", "--runs-dir", str(tmp_path)).returncode == 0
    result = run_animus("verify", "r", "--runs-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK: 160 steps")


@pytest.mark.parametrize(
    ("sql", "step", "what"),
    [
        ("UPDATE steps SET ram_hash = '00' WHERE step = 40", 40, "ram_hash differs"),
        ("UPDATE steps SET inputs = '[[[\"b\"], 4, 12]]' WHERE step = 30", 30, "differs"),
        ("UPDATE milestones SET step = step + 1 WHERE id = 'found_key'", 19, "milestone 'found_key'"),
        ("DELETE FROM steps WHERE step = 12", 13, "step 12 is missing"),
    ],
)
def test_verify_names_the_step_of_a_tampered_store(runs: Path, tmp_path: Path, sql: str, step: int, what: str) -> None:
    import shutil

    copy = tmp_path / "t"
    shutil.copytree(runs / "w", copy)
    conn = sqlite3.connect(copy / "run.db")
    conn.execute(sql)
    conn.commit()
    conn.close()
    result = run_animus("verify", str(copy))
    assert result.returncode == 1
    assert result.stdout.startswith(f"FAILED at step {step}:"), result.stdout
    assert what in result.stdout


def test_export_writes_every_table_as_json_lines(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    result = run_animus("export", "w", "-o", str(out), "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "meta" and records[0]["rom_title"] == "ANIMUSQUEST"
    assert kinds.count("step") == 86 and kinds.count("milestone") == 8
    assert kinds.count("model_call") >= 86
    step = next(r for r in records if r["type"] == "step")
    assert step["inputs"] == [[["start"], 4, 12]] and isinstance(step["state"], dict)


CORRUPT = {
    "garbage": b"this is not a database at all" * 100,
    "empty-sqlite": None,  # a valid SQLite file of some other program
    "truncated": "truncate",
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
@pytest.mark.parametrize(
    "command",
    [
        ["show"],
        ["frame", "{run}", "3", "-o", "{out}.png"],
        ["clip", "{run}", "--from", "1", "--to", "3", "-o", "{out}.gif"],
        ["verify"],
        ["export", "{run}", "-o", "{out}.jsonl"],
        ["chart", "{run}", "-o", "{out}.png"],
        ["replay"],
        ["resume"],
    ],
)
def test_reading_commands_refuse_a_bad_store_and_write_nothing(
    runs: Path, tmp_path: Path, kind: str, command: list[str]
) -> None:
    run = tmp_path / "bad"
    run.mkdir()
    db = run / "run.db"
    if kind == "garbage":
        db.write_bytes(CORRUPT[kind])  # type: ignore[arg-type]
    elif kind == "empty-sqlite":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE notes (x TEXT)")
        conn.commit()
        conn.close()
    else:
        db.write_bytes((runs / "w" / "run.db").read_bytes()[:3000])
    before = sorted(p.name for p in run.iterdir())
    out = tmp_path / "out"
    args = [a.format(run=run, out=out) for a in command]
    if "{run}" not in " ".join(command):
        args.append(str(run))
    result = run_animus(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in run.iterdir()) == before, "nothing is written into the bad run"
    assert not list(tmp_path.glob("out*")), "no output file is left behind"


def test_chart_command_writes_each_format(runs: Path, tmp_path: Path) -> None:
    for suffix in (".png", ".svg", ".html"):
        out = tmp_path / f"chart{suffix}"
        result = run_animus("chart", "--runs-dir", str(runs), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 1000
    bad = run_animus("chart", str(runs), "-o", str(tmp_path / "chart.bmp"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
    assert not (tmp_path / "chart.bmp").exists()


def test_replay_command_serves_on_loopback_and_exits_0_on_ctrl_c(runs: Path) -> None:
    import signal
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import animus_env

    proc = subprocess.Popen(
        [sys.executable, "-m", "animus", "replay", "w", "--runs-dir", str(runs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=animus_env(),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("replay viewer at http://127.0.0.1:"), line
        url = line.split()[3]
        with urllib.request.urlopen(url + "api/meta", timeout=30) as response:
            assert json.loads(response.read())["milestone_count"] == 8
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
