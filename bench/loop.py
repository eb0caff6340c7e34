"""Benchmark: the harness overhead of Animus's loop per step, its drift over a long run, and frames/s against raw PyBoy.

The loop is the real one (`animus.runs.runner.start_run`) with the `random` model and full recording: the SQLite
run store, every step committed, keyframes at the config's default interval, on the bundled classic Animus Quest
cartridge, in a temporary runs directory. `stop_on_finish` is off so every run plays exactly its step budget.

- Overhead per step = step wall time - emulation time - model time. An `on_step` callback (called at the end of
  each step's `record`) samples `time.perf_counter()` and the Agent's cumulative `timing.emulation` and
  `timing.model`; consecutive samples bound one step (the first step is bounded by `on_start`). Reported as the
  median and p90 over one long run, and as medians over a window at its start and at its end, with their ratio.
- Frames/s: interleaved repetitions of (a short loop run, raw PyBoy replaying the inputs that run logged). The
  replay makes the same emulator calls the loop made (press, tick hold frames unrendered, release, tick the wait,
  rendering only each step's last frame) and nothing else. Loop frames/s = frames / wall time from `on_start` to
  the last step (run set-up, i.e. creating the store and booting, excluded).

    python bench/loop.py [--steps 50000] [--window 1000] [--reps 3] [--rep-steps 2000] [--long-reps 3]
    python bench/loop.py --quick          # 5,000 steps, windows at 1,000 and 5,000
    python bench/loop.py --profile 500    # only: cProfile 500 loop steps, print the top contributors
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import animus
from animus.agent.loop import Agent
from animus.config import load_config
from animus.emulator import bundled_rom
from animus.runs.runner import start_run

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using SDL2 binaries", category=UserWarning)
    from pyboy import PyBoy

Ops = list[tuple[tuple[str, ...], int, int]]


def classic_rom() -> Path:
    """The classic Animus Quest, which every recorded result played. By path, not by name: bench/versus.py runs
    this script on an older src/ too, whose `bundled_rom()` takes no name (the classic was its only cartridge)."""
    try:
        return bundled_rom("animus-quest-classic")
    except TypeError:
        return bundled_rom()


@dataclass
class LoopRun:
    """Cumulative samples after each step (index 0: at `on_start`), and what the run played."""

    wall: list[float] = field(default_factory=list)
    emulation: list[float] = field(default_factory=list)
    model: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    keyframe_every: int = 0
    run_dir: Path | None = None

    def sample(self, agent: Agent) -> None:
        self.wall.append(time.perf_counter())
        self.emulation.append(agent.timing.emulation)
        self.model.append(agent.timing.model)
        self.frames.append(agent.p.gb.frame_count)

    def overheads(self) -> list[float]:
        """Harness seconds of each step: its wall time minus its emulation and model time."""
        w, e, m = self.wall, self.emulation, self.model
        return [(w[i] - w[i - 1]) - (e[i] - e[i - 1]) - (m[i] - m[i - 1]) for i in range(1, len(w))]

    @property
    def steps(self) -> int:
        return len(self.wall) - 1

    @property
    def total_frames(self) -> int:
        return self.frames[-1] - self.frames[0]

    @property
    def seconds(self) -> float:
        return self.wall[-1] - self.wall[0]


def run_loop(steps: int, runs_dir: Path, name: str, seed: int = 0, progress: int = 0) -> LoopRun:
    overrides = {"rom": str(classic_rom()), "model": "random", "seed": seed, "budget.steps": steps}
    config = load_config(overrides={**overrides, "stop_on_finish": False})
    out = LoopRun(keyframe_every=config.record.keyframe_every)

    def on_step(agent: Agent) -> None:
        out.sample(agent)
        if progress and agent.counters.step % progress == 0:
            print(f"  ... step {agent.counters.step:,} ({out.seconds:,.0f} s)", file=sys.stderr, flush=True)

    def on_start(agent: Agent) -> None:
        agent.on_step = on_step
        out.sample(agent)

    end = start_run(config, runs_dir, name=name, on_start=on_start)
    if end.steps != steps:
        raise SystemExit(f"the loop stopped after {end.steps} of {steps} steps: {end.status} ({end.reason})")
    out.run_dir = end.run_dir
    return out


def logged_inputs(run_dir: Path) -> list[Ops]:
    """Each step's inputs as the run store logged them."""
    run = animus.open_run(run_dir)
    try:
        return [row.input_ops() for row in run.steps()]
    finally:
        run.close()


def run_raw(rom: bytes, steps: list[Ops]) -> tuple[int, float]:
    """Replay `steps` on raw PyBoy; return (frames, seconds)."""
    pyboy = PyBoy(io.BytesIO(rom), window="null", sound_emulated=False)
    try:
        pyboy.tick(64, True, False)  # the boot ROM, as bench/emulator.py does
        frames = 0
        t0 = time.perf_counter()
        for ops in steps:
            last = len(ops) - 1
            for i, (buttons, hold, wait) in enumerate(ops):
                if buttons:
                    for b in buttons:
                        pyboy.button_press(b)
                    pyboy.tick(hold, False, False)
                    for b in buttons:
                        pyboy.button_release(b)
                pyboy.tick(wait, i == last, False)
                frames += hold + wait
        return frames, time.perf_counter() - t0
    finally:
        pyboy.stop(save=False)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def profile_steps(steps: int, tmp: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run = run_loop(steps, tmp, "profile")
    profiler.disable()
    print(f"cProfile of {steps} loop steps ({run.seconds:.2f} s wall from on_start, profiler overhead included)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(r"animus|sqlite3|hashlib|zlib|json", 35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="steps of the long run (drift)")
    parser.add_argument("--window", type=int, default=1000, help="steps in each window of the drift measurement")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of (loop run, raw replay) for frames/s")
    parser.add_argument("--rep-steps", type=int, default=2000, help="steps of each frames/s repetition")
    parser.add_argument("--long-reps", type=int, default=3, help="repetitions of the long run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="5,000 steps, windows at 1,000 and 5,000")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile N loop steps with cProfile")
    args = parser.parse_args()
    if args.quick:
        args.steps = 5000
    if args.steps < 2 * args.window:
        parser.error("--steps must be at least twice --window")

    rom = classic_rom().read_bytes()
    with tempfile.TemporaryDirectory(prefix="animus-bench-loop-") as tmp_name:
        tmp = Path(tmp_name)
        if args.profile:
            profile_steps(args.profile, tmp)
            return

        fps_loop, fps_raw, ratios = [], [], []
        for rep in range(args.reps):
            run = run_loop(args.rep_steps, tmp, f"rep{rep}", seed=args.seed)
            assert run.run_dir is not None
            raw_frames, raw_seconds = run_raw(rom, logged_inputs(run.run_dir))
            if raw_frames != run.total_frames:
                raise SystemExit(f"replay played {raw_frames} frames, the loop {run.total_frames}")
            lf, rf = run.total_frames / run.seconds, raw_frames / raw_seconds
            fps_loop.append(lf)
            fps_raw.append(rf)
            ratios.append(lf / rf)
            over = statistics.median(run.overheads())
            print(f"rep {rep + 1}: raw {rf:,.0f} fps  loop {lf:,.0f} fps ({lf / rf:.3f})  median overhead {ms(over)}")

        # The machine is shared: a burst of load can slow a whole window. Repeat the long run and take medians.
        earlies, lates, medians = [], [], []
        for rep in range(args.long_reps):
            print(f"long run {rep + 1}/{args.long_reps}: {args.steps:,} steps ...", flush=True)
            run = run_loop(args.steps, tmp, f"long{rep}", seed=args.seed, progress=10_000)
            over = run.overheads()
            n, w = len(over), args.window
            earlies.append(statistics.median(over[:w]))
            lates.append(statistics.median(over[n - w :]))
            medians.append(statistics.median(over))
            print(f"  median {ms(medians[-1])}, steps 1-{w:,} {ms(earlies[-1])}, last {w:,} {ms(lates[-1])}")
        early, late = statistics.median(earlies), statistics.median(lates)
        keyframe_steps = [o for i, o in enumerate(over, start=1) if i % run.keyframe_every == 0]
        other_steps = [o for i, o in enumerate(over, start=1) if i % run.keyframe_every]
        step_wall = [b - a for a, b in zip(run.wall, run.wall[1:], strict=False)]

    print(f"command: {' '.join(['python', *sys.argv])}")
    print(
        f"machine: {platform.machine()}, {cpu_model()}, {platform.python_implementation()} "
        f"{platform.python_version()}, pyboy {version('pyboy')}"
    )
    print(f"keyframe interval: {run.keyframe_every} steps (config default); model: random, seed {args.seed}")
    print(f"frames/s: {args.reps} repetitions of {args.rep_steps:,} steps")
    print(f"  median raw PyBoy: {statistics.median(fps_raw):,.0f} frames/s")
    print(f"  median loop:      {statistics.median(fps_loop):,.0f} frames/s")
    print(f"  median ratio loop/raw: {statistics.median(ratios):.3f}")
    print(f"long runs: {args.long_reps} x {n:,} steps; the last: {run.total_frames:,} frames, {run.seconds:,.1f} s")
    print(f"  median step wall time (last run): {ms(statistics.median(step_wall))}")
    print(
        f"  overhead per step: median over runs {ms(statistics.median(medians))}; last run p90 {ms(p90(over))}, "
        f"mean {ms(statistics.mean(over))}"
    )
    print(
        f"  overhead on keyframe steps: median {ms(statistics.median(keyframe_steps))} ({len(keyframe_steps)} steps); "
        f"other steps: median {ms(statistics.median(other_steps))}"
    )
    print(f"  median overhead, steps 1-{w:,} (median over runs): {ms(early)}")
    print(f"  median overhead, steps {n - w + 1:,}-{n:,} (median over runs): {ms(late)}")
    print(f"  ratio late/early: {late / early:.3f}")
    print(
        f"targets: overhead <= 0.5 ms/step: {'met' if statistics.median(medians) <= 0.5e-3 else 'MISSED'}; "
        f"late window within 10% of early: {'met' if abs(late / early - 1) <= 0.10 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
