"""Benchmark: the loop's harness overhead per step of this checkout against another commit, interleaved.

Each round runs `bench/loop.py` (of this checkout) once on the other commit's `src/` and once on this one's, in
turn, so that both see the same load on a shared machine; the figure compared is each run's median harness
overhead per step. The result is the median of each side over the rounds, and their ratio (new / old).

    git worktree add --detach /tmp/animus-old COMMIT
    python bench/versus.py --old /tmp/animus-old [--rounds 5] [--steps 3000]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEDIAN = re.compile(r"overhead per step: median over runs ([0-9.]+) ms")


def overhead(src: Path, steps: int) -> float:
    """One `bench/loop.py` run with `src` first on the path: its median harness overhead per step, in ms."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    args = ["--steps", str(steps), "--window", str(steps // 3), "--reps", "1", "--rep-steps", "200"]
    out = subprocess.run(
        [sys.executable, str(HERE / "loop.py"), *args, "--long-reps", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = MEDIAN.search(out)
    if found is None:
        raise SystemExit(f"no overhead figure in the output of bench/loop.py on {src}:\n{out}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="a checkout (worktree) of the commit to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    sides = {"old": args.old.resolve() / "src", "new": HERE.parent / "src"}
    results: dict[str, list[float]] = {"old": [], "new": []}
    for n in range(args.rounds):
        for name in ("old", "new") if n % 2 == 0 else ("new", "old"):
            results[name].append(overhead(sides[name], args.steps))
        print(f"round {n + 1}: old {results['old'][-1]:.3f} ms, new {results['new'][-1]:.3f} ms", flush=True)
    old, new = statistics.median(results["old"]), statistics.median(results["new"])
    print(f"command: python bench/versus.py --old {args.old} --rounds {args.rounds} --steps {args.steps}")
    print(f"median overhead per step: old {old:.3f} ms, new {new:.3f} ms, ratio new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
