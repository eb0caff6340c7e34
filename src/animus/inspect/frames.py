"""`FrameSource`: the frame after any step of a run, rebuilt from the run store alone.

Frames are not stored. The frame after step N comes from the nearest keyframe at or before N plus the logged
inputs of the steps after it, played on the run's own ROM, rendering only each step's last frame as the run did.
Consecutive requests continue from where the emulator stands instead of reloading, and recent frames are cached.
"""

from __future__ import annotations

import io
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from animus.agent.tools import InputOp, apply_ops
from animus.emulator import bundled_roms, read_rom
from animus.errors import RunError
from animus.runs.meta import RunMeta
from animus.runs.reader import RunReader

if TYPE_CHECKING:
    import numpy as np

    from animus.emulator.gameboy import GameBoy


def run_rom(meta: RunMeta, rom: str | Path | None = None) -> Path:
    """The ROM a run played: `rom` if given, else the stored path, else a bundled cartridge whose hash matches.

    Raises `RomError` for a `rom` that is missing or not a ROM, and `RunError` for a `rom` that is another ROM or
    when neither the stored path nor any bundled cartridge has the run's sha256.
    """
    want = meta.rom_sha256
    if rom is not None:  # the user named it: say what is wrong with it, not that the run's ROM was not found
        _, info = read_rom(rom)
        if info.sha256 != want:
            raise RunError(
                f"--rom {rom} is not the ROM this run played (its sha256 is {info.sha256[:12]}…, the run's "
                f"{want[:12]}…): give the run's own ROM."
            )
        return Path(rom)
    for path in (Path(meta.rom_path), *bundled_roms()):
        if path.is_file() and read_rom(path)[1].sha256 == want:
            return path
    raise RunError(f"cannot find the ROM this run played (sha256 {want[:12]}…): pass it with --rom PATH.")


class FrameSource:
    """Frames of one run, by step (0 is the start state). Open it with a read-only store; `close` when done."""

    def __init__(self, store: RunReader, rom: str | Path | None = None, cache: int = 32) -> None:
        from animus.emulator.gameboy import GameBoy

        self.store = store
        self._gb: GameBoy = GameBoy(run_rom(store.meta(), rom))
        self._at: int | None = None  # the step whose end state the emulator holds
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._size = cache

    def frame(self, step: int) -> np.ndarray:
        """The RGB frame (144, 160, 3) shown at the end of `step`. Raises `RunError` for a step not recorded."""
        if step in self._cache:
            self._cache.move_to_end(step)
            return self._cache[step]
        last = self.store.last_step()
        if not 0 <= step <= last:
            raise RunError(f"step {step} is not in this run (it has steps 0-{last}).")
        keyframe = self.store.keyframe_at_or_before(step)
        if self._at is None or not keyframe.step <= self._at <= step:
            self._gb.load_state(zlib.decompress(keyframe.state))
            self._at = keyframe.step
        for row in self.store.steps(self._at + 1, step):
            apply_ops(self._gb, [InputOp(b, h, w) for b, h, w in row.input_ops()], render=row.step == step)
        self._at = step
        frame = self._gb.frame()
        self._cache[step] = frame
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return frame

    def png(self, step: int, scale: int = 1) -> bytes:
        """The frame after `step` as PNG bytes, scaled up by `scale` with crisp (nearest) pixels."""
        from PIL import Image

        image = Image.fromarray(self.frame(step))
        if scale > 1:
            image = image.resize((160 * scale, 144 * scale), Image.Resampling.NEAREST)
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    @property
    def gameboy(self) -> GameBoy:
        return self._gb

    def close(self) -> None:
        self._gb.close()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
