"""One writer per run: an OS advisory lock on `<run>/lock`.

`flock` locks belong to the open file; the kernel drops them when the holder exits for any reason, kill -9
included. So a run whose status says `running` but whose lock can be taken has lost its writer: it `crashed`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from animus.errors import RunError

LOCK_NAME = "lock"


class RunLock:
    """An exclusive, non-blocking lock on a run directory (or on `path`, e.g. a fleet's), held until `release`
    or process exit. `busy` is the error message when another live process holds it."""

    def __init__(self, run_dir: Path, path: Path | None = None, busy: str | None = None) -> None:
        self._path = path or run_dir / LOCK_NAME
        self._busy = busy or (
            f"run {run_dir} is being written by another process: wait for it to stop, or stop it "
            "(Ctrl-C or kill) before resuming."
        )
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock (writing our pid into it), or raise `RunError` if another live process holds it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunError(self._busy) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def is_locked(run_dir: Path) -> bool:
    """True when a live process holds the run's lock (checked by trying to take it, then letting go)."""
    path = run_dir / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
