"""Benchmark: the mock's thinking budget against the actions it needs. Results: bench/RESULTS.md, "thinking".

The `mock` agent's `thinking.budget_tokens` bounds its planning (the nodes its path search may expand, and the
length of its thinking), the way extended thinking bounds a real model's. Runs budgets 0, 1024 and 8192 over
seeds 1-5 and prints the median actions to finish and how many seeds finished.

    python bench/thinking.py [--budgets 0 1024 8192] [--seeds 1 2 3 4 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import platform
from concurrent.futures import ProcessPoolExecutor

from _play import Outcome, median_or_dash, play

MAX_STEPS = 8000


def one(args: tuple[int, int]) -> Outcome:
    budget, seed = args
    # A budget of 0 stands for thinking turned off (a real budget is at least 1024).
    think = "thinking.type=disabled" if budget == 0 else f"thinking.budget_tokens={budget}"
    return play({"model": "mock", "seed": seed, "budget.steps": MAX_STEPS}, (think,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[0, 1024, 8192])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [(b, s) for b in args.budgets for s in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        outcomes = dict(zip(jobs, pool.map(one, jobs), strict=True))
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; seeds {args.seeds}")
    print(f"{'budget_tokens':>13} {'finished':>9} {'median actions to finish':>25} {'median steps':>13}")
    for budget in args.budgets:
        group = [outcomes[(budget, s)] for s in args.seeds]
        done = [o for o in group if o.finished]
        print(
            f"{budget:>13} {len(done):>5}/{len(group):<3} {median_or_dash([o.actions for o in done]):>25} "
            f"{median_or_dash([o.steps for o in done]):>13}"
        )


if __name__ == "__main__":
    main()
