"""Fixtures of the viewer tests: a recorded run of the classic Animus Quest and a viewer serving it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from animus.config import load_config
from animus.inspect.server import ViewerServer, make_server
from animus.runs.runner import start_run
from tests.conftest import CLASSIC


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished mock run of the classic Animus Quest, with a keyframe every 10 steps."""
    runs = tmp_path_factory.mktemp("runs")
    config = load_config(overrides={"rom": CLASSIC, "model": "mock", "seed": 0}, sets=("record.keyframe_every=10",))
    end = start_run(config, runs, "r")
    assert end.status == "done" and end.steps > 30
    return end.run_dir


@contextmanager
def serving(run_dir: Path) -> Iterator[ViewerServer]:
    """The replay viewer of `run_dir`, serving on a thread while the block runs."""
    srv = make_server(run_dir)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.close()
        thread.join(5)


@pytest.fixture(scope="module")
def server(run_dir: Path) -> Iterator[ViewerServer]:
    with serving(run_dir) as srv:
        yield srv
