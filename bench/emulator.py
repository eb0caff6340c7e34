"""Benchmark: frames per second through the GameBoy facade against raw PyBoy making the same calls.

Both drive the bundled classic Animus Quest cartridge with the same seeded schedule: START, then random presses held
2-8 frames and followed by 8-30 frames of waiting, rendering only each step's last frame and copying it out as
RGB. A third side is the facade plus the per-step frame and RAM hashes a recorded run takes. The sides alternate
within one process (A B C A B C ...), so machine noise hits all alike. Reports the median frames/s of each side
and the median of the per-repetition ratios against raw PyBoy.

    python bench/emulator.py [--reps 5] [--steps 2000]
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import statistics
import time

from pyboy import PyBoy

from animus.emulator import GameBoy, bundled_rom

ROM = "animus-quest-classic"  # the cartridge every recorded result played
BUTTONS = ["up", "down", "left", "right", "a", "a", "b"]


def schedule(steps: int, seed: int = 1) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    return [("start", 4, 20)] + [(rng.choice(BUTTONS), rng.randint(2, 8), rng.randint(8, 30)) for _ in range(steps - 1)]


def run_facade(plan: list[tuple[str, int, int]], hashes: bool = False) -> float:
    with GameBoy(bundled_rom(ROM)) as gb:
        start_frames = gb.frame_count
        t0 = time.perf_counter()
        for button, hold, wait in plan:
            gb.press(button, hold, wait)
            gb.frame()
            if hashes:  # what a recorded step adds: the per-step frame and RAM hashes
                gb.frame_hash()
                gb.ram_hash()
        elapsed = time.perf_counter() - t0
        return (gb.frame_count - start_frames) / elapsed


def run_raw(plan: list[tuple[str, int, int]]) -> float:
    pyboy = PyBoy(io.BytesIO(bundled_rom(ROM).read_bytes()), window="null", sound_emulated=False)
    try:
        pyboy.tick(64, True, False)  # the boot ROM, as the facade runs it before handing over
        frames = 0
        t0 = time.perf_counter()
        for button, hold, wait in plan:
            pyboy.button_press(button)
            pyboy.tick(hold, False, False)
            pyboy.button_release(button)
            pyboy.tick(wait, True, False)
            pyboy.screen.ndarray[:, :, :3].copy()
            frames += hold + wait
        elapsed = time.perf_counter() - t0
        return frames / elapsed
    finally:
        pyboy.stop(save=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()

    plan = schedule(args.steps)
    raw, facade, hashed, ratios, hashed_ratios = [], [], [], [], []
    for rep in range(args.reps):
        r = run_raw(plan)
        f = run_facade(plan)
        h = run_facade(plan, hashes=True)
        raw.append(r)
        facade.append(f)
        hashed.append(h)
        ratios.append(f / r)
        hashed_ratios.append(h / r)
        print(f"rep {rep + 1}: raw {r:,.0f} fps  facade {f:,.0f} ({f / r:.3f})  facade+hashes {h:,.0f} ({h / r:.3f})")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"steps per repetition: {len(plan)}, frames: {sum(h + w for _, h, w in plan)}")
    print(f"median raw PyBoy: {statistics.median(raw):,.0f} frames/s")
    print(f"median facade:    {statistics.median(facade):,.0f} frames/s")
    print(f"median facade+hashes: {statistics.median(hashed):,.0f} frames/s")
    print(f"median ratio facade/raw: {statistics.median(ratios):.3f}")
    print(f"median ratio facade+hashes/raw: {statistics.median(hashed_ratios):.3f}")


if __name__ == "__main__":
    main()
