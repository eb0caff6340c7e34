"""Progress while a run plays: a live line on a terminal, a plain log line every N steps otherwise.

This is a front end's display, which the CLI creates and attaches: it writes to stderr itself. Warnings and notices
are not drawn here; they go through `animus.notify`.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.live import Live

    from animus.agent.loop import Agent


class ProgressDisplay:
    """`attach(agent)` before the run (it then updates after each step); `close()` at the end."""

    def __init__(self, log_every: int, live: bool | None = None) -> None:
        self.log_every = log_every
        self.agent: Agent | None = None
        self.live = sys.stderr.isatty() if live is None else live
        self._live: Live | None = None
        self._t0 = time.perf_counter()
        self._a0: int | None = None
        self._logged: int | None = None  # the step of the last log line (or the one before the first seen)

    def line(self, agent: Agent) -> str:
        c = agent.counters
        if self._a0 is None:
            self._a0 = c.actions
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        total = len(agent.profile.milestones)
        reached = [m.label for m in agent.profile.milestones if m.id in agent.tracker.reached]
        last = f" (last: {reached[-1]})" if reached else ""
        return (
            f"step {c.step}/{agent.config.budget.steps} · {c.actions} actions · "
            f"{(c.actions - self._a0) / elapsed:.1f} actions/s · milestones {len(reached)}/{total}{last} · "
            f"{c.tokens} tokens · ${c.cost:.2f}" + (" + unknown" if c.unpriced_calls else "")
        )

    def update(self, agent: Agent) -> None:
        if self.live:
            from rich.live import Live
            from rich.text import Text

            if self._live is None:
                self._live = Live(Text(self.line(agent)), refresh_per_second=4, transient=False)
                self._live.start()
            else:
                self._live.update(Text(self.line(agent)))
            return
        step = agent.counters.step
        if self._logged is None:
            self._logged = step - 1
        if step // self.log_every > self._logged // self.log_every:  # a best-of-N fork commits many steps at once
            self._logged = step
            print(self.line(agent), file=sys.stderr, flush=True)

    def attach(self, agent: Agent) -> None:
        self.agent = agent
        agent.on_step = self.update

    def close(self) -> None:
        if self._live is not None:
            if self.agent is not None:
                from rich.text import Text

                self._live.update(Text(self.line(self.agent)))
            self._live.stop()
            self._live = None
