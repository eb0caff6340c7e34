"""Benchmark: seeking in the replay viewer. Results: bench/RESULTS.md, "replay".

Builds a long Animus Quest run with the `random` model at the default keyframe interval (200 steps), then seeks
to seeded random steps, cold: every target is at least two keyframe intervals away from the previous one and
never repeats, so neither the emulator's position nor the frame cache helps. Each seek is timed through
`FrameSource.png` (what `/api/frame/N.png` calls), then through the HTTP endpoint of a viewer running in its own
process, which adds the request, the worker hand-off and the transfer. Also times `/api/step/N`, `/api/memory/N` and one
search over the whole run.

    python bench/replay.py [--steps 100000] [--seeks 200] [--seed 0] [--run DIR]

`--run DIR` reuses a run built before (building 100,000 steps takes about two minutes).
"""

from __future__ import annotations

import argparse
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from animus.config import load_config
from animus.inspect.frames import FrameSource
from animus.inspect.server import FrameStore
from animus.runs.runner import start_run
from animus.runs.store import RunStore

ROM = "animus-quest-classic"  # the cartridge every recorded result played
TARGET_P95_MS = 150.0
SERVE = (  # Ctrl-C handling restored: a shell's background job starts with SIGINT ignored
    "import signal, sys; from pathlib import Path; from animus.inspect.server import serve; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "serve(Path(sys.argv[1]), ready=lambda url: print(url, flush=True))"
)


def build(runs_dir: Path, steps: int) -> Path:
    config = load_config(overrides={"rom": ROM, "model": "random", "budget.steps": steps, "stop_on_finish": False})
    t0 = time.perf_counter()
    end = start_run(config, runs_dir, "long")
    print(f"built {end.steps:,} steps in {time.perf_counter() - t0:,.1f} s: {end.run_dir}", file=sys.stderr)
    return end.run_dir


def cold_targets(last: int, count: int, gap: int, rng: random.Random) -> list[int]:
    """`count` distinct steps in 0..last, each at least `gap` steps from the one before."""
    targets: list[int] = []
    seen: set[int] = set()
    while len(targets) < count:
        n = rng.randrange(0, last + 1)
        if n in seen or (targets and abs(n - targets[-1]) < gap):
            continue
        seen.add(n)
        targets.append(n)
    return targets


def timed(fn: Callable[[int], object], targets: list[int]) -> list[float]:
    out = []
    for n in targets:
        t0 = time.perf_counter()
        fn(n)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, ms: list[float]) -> str:
    return f"| {name} | {len(ms)} | {pct(ms, 0.5):.1f} | {pct(ms, 0.95):.1f} | {max(ms):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run", type=Path, help="an existing run directory to seek in, instead of building one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run or build(Path(tmp), args.steps)
        with RunStore.open(run_dir) as store:
            last = store.last_step()
            keyframe_every = int(store.meta().config["record"]["keyframe_every"])
        rng = random.Random(args.seed)
        gap = 2 * keyframe_every

        # FrameStore: the viewer's store, whose empty step ranges stay empty (see its docstring).
        with FrameStore.open(run_dir) as store, FrameSource(store) as frames:
            frames.png(0)  # boot and first load outside the timing
            targets = cold_targets(last, args.seeks, gap, rng)
            direct = timed(frames.png, targets)

        # The viewer in its own process, as `animus replay` runs it; this process plays the browser.
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(run_dir)], stdout=subprocess.PIPE, text=True, bufsize=1
        )
        try:
            assert server.stdout is not None
            base = server.stdout.readline().strip().rstrip("/")

            def get(path: str) -> bytes:
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    body: bytes = response.read()
                    return body

            get("/api/frame/0.png")
            get("/api/memory/0")  # the first memory request reads every event once
            # The same targets as above: the server is another process, so nothing of them is cached there.
            http = timed(lambda n: get(f"/api/frame/{n}.png"), targets)
            details = timed(lambda n: get(f"/api/step/{n}"), cold_targets(last, args.seeks, gap, rng))
            memory = timed(lambda n: get(f"/api/memory/{n}"), cold_targets(last, args.seeks, gap, rng))
            search_hits = timed(lambda n: get("/api/search?q=press"), [0, 1, 2])
            search_none = timed(lambda n: get("/api/search?q=no-such-text"), [0, 1, 2])
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    print(f"command: {' '.join(['python', *sys.argv])}")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"run: {last:,} steps, keyframe every {keyframe_every} steps; {args.seeks} cold seeks each, seed {args.seed}")
    print("| what | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(row("seek: `FrameSource.png(step)`", direct))
    print(row("seek: `GET /api/frame/N.png`", http))
    print(row("`GET /api/step/N`", details))
    print(row("`GET /api/memory/N`", memory))
    print(row("`GET /api/search?q=press` (stops at 200 hits)", search_hits))
    print(row("`GET /api/search?q=no-such-text` (scans every call)", search_none))
    worst = max(pct(direct, 0.95), pct(http, 0.95))
    verdict = "meets" if worst <= TARGET_P95_MS else "MISSES"
    print(f"seek p95 {worst:.1f} ms {verdict} the target of {TARGET_P95_MS:.0f} ms")


if __name__ == "__main__":
    main()
