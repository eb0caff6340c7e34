"""The library does not print: its warnings, notices and retry lines go through `animus.notify` (logging).

A Python user captures them (here with pytest's `caplog`) or silences them (a child process whose `animus` logger is
set to CRITICAL writes nothing on stderr); the `animus` command shows the very lines it always has on stderr, and a
fleet's worker writes them to its run's log the same way.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from animus import notify
from animus.config import load_config
from animus.emulator import read_rom
from animus.games import choose_profile
from animus.runs.runner import start_run
from tests.conftest import CLASSIC, animus_env, retitled, run_animus
from tests.helpers import start

HUGE_MB = 10**9  # more free space than any test machine has: the low-space warning must come, once
HOOK_LINE = "animus: warning: --on-event command exited with 3 for the budget event; the run goes on"
SERVING = (
    "warning: serving on 0.0.0.0, not a loopback address: anyone who can reach it can read this run "
    "(the viewer has no authentication)."
)


@pytest.fixture
def other_rom(tmp_path: Path, quest_bytes: bytes) -> Path:
    """Animus Quest retitled: no profile knows it, so a run of it gets the generic-profile notice."""
    rom = tmp_path / "other.gb"
    rom.write_bytes(retitled(quest_bytes, "OTHER GAME"))
    return rom


def generic_notice(rom: Path) -> str:
    """The line the CLI shows for the generic-profile notice of `rom` (the wording is the registry's)."""
    _, info = read_rom(rom)
    _, message = choose_profile(info.title, info.sha256, None)
    assert message is not None
    line = "notice: " + message
    assert line.startswith("notice: no built-in profile knows the ROM 'OTHER GAME' (sha256 "), line
    return line


def disk_line(run_dir: Path, prefix: str = "animus: warning: ") -> re.Pattern[str]:
    """The low-space warning's line for `run_dir`; only the number of free MB varies."""
    return re.compile(
        re.escape(prefix + "only ")
        + r"\d+"
        + re.escape(
            f" MB free on the disk of {run_dir} (record.warn_free_mb = {HUGE_MB}): free some space, or the run "
            "stops when the disk is full (it resumes once there is space again)."
        )
    )


def test_a_python_user_captures_the_notices_and_warnings_of_a_run(
    other_rom: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="animus")
    overrides = {"rom": str(other_rom), "model": "random", "budget.steps": 3}
    config = load_config(overrides=overrides, sets=(f"record.warn_free_mb={HUGE_MB}",))
    end = start_run(config, tmp_path / "runs", "api")
    assert end.steps == 3
    records = [r for r in caplog.records if r.name == "animus" or r.name.startswith("animus.")]
    assert [(r.name, notify.kind_of(r), r.levelno) for r in records] == [
        ("animus", "notice", logging.INFO),
        ("animus.runs.health", "warning", logging.WARNING),
    ]
    notice, warning = records
    assert notify.render(notice) == generic_notice(other_rom)
    assert disk_line(end.run_dir).fullmatch(notify.render(warning)), notify.render(warning)
    assert Path(warning.pathname).name == "health.py", "a record names the code that warned, not animus.notify"


SCRIPT = """
import logging, sys
from pathlib import Path
from animus.config import load_config
from animus.runs.runner import start_run

rom, runs, mode, free_mb = sys.argv[1:5]
if mode == "silent":
    logging.getLogger("animus").setLevel(logging.CRITICAL)
overrides = {"rom": rom, "model": "random", "budget.steps": 3}
config = load_config(overrides=overrides, sets=(f"record.warn_free_mb={free_mb}",))
print(start_run(config, Path(runs), mode).steps)
"""


@pytest.mark.parametrize("mode", ["silent", "default"])
def test_a_python_user_silences_them(other_rom: Path, tmp_path: Path, mode: str) -> None:
    runs = tmp_path / "runs"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(other_rom), str(runs), mode, str(HUGE_MB)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=animus_env(),
    )
    assert done.returncode == 0 and done.stdout == "3\n", done.stderr
    if mode == "silent":
        assert done.stderr == ""
    else:  # no logging configured: Python's last resort shows warnings (bare), not notices
        assert disk_line(runs / mode, prefix="").fullmatch(done.stderr.rstrip("\n")), done.stderr


def test_the_cli_shows_them_on_stderr_as_it_always_has(other_rom: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    args = ("--rom", str(other_rom), "--steps", "3", "--runs-dir", str(runs), "--name", "g", "--on-event", "exit 3")
    done = run_animus("run", *args, "--set", f"record.warn_free_mb={HUGE_MB}")
    assert done.returncode == 0, done.stderr
    notice, space, hook = done.stderr.splitlines()
    assert notice == generic_notice(other_rom)
    assert disk_line(runs / "g").fullmatch(space), space
    assert hook == HOOK_LINE

    viewer = start("replay", "g", "--host", "0.0.0.0", "--runs-dir", str(runs))
    try:
        assert viewer.stdout is not None
        assert viewer.stdout.readline().startswith("replay viewer at http://0.0.0.0:")
    finally:
        viewer.send_signal(signal.SIGINT)
        _, err = viewer.communicate(timeout=30)
    assert viewer.returncode == 0 and err.splitlines() == [SERVING], err


def test_a_fleet_worker_writes_them_to_its_runs_log(other_rom: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        textwrap.dedent(f"""
            steps = 3
            seeds = [1]

            [[run]]
            label = "r"
            model = "random"
            set = {{ "rom" = "{other_rom}", "record.warn_free_mb" = {HUGE_MB} }}
        """),
        encoding="utf-8",
    )
    runs = tmp_path / "fleet"
    done = run_animus("fleet", str(plan), "--runs-dir", str(runs), "--workers", "1")
    assert done.returncode == 0, done.stderr
    session, *lines = (runs / ".fleet" / "logs" / "r-s1.log").read_text(encoding="utf-8").splitlines()
    assert session.startswith("== ") and " session " in session
    assert lines[0] == generic_notice(other_rom)
    assert disk_line(runs / "r-s1").fullmatch(lines[1]), lines[1]
    assert lines[2:] == ["ended: done — step budget reached (3 steps) (3 steps)"]


def test_retries_are_status_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("anthropic")
    from tests.agent.remote import Backend
    from tests.fakes.messages_server import FakeMessagesServer, Fault

    key, model = "sk-ant-SENTINEL-notify", "claude-fake-1"
    with FakeMessagesServer(api_key=key) as server:
        api = Backend(f"anthropic:{model}", server.url, "ANTHROPIC_API_KEY", key)
        server.add(Fault.rate_limited(retry_after=1))  # the wait is the server's retry-after: 1.0 s exactly
        done = api.run(tmp_path, "cli", "--steps", "1")
        assert done.returncode == 0, done.stderr
        (line,) = done.stderr.splitlines()
        assert re.fullmatch(rf"animus: anthropic:{model}: HTTP 429: .+; retry 1 in 1\.0 s", line), line

        caplog.set_level(logging.INFO, logger="animus")
        server.add(Fault.rate_limited(retry_after=1))
        sets = (f"model.base_url={server.url}", "model.retry_base_seconds=0.01")
        config = load_config(overrides={"rom": CLASSIC, "model": f"anthropic:{model}", "budget.steps": 1}, sets=sets)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("ANTHROPIC_API_KEY", key)
            assert start_run(config, tmp_path, "api").steps == 1
    statuses = [r for r in caplog.records if r.name.startswith("animus") and notify.kind_of(r) == "status"]
    assert [notify.render(r) for r in statuses] == [line], "the CLI's line is the record, rendered"
