"""`verify_run`: re-simulate a whole run from its stored start state and inputs, and compare with the store.

Replay is proof: PyBoy is deterministic given the ROM, the start state and frame-exact inputs. Every step's stored
frame count, RAM hash, frame hash, screen hash and game state are checked, and the milestone timeline is rebuilt
with the run's own profile and compared row by row. The first difference is reported with its step. First, a
damaged store (`animus.runs.health.check`: SQLite's page check, every keyframe, every model call) is refused
with `RunError`, so a store is never reported healthy when part of it cannot be read.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from animus.agent.tools import InputOp, apply_ops
from animus.config import stored_config
from animus.games import Tracker, load_profile
from animus.inspect.frames import run_rom
from animus.runs import health
from animus.runs.digests import use_recorded_hash
from animus.runs.reader import RunReader
from animus.runs.runner import PROFILE_FILE
from animus.runs.setup import set_world, world_of

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy
    from animus.games import Profile


@dataclass(frozen=True)
class Verdict:
    """What verify found: `ok`, how many steps it checked, and the first divergence (step and what differs)."""

    ok: bool
    steps: int
    step: int | None = None
    problem: str = ""


def verify_run(run_dir: Path, rom: str | Path | None = None, progress: Callable[[int], None] | None = None) -> Verdict:
    """Re-simulate the run at `run_dir` from keyframe 0 and check every step against the store."""
    from animus.emulator.gameboy import GameBoy

    with RunReader.open(run_dir) as store:
        health.check(store, deep=True)  # damage SQLite would not notice in the rows the re-simulation reads
        profile = load_profile(str(run_dir / PROFILE_FILE))
        stored = {m.id: m for m in store.milestones()}
        hide = stored_config(store.meta().config).channels.hidden  # the state text as the run's channels drew it
        seen: set[str] = set()
        with GameBoy(run_rom(store.meta(), rom)) as gb:
            use_recorded_hash(store, gb)
            start = zlib.decompress(store.keyframe_at_or_before(0).state)
            if problem := _check_world(gb, profile, store, start):
                return Verdict(False, 0, 0, problem)
            gb.load_state(start)
            tracker, actions, checked = Tracker(profile), 0, 0
            for row in store.steps():
                if row.step != checked + 1:
                    return Verdict(False, checked, row.step, f"step {checked + 1} is missing from the store")
                if row.frame_start != gb.frame_count:
                    return Verdict(False, checked, row.step, f"frame_start {row.frame_start} != {gb.frame_count}")
                apply_ops(gb, [InputOp(b, h, w) for b, h, w in row.input_ops()])
                state = profile.read(gb, hide)
                actions += row.step_actions
                for column, want, got in (
                    ("frame_end", row.frame_end, gb.frame_count),
                    ("ram_hash", row.ram_hash, gb.ram_hash()),
                    ("frame_hash", row.frame_hash, gb.frame_hash()),
                    ("screen", row.screen, state.screen),
                    ("state", row.state, state.to_json()),
                    ("actions", row.actions, actions),
                ):
                    if want != got:
                        return Verdict(False, checked, row.step, f"{column} differs: stored {want!r}, replayed {got!r}")
                for m in tracker.update(state):
                    seen.add(m.id)
                    rec = stored.get(m.id)
                    if rec is None or (rec.step, rec.actions) != (row.step, row.actions):
                        where = "missing" if rec is None else f"stored at step {rec.step}, actions {rec.actions}"
                        return Verdict(False, checked, row.step, f"milestone {m.id!r} reached here but {where}")
                checked = row.step
                if progress is not None:
                    progress(checked)
        extra = sorted(set(stored) - seen)
        if extra:
            first = min(stored[i].step for i in extra)
            return Verdict(False, checked, first, f"milestone(s) {', '.join(extra)} stored but never reached in replay")
    return Verdict(True, checked)


def _check_world(gb: GameBoy, profile: Profile, store: RunReader, start: bytes) -> str:
    """For a game with seeded worlds: the start state must be power-on plus the config's world ("" when it is).

    `gb` is freshly booted; the setup is done again on it and compared with the stored start state. A run that
    began from a user's save state plays whatever world that state holds, so there is nothing to check.
    """
    meta = store.meta()
    if profile.world is None or meta.start_state:
        return ""
    want = stored_config(meta.config).game.world
    set_world(gb, profile, want)
    fresh = (gb.frame_count, gb.ram_hash())
    gb.load_state(start)
    if (gb.frame_count, gb.ram_hash()) != fresh:
        return f"the start state is not power-on plus world {want} (frame {gb.frame_count} vs {fresh[0]})"
    got = world_of(gb, profile)
    return "" if got == want else f"world differs: the config says {want}, the start state holds {got}"
