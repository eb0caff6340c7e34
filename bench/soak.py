"""Soak: one long run of the mock on Animus Quest, watching memory, speed and store size as it goes.

The run plays `--steps` steps with `stop_on_finish = false` (Quest starts a new playthrough after the last
milestone, so playthroughs repeat), with everything a long run has on: summaries (the default 12,000-token
context), keyframes every 200 steps and the watchdog. It plays in this process, and an `on_step` hook records:
- every step: its wall time (from one step's end to the next);
- every `--every` steps: the process's RSS, and the store's size (its pages in use) with and without model
  text (replies and request turns in model_calls, and memory event contents: what a model writes or reads).

Targets (issue 8): RSS grows less than 20 MB from step 10,000 to the end; the median step time over the last
1,000 steps is within 10% of that over steps 9,001-10,000; the store stays under 2 KB per step without model text.

    python bench/soak.py [--steps 100000] [--every 10000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from animus.agent.loop import Agent
from animus.config import load_config
from animus.runs.runner import start_run

ROM = "animus-quest-classic"  # the cartridge every recorded result played


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def store_bytes(run_dir: Path) -> tuple[int, int]:
    """(bytes the database holds, bytes of model text in it). The database's size as a reader sees it (pages in
    use, committed WAL frames included), not the files': the WAL file grows to ~16 MB between checkpoints."""
    conn = sqlite3.connect(f"file:{run_dir / 'run.db'}?mode=ro", uri=True)
    try:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        (free,) = conn.execute("PRAGMA freelist_count").fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        total = (int(pages) - int(free)) * int(page_size)
        (calls,) = conn.execute(
            "SELECT COALESCE(SUM(LENGTH(reply) + LENGTH(request_delta)), 0) FROM model_calls"
        ).fetchone()
        (events,) = conn.execute("SELECT COALESCE(SUM(LENGTH(content)), 0) FROM memory_events").fetchone()
    finally:
        conn.close()
    return total, int(calls) + int(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="Keep the run here (default: a temporary directory).")
    args = parser.parse_args()
    overrides = {"rom": ROM, "budget.steps": args.steps, "stop_on_finish": False, "progress.log_every": 10**9}
    config = load_config(overrides=overrides)

    times: list[float] = []
    samples: list[tuple[int, float, int, int]] = []  # step, RSS MB, store bytes, model-text bytes
    last = [time.perf_counter()]

    def watch(agent: Agent) -> None:
        def on_step(a: Agent) -> None:
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now
            step = a.counters.step
            if step % args.every == 0 or step == 1000:
                total, text = store_bytes(a.p.store.run_dir)
                samples.append((step, rss_mb(), total, text))
                print(f"step {step}: RSS {samples[-1][1]:.1f} MB, store {total / step:,.0f} B/step "
                      f"({(total - text) / step:,.0f} without model text)", file=sys.stderr, flush=True)  # fmt: skip
            last[0] = time.perf_counter()  # the sampling above is not the step's time

        agent.on_step = on_step

    with tempfile.TemporaryDirectory() as tmp:
        runs = args.dir or Path(tmp)
        t0 = time.perf_counter()
        start_run(config, runs, f"soak-{time.strftime('%Y%m%d-%H%M%S')}", on_start=watch)
        wall = time.perf_counter() - t0

    n = len(times)
    early = statistics.median(times[9000:10000]) if n >= 10_000 else statistics.median(times[: n // 10])
    late = statistics.median(times[-1000:])
    by_step = {s[0]: s for s in samples}
    start_rss = by_step[10_000][1] if 10_000 in by_step else samples[0][1]
    end = samples[-1]
    print(f"steps {n:,} in {wall / 60:.1f} min on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("| step | RSS MB | store B/step | without model text B/step |")
    print("|---:|---:|---:|---:|")
    for step, rss, total, text in samples:
        print(f"| {step:,} | {rss:.1f} | {total / step:,.0f} | {(total - text) / step:,.0f} |")
    print(f"- RSS growth from step 10,000 to {end[0]:,}: {end[1] - start_rss:+.1f} MB (target < 20)")
    print(f"- median step time, steps 9,001-10,000: {early * 1000:.3f} ms; last 1,000: {late * 1000:.3f} ms; "
          f"ratio {late / early:.3f} (target within 10%)")  # fmt: skip
    print(f"- store without model text at the end: {(end[2] - end[3]) / end[0]:,.0f} B/step (target < 2,048)")


if __name__ == "__main__":
    main()
