"""What the fleet's parent sees of its runs: read-only snapshots of their stores, and the live progress display.

Contracts:
- `read_view` opens a run's store read-only (no lock, no writes) and returns None while the run has no readable
  store yet (not started, or being created).
- `Display` shows the whole fleet: counts of runs done, running, failed, stopped and pending, and per run its
  label, seed, status, steps, milestones and cost. On a terminal it is a rich Live table on stderr, refreshed
  about once a second; otherwise one block of plain lines every `log_every` seconds. `event` prints one line
  either way (a run ended, a worker restarted). It is the board a front end draws (the CLI creates it and hands it
  to the `Fleet`), so it writes to stderr itself; messages of the library go through `animus.notify`.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.errors import RunError
from animus.fleet.existing import FleetOutcome
from animus.runs.catalog import live_status
from animus.runs.meta import RunStatus

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live


@dataclass(frozen=True)
class RunView:
    """A run as its store says now."""

    status: RunStatus  # the stored status; `running` whose writer is gone reads `crashed`
    reason: str
    steps: int
    milestones: int
    milestone_total: int
    cost: float
    unpriced_calls: int


def read_view(run_dir: Path) -> RunView | None:
    """A snapshot of the run in `run_dir`, or None when it has no readable store yet."""
    from animus.runs.reader import DB_NAME, RunReader

    if not (run_dir / DB_NAME).is_file():
        return None
    try:
        with RunReader.open(run_dir) as store:
            meta = store.meta()
            if not meta.config:
                return None
            totals = store.totals()
            reached = len(store.milestones())
    except (RunError, sqlite3.Error, ValueError):  # being created, or not yet readable
        return None
    return RunView(
        status=live_status(run_dir, meta.status),
        reason=meta.reason,
        steps=totals.steps,
        milestones=reached,
        milestone_total=meta.milestone_count,
        cost=float(totals.cost),
        unpriced_calls=int(totals.unpriced_calls),
    )


@dataclass(frozen=True)
class Row:
    """One line of the display."""

    name: str
    label: str
    seed: int
    outcome: FleetOutcome  # the fleet's word for the run (fleet/existing.py)
    view: RunView | None
    budget: int  # the plan's step budget (a resumed run's store keeps the one it was created with)


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """Runs done (done or stuck), running, failed (failed or error), stopped (stopped or interrupted), pending."""
    out = {"done": 0, "running": 0, "failed": 0, "stopped": 0, "pending": 0}
    for r in rows:
        key = {"stuck": "done", "error": "failed", "interrupted": "stopped"}.get(r.outcome, r.outcome)
        out[key if key in out else "pending"] += 1
    return out


def headline(rows: Sequence[Row], cost: float, cap: float | None) -> str:
    c = counts(rows)
    money = f"${cost:.2f}" + (f" of ${cap:.2f}" if cap is not None else "")
    return (
        f"fleet: {c['done']} done · {c['running']} running · {c['failed']} failed · {c['stopped']} stopped · "
        f"{c['pending']} pending of {len(rows)} · {money}"
    )


def describe(row: Row) -> str:
    """One run as plain text: label, seed, status, steps, milestones, cost."""
    v = row.view
    if v is None:
        return f"{row.name}: {row.outcome}"
    status = row.outcome if row.outcome != "running" else v.status
    money = f"${v.cost:.2f}" + (" + unknown" if v.unpriced_calls else "")
    return (
        f"{row.name} [{row.label}, seed {row.seed}]: {status} · step {v.steps}/{row.budget} · "
        f"milestones {v.milestones}/{v.milestone_total} · {money}"
    )


class Display:
    """Fleet progress on stderr (see the module docstring). `update` as often as you like; `close` at the end."""

    def __init__(self, live: bool | None = None, log_every: float = 5.0) -> None:
        self.live = sys.stderr.isatty() if live is None else live
        self.log_every = log_every
        self._live: Live | None = None
        self._console: Console | None = None
        self._last_log = time.monotonic()
        self._last_live = 0.0

    def update(self, rows: Sequence[Row], cost: float, cap: float | None, force: bool = False) -> None:
        now = time.monotonic()
        if self.live:
            if force or now - self._last_live >= 0.5:
                self._last_live = now
                self._show_live(rows, cost, cap)
        elif force or now - self._last_log >= self.log_every:
            self._last_log = now
            lines = [headline(rows, cost, cap)] + ["  " + describe(r) for r in rows if r.outcome == "running"]
            print("\n".join(lines), file=sys.stderr, flush=True)

    def event(self, text: str) -> None:
        if self._console is not None:
            self._console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _show_live(self, rows: Sequence[Row], cost: float, cap: float | None) -> None:
        from rich.console import Console, Group
        from rich.live import Live
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column, justify in (("run", "left"), ("label", "left"), ("seed", "right"), ("status", "left"),
                                ("steps", "right"), ("milestones", "right"), ("cost", "right")):  # fmt: skip
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in rows:
            v = r.view
            cells: list[Any] = [r.name, r.label, str(r.seed), r.outcome if r.outcome != "running" or v is None
                                else v.status]  # fmt: skip
            if v is None:
                cells += ["", "", ""]
            else:
                money = f"${v.cost:.2f}" + ("+?" if v.unpriced_calls else "")
                cells += [f"{v.steps}/{r.budget}", f"{v.milestones}/{v.milestone_total}", money]
            table.add_row(*cells)
        body = Group(Text(headline(rows, cost, cap)), table)
        if self._live is None:
            self._console = Console(stderr=True)
            self._live = Live(body, console=self._console, refresh_per_second=2, transient=False)
            self._live.start()
        else:
            self._live.update(body)
