"""What a progress chart shows, read from run directories: runs, their milestones, and groups of runs by label.

Contracts:
- Reading a run touches its meta, its milestone rows, its `profile.toml` and at most its last step row (to know
  how far the run went in actions); never a scan of its steps. A store that cannot be read is a `RunError`.
- Each run carries its harness card as of its config and profile (`runs/card.py`: no interventions, which need
  the memory events); charts compare the cards' switches (`card.differences`) before overlaying runs.
- Milestones are placed by the profile's order. A run's *level* after a milestone is 1 + the highest profile index
  it has reached so far (level 0 is the start), so a run's line never goes down, even if a game lets milestones
  happen out of order.
- A group of n runs reaches level i at the median of its runs' times to level i, counting a run that never got
  there as infinitely late; when exactly half got there (n even) the lower median is used, so a group's median
  line goes on while at least half its runs got there, and stops where fewer did. The band spans the best and
  the worst run's level at each x: its leading edge is the earliest time any run reached a level, its trailing
  edge the latest (the worst run's line, which stays flat at its last level to the chart's right edge).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from animus.errors import BadInputError, RunError
from animus.games import Profile, load_profile
from animus.runs.card import Card, build_card
from animus.runs.reader import RunReader
from animus.runs.rows import BranchRow, MilestoneRow

PROFILE_FILE = "profile.toml"  # written by the runner beside run.db: the exact profile the run played with

# The x axes a chart may use: name -> (axis title, value of a milestone row).
X_AXES = {
    "actions": "actions (game tool calls)",
    "spent": "actions spent, all best-of-N branches included",
    "tokens": "tokens (cumulative)",
    "cost": "cost (USD, cumulative)",
    "hours": "wall-clock hours (cumulative)",
}


def x_value(reached: Reached, x: str) -> float:
    """The cumulative value of a reached milestone on axis `x` (one of `X_AXES`)."""
    row = reached.row
    if x == "actions":
        return float(row.actions)
    if x == "spent":
        return float(reached.spent)
    if x == "tokens":
        return float(row.tokens)
    if x == "cost":
        return float(row.cost)
    if x == "hours":
        return row.wall_seconds / 3600.0
    raise BadInputError(f"unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")


@dataclass(frozen=True)
class Reached:
    """One milestone a run reached: its index in the chart's profile, and the row as stored."""

    index: int
    row: MilestoneRow
    spent: int  # actions spent when it was committed: the run's own plus every unchosen branch's before then


@dataclass(frozen=True)
class RunSeries:
    """One run as a chart needs it."""

    id: str
    path: Path
    label: str
    model: str
    seed: object
    status: str
    profile: Profile
    reached: tuple[Reached, ...]  # in the order they were reached
    last_actions: int  # the run's cumulative actions after its last step (0 if it has none)
    last_spent: int  # and the actions spent by then, unchosen branches included (= last_actions without branching)
    card: Card | None = None  # what its model could see and do (`read_run` always sets it)
    fork_actions: int | None = None  # a fork's actions at the step it was forked after (None: not a fork)

    def last_x(self, x: str) -> float | None:
        """How far the run went on axis `x`, for the axes that count actions (None for the others)."""
        return float(self.last_actions) if x == "actions" else float(self.last_spent) if x == "spent" else None

    def level_times(self, x: str, levels: int) -> list[float]:
        """For levels 1..`levels`, the first x at which this run's level was at least that (inf if never)."""
        times = [math.inf] * levels
        for r in self.reached:
            value = x_value(r, x)
            # Reaching index k reaches every level up to k + 1: keep the earliest time for each.
            for level in range(r.index + 1):
                times[level] = min(times[level], value)
        return times


@dataclass(frozen=True)
class Group:
    """The runs that share a label, and the curves drawn for them (levels 1..n; inf/None where undrawn)."""

    label: str
    runs: tuple[RunSeries, ...]
    median: tuple[float, ...]  # inf where fewer than half of the runs got there
    low: tuple[float, ...]  # the earliest run's time (the band's leading edge); inf where no run got there
    high: tuple[float, ...]  # the latest run's time (the trailing edge); inf where any run never got there
    card: str | None = None  # the runs' short card form (`Card.short`), when the chart's runs have different cards

    @property
    def name(self) -> str:
        """The label, and the card's short form when the chart mixes cards: `mock [-minimap]`, `mock [default]`."""
        return self.label if self.card is None else f"{self.label} [{self.card or 'default'}]"

    @property
    def legend(self) -> str:
        return self.name if len(self.runs) == 1 else f"{self.name} (n={len(self.runs)})"


def read_run(run_dir: Path) -> RunSeries:
    """Read one run's meta, milestones, profile and last step. `RunError` when any of them cannot be read."""
    try:
        with RunReader.open(run_dir) as store:
            meta = store.meta()
            rows = store.milestones()
            last = store.step(store.last_step())
            forks = _unchosen_actions(store.branches())
            fork_actions = None
            if meta.parent:  # a fork: its steps up to the parent's step are the parent's
                at = store.step(int(meta.parent.get("step", 0)))
                fork_actions = at.actions if at is not None else 0
    except sqlite3.DatabaseError as exc:  # a damaged file that passed the store's own open checks
        raise RunError(f"run {run_dir} cannot be read ({exc}): its run.db is damaged.") from None
    except (ValueError, TypeError) as exc:  # meta values that are not JSON, rows of the wrong shape
        raise RunError(f"run {run_dir} cannot be read ({exc}): its run.db is damaged.") from None
    profile_path = run_dir / PROFILE_FILE
    if not profile_path.is_file():
        raise RunError(f"run {run_dir} has no {PROFILE_FILE}: it is incomplete, so its milestones cannot be placed.")
    profile = load_profile(str(profile_path))
    card = build_card(meta, profile)
    order = {m.id: i for i, m in enumerate(profile.milestones)}
    reached = tuple(Reached(order[r.id], r, r.actions + _spent_before(forks, r.step)) for r in rows if r.id in order)
    last_actions = last.actions if last is not None else 0
    return RunSeries(
        id=meta.id,
        path=run_dir,
        label=meta.group_label,
        model=meta.model or "?",
        seed=meta.seed,
        status=meta.status,
        profile=profile,
        reached=reached,
        last_actions=last_actions,
        last_spent=last_actions + sum(extra for _, extra in forks),
        card=card,
        fork_actions=fork_actions,
    )


def from_fork(run: RunSeries) -> RunSeries:
    """`run` counted in actions from the step it was forked after (a run that is not a fork is unchanged): what it
    had reached by then is at 0, so forks of one moment start together."""
    if run.fork_actions is None:
        return run
    offset = run.fork_actions
    reached = tuple(
        replace(r, row=replace(r.row, actions=max(0, r.row.actions - offset)), spent=max(0, r.spent - offset))
        for r in run.reached
    )
    return replace(
        run,
        reached=reached,
        last_actions=max(0, run.last_actions - offset),
        last_spent=max(0, run.last_spent - offset),
        fork_actions=0,
    )


def _unchosen_actions(branches: Sequence[BranchRow]) -> list[tuple[int, int]]:
    """(fork step, actions of that fork's unchosen branches), by fork step."""
    forks: dict[int, int] = {}
    for b in branches:
        forks[b.fork_step] = forks.get(b.fork_step, 0) + (0 if b.chosen else b.actions)
    return sorted(forks.items())


def _spent_before(forks: Sequence[tuple[int, int]], step: int) -> int:
    """The unchosen branches' actions of every fork committed with or before `step` (forks start after a step)."""
    return sum(extra for fork_step, extra in forks if fork_step < step)


def align_profiles(runs: Sequence[RunSeries]) -> tuple[list[RunSeries], list[str]]:
    """Put every run on the first run's profile; return the runs and warnings for the ones that differ.

    Runs whose profile has other milestones (by id and order) are kept, charted against the first run's
    milestones: the ones it does not know are left out, and a warning says so. Mixing games is allowed because a
    profile edited between runs is a normal thing to compare; mixing unrelated games is what the warning is for.
    """
    first = runs[0].profile
    ids = [m.id for m in first.milestones]
    order = {mid: i for i, mid in enumerate(ids)}
    out: list[RunSeries] = []
    odd: list[str] = []
    for run in runs:
        if [m.id for m in run.profile.milestones] == ids:
            out.append(run)
            continue
        odd.append(f"{run.id} ({run.profile.id})")
        kept = tuple(Reached(order[r.row.id], r.row, r.spent) for r in run.reached if r.row.id in order)
        out.append(replace(run, profile=first, reached=kept))
    warnings = []
    if odd:
        warnings.append(
            f"{len(odd)} run(s) use a profile with other milestones than {runs[0].id}'s ({first.id}): "
            f"{', '.join(odd[:5])}{' ...' if len(odd) > 5 else ''}; they are charted against {first.id}'s "
            "milestones, and the milestones it does not have are left out."
        )
    return out, warnings


def group_runs(runs: Sequence[RunSeries], x: str, by_card: bool = False) -> list[Group]:
    """Runs grouped by label, in the order each label first appears, with their median and min-max curves.

    With `by_card` (a chart of runs whose cards differ), runs are grouped by label and short card form, and each
    group carries that form (`Group.card`), so no group mixes cards and the legend says what each group had."""
    levels = len(runs[0].profile.milestones)
    by_label: dict[tuple[str, str | None], list[RunSeries]] = {}
    for run in runs:
        card = (run.card.short if run.card is not None else "") if by_card else None
        by_label.setdefault((run.label, card), []).append(run)
    groups = []
    for (label, card), members in by_label.items():
        times = [run.level_times(x, levels) for run in members]
        columns = [sorted(t[level] for t in times) for level in range(levels)]
        groups.append(
            Group(
                label,
                tuple(members),
                median=tuple(_median(c) for c in columns),
                low=tuple(c[0] for c in columns),
                high=tuple(c[-1] for c in columns),
                card=card,
            )
        )
    return groups


def _median(column: Sequence[float]) -> float:
    """The median of sorted times with inf for unreached; the lower one when the upper is inf (exactly half got)."""
    n = len(column)
    if n % 2:
        return column[n // 2]
    a, b = column[n // 2 - 1], column[n // 2]
    return a if b == math.inf else (a + b) / 2


def step_points(times: Sequence[float], start: float = 0.0) -> list[tuple[float, int]]:
    """The corners of a step line through levels 0..: (x, level) pairs, from (start, 0) to the last finite level.

    `times[i]` is when level i + 1 was reached (non-decreasing, inf once unreached). Equal times collapse into
    one vertical jump.
    """
    points = [(start, 0)]
    for level, t in enumerate(times, start=1):
        if t == math.inf:
            break
        points.append((t, level - 1))
        points.append((t, level))
    return points


def band_edges(low: Sequence[float], high: Sequence[float], xmax: float) -> tuple[list[float], list[int], list[int]]:
    """A group's min-max band as step-post samples: xs from 0 to `xmax`, the best and the worst level at each."""
    xs = sorted({0.0, xmax, *(t for t in (*low, *high) if t <= xmax)})
    best = [sum(1 for t in low if t <= v) for v in xs]
    worst = [sum(1 for t in high if t <= v) for v in xs]
    return xs, best, worst


def x_limit(runs: Sequence[RunSeries], x: str) -> float:
    """The right end of the x axis: the largest value any run reached (and, on actions, its last step); 1 if 0."""
    values = [x_value(r, x) for run in runs for r in run.reached]
    values += [last for run in runs if (last := run.last_x(x)) is not None]
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


# Colors of the groups, in order (matplotlib's tab10, so both renderers agree).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def level_labels(profile: Profile) -> list[str]:
    """The y axis, bottom to top: the start, then every milestone of the profile (reached or not) in its order."""
    return ["(start)", *(m.label for m in profile.milestones)]


def jump_tops(times: Sequence[float]) -> list[tuple[float, int]]:
    """Where a step line lands: for each distinct finite time, the highest level reached then, as (x, level).

    A marker goes only there, so a run that jumped over a milestone (reached a later one first) shows no dot on
    the milestone it skipped.
    """
    tops: dict[float, int] = {}
    for level, t in enumerate(times, start=1):
        if t != math.inf:
            tops[t] = level
    return sorted(tops.items())
