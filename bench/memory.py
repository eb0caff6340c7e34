"""Benchmark: the memory ablation, and a bounded context over a long run. Results: bench/RESULTS.md, "memory".

1. The same `mock` agent on seeds 1-5, twice: with memory and a small context budget (so that summarization
   happens many times), and with memory disabled (the summary and the notes are dropped from every request).
   Prints, per milestone, the median actions needed to reach it over the seeds that reached it, and how many
   seeds finished.
2. One run of 20,000 steps with `stop_on_finish = false` (the cartridge's new-game path repeats playthroughs):
   the largest estimated context of any request, against the budget, and the mean over steps 1,901-2,000 against
   the mean over steps 19,901-20,000.

    python bench/memory.py [--seeds 1 2 3 4 5] [--long-steps 20000] [--budget 3000] [--workers 2]
"""

from __future__ import annotations

import argparse
import platform
import statistics
from concurrent.futures import ProcessPoolExecutor

from _play import ROM, Outcome, median_or_dash, play
from animus.games import load_profile

MAX_STEPS = 8000


def ablation_run(args: tuple[int, bool, int]) -> Outcome:
    seed, memory, budget = args
    return play(
        {"model": "mock", "seed": seed, "budget.steps": MAX_STEPS},
        (f"memory.context_tokens={budget}", f"memory.enabled={'true' if memory else 'false'}"),
    )


def long_run(steps: int) -> Outcome:
    return play({"model": "mock", "seed": 0, "budget.steps": steps}, ("stop_on_finish=false",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--budget", type=int, default=3000, help="context tokens for the ablation")
    parser.add_argument("--long-steps", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    jobs = [(seed, memory, args.budget) for memory in (True, False) for seed in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        outcomes = list(pool.map(ablation_run, jobs))
        long = pool.submit(long_run, args.long_steps) if args.long_steps else None
        long_outcome = long.result() if long else None
    with_memory, without = outcomes[: len(args.seeds)], outcomes[len(args.seeds) :]

    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"ablation: seeds {args.seeds}, memory.context_tokens = {args.budget}, up to {MAX_STEPS} steps")
    print(f"{'milestone':<24} {'with memory':>12} {'without':>12}")
    for m in load_profile(ROM).milestones:
        on = [o.milestone_actions[m.id] for o in with_memory if m.id in o.milestone_actions]
        off = [o.milestone_actions[m.id] for o in without if m.id in o.milestone_actions]
        print(f"{m.label:<24} {median_or_dash(on):>12} {median_or_dash(off):>12}   (reached {len(on)} / {len(off)})")
    for name, group in (("with memory", with_memory), ("without", without)):
        done = [o for o in group if o.finished]
        actions = [o.actions for o in group]
        summaries = [o.summaries for o in group]
        print(f"{name}: finished {len(done)}/{len(group)}; actions per seed {actions}; summaries {summaries}")
    if long_outcome is not None:
        tokens = long_outcome.context_tokens
        early, late = tokens[1900:2000], tokens[-100:]
        print(f"long run: {len(tokens)} steps, {long_outcome.actions} actions, {long_outcome.summaries} summaries")
        print(f"  largest estimated context {max(tokens)} tokens (budget 12000)")
        if early and late:
            ratio = statistics.mean(late) / statistics.mean(early)
            print(f"  mean steps 1,901-2,000: {statistics.mean(early):.0f}; last 100: {statistics.mean(late):.0f}")
            print(f"  ratio late/early: {ratio:.3f}")


if __name__ == "__main__":
    main()
