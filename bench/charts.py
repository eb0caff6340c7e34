"""Benchmark: charting 20 runs of 100,000 steps each (the target: under 3 s per chart).

The runs are synthesized through the store's own API: `RunStore.create` (the real schema and migrations),
`set_meta` with what the runner writes (label in 4 groups, model, seed, profile_id, milestone_count, status), the
bundled classic profile (animus-quest-classic), and every step through `record_step`, with milestone rows at the
steps where a run reaches them (cumulative actions, tokens, cost and wall seconds, as the loop stores them). Each
step's state is a real `GameState` JSON of the quest with a moving position, so a map chart has something to count.

Only `render_chart` is timed, in one process: for PNG, SVG and HTML, the median of `--reps` calls after one
untimed warm-up call (the first call of a process also pays for importing matplotlib and its font cache; it is
reported on its own). `--map` also times one map chart, which scans every step.

    python bench/charts.py [--runs 20] [--steps 100000] [--reps 5] [--dir DIR] [--map]

With `--dir`, stores already synthesized there (with the same --runs and --steps) are reused.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from animus.games import GameState, load_profile
from animus.inspect.charts import render_chart
from animus.runs.rows import MilestoneRow, StepRow
from animus.runs.store import RunStore

GROUPS = ("sonnet", "haiku", "opus", "mock")
PROFILE = load_profile("animus-quest-classic")  # the classic's profile: the game of every recorded result
INPUTS, HASH, SCREEN = '[[["up"],4,12]]', "f" * 32, "0" * 16
TEXT = "Game: Animus Quest, a top-down adventure. Mode: walking (overworld).\n" + "Area: VILLAGE ... " * 20


def state_json(area: int, x: int, y: int, flags: int) -> str:
    values = [("mode", 1), ("map", area), ("x", x), ("y", y), ("facing", 0), ("flags", flags)]
    return GameState(tuple(values), TEXT, (area, x, y, 1), "0" * 16, "").to_json()


def synthesize(run_dir: Path, index: int, steps: int) -> None:
    """One run of `steps` steps; group `index % 4`; slower groups reach fewer milestones."""
    rng = random.Random(index)
    label = GROUPS[index % len(GROUPS)]
    # When each milestone is reached: a random fraction of the run per milestone, slower for later groups.
    pace = (0.08, 0.12, 0.2, 0.01)[index % len(GROUPS)] * rng.uniform(0.7, 1.3)
    due, step_at = [], 0
    for _ in PROFILE.milestones:
        step_at += max(1, int(steps * pace * rng.uniform(0.5, 1.5)))
        due.append(step_at)
    with RunStore.create(run_dir) as store:
        (run_dir / "profile.toml").write_text(PROFILE.source, encoding="utf-8")
        store.set_meta(
            id=run_dir.name,
            label=label,
            model=label,
            seed=index,
            profile_id=PROFILE.id,
            profile_name=PROFILE.name,
            milestone_count=len(PROFILE.milestones),
            status="running",
            reason="",
        )
        area, x, y, flags, tokens, cost, wall = 1, 5, 5, 0, 0, 0.0, 0.0
        for step in range(1, steps + 1):
            x = min(18, max(0, x + rng.choice((-1, 0, 1))))
            y = min(12, max(0, y + rng.choice((-1, 0, 1))))
            if step % 5000 == 0:
                area = rng.randrange(6)
            tokens += 3000
            cost += 3000 * 3e-6
            wall += 2.5
            reached = [
                MilestoneRow(m.id, i, m.label, step, step, step * 20, tokens, cost, wall, 0.0)
                for i, m in enumerate(PROFILE.milestones)
                if due[i] == step
            ]
            flags |= sum(1 << i for i in range(len(due)) if due[i] == step)
            state = state_json(area, x, y, flags)
            row = StepRow(
                step, step * 20, step * 20 + 20, INPUTS, 1, step, 0, "[]", HASH, HASH, SCREEN, state, 2.5, 0.0
            )
            store.record_step(row, milestones=reached)
        store.set_meta(status="done", reason="step budget")


def timed(targets: list[Path], out: Path, reps: int) -> tuple[float, list[float]]:
    first = time.perf_counter()
    render_chart(targets, out)
    cold = time.perf_counter() - first
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        render_chart(targets, out)
        times.append(time.perf_counter() - t0)
    return cold, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to keep the synthesized runs (default: a temporary dir)")
    parser.add_argument("--map", action="store_true", help="also time one map chart (scans every step)")
    args = parser.parse_args()

    root = args.dir or Path(tempfile.mkdtemp(prefix="animus-bench-charts-"))
    runs_dir = root / "runs"
    t0 = time.perf_counter()
    for i in range(args.runs):
        run_dir = runs_dir / f"run-{i:02d}"
        if not (run_dir / "run.db").is_file():
            synthesize(run_dir, i, args.steps)
    built = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in runs_dir.rglob("*") if p.is_file())
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"matplotlib {version('matplotlib')}; {args.runs} runs x {args.steps:,} steps in {runs_dir}")
    print(f"synthesis: {built:.1f} s, {size / 1e6:,.0f} MB on disk")
    results = {}
    for ext in ("png", "svg", "html"):
        out = root / f"chart.{ext}"
        cold, times = timed([runs_dir], out, args.reps)
        results[ext] = statistics.median(times)
        print(
            f"{ext:>4}: median {results[ext]:.3f} s over {args.reps} (min {min(times):.3f}, max {max(times):.3f}); "
            f"first call {cold:.3f} s; {out.stat().st_size:,} bytes"
        )
    if args.map:
        t0 = time.perf_counter()
        render_chart([runs_dir], root / "map.png", kind="map")
        print(f" map: {time.perf_counter() - t0:.1f} s (one call, scans {args.runs * args.steps:,} steps)")
    worst = max(results.values())
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))
    print(f"slowest median {worst:.3f} s: {'under' if worst < 3 else 'OVER'} the 3 s target")


if __name__ == "__main__":
    main()
