"""Limits shared by the runs that use one API key: a cap on model calls in flight and an even request rate.

The parent groups runs by (backend, the key's value, the endpoint) with `key_groups` and gives each group an
opaque id (`anthropic-1`); the key itself, or anything derived from it, is never written or sent anywhere. Each
worker then holds a `Gate` for its group, which `ModelCaller` enters around every model call.

A gate works across processes, and across machines that share the runs dir, with files and `flock` only:
- the cap: `slot-0` .. `slot-(N-1)` in the group's directory; a call holds an exclusive lock on one of them. The
  kernel drops a lock when its holder dies (kill -9 included), so a dead worker never keeps a slot.
- the rate: the file `next` holds the earliest time the group's next call may start. A call takes that time (or
  now) under a short lock, moves `next` on by 60 / requests_per_minute seconds, and sleeps until its time. Calls
  are thus spaced evenly, so no minute ever holds more than requests_per_minute of them. Across machines this
  relies on their clocks agreeing.
A call's own retries (inside the backend) happen while it holds its slot and are not counted again.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from animus.config import RunConfig

# Backends that call an API with a key: (the key's variable, the endpoint's variable), as their SDKs read them.
REMOTE_BACKENDS = {
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
}
POLL_SECONDS = 0.02  # how often a call waiting for a free slot looks again
MAX_QUEUE_SECONDS = 3600.0  # a `next` further ahead than this is not a real queue


def key_groups(configs: Sequence[RunConfig], environ: Mapping[str, str]) -> list[str | None]:
    """For each config, the id of the group of runs sharing its API key and endpoint; None for local models.

    Ids are `<backend>-<n>`, numbered in order of first appearance. Keys are compared in memory only.
    """
    ids: dict[tuple[str, str, str], str] = {}
    per_backend: dict[str, int] = {}
    out: list[str | None] = []
    for config in configs:
        backend = config.model.name.partition(":")[0].strip()
        if backend not in REMOTE_BACKENDS:
            out.append(None)
            continue
        key_var, url_var = REMOTE_BACKENDS[backend]
        ident = (backend, environ.get(key_var, ""), config.model.base_url or environ.get(url_var, ""))
        if ident not in ids:
            per_backend[backend] = per_backend.get(backend, 0) + 1
            ids[ident] = f"{backend}-{per_backend[backend]}"
        out.append(ids[ident])
    return out


@dataclass(frozen=True)
class Gate:
    """`with gate(): call the model` waits for a slot and for the group's next turn (see the module docstring).

    Picklable (plain fields), so it travels to a spawned process or a Ray task. A signal handler that raises
    while a call waits (the runner's first Ctrl-C does, during a model call) abandons the wait cleanly.
    """

    directory: str
    max_concurrent: int | None = None
    requests_per_minute: float | None = None

    def __call__(self) -> AbstractContextManager[None]:
        return self._held()

    @contextmanager
    def _held(self) -> Iterator[None]:
        folder = Path(self.directory)
        folder.mkdir(parents=True, exist_ok=True)
        slot = self._take_slot(folder) if self.max_concurrent else None
        try:
            if self.requests_per_minute:
                self._wait_turn(folder, 60.0 / self.requests_per_minute)
            yield
        finally:
            if slot is not None:
                os.close(slot)  # closing the file drops its lock

    def _take_slot(self, folder: Path) -> int:
        assert self.max_concurrent is not None
        while True:
            for i in range(self.max_concurrent):
                fd = os.open(folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                except BaseException:
                    os.close(fd)
                    raise
                return fd
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _wait_turn(folder: Path, interval: float) -> None:
        fd = os.open(folder / "next", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held only to read and move `next` on
            raw = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            now = time.time()
            try:
                mine = max(now, float(raw)) if raw else now
            except ValueError:  # a torn or foreign file: start the spacing again from now
                mine = now
            if mine > now + MAX_QUEUE_SECONDS:  # a clock that jumped back, or a bad file: never wait for ever
                mine = now
            data = f"{mine + interval:.6f}".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)
        if mine > now:
            time.sleep(mine - now)
