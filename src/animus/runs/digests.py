"""Which digest a run's frame and RAM hashes were recorded with, so that verify and resume compare like with like.

Runs record `meta.hashes` (a name from `animus.emulator.gameboy.HASHES`). The first runs of this project were made
before that key existed, and some of them hashed with BLAKE2b: for a run without the key, the digest is the one
that reproduces the RAM hash of its first step, replayed from its start state.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from animus.agent.tools import InputOp, apply_ops
from animus.runs.reader import RunReader

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy

DEFAULT = "sha256"


def use_recorded_hash(store: RunReader, gb: GameBoy) -> str:
    """Make `gb` hash as `store`'s steps were hashed, and return the digest's name. For a run without `hashes` in
    its meta this replays its first step on `gb`, which callers then put where they need it (`load_state`)."""
    from animus.emulator.gameboy import HASHES

    name = store.meta().hashes
    if name is None:
        name = _detect(store, gb, tuple(HASHES))
    gb.use_hash(name)
    return name


def _detect(store: RunReader, gb: GameBoy, names: tuple[str, ...]) -> str:
    first = store.step(1)
    if first is None:
        return DEFAULT
    gb.load_state(zlib.decompress(store.keyframe_at_or_before(0).state))
    apply_ops(gb, [InputOp(b, h, w) for b, h, w in first.input_ops()])
    for name in (DEFAULT, *(n for n in names if n != DEFAULT)):
        gb.use_hash(name)
        if gb.ram_hash() == first.ram_hash:
            return name
    return DEFAULT  # none reproduces it: the comparison that follows names the step that differs
