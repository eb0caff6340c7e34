"""`GameBoy`: the one facade over PyBoy. No other module of Animus imports `pyboy`.

Contracts that hold for every method:
- Nothing is ever written beside the ROM: PyBoy gets the ROM's bytes, not its path, and cartridge RAM stays in
  memory (`stop(save=False)`).
- No window, no audio device; sound emulation is off unless asked for.
- PyBoy's built-in game wrappers (chosen by cartridge title) are never called, and anything they print while
  PyBoy ticks is swallowed, so a ROM titled TETRIS or 2048 runs quietly.
- Inputs are explicit press and release around ticks: after any public call returns, no button is held and no
  release is pending, so `save_state` can be called at any time between calls.
"""

from __future__ import annotations

import hashlib
import io
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import numpy as np

with warnings.catch_warnings():
    # PyBoy imports PySDL2, which warns on first import that it uses its bundled SDL2 binaries. Animus never opens
    # a window, and the warning would reach the user's terminal on every command.
    warnings.filterwarnings("ignore", message="Using SDL2 binaries", category=UserWarning)
    from pyboy import PyBoy  # type: ignore[import-untyped]

from animus.emulator.constants import BUTTONS, RAM_HASH_REGIONS
from animus.emulator.rom import read_rom
from animus.emulator.savestate import MAGIC as ENVELOPE_MAGIC
from animus.emulator.savestate import SaveState
from animus.errors import AnimusError, ButtonError, RomError, StateError

# The cartridge's entry point; the boot ROM jumps here when it hands over.
_CARTRIDGE_ENTRY = 0x0100
_MAX_BOOT_FRAMES = 600
# Frames run (and thrown away) before the first load_state: the first frame rendered after a load into a fresh
# PyBoy can differ from an uninterrupted run (design.md §7); an instance that has run a while does not show it.
_WARM_UP_FRAMES = 240
_MAX_CHUNK_FRAMES = 600


def _sha256(data: bytes | memoryview) -> str:
    # SHA-256, cut to 128 bits: on CPUs with SHA instructions it is the fastest strong hash in the standard
    # library (about 50 µs for a frame, against 80 for BLAKE2b), and it runs every step.
    return hashlib.sha256(data).hexdigest()[:32]


def _blake2b(data: bytes | memoryview) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


HASHES = {"sha256": _sha256, "blake2b": _blake2b}
"""The digests `frame_hash` and `ram_hash` can use, by name: 128 bits each, as hex. `sha256` (truncated) is the one
runs record; the first runs of this project (before 2026-11-22 08:18) recorded `blake2b`, which verify needs."""


class GameBoy:
    """A Game Boy running one validated ROM, booted to the cartridge's entry point.

    `GameBoy(path)` validates the ROM (raising `RomError`), starts PyBoy headless, runs the boot ROM until it hands
    over to the cartridge, and keeps that moment as `power_on_state`. Use it as a context manager, or call `close`.
    """

    def __init__(self, rom: str | Path, *, sound: bool = False) -> None:
        self._hash = _sha256
        data, self.rom_info = read_rom(rom)
        try:
            self._pyboy = PyBoy(io.BytesIO(data), window="null", sound_emulated=sound, log_level="CRITICAL")
        except Exception as exc:  # PyBoy's own checks, or a title-matched game wrapper failing at start-up
            raise RomError(
                f"PyBoy could not start {self.rom_info.path} ({type(exc).__name__}: {exc}). If the title "
                f"{self.rom_info.title!r} is also the title of a game PyBoy has a wrapper for, this is a different "
                "build of it: PyBoy's wrapper cannot run it."
            ) from exc
        self._closed = False
        self._frames = 0
        # A title-specific wrapper exists; its post-tick hook may raise on builds it does not expect.
        self._noisy = type(self._pyboy.game_wrapper).__name__ != "PyBoyGameWrapper"
        try:
            self._boot()
            self._state_version = self._pyboy_state()[0]
            self.power_on_state: bytes = self.save_state()
            """The envelope of the moment the boot ROM handed over to the cartridge."""
            self._warm_up()
        except BaseException:
            self.close()
            raise

    # -- time and input -------------------------------------------------------------------------------------

    def tick(self, frames: int = 1, render: bool = True) -> None:
        """Run `frames` frames (>= 0) with the buttons unchanged; render only the last one when `render`."""
        if frames < 0:
            raise ButtonError(f"tick(frames={frames}): frames must be 0 or more.")
        if frames:
            self._run(frames, render)

    def press(
        self,
        buttons: str | Iterable[str],
        hold_frames: int = 4,
        wait_frames: int = 12,
        render: bool = True,
    ) -> None:
        """Hold `buttons` together for `hold_frames`, release them, then run `wait_frames` more frames.

        `buttons` is one name or several from `BUTTONS` (case-insensitive). Both durations must be >= 1: the
        release takes effect at the first wait frame, so when `press` returns nothing is held or pending. Only
        the last frame is rendered, and only when `render` is true.
        """
        names = _button_names(buttons)
        if hold_frames < 1 or wait_frames < 1:
            raise ButtonError(
                f"press(hold_frames={hold_frames}, wait_frames={wait_frames}): both must be at least 1 frame."
            )
        for name in names:
            self._pyboy.button_press(name)
        self._run(hold_frames, False)
        for name in names:
            self._pyboy.button_release(name)
        self._run(wait_frames, render)

    @property
    def frame_count(self) -> int:
        """Frames run since power-on; restored by `load_state`."""
        return self._frames

    # -- reading -------------------------------------------------------------------------------------------

    def frame(self) -> np.ndarray:
        """The last rendered frame: a new (144, 160, 3) uint8 RGB array that later ticks do not change."""
        rgb: np.ndarray = self._pyboy.screen.ndarray[:, :, :3].copy()
        return rgb

    def read(self, address: int, length: int = 1) -> bytes:
        """`length` bytes of the CPU's address space from `address` (0x0000-0xFFFF), as the CPU sees them now."""
        if length < 0 or address < 0 or address + length > 0x10000:
            raise AnimusError(f"read(0x{address:X}, {length}) is outside the 16-bit address space 0x0000-0xFFFF.")
        if length == 0:
            return b""
        return bytes(self._pyboy.memory[address : address + length])

    def write(self, address: int, data: bytes) -> None:
        """Write `data` to work RAM (0xC000-0xDFFF) at `address`, as a game's own store would.

        Only work RAM may be written: it is what a game's documented settings (a world number) live in, and a
        write anywhere else (ROM bank registers, I/O) would change the machine in ways a replay cannot follow.
        """
        if not data or address < 0xC000 or address + len(data) > 0xE000:
            raise AnimusError(f"write(0x{address:X}, {len(data)} bytes) must stay inside work RAM 0xC000-0xDFFF.")
        for offset, byte in enumerate(data):
            self._pyboy.memory[address + offset] = byte

    def frame_hash(self) -> str:
        """A 128-bit hex digest (SHA-256, truncated) of the last rendered frame.

        It hashes PyBoy's RGBA screen buffer in place (alpha is always 255), which is the same information as
        `frame()` without the copy.
        """
        return self._hash(memoryview(self._pyboy.screen.ndarray))

    def ram_hash(self) -> str:
        """A 128-bit hex digest (SHA-256, truncated) of work RAM (0xC000-0xDFFF) and high RAM (0xFF80-0xFFFE)."""
        return self._hash(b"".join(self.read(lo, hi - lo) for lo, hi in RAM_HASH_REGIONS))

    def use_hash(self, name: str) -> None:
        """Make `frame_hash` and `ram_hash` use the digest `name` from `HASHES` (default `sha256`)."""
        self._hash = HASHES[name]

    # -- states --------------------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        """The whole machine as envelope bytes (see `animus.emulator.savestate`), frame count included."""
        return SaveState(
            rom_sha256=self.rom_info.sha256,
            state_version=self._state_version,
            frame_count=self._frames,
            pyboy_state=self._pyboy_state(),
        ).pack()

    def load_state(self, data: bytes) -> None:
        """Restore a state from `save_state`, its last rendered frame and frame count included.

        Raises `StateError` for another ROM's or another PyBoy's state, or bytes that are not a state.
        """
        state = SaveState.unpack(data)
        if state.rom_sha256 != self.rom_info.sha256:
            raise StateError(
                f"save state belongs to the ROM with sha256 {state.rom_sha256[:16]}…, not to "
                f"{self.rom_info.title or 'this ROM'} ({self.rom_info.sha256[:16]}…): open the ROM it was made with."
            )
        if state.state_version != self._state_version:
            raise StateError(
                f"save state has PyBoy state version {state.state_version}, this PyBoy writes "
                f"{self._state_version}: load it with the PyBoy that made it (Animus pins pyboy==2.8.1)."
            )
        self._pyboy.load_state(io.BytesIO(state.pyboy_state))
        self._frames = state.frame_count

    def import_state(self, data: bytes) -> None:
        """Load a user's state: an Animus envelope (fully checked, as `load_state`) or PyBoy's own bytes.

        PyBoy's bytes carry no ROM identity, so only their state version is checked; the frame count stays as it
        is. Raises `StateError` when the bytes are neither, or PyBoy cannot load them.
        """
        if data.startswith(ENVELOPE_MAGIC):
            self.load_state(data)
            return
        if not data or data[0] != self._state_version:
            found = data[0] if data else "nothing"
            raise StateError(
                f"not a save state this PyBoy can load: it starts with state version {found}, this PyBoy writes "
                f"{self._state_version}. Save it with pyboy==2.8.1 (PyBoy.save_state) or with Animus."
            )
        try:
            self._pyboy.load_state(io.BytesIO(data))
        except Exception as exc:  # PyBoy raises assorted errors on truncated or foreign bytes
            raise StateError(f"PyBoy could not load the state ({type(exc).__name__}: {exc}).") from exc

    @property
    def state_version(self) -> int:
        """The save-state format version of this PyBoy (the first byte of its states)."""
        return self._state_version

    def reset(self) -> None:
        """Go back to `power_on_state`, as if the Game Boy had just been switched on."""
        self.load_state(self.power_on_state)

    # -- lifetime ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop PyBoy without writing anything to disk. Calling it again does nothing."""
        if not self._closed:
            self._closed = True
            self._pyboy.stop(save=False)

    def __enter__(self) -> GameBoy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------------------

    def _run(self, frames: int, render: bool) -> None:
        # Long runs go in chunks: Python handles signals only between C calls, and a Ctrl-C should not have to
        # wait for minutes of emulation.
        while frames > 0:
            chunk = min(frames, _MAX_CHUNK_FRAMES)
            draw = render and chunk == frames
            if self._noisy:
                with _swallow_unraisable():
                    self._pyboy.tick(chunk, draw, False)
            else:
                self._pyboy.tick(chunk, draw, False)
            self._frames += chunk
            frames -= chunk

    def _pyboy_state(self) -> bytes:
        buf = io.BytesIO()
        self._pyboy.save_state(buf)
        return buf.getvalue()

    def _boot(self) -> None:
        handed_over: list[bool] = []
        self._pyboy.hook_register(0, _CARTRIDGE_ENTRY, lambda ctx: ctx.append(True), handed_over)
        try:
            while not handed_over:
                if self._frames >= _MAX_BOOT_FRAMES:
                    raise AnimusError(
                        f"the boot ROM did not hand over to the cartridge within {_MAX_BOOT_FRAMES} frames."
                    )
                self._run(1, True)
        finally:
            self._pyboy.hook_deregister(0, _CARTRIDGE_ENTRY)

    def _warm_up(self) -> None:
        self._run(_WARM_UP_FRAMES, True)
        self.load_state(self.power_on_state)


def _button_names(buttons: str | Iterable[str]) -> tuple[str, ...]:
    names = (buttons,) if isinstance(buttons, str) else tuple(buttons)
    if not names:
        raise ButtonError("press() needs at least one button: one of " + ", ".join(BUTTONS) + ".")
    out = []
    for name in names:
        key = str(name).strip().lower()
        if key not in BUTTONS:
            raise ButtonError(f"unknown button {name!r}: use one of " + ", ".join(BUTTONS) + ".")
        out.append(key)
    return tuple(out)


@contextmanager
def _swallow_unraisable() -> Iterator[None]:
    # PyBoy calls game wrappers' post_tick as Cython `noexcept`: an exception there is printed through
    # sys.excepthook (the full traceback) and then sys.unraisablehook, once per tick. Swap both hooks only for
    # the duration of the tick, so the rest of the process keeps its own.
    previous = sys.excepthook, sys.unraisablehook
    sys.excepthook = lambda *exc_info: None
    sys.unraisablehook = lambda unraisable: None
    try:
        yield
    finally:
        sys.excepthook, sys.unraisablehook = previous
