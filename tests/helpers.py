"""Helpers that test modules share: a CLI run in the background, waiting on a run's store, the viewer's API.

Test modules import these from here, never from one another (a test module is not a library: importing it collects
its tests' imports and fixtures too). Fixtures stay in the conftest.py files.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.conftest import animus_env

if TYPE_CHECKING:
    from animus.inspect.server import ViewerServer


def start(*args: str) -> subprocess.Popen[str]:
    """`animus ARGS` in a child process, as a user would start it, with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "animus", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=animus_env(),
    )


def committed_steps(db: Path) -> int:
    """The last step committed to the store `db` (0 for none yet, or no store yet)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT COALESCE(MAX(step), 0) FROM steps").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll `predicate` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the run"
        time.sleep(0.005)


def fetch(srv: ViewerServer, path: str) -> bytes:
    """The body of GET `path` from a running replay viewer (which must say Cache-Control: no-store)."""
    with urllib.request.urlopen(srv.url.rstrip("/") + path, timeout=60) as response:
        assert response.headers["Cache-Control"] == "no-store"
        body: bytes = response.read()
        return body


def get(srv: ViewerServer, path: str) -> Any:
    """GET `path` from a running replay viewer, as JSON."""
    return json.loads(fetch(srv, path))


# Cartridge titles PyBoy 2.8.1 attaches a built-in game wrapper to (pyboy/plugins/game_wrapper_*.py; a title is at
# most 15 characters, so Kirby's is cut). Put on Animus Quest's code, each must run quietly or be refused in one line.
WRAPPER_TITLES = {
    "TETRIS": "runs",
    "SUPER MARIOLAND": "runs",
    "POKEMON RED": "runs",  # Animus's pokemon-red profile also matches this title
    "POKEMON BLUE": "runs",
    "KIRBY DREAM LAN": "runs",
    "2048": "runs",
    "DMGTRIS": "runs",
    "MARIO DELUXAHY": "runs",
    "POKEPINBALLVPH": "refused",  # the wrapper switches ROM banks at start-up that a 32 KiB cartridge lacks
}
