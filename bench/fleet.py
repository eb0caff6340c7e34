"""Benchmark: a fleet's throughput with 1 worker and with 2. Results: bench/RESULTS.md, "fleet".

The same 4 runs (the `mock` agent, seeds 1-4, `stop_on_finish = false`, `--steps` steps each, so that start-up
is small next to the play) are played by `animus fleet` on the local backend with `--workers 1` and with
`--workers 2`, in fresh runs dirs, over `--trials` paired trials in one process run; the order of the pair
alternates (1 then 2, then 2 then 1, ...). Prints each trial's wall times and the speed-up (1 worker / 2), and the
median speed-up.

    python bench/fleet.py [--steps 3000] [--trials 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import animus
from animus.fleet.command import run_fleet

SEEDS = (1, 2, 3, 4)
ROM = "animus-quest-classic"  # the cartridge every recorded result played


def plan_text(steps: int) -> str:
    return (
        f'steps = {steps}\nseeds = {list(SEEDS)}\n[config]\nrom = "{ROM}"\nstop_on_finish = false\n'
        '[[run]]\nlabel = "mock"\nmodel = "mock"\n'
    )


def one_fleet(workers: int, steps: int) -> float:
    """Wall seconds of one whole fleet (checks, worker start-up, play, summary) with `workers` workers."""
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "bench.toml"
        plan.write_text(plan_text(steps), encoding="utf-8")
        runs = Path(tmp) / "runs"
        quiet = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            code = run_fleet(plan, runs_dir=runs, workers=workers)
        wall = time.perf_counter() - t0
        if code != 0:
            raise SystemExit(f"the fleet with {workers} worker(s) ended with exit code {code}:\n{quiet.getvalue()}")
        for seed in SEEDS:
            with animus.open_run(runs / f"mock-s{seed}") as run:
                if run.totals().steps != steps:
                    raise SystemExit(f"run mock-s{seed} played {run.totals().steps} steps, not {steps}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"4 runs of {args.steps} steps; {args.trials} paired trials")
    print(f"{'trial':>5} {'order':>6} {'1 worker s':>11} {'2 workers s':>12} {'speed-up':>9}")
    ratios = []
    for trial in range(1, args.trials + 1):
        order = (1, 2) if trial % 2 else (2, 1)
        wall = {workers: one_fleet(workers, args.steps) for workers in order}
        ratios.append(wall[1] / wall[2])
        pair = "1,2" if order == (1, 2) else "2,1"
        print(f"{trial:>5} {pair:>6} {wall[1]:>11.1f} {wall[2]:>12.1f} {ratios[-1]:>9.2f}")
    print(f"median speed-up (1 worker / 2 workers): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
