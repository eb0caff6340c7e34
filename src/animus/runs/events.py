"""`--on-event CMD`: tell another program when a run needs a human: it finished, hit a budget, failed or got stuck.

The command runs through the shell (`sh -c CMD`), once per event, with the event as one JSON object on its stdin:

    {"event": "finished", "run": "runs/x", "run_id": "x", "status": "done", "reason": "...", "step": 57,
     "actions": 57, "milestones": 8, "milestone_total": 8, "label": "mock", "model": "mock", "time": 1795000000.0}

Events: `finished` (the final milestone), `budget` (a step, time, token or cost budget ran out), `failed` (bad
tool calls in a row, a model API error, or a crash), `stuck` (the watchdog's last stage, whether or not the run
stops there). A stop by Ctrl-C or SIGTERM sends nothing: someone is there. The command's failure (non-zero exit,
missing program, more than `TIMEOUT_SECONDS`) is a warning through `animus.notify` (the CLI shows it on stderr) and
never stops the run. The command is not stored in the run: it may hold a webhook's token.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import TYPE_CHECKING

from animus import notify

if TYPE_CHECKING:
    from animus.agent.loop import Agent
    from animus.runs.runner import OnStart

TIMEOUT_SECONDS = 30.0


class EventHook:
    """Sends events to `command`. `attach` it to an agent (for `stuck`), then call `ended` or `crashed`."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.agent: Agent | None = None
        self._stuck_sent_at: int | None = None  # milestones reached when `stuck` was last sent: one per episode

    def chain(self, then: OnStart | None) -> OnStart:
        """An `on_start` that attaches this hook, then calls `then` (e.g. the progress display's)."""

        def on_start(agent: Agent) -> None:
            if then is not None:
                then(agent)
            self.attach(agent)

        return on_start

    def attach(self, agent: Agent) -> None:
        self.agent = agent
        inner = agent.on_step

        def on_step(a: Agent) -> None:
            if inner is not None:
                inner(a)
            alarm, reached = a.p.alarm, len(a.tracker.reached)
            # One event per episode: the watchdog repeats its last stage while the agent stays stuck, and a new
            # milestone ends the episode.
            if alarm is not None and alarm.stage == 3 and self._stuck_sent_at != reached:
                self._stuck_sent_at = reached
                self.send("stuck", "running", f"stuck at step {a.counters.step}: {alarm.message}")

        agent.on_step = on_step

    def ended(self, status: str, reason: str, finished: bool = False) -> None:
        """The run stopped with `status`, `reason` and `finished` (as recorded): send the matching event, if any."""
        if status == "done":
            self.send("finished" if finished else "budget", status, reason)
        elif status in ("failed", "error"):
            self.send("failed", status, reason)
        elif status == "stuck" and (self.agent is None or self._stuck_sent_at != len(self.agent.tracker.reached)):
            self.send("stuck", status, reason)

    def crashed(self, exc: BaseException) -> None:
        """The run ended with an exception the loop did not expect (recorded as failed)."""
        if not isinstance(exc, KeyboardInterrupt):
            self.send("failed", "failed", f"{type(exc).__name__}: {exc}")

    def send(self, event: str, status: str, reason: str) -> None:
        """Run the command with the event on stdin; a failure is only a warning."""
        agent = self.agent
        if agent is None:  # the run never started: its input was refused, and the CLI says so
            return
        c, store = agent.counters, agent.p.store
        payload = {
            "event": event,
            "run": str(store.run_dir),
            "run_id": store.run_dir.name,
            "status": status,
            "reason": reason,
            "step": c.step,
            "actions": c.actions,
            "milestones": len(agent.tracker.reached),
            "milestone_total": len(agent.profile.milestones),
            "label": agent.config.group_label,
            "model": agent.config.model.name,
            "time": time.time(),
        }
        try:
            done = subprocess.run(
                self.command,
                shell=True,  # the user's own command line, as they would type it (pipes, redirections)
                input=json.dumps(payload) + "\n",
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            _warn(f"--on-event command did not finish within {TIMEOUT_SECONDS:g} s for the {event} event")
        except OSError as exc:
            _warn(f"--on-event command could not run for the {event} event ({exc})")
        else:
            if done.returncode != 0:
                _warn(f"--on-event command exited with {done.returncode} for the {event} event; the run goes on")


def _warn(message: str) -> None:
    notify.warn(message, __name__)
