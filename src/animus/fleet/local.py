"""The local backend: one spawned process per run, at most `workers` at once, supervised by the parent.

Contracts:
- Workers are started with the `spawn` method (a fresh interpreter: no sqlite connection or lock is inherited)
  and waited on through their sentinels, so a worker that dies (kill -9 included) is noticed at once and its
  run restarted with resume (see `Fleet.settle`). A pool is not used because one dead worker breaks it.
- Each worker puts itself in its own process group, and is started with SIGINT and SIGTERM ignored until it has
  done so; a Ctrl-C typed in the terminal therefore reaches only the parent.
- The first SIGINT or SIGTERM to the parent stops the fleet: nothing more is launched, and each running worker
  gets exactly one SIGTERM, on which its run finishes the step in progress and records `stopped` (a run asked to
  stop by the STOP file already gets none). A second signal sends one more SIGTERM to every worker, which makes
  each exit at once; their stores stay consistent and the next fleet resumes them from their last step.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path

from animus.fleet.core import Fleet, RunState, count_signals
from animus.fleet.worker import Job, child_main
from animus.signals import stop_signals

WAIT_SECONDS = 0.2  # the longest the supervisor sleeps before it looks at signals and progress again


def run_local(fleet: Fleet) -> None:
    """Play the fleet's pending runs in worker processes until all have ended or the fleet has stopped."""
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    live: dict[int, tuple[BaseProcess, RunState]] = {}  # by sentinel
    queue = deque(fleet.pending())
    handled = 0
    with count_signals(fleet), _stop_on_error(live):
        while True:
            while queue and len(live) < fleet.workers and not fleet.stopping:
                st = queue.popleft()
                proc = _spawn(ctx, fleet.job(st))
                live[proc.sentinel] = (proc, st)
                fleet.launched(st, proc.pid)
            if not live:
                break
            for sentinel in wait(list(live), timeout=WAIT_SECONDS):  # sentinels are ints: `wait` returns ours
                proc, st = live.pop(sentinel)  # type: ignore[arg-type]
                proc.join()
                code = proc.exitcode
                died = code is None or code < 0 or code >= 128  # a signal, or the runner's os._exit on a second one
                error = None if code == 0 else _why(code, fleet, st)
                if fleet.settle(st, died, error):
                    queue.appendleft(st)
            while handled < fleet.signals:
                handled += 1
                _on_signal(fleet, [p for p, _ in live.values()])
            fleet.tick()
    fleet.tick(force=True)


def _on_signal(fleet: Fleet, procs: list[BaseProcess]) -> None:
    """The first stop sends each worker its one graceful SIGTERM; any later signal (or a signal while a STOP file
    or the cost cap is already stopping the runs) sends one more, which makes the runs exit at once."""
    if not fleet.stop("interrupted by a signal", "signal", write_file=False):
        fleet.stop_kind = "signal"
        fleet.display.event("fleet: stopping every run now (each resumes from its last committed step)")
    for proc in procs:
        if proc.pid is None:
            continue
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:  # it ended in the meantime
            continue


@contextmanager
def _stop_on_error(live: dict[int, tuple[BaseProcess, RunState]]) -> Iterator[None]:
    """If the supervisor itself fails, stop the running workers gracefully and wait for them, rather than leave
    them playing on (multiprocessing would wait for them at exit anyway)."""
    try:
        yield
    except BaseException:
        for proc, _ in live.values():
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)
        for proc, _ in live.values():
            proc.join()
        raise


def _spawn(ctx: object, job: Job) -> BaseProcess:
    """Start `job` in a new worker process, which inherits SIGINT and SIGTERM ignored (see the module docstring).

    A signal to the parent in the few milliseconds of the start is lost; the next one counts.
    """
    with stop_signals(signal.SIG_IGN):
        proc: BaseProcess = ctx.Process(  # type: ignore[attr-defined]
            target=child_main, args=(job, os.getpid()), name=f"animus-fleet-{job.name}"
        )
        proc.start()
    return proc


def _why(code: int | None, fleet: Fleet, st: RunState) -> str:
    """A worker's non-zero end in words: the signal that killed it, or its exit code and last log line."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code is None or code >= 128:
        return f"exit code {code}"
    return f"exit code {code}: {_last_line(fleet, st)}"


def _last_line(fleet: Fleet, st: RunState) -> str:
    """The last line the run's worker wrote to its log (its error, usually)."""
    from animus.fleet.worker import log_path

    path: Path = log_path(fleet.runs_dir, st.run.name)
    try:
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - 4096))
            lines = [ln.strip() for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"
