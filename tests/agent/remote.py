"""Helpers for the remote backends' end-to-end tests: the real CLI in a child process, pointed at a fake API."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import CLASSIC_ROM, animus_env

PRICES = {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}  # $ per million tokens


@dataclass(frozen=True)
class Backend:
    """How to run `animus` against one fake: the model spec, the endpoint, the key's variable and value."""

    model: str  # e.g. anthropic:claude-fake-1
    url: str
    key_var: str
    key: str

    @property
    def model_id(self) -> str:
        return self.model.partition(":")[2]

    def env(self, with_key: bool = True) -> dict[str, str]:
        prefix = self.key_var.partition("_")[0] + "_"
        e = {k: v for k, v in animus_env().items() if not k.startswith(prefix)}
        if with_key:
            e[self.key_var] = self.key
        return e

    def command(self, runs: Path, name: str, *args: str, priced: bool = True) -> list[str]:
        sets = [f"pricing.{self.model_id}.{k}={v}" for k, v in PRICES.items()] if priced else []
        sets.append("model.retry_base_seconds=0.01")
        return [
            sys.executable, "-m", "animus", "run", *CLASSIC_ROM, "--model", self.model, "--base-url", self.url,
            "--runs-dir", str(runs), "--name", name, *[x for s in sets for x in ("--set", s)], *args,
        ]  # fmt: skip

    def run(self, runs: Path, name: str, *args: str, priced: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = self.command(runs, name, *args, priced=priced)
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=300)

    def animus(self, *args: str, with_key: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "animus", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env(with_key), timeout=300)


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    """A single number from `db`, or 0 while the run has not written its schema yet."""
    try:
        return int(query(db, sql)[0][0] or 0)
    except sqlite3.OperationalError:
        return 0


def meta(db: Path) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in query(db, "SELECT key, value FROM meta")}


def priced(inp: int, out: int, write: int, read: int) -> float:
    return (inp * PRICES["input"] + out * PRICES["output"] + write * PRICES["cache_write"]
            + read * PRICES["cache_read"]) / 1e6  # fmt: skip


def assert_no_key(key: str, run_dir: Path, *outputs: str) -> None:
    """The key is nowhere in what the run wrote or printed."""
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    assert all(key not in text for text in outputs)
