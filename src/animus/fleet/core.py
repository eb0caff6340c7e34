"""The fleet's bookkeeping, shared by both backends: each run's state and outcome, stopping, the cost cap, the
progress display and the fleet record (`fleet.json`).

Contracts:
- The parent only reads run stores. It writes `fleet.json` (through a temporary file and a rename, so it is
  always whole), the `STOP` file, and under `.fleet/`: its lock and the limits' files.
- `prepare` (under the fleet's lock) skips finished runs, removes half-created ones and removes a stale STOP
  file; the plan was already checked against the stored runs (see `existing.examine`).
- `settle` decides what a worker's end means: the run's outcome, or a restart (a worker that died while its
  run was unfinished, up to `max_restarts` times; then the run is `failed`).
- Outcomes: `done` and `stuck` are normal ends; `failed` and `error` are failures (exit code 1); `stopped` and
  `interrupted` (died while the fleet stopped) are unfinished and resume when the plan runs again; `pending`
  never started.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from animus.errors import AnimusError
from animus.fleet.existing import FleetOutcome, Found, examine, remove_half, settled
from animus.fleet.limits import Gate
from animus.fleet.plan import Plan, PlannedRun
from animus.fleet.watch import Display, Row, RunView, read_view
from animus.fleet.worker import STATE_DIR, STOP_NAME, Job, log_path
from animus.signals import stop_signals

RECORD_NAME = "fleet.json"
RECORD_FORMAT = 1
POLL_SECONDS = 1.0  # how often the parent reads the run stores (progress, cost)
NORMAL: tuple[FleetOutcome, ...] = ("done", "stuck")
FAILURES: tuple[FleetOutcome, ...] = ("failed", "error")
UNFINISHED: tuple[FleetOutcome, ...] = ("stopped", "interrupted", "pending")


@dataclass
class RunState:
    """One run as the fleet tracks it."""

    run: PlannedRun
    group: str | None
    outcome: FleetOutcome = "pending"
    reason: str = ""
    attempts: int = 0  # worker sessions started by this fleet invocation
    restarts: int = 0  # of those, after a worker died
    skipped: bool = False  # finished before this invocation began
    pid: int | None = None
    view: RunView | None = None


@dataclass
class Fleet:
    """A fleet invocation: runs, limits, stop state and what to report. Backends drive it."""

    plan: Plan
    plan_path: Path
    runs_dir: Path
    states: list[RunState]
    backend: str
    workers: int
    max_restarts: int = 3
    max_cost: float | None = None
    workers_from_cluster: bool = False  # Ray with an address and no --workers: as many as the cluster's CPUs
    display: Display = field(default_factory=Display)
    session: str = field(default_factory=lambda: f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    stop_reason: str | None = None
    stop_kind: str | None = None  # signal, file (a STOP file appeared), cost
    signals: int = 0
    started_at: float = field(default_factory=time.time)
    _polled: float = 0.0

    # -- setting up ---------------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Skip finished runs, clear half-created ones and a stale STOP file; write the first record."""
        (self.runs_dir / STOP_NAME).unlink(missing_ok=True)
        for st in self.states:
            run_dir = self.runs_dir / st.run.name
            found = examine(run_dir, st.run.config)
            if found.kind == "half":
                remove_half(run_dir)
            elif settled(found, st.run.config.budget.steps):
                st.outcome = found.status if found.status in NORMAL + FAILURES else "done"
                st.reason, st.skipped = found.reason, True
            st.view = read_view(run_dir)
        self.tick(force=True)  # a cost cap already reached stops the fleet before it launches anything
        self.write_record()

    def job(self, st: RunState) -> Job:
        """The worker's job for run `st`, with its group's gate when the plan sets limits."""
        gate = None
        if st.group is not None and self.plan.limits.active:
            folder = self.runs_dir.resolve() / STATE_DIR / "limits" / st.group
            gate = Gate(str(folder), self.plan.limits.max_concurrent_calls, self.plan.limits.requests_per_minute)
        return Job(
            name=st.run.name,
            runs_dir=str(self.runs_dir.resolve()),
            # Only the keys the plan set: the worker's start_run then fills the rest, the profile's [defaults] first.
            config_json=st.run.config.model_dump_json(exclude_unset=True),
            gate=gate,
            cwd=os.getcwd(),
            session=self.session,
        )

    def pending(self) -> list[RunState]:
        return [st for st in self.states if st.outcome == "pending"]

    # -- stopping -----------------------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self.stop_reason is not None

    def stop(self, reason: str, kind: str, write_file: bool) -> bool:
        """Stop launching runs; with `write_file`, ask running ones to stop at their next step through the STOP
        file. Returns False when the fleet was already stopping (the caller may then force it)."""
        if self.stop_reason is not None:
            return False
        self.stop_reason, self.stop_kind = reason, kind
        if write_file:
            tmp = self.runs_dir / f".{STOP_NAME}.{os.getpid()}.tmp"
            tmp.write_text(reason + "\n", encoding="utf-8")
            os.replace(tmp, self.runs_dir / STOP_NAME)
        self.display.event(f"fleet stopping: {reason}")
        return True

    # -- outcomes -----------------------------------------------------------------------------------------------

    def launched(self, st: RunState, pid: int | None) -> None:
        st.attempts += 1
        st.outcome, st.pid = "running", pid
        self.write_record()

    def settle(self, st: RunState, died: bool, error: str | None = None) -> bool:
        """Record how run `st`'s worker ended; True when it should be started again (a restart).

        `died`: the worker was killed or crashed without recording an end (a signal, kill -9, a lost Ray worker).
        `error`: what the worker raised, if it reported an error.
        """
        run_dir = self.runs_dir / st.run.name
        st.pid = None
        st.view = read_view(run_dir)
        try:
            found = examine(run_dir)
        except AnimusError as exc:  # e.g. a worker of a cancelled Ray task still holds it
            found, error = Found("none"), error or str(exc)
        status = found.status if found.kind == "run" else None
        if settled(found, st.run.config.budget.steps):
            st.outcome = status if status is not None and status in NORMAL + FAILURES else "done"
            st.reason = found.reason
        elif self.stopping:
            st.outcome = "stopped" if status == "stopped" else "interrupted"
            st.reason = (
                found.reason if status == "stopped" else f"its worker ended in the stop ({error or 'no end recorded'})"
            )
        elif died or (error is None and status in ("running", None)):
            if st.restarts < self.max_restarts:
                st.restarts += 1
                st.outcome, st.reason = "pending", f"worker died ({error or 'no end recorded'}); restarting"
                self.display.event(f"{st.run.name}: worker died ({error or 'no end recorded'}); restart "
                                   f"{st.restarts} of {self.max_restarts}")  # fmt: skip
                self.write_record()
                return True
            st.outcome = "failed"
            st.reason = f"its worker died {st.restarts + 1} times (last: {error}); see {self._log(st)}"
        elif error is not None:
            st.outcome, st.reason = "failed", f"{error} (see {self._log(st)})"
        else:  # the worker ended the run itself, unfinished: stopped by someone, or the model's API refused
            st.outcome = "error" if status == "error" else "stopped"
            st.reason = found.reason
        self.display.event(f"{st.run.name}: {st.outcome} — {st.reason}")
        self.write_record()
        return False

    def _log(self, st: RunState) -> Path:
        return log_path(self.runs_dir, st.run.name)

    # -- polling ------------------------------------------------------------------------------------------------

    def tick(self, force: bool = False) -> None:
        """Read the runs' progress (at most once per POLL_SECONDS unless `force`), check the cost cap and the
        STOP file, and update the display."""
        now = time.monotonic()
        if not force and now - self._polled < POLL_SECONDS:
            return
        self._polled = now
        for st in self.states:
            if st.outcome == "running" or (st.view is None and st.outcome != "pending") or force:
                st.view = read_view(self.runs_dir / st.run.name)
        cost = self.cost()
        if not self.stopping:
            if self.max_cost is not None and cost >= self.max_cost:
                self.stop(f"the fleet's cost cap was reached (${cost:.2f} of ${self.max_cost:.2f})", "cost", True)
            elif (self.runs_dir / STOP_NAME).exists():
                self.stop("a STOP file appeared in the runs dir", "file", False)
        self.display.update(self.rows(), cost, self.max_cost, force=force)

    def cost(self) -> float:
        return sum(st.view.cost for st in self.states if st.view is not None)

    def rows(self) -> list[Row]:
        return [
            Row(st.run.name, st.run.label, st.run.seed, st.outcome, st.view, st.run.config.budget.steps)
            for st in self.states
        ]

    # -- the end ------------------------------------------------------------------------------------------------

    def exit_code(self) -> int:
        """130 when the fleet was interrupted (a signal or a STOP file); 1 when a run failed, or ended unfinished
        while nothing stopped the fleet (someone stopped that run); else 0 (the cost cap included)."""
        if self.stop_kind in ("signal", "file"):
            return 130
        if any(st.outcome in FAILURES for st in self.states):
            return 1
        if self.stop_kind is None and any(st.outcome in UNFINISHED for st in self.states):
            return 1
        return 0

    def ending(self) -> str:
        """One line: how the fleet ended and what to do next."""
        left = sum(st.outcome in UNFINISHED for st in self.states)
        failed = sum(st.outcome in FAILURES for st in self.states)
        rerun = f"; run the same command again to resume the {left} unfinished run(s)" if left else ""
        if self.stop_kind == "cost" and left:
            rerun = f"; raise --max-cost and run the same command again to resume the {left} unfinished run(s)"
        if self.stop_reason is not None:
            return f"fleet stopped: {self.stop_reason}{rerun}."
        if failed:
            return f"fleet ended: {failed} run(s) failed (see fleet.json and the logs under .fleet/logs){rerun}."
        return f"fleet ended: all {len(self.states)} runs ended normally."

    def write_record(self, summary: dict[str, Any] | None = None) -> None:
        """Write `fleet.json` whole (temporary file + rename)."""
        data: dict[str, Any] = {
            "format": RECORD_FORMAT,
            "session": self.session,
            "plan_file": str(self.plan_path),
            "plan": self.plan.to_json(),
            "backend": self.backend,
            "workers": self.workers,
            "max_restarts": self.max_restarts,
            "max_cost": self.max_cost,
            "started_at": self.started_at,
            "updated_at": time.time(),
            "stop_reason": self.stop_reason,
            "cost": self.cost(),
            "runs": [
                {
                    "name": st.run.name,
                    "label": st.run.label,
                    "seed": st.run.seed,
                    "limit_group": st.group,
                    "outcome": st.outcome,
                    "reason": st.reason,
                    "skipped": st.skipped,
                    "attempts": st.attempts,
                    "restarts": st.restarts,
                    "pid": st.pid,
                    "steps": st.view.steps if st.view else 0,
                    "milestones": st.view.milestones if st.view else 0,
                    "cost": st.view.cost if st.view else 0.0,
                    "config": json.loads(st.run.config.to_json()),
                }
                for st in self.states
            ],
        }
        if summary is not None:
            data["summary"] = summary
        tmp = self.runs_dir / f".{RECORD_NAME}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.runs_dir / RECORD_NAME)


@contextmanager
def count_signals(fleet: Fleet) -> Iterator[None]:
    """While the fleet runs, SIGINT and SIGTERM to the parent only count in `fleet.signals`: the backend's loop
    acts on them (a handler that did more could interrupt the loop halfway through launching a worker)."""

    def count(signum: int, frame: FrameType | None) -> None:
        fleet.signals += 1

    with stop_signals(count):
        yield
