"""The save-state envelope: PyBoy's state bytes plus what is needed to refuse a wrong load.

PyBoy's `load_state` does not check which ROM a state came from, does not restore its frame counter, and fails
late on a state from a newer PyBoy. The envelope records the ROM's sha256, PyBoy's state version (the first byte
of its state) and the frame count, so `GameBoy.load_state` can refuse a mismatch with a clear message.

Layout (little-endian): magic b"ANIMUSST" | envelope version u8 | PyBoy state version u8 | ROM sha256 (32 bytes)
| frame count u64 | PyBoy state bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from animus.errors import StateError

MAGIC = b"ANIMUSST"
ENVELOPE_VERSION = 1
_HEADER = struct.Struct("<8sBB32sQ")


@dataclass(frozen=True)
class SaveState:
    """A decoded envelope."""

    rom_sha256: str
    state_version: int
    frame_count: int
    pyboy_state: bytes

    def pack(self) -> bytes:
        """The envelope as bytes, ready to store."""
        head = _HEADER.pack(
            MAGIC, ENVELOPE_VERSION, self.state_version, bytes.fromhex(self.rom_sha256), self.frame_count
        )
        return head + self.pyboy_state

    @classmethod
    def unpack(cls, data: bytes) -> SaveState:
        """Decode an envelope; raise `StateError` if `data` is not one this version of Animus wrote."""
        if len(data) <= _HEADER.size or not data.startswith(MAGIC):
            raise StateError("not an Animus save state (bad magic or too short): pass bytes from GameBoy.save_state().")
        _magic, version, state_version, sha, frames = _HEADER.unpack_from(data)
        if version != ENVELOPE_VERSION:
            raise StateError(
                f"save-state envelope version {version} is not supported (this Animus reads {ENVELOPE_VERSION}): "
                "use the Animus version that wrote it."
            )
        body = data[_HEADER.size :]
        if body[0] != state_version:
            raise StateError("corrupt save state: the PyBoy state version inside disagrees with the envelope.")
        return cls(rom_sha256=sha.hex(), state_version=state_version, frame_count=frames, pyboy_state=body)
