"""The Ray backend: each run is a Ray task running the same idempotent worker function as the local backend.

Contracts:
- Ray is imported only here, only when this backend is chosen (`check_ray` imports it first). With an address
  (`--address`, else `RAY_ADDRESS`) the fleet joins that cluster; without, it starts a private local Ray with
  `num_cpus = workers`, no dashboard, and a fresh token for Ray's token authentication (see `_local_token`).
  `ray.shutdown()` always runs at the end: it stops the local Ray, or disconnects from the cluster.
- `ray.init` replaces the driver's SIGTERM handler; the fleet saves SIGINT's and SIGTERM's handlers before it
  and restores them right after, so that signals keep stopping the fleet gracefully.
- A task is retried by Ray when its worker process dies, up to `max_restarts` times; it then counts as failed.
  An error raised by the run itself is not retried.
- Stopping on a signal: the STOP file is written (runs stop at their next step, `stopped`); after
  `GRACE_SECONDS`, tasks still running are cancelled (Ray sends SIGINT: the runner stops at once, abandoning a
  model call in flight), and after another `GRACE_SECONDS` killed (their stores stay consistent; the next fleet
  resumes them). A second signal skips the first wait.
- The runs dir must be on storage that every Ray node and the driver share (the driver reads the run stores for
  progress, cost and the summary).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections import deque
from typing import Any

from animus.errors import BadInputError, RunError
from animus.fleet.core import Fleet, RunState, count_signals
from animus.fleet.worker import log_path, run_job
from animus.signals import stop_signals

GRACE_SECONDS = 15.0
WAIT_SECONDS = 0.2


def check_ray() -> None:
    """Raise `BadInputError` when ray cannot be imported (the extra is not installed)."""
    try:
        import ray  # noqa: F401  (imported to be sure it works, not only that it is there)
    except ImportError:
        raise BadInputError("the ray backend needs the ray extra: pip install 'animus[ray]'") from None


def run_ray(fleet: Fleet, address: str | None) -> None:
    """Play the fleet's pending runs as Ray tasks until all have ended or the fleet has stopped."""
    check_ray()
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        with stop_signals(None):  # ray.init replaces the driver's handlers: the fleet's are put back after it
            if address:
                ray.init(address=address, **quiet)
            else:
                _local_token()
                ray.init(num_cpus=fleet.workers, include_dashboard=False, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:  # what ray.init raises for an address or a setup
        where = f"join the Ray cluster at {address}" if address else "start a local Ray"
        fix = "check --address or RAY_ADDRESS" if address else "see the message, or try --backend local"
        raise RunError(f"cannot {where} ({_first_line(exc)}): {fix}.") from None
    try:
        _play(fleet, ray)
    finally:
        ray.shutdown()
    fleet.tick(force=True)


def _play(fleet: Fleet, ray: Any) -> None:
    task = ray.remote(num_cpus=1, max_retries=fleet.max_restarts, retry_exceptions=False)(run_job)
    slots = fleet.workers if not fleet.workers_from_cluster else max(1, int(ray.cluster_resources().get("CPU", 1)))
    refs: dict[Any, RunState] = {}
    queue = deque(fleet.pending())
    handled, cancel_at, kill_at = 0, float("inf"), float("inf")
    with count_signals(fleet):
        while True:
            while queue and len(refs) < slots and not fleet.stopping:
                st = queue.popleft()
                refs[task.remote(fleet.job(st))] = st
                fleet.launched(st, None)
            if not refs:
                break
            done, _ = ray.wait(list(refs), num_returns=1, timeout=WAIT_SECONDS)
            for ref in done:
                st = refs.pop(ref)
                error = _outcome_error(ray, ref)
                st.attempts = max(st.attempts, _sessions(fleet, st))
                st.restarts = st.attempts - 1
                fleet.settle(st, died=False, error=error)
            while handled < fleet.signals:
                handled += 1
                if fleet.stop("interrupted by a signal", "signal", write_file=True):
                    cancel_at = time.monotonic() + GRACE_SECONDS
                else:
                    fleet.stop_kind = "signal"
                    cancel_at = min(cancel_at, time.monotonic())
            now = time.monotonic()
            if now >= cancel_at:
                fleet.display.event(f"fleet: cancelling {len(refs)} Ray task(s) still running")
                for ref in refs:
                    ray.cancel(ref)
                cancel_at, kill_at = float("inf"), now + GRACE_SECONDS
            if now >= kill_at:
                for ref in refs:
                    ray.cancel(ref, force=True)
                kill_at = float("inf")
            fleet.tick()


def _outcome_error(ray: Any, ref: Any) -> str | None:
    """None when the task returned; else one line saying why it did not."""
    try:
        ray.get(ref)
    except ray.exceptions.TaskCancelledError:
        return "its Ray task was cancelled"
    except ray.exceptions.RayTaskError as exc:  # raised by the run: the original error, in one line
        cause = getattr(exc, "cause", None) or exc
        return f"{type(cause).__name__}: {_first_line(cause)}"
    except ray.exceptions.RayError as exc:  # the worker died more often than Ray retries, or Ray failed
        return f"{type(exc).__name__}: {_first_line(exc)}"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _sessions(fleet: Fleet, st: RunState) -> int:
    """How many sessions this fleet's workers began for the run (each writes one line to the run's log)."""
    try:
        text = log_path(fleet.runs_dir, st.run.name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    return max(1, text.count(f" session {fleet.session} "))


def _local_token() -> None:
    """Give a private local Ray a fresh token, unless the user configured Ray's authentication.

    Ray 2.60 turns token authentication on for a new local cluster and, with no token configured, generates one
    and writes it to ~/.ray/auth_token. A token in the environment (inherited by the workers Ray starts) keeps
    the authentication on without writing into the user's home.
    """
    if not any(v in os.environ for v in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
