"""`animus compact RUN`: thin a run's keyframes to save space, keeping it verifiable and seekable.

Keyframes are only shortcuts: any state can be rebuilt from an earlier keyframe and the logged inputs, so dropping
some loses nothing but seek time. Compacting keeps the start state (step 0), every `every`-th keyframe, the last
one, and the last keyframe at or before each milestone's step (so the moments people look at stay quick to reach).
It takes the run's write lock, so a run being played is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from animus.errors import RunError
from animus.runs.store import DB_NAME, RunStore


@dataclass(frozen=True)
class Compacted:
    """What compacting did: keyframes before and after, and the bytes the run directory's database shrank by."""

    keyframes_before: int
    keyframes_after: int
    bytes_before: int
    bytes_after: int

    @property
    def saved(self) -> int:
        return self.bytes_before - self.bytes_after


def compact_run(run_dir: Path, every: int = 10) -> Compacted:
    """Keep every `every`-th keyframe (plus step 0, the last, and one per milestone); drop the rest."""
    if every < 1:
        raise RunError(f"--every must be at least 1 (got {every}): 1 keeps every keyframe, 10 keeps one in ten.")
    before = _size(run_dir)
    with RunStore.open(run_dir, write=True) as store:
        steps = [step for step, _ in store.keyframe_steps()]
        keep = {0, steps[-1]} if steps else {0}
        keep |= {step for i, step in enumerate(steps) if i % every == 0}
        for m in store.milestones():
            at_or_before = [s for s in steps if s <= m.step]
            if at_or_before:
                keep.add(at_or_before[-1])
        store.drop_keyframes([s for s in steps if s not in keep])
        after_count = len(store.keyframe_steps())
    return Compacted(len(steps), after_count, before, _size(run_dir))


def _size(run_dir: Path) -> int:
    """Bytes of the database and its write-ahead log."""
    total = 0
    for name in (DB_NAME, f"{DB_NAME}-wal"):
        path = run_dir / name
        if path.is_file():
            total += path.stat().st_size
    if total == 0:
        raise RunError(f"no run at {run_dir}: it has no {DB_NAME}.")
    return total
