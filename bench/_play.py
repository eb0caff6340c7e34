"""Shared by the agent benchmarks: play one run in a temporary directory and summarize it."""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import animus
from animus.config import load_config
from animus.runs.runner import start_run

ROM = "animus-quest-classic"  # the cartridge every recorded result played


@dataclass(frozen=True)
class Outcome:
    """What a benchmark needs from one run."""

    seed: int
    finished: bool
    steps: int
    actions: int
    milestone_actions: dict[str, int]  # milestone id -> actions when first reached
    context_tokens: list[int]  # estimated tokens of each act request, in step order
    summaries: int  # summarize calls


def play(overrides: dict[str, Any], sets: tuple[str, ...] = ()) -> Outcome:
    """Run the classic Animus Quest with `overrides` (dotted config keys) and return its outcome."""
    config = load_config(overrides={"rom": ROM, **overrides}, sets=sets)
    with tempfile.TemporaryDirectory() as tmp:
        start_run(config, Path(tmp), "bench")
        with animus.open_run(Path(tmp) / "bench") as run:
            totals = run.totals()
            milestones = {m.id: m.actions for m in run.milestones()}
            calls = run.model_calls()
            tokens = [c.context_tokens for c in calls if c.purpose == "act"]
            summaries = sum(c.purpose == "summarize" for c in calls)
            finished = run.meta.finished
    return Outcome(config.seed, finished, totals.steps, totals.actions, milestones, tokens, summaries)


def median_or_dash(values: list[int]) -> str:
    return f"{statistics.median(values):,.0f}" if values else "—"
