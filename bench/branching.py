"""Best-of-N branching: does more parallel compute reach Animus Quest's final milestone in fewer committed actions?

For each N in --branches and each seed, one run of Animus Quest with the greedy mock (`thinking.type =
"disabled"`: it plans no path, so its seeds disagree and a fork has something to choose from), `--horizon`
actions per fork and the `milestones` scorer. N = 1 is a plain run. It reports, per N, the median over seeds of
the two x-axis views of `animus chart`: committed actions (`--x actions`, the run's own line) and actions spent
(`--x spent`, every branch included), both at the final milestone; and the wall time.

    python bench/branching.py [--branches 1 2 4] [--seeds 1 2 3 4 5] [--horizon 20] [--chart DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from animus.config import load_config
from animus.inspect.chart_data import read_run
from animus.runs.runner import start_run

ROM = "animus-quest-classic"  # the cartridge every recorded result played


def play(n: int, seed: int, horizon: int, runs: Path) -> tuple[int | None, int | None, float]:
    """(committed actions, spent actions) at the final milestone (None if not reached), and wall seconds."""
    config = load_config(
        overrides={
            "rom": ROM,
            "seed": seed,
            "label": f"N={n}",
            "budget.steps": 3000,
            "branching.branches": n,
            "branching.horizon": horizon,
        },
        sets=('thinking.type="disabled"',),
    )
    t0 = time.perf_counter()
    start_run(config, runs, f"n{n}-s{seed}")
    wall = time.perf_counter() - t0
    series = read_run(runs / f"n{n}-s{seed}")
    last = len(series.profile.milestones) - 1
    final = [r for r in series.reached if r.index == last]
    if not final:
        return None, None, wall
    return final[0].row.actions, final[0].spent, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--horizon", type=int, default=20)
    parser.add_argument("--chart", type=Path, help="Also keep the runs here and draw both chart views into it.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        runs = args.chart or Path(tmp)
        rows = []
        for n in args.branches:
            results = [play(n, seed, args.horizon, runs) for seed in args.seeds]
            committed = [c for c, _, _ in results if c is not None]
            spent = [s for _, s, _ in results if s is not None]
            walls = [w for _, _, w in results]
            print(f"N={n}: committed {[c for c, _, _ in results]} spent {[s for _, s, _ in results]}", file=sys.stderr)
            rows.append((n, len(committed), committed, spent, statistics.median(walls)))
        if args.chart:
            from animus.inspect.charts import render_chart

            for axis in ("actions", "spent"):
                render_chart([str(runs)], args.chart / f"branching-{axis}.png", x=axis)

    base = statistics.median(rows[0][2]) if rows[0][2] else None
    print(f"horizon {args.horizon}, seeds {' '.join(map(str, args.seeds))}, scorer milestones, greedy mock")
    print("| N | finished | median committed actions | vs N=1 | median actions spent | median wall s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, finished, committed, spent, wall in rows:
        c = statistics.median(committed) if committed else float("nan")
        ratio = f"{c / base:.2f}" if base else "—"
        s = statistics.median(spent) if spent else float("nan")
        print(f"| {n} | {finished}/{len(args.seeds)} | {c:,.0f} | {ratio} | {s:,.0f} | {wall:.1f} |")


if __name__ == "__main__":
    main()
