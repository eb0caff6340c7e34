"""Benchmark: the mock on Animus Quest's seeded long worlds. Results: bench/RESULTS.md, "worlds".

Every figure is over worlds the mock has never been tuned on (1000-1009 by default), against the solver's optimum
(cartridge/solve.py) for the same world:

    python bench/worlds.py mock [--worlds 1000-1009]          # world, optimum, mock actions, ratio, summaries
    python bench/worlds.py ablation [--worlds 1000-1009]      # memory on against memory off, default budget
    python bench/worlds.py thinking [--budgets 0 1024 2048 4096 8192]
    python bench/worlds.py branches [--n 1 4]                 # best-of-N with the default (planning) mock
    python bench/worlds.py optimum [--worlds 0-99]            # the solver's lengths and their distribution
    python bench/worlds.py speed                              # raw PyBoy frames/s on the title and the overworld
    python bench/worlds.py navigate [--worlds 1000-1009]      # with and without navigate_to and the minimap

Runs play in parallel worker processes (`--workers`, default 2), each in its own temporary directory.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import animus
from animus.config import load_config
from animus.emulator import bundled_rom
from animus.runs.runner import start_run

REPO = Path(__file__).resolve().parent.parent
ROM = "animus-quest"
MAX_STEPS = 20_000


@dataclass(frozen=True)
class Outcome:
    """One run on one world: did it finish, how many actions, how many summaries were folded."""

    world: int
    finished: bool
    actions: int  # executed game tool calls (a call may press several buttons)
    presses: int  # button presses, the solver's unit
    steps: int
    summaries: int
    milestones: int
    seconds: float
    curve: tuple[tuple[int, int], ...]  # (actions, milestones reached) at each milestone


def play(world: int, sets: tuple[str, ...] = (), seed: int = 0) -> Outcome:
    """One mock run of `world` with config `sets` ("key=value"), to the end or `MAX_STEPS`."""
    overrides = {"rom": ROM, "game.world": world, "model": "mock", "seed": seed, "budget.steps": MAX_STEPS}
    config = load_config(overrides=overrides, sets=sets)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        start_run(config, Path(tmp), "bench")
        seconds = time.perf_counter() - started
        with animus.open_run(Path(tmp) / "bench") as run:
            totals = run.totals()
            reached = run.milestones()
            summaries = sum(c.purpose == "summarize" for c in run.model_calls())
            presses = sum(len(row.input_ops()) for row in run.steps())
            finished = run.meta.finished
    curve = tuple((m.actions, i + 1) for i, m in enumerate(reached))
    return Outcome(world, finished, totals.actions, presses, totals.steps, summaries, len(reached), seconds, curve)


def optimum(world: int) -> int:
    """The solver's shortest number of presses for `world`."""
    sys.path.insert(0, str(REPO / "cartridge"))
    import solve  # type: ignore[import-not-found]

    return len(solve.solve(world, bundled_rom(ROM)))


def worlds(text: str) -> list[int]:
    """ "1000-1009" or "3,5,9" -> the world numbers."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def _run(job: tuple[int, tuple[str, ...]]) -> Outcome:
    return play(*job)


def _many(jobs: list[tuple[int, tuple[str, ...]]], workers: int) -> list[Outcome]:
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_run, jobs))


def _optima(ws: list[int], workers: int) -> dict[int, int]:
    with ProcessPoolExecutor(workers) as pool:
        return dict(zip(ws, pool.map(optimum, ws), strict=True))


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}" if values else "—"


def cmd_mock(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    best = _optima(ws, args.workers)
    runs = _many([(w, ()) for w in ws], args.workers)
    print("| world | optimum (presses) | mock actions | mock presses | presses/optimum | finished | summaries | s |")
    print("|---:|---:|---:|---:|---:|:---:|---:|---:|")
    for o in runs:
        ratio = o.presses / best[o.world]
        print(
            f"| {o.world} | {best[o.world]:,} | {o.actions:,} | {o.presses:,} | {ratio:.2f} "
            f"| {'yes' if o.finished else 'no'} | {o.summaries} | {o.seconds:.1f} |"
        )
    done = [o for o in runs if o.finished]
    ratios = [o.presses / best[o.world] for o in done]
    print(f"finished {len(done)}/{len(runs)}; median actions {_median([o.actions for o in done])}, ", end="")
    print(f"median presses {_median([o.presses for o in done])}; ", end="")
    print(f"median presses / optimum {statistics.median(ratios):.2f}" if ratios else "no ratio")


def cmd_ablation(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    jobs = [(w, (f"memory.enabled={on}",)) for on in ("true", "false") for w in ws]
    runs = _many(jobs, args.workers)
    on, off = runs[: len(ws)], runs[len(ws) :]
    print("| world | memory on: actions | finished | summaries | memory off: actions | finished | milestones |")
    print("|---:|---:|:---:|---:|---:|:---:|---:|")
    for a, b in zip(on, off, strict=True):
        print(
            f"| {a.world} | {a.actions:,} | {'yes' if a.finished else 'no'} | {a.summaries} | {b.actions:,} "
            f"| {'yes' if b.finished else 'no'} | {b.milestones} |"
        )
    for name, group in (("memory on", on), ("memory off", off)):
        done = [o for o in group if o.finished]
        median = _median([o.actions for o in done])
        print(f"{name}: finished {len(done)}/{len(group)}, median actions of the finished runs {median}")
    if args.chart:
        _chart({"memory on": on, "memory off": off}, Path(args.chart))


def cmd_thinking(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    sets = {b: ("thinking.type=disabled",) if b == 0 else (f"thinking.budget_tokens={b}",) for b in args.budgets}
    jobs = [(w, sets[b]) for b in args.budgets for w in ws]
    runs = _many(jobs, args.workers)
    print("| thinking.budget_tokens | log2 | finished | median actions to finish | median of all runs |")
    print("|---:|---:|:---:|---:|---:|")
    for i, b in enumerate(args.budgets):
        group = runs[i * len(ws) : (i + 1) * len(ws)]
        done = [o for o in group if o.finished]
        log = f"{math.log2(b):.1f}" if b else "—"
        print(
            f"| {b} | {log} | {len(done)}/{len(group)} | {_median([o.actions for o in done])} "
            f"| {_median([o.actions for o in group])} |"
        )


def cmd_branches(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    jobs = [(w, (f"branching.branches={n}",)) for n in args.n for w in ws]
    runs = _many(jobs, args.workers)
    print("| branches | finished | median actions committed | median wall s |")
    print("|---:|:---:|---:|---:|")
    for i, n in enumerate(args.n):
        group = runs[i * len(ws) : (i + 1) * len(ws)]
        done = [o for o in group if o.finished]
        print(
            f"| {n} | {len(done)}/{len(group)} | {_median([o.actions for o in done])} "
            f"| {_median([o.seconds for o in group])} |"
        )


# The spatial aids, switched on and off together and apart (issue 16): the minimap and navigate_to.
AIDS: dict[str, tuple[str, ...]] = {
    "minimap + navigate_to": (),
    "minimap only": ("tools.navigate=false",),
    "navigate_to only": ("channels.minimap=false",),
    "neither": ("tools.navigate=false", "channels.minimap=false"),
}


def cmd_navigate(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    jobs = [(w, sets) for sets in AIDS.values() for w in ws]
    runs = _many(jobs, args.workers)
    print("| aids | finished | median actions | median steps | median presses | actions, per world |")
    print("|---|:---:|---:|---:|---:|---|")
    base: dict[int, int] = {}
    for i, name in enumerate(AIDS):
        group = runs[i * len(ws) : (i + 1) * len(ws)]
        done = [o for o in group if o.finished]
        if i == 0:
            base = {o.world: o.actions for o in done}
        each = " ".join(f"{o.actions}" if o.finished else f"({o.milestones}/22)" for o in group)
        print(f"| {name} | {len(done)}/{len(group)} | {_median([o.actions for o in done])} "
              f"| {_median([o.steps for o in done])} | {_median([o.presses for o in done])} | {each} |")  # fmt: skip
        if i > 0:
            ratios = [o.actions / base[o.world] for o in done if o.world in base]
            if ratios:
                print(f"|   ratio to both on (median) | | {statistics.median(ratios):.2f} | | | |")


def cmd_optimum(args: argparse.Namespace) -> None:
    ws = worlds(args.worlds)
    best = _optima(ws, args.workers)
    values = sorted(best.values())
    q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    print(f"worlds {ws[0]}-{ws[-1]}: min {values[0]:,}, quartiles {q[0]:,.0f} / {q[1]:,.0f} / {q[2]:,.0f}, ", end="")
    print(f"max {values[-1]:,}")
    print(", ".join(f"{w}: {n}" for w, n in best.items()))


def cmd_speed(args: argparse.Namespace) -> None:
    from pyboy import PyBoy

    def fps(prepare: Callable[[Any], None], frames: int, rom: str = ROM) -> float:
        pyboy = PyBoy(str(bundled_rom(rom)), window="null", sound_emulated=False)
        prepare(pyboy)
        started = time.perf_counter()
        for _ in range(frames):
            pyboy.tick(1, False)
        rate = frames / (time.perf_counter() - started)
        pyboy.stop(save=False)
        return rate

    def title(pyboy: Any) -> None:
        pyboy.tick(300, False)

    def overworld(pyboy: Any) -> None:
        pyboy.tick(300, False)
        pyboy.button("start", 2)
        pyboy.tick(200, False)

    # Interleaved, so that load on the shared machine falls on every side alike; the classic cartridge's title
    # screen is the yardstick the ratios are taken against.
    sides = {"classic title": (title, "animus-quest-classic"), "title": (title, ROM), "overworld": (overworld, ROM)}
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.reps):
        for name, (prepare, rom) in sides.items():
            rates[name].append(fps(prepare, args.frames, rom))
    base = statistics.median(rates["classic title"])
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name}: median {median:,.0f} frames/s over {args.reps} runs of {args.frames:,} (x{median / base:.2f})")


def _chart(groups: dict[str, list[Outcome]], out: Path) -> None:
    """Milestones reached against actions (log scale): at each x, the median over a group's runs and the min-max
    band. A run that ended (finished, or out of steps) keeps the level it ended at."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = max(o.actions for runs in groups.values() for o in runs)
    ends = {float(o.actions) for runs in groups.values() for o in runs}  # each run's last point, its final level
    xs = sorted({10 * (top / 10) ** (i / 299) for i in range(300)} | ends)

    def level(o: Outcome, x: float) -> float:
        return float(sum(1 for actions, _ in o.curve if actions <= x))  # a run that ended keeps its last level

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, runs in groups.items():
        live = [(x, [level(o, x) for o in runs]) for x in xs]
        line = ax.plot([x for x, _ in live], [statistics.median(vs) for _, vs in live], label=name)[0]
        lo, hi = [min(vs) for _, vs in live], [max(vs) for _, vs in live]
        ax.fill_between([x for x, _ in live], lo, hi, alpha=0.2, color=line.get_color(), step="post")
    ax.set_xscale("log")
    ax.set_xlabel("actions (log scale)")
    ax.set_ylabel("milestones reached")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("mock", "ablation", "thinking", "branches", "optimum", "speed", "navigate"):
        p = sub.add_parser(name)
        p.add_argument("--worlds", default="0-99" if name == "optimum" else "1000-1009")
        p.add_argument("--workers", type=int, default=2)
        if name == "thinking":
            p.add_argument("--budgets", type=int, nargs="+", default=[0, 1024, 2048, 4096, 8192])
        if name == "branches":
            p.add_argument("--n", type=int, nargs="+", default=[1, 4])
        if name == "ablation":
            p.add_argument("--chart", help="also draw milestones against actions (PNG)")
        if name == "speed":
            p.add_argument("--frames", type=int, default=60_000)
            p.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}")
    {
        "mock": cmd_mock,
        "ablation": cmd_ablation,
        "thinking": cmd_thinking,
        "branches": cmd_branches,
        "optimum": cmd_optimum,
        "speed": cmd_speed,
        "navigate": cmd_navigate,
    }[args.cmd](args)


if __name__ == "__main__":
    main()
