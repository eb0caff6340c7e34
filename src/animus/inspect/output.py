"""Writing an output file the user named (`-o`): a chart, a frame, a clip, an export.

Contract: `write_output` creates missing parent directories, writes through a temporary file in the same directory
and renames it, so the file is either whole or untouched. A path that is a directory, or one that cannot be
written (permissions, a parent that is a file, a full disk), raises `BadInputError` with one line naming the path.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from animus.errors import BadInputError


def check_writable(out: Path, what: str) -> None:
    """Refuse an output path that is a directory (before any work is done)."""
    if out.is_dir():
        raise BadInputError(f"cannot write {what} to {out}: it is a directory; give a file name.")


def write_output(out: Path, data: bytes, what: str) -> None:
    """Write `data` to `out` atomically; `what` names the output in errors ("the chart", "the frame")."""
    check_writable(out, what)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the temporary file may never have been created
            tmp.unlink()
        reason = exc.strerror or str(exc)
        blocker = next((p for p in out.parents if p.exists()), None)
        if blocker is not None and not blocker.is_dir():  # mkdir's "File exists" would hide the real problem
            reason = f"{blocker} is a file, not a directory"
        raise BadInputError(f"cannot write {what} to {out} ({reason}): check the path.") from None
