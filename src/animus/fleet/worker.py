"""One fleet run in a worker: start it if it has no directory, else resume it. Both backends call `run_job`.

Contracts:
- `run_job` is idempotent: a run killed at any point (even while it was being created) is continued, or
  started again if nothing of it was played, by calling it again with the same `Job`. A finished run returns at
  once (the runner reports it `complete`).
- A worker stops its run gracefully, at the end of the step in progress, when the fleet's stop file exists (its
  text is the reason), when the process that launched it has died (local backend), or when it was sent SIGTERM
  or SIGINT before the runner took over those signals. The run is then `stopped`, checkpointed and resumable.
- `child_main` is the entry point of a local worker process (spawned): it first puts itself in its own process
  group, so a Ctrl-C typed in the terminal reaches only the fleet's parent, which forwards one SIGTERM. Its
  stdout and stderr are the run's log, which the parent reads: the library's messages (`animus.notify`) are
  rendered there as the CLI renders them, and its own `error:` and `ended:` lines are the worker's output.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from animus.fleet.limits import Gate

if TYPE_CHECKING:
    from animus.agent.loop import Agent

STATE_DIR = ".fleet"  # under the runs dir: the fleet's lock, the workers' logs, the limits' files
STOP_NAME = "STOP"  # under the runs dir: while it exists, runs stop at their next step and none start


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to play one run; plain fields, so it pickles for spawn and Ray."""

    name: str
    runs_dir: str  # absolute
    config_json: str  # the keys of the run's RunConfig that its plan set
    gate: Gate | None = None
    cwd: str = ""  # the fleet's working directory: relative paths in the config are relative to it
    session: str = ""  # the fleet invocation's id, written to the log's session lines

    @property
    def run_dir(self) -> Path:
        return Path(self.runs_dir) / self.name

    @property
    def log_path(self) -> Path:
        return log_path(Path(self.runs_dir), self.name)


def log_path(runs_dir: Path, name: str) -> Path:
    """Where the worker of run `name` writes its output (appended across sessions)."""
    return runs_dir / STATE_DIR / "logs" / f"{name}.log"


def run_job(job: Job, parent_pid: int | None = None, early: list[str] | None = None) -> dict[str, Any]:
    """Start or resume the run of `job` and play it until it stops. Returns its end as a dict (`status`,
    `reason`, `steps`, `actions`, `milestones`); raises what `start_run` / `resume_run` raise.

    `parent_pid`: stop when the parent is gone (its pid is no longer our parent's). `early`: a list the caller's
    signal handler appends reasons to before the runner installs its own.

    It runs in a worker process of its own (a spawned local worker, or a Ray worker), so it renders the library's
    messages (`animus.notify`) on that process's stderr as the `animus` command does: the run's log (local), or
    Ray's worker output.
    """
    from animus import notify
    from animus.config import config_from_dict
    from animus.fleet.existing import examine, remove_half
    from animus.runs.runner import resume_run, start_run

    if job.cwd and os.path.isdir(job.cwd):
        os.chdir(job.cwd)
    config = config_from_dict(json.loads(job.config_json))
    notify.install_stderr()
    _session_line(job)
    hooks = _Hooks(Path(job.runs_dir) / STOP_NAME, parent_pid, early if early is not None else [])
    found = examine(job.run_dir)
    if found.kind == "half":
        remove_half(job.run_dir)
    if found.kind in ("none", "half"):
        end = start_run(config, Path(job.runs_dir), job.name, on_start=hooks.attach, gate=job.gate)
    else:
        budget = config.budget.model_dump()
        end = resume_run(job.run_dir, budget, on_start=hooks.attach, gate=job.gate)
    return {
        "status": end.status,
        "reason": end.reason,
        "steps": end.steps,
        "actions": end.actions,
        "milestones": end.milestones,
    }


class _Hooks:
    """The worker's side of a fleet stop (its share of the limits, `Job.gate`, is the runner's `gate`)."""

    def __init__(self, stop_file: Path, parent_pid: int | None, early: list[str]) -> None:
        self.stop_file, self.parent_pid, self.early = stop_file, parent_pid, early

    def attach(self, agent: Agent) -> None:
        agent.on_step = self.check
        self.check(agent)  # a stop asked for before the first step stops the run before it

    def check(self, agent: Agent) -> None:
        if agent.stop_requested:
            return
        reason = self.stop_reason()
        if reason:
            # The loop checks this at the start of the next step, after this one's finish and stuck checks, so a
            # stopped run resumes into exactly the steps an uninterrupted one plays.
            agent.stop_requested = reason

    def stop_reason(self) -> str | None:
        if self.early:
            return self.early[0]
        if self.stop_file.exists():
            try:
                text = self.stop_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                text = ""
            return text or "the fleet's STOP file"
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            return "the fleet process died"
        return None


def _session_line(job: Job) -> None:
    """One line in the run's log per session, so a log shows every start and restart."""
    path = job.log_path
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with path.open("a", encoding="utf-8") as log:
        log.write(f"== {stamp} session {job.session} pid {os.getpid()} on {socket.gethostname()}\n")


# -- the local backend's worker process ------------------------------------------------------------------------------


def child_main(job: Job, parent_pid: int) -> None:
    """Entry point of a spawned local worker: own process group, output to the run's log, play, exit.

    Exit codes: 0 the run ended (its status is in its store), 2 bad input, 1 anything else.
    """
    os.setpgrp()  # first: from now on a Ctrl-C in the terminal reaches only the parent
    early: list[str] = []

    def flag(signum: int, frame: FrameType | None) -> None:
        early.append(f"interrupted by {signal.Signals(signum).name}")

    # The parent started us with these signals ignored (so a Ctrl-C before setpgrp could not kill us); until the
    # runner installs its own handlers, a signal only asks the run to stop before its first step.
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, flag)
    job.log_path.parent.mkdir(parents=True, exist_ok=True)
    log_fd = os.open(job.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)

    from animus.errors import AnimusError

    try:
        end = run_job(job, parent_pid=parent_pid, early=early)
    except AnimusError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(exc.exit_code)
    print(f"ended: {end['status']} — {end['reason']} ({end['steps']} steps)", flush=True)
