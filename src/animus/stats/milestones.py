"""Survival statistics of runs: per label, the time to each milestone of a profile, with the runs that stopped
before it censored; the table `animus compare` and the fleet summary print.

    times = [run_times(read_run(d), "actions") for d in dirs]
    table = milestone_table([LabelRuns("mock", tuple(times), len(dirs))], milestones_of(profile), "actions")
    table.lines(), table.to_json()
    compare_runs(["runs/"], x="tokens").table     # what `animus compare` prints

Contracts:
- A run reaches milestone i when it first reaches it or any later milestone of the profile (the charts' levels:
  `RunSeries.level_times`, so a run that skipped a milestone the game let it skip is not counted as short of it);
  its time is that milestone row's value on the axis x (`chart_data.x_value`).
- A run that did not reach it is censored at its end on x (`run_end`): its cumulative actions after its last step
  (actions spent, for `spent`), or its totals' tokens, cost or wall hours (`RunReader.totals`); never less than the
  largest value any of its milestone rows holds (a milestone's wall time also counts the time between steps).
- A label's estimate covers its readable runs; `total` counts all of its runs (a fleet's planned runs include
  some that may not have started: they reached nothing). A label without a readable run has no estimate.
- Every cell's bootstrap uses the same `seed` (default 0), so the same runs give the same table every time.
- A milestone's log-rank test compares the labels that have readable runs, when there are at least two of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.stats.survival import LogRank, MedianEstimate, Sample, bootstrap_median, log_rank

if TYPE_CHECKING:
    from animus.games import Profile
    from animus.inspect.chart_data import RunSeries


@dataclass(frozen=True)
class RunTimes:
    """One run as the statistics need it: when it reached each milestone on one axis, and where it stopped."""

    id: str
    times: tuple[float, ...]  # per milestone of the profile: the first x at which it reached it or a later one; inf
    end: float  # how far it went on the axis: the censoring time of every milestone it did not reach

    def observation(self, index: int) -> tuple[float, bool]:
        """(time, reached) for milestone `index`: its time if it reached it, else (end, False)."""
        t = self.times[index]
        return (t, True) if t != math.inf else (self.end, False)


@dataclass(frozen=True)
class LabelRuns:
    """The runs of one label (or label and card), and how many runs the label has in all (readable or not)."""

    label: str
    runs: tuple[RunTimes, ...]
    total: int


@dataclass(frozen=True)
class Cell:
    """One label and milestone: how many of the label's runs reached it, and the estimate (None: no readable run)."""

    reached: int
    total: int
    estimate: MedianEstimate | None


@dataclass(frozen=True)
class Column:
    label: str
    runs: int  # every run of the label
    readable: int  # the runs the estimates cover
    cells: tuple[Cell, ...]  # per milestone

    @property
    def finished(self) -> int:
        """The runs that reached the final milestone."""
        return self.cells[-1].reached if self.cells else 0

    @property
    def finish_rate(self) -> float:
        return self.finished / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class MilestoneTable:
    """Per milestone (rows) and label (columns): Kaplan-Meier median on `x` with its interval, reached/total, and
    the log-rank test between the labels (None with fewer than two labels that have readable runs)."""

    x: str
    milestones: tuple[tuple[str, str], ...]  # (id, label), in the profile's order
    columns: tuple[Column, ...]
    tests: tuple[LogRank | None, ...]  # per milestone
    confidence: float
    resamples: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data. A median, low or high that is null is beyond the data (+inf; see `MedianEstimate`)."""

        def cell(mid: str, c: Cell) -> dict[str, Any]:
            e = c.estimate
            median, low, high = (None, None, None) if e is None else (e.median, e.low, e.high)
            return {"id": mid, "reached": c.reached, "total": c.total, "median": median, "low": low, "high": high}

        def test(t: LogRank | None) -> dict[str, Any] | None:
            if t is None:
                return None
            return {"statistic": t.statistic, "df": t.df, "p_value": t.p_value, "observed": list(t.observed),
                    "expected": list(t.expected)}  # fmt: skip

        return {
            "x": self.x,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "milestones": [
                {"id": mid, "label": label, "log_rank": test(t)}
                for (mid, label), t in zip(self.milestones, self.tests, strict=True)
            ],
            "labels": [
                {"label": col.label, "runs": col.runs, "readable": col.readable, "finished": col.finished,
                 "finish_rate": col.finish_rate,
                 "milestones": [cell(mid, c) for (mid, _), c in zip(self.milestones, col.cells, strict=True)]}
                for col in self.columns
            ],
        }  # fmt: skip

    def lines(self) -> list[str]:
        """The table as plain text: per milestone a row of medians (reached/total) and a row of intervals under
        them, a log-rank p column when there are two labels or more, then the finish rate and a legend."""
        if not self.columns:
            return ["no run has a readable store yet"]
        tested = any(t is not None for t in self.tests)
        header = ["milestone", *(f"{c.label} (n={c.runs})" for c in self.columns)] + (["log-rank p"] if tested else [])
        rows = [header]
        for i, (_, label) in enumerate(self.milestones):
            medians, intervals = [label], [""]
            for col in self.columns:
                c = col.cells[i]
                e = c.estimate
                medians.append(f"{'—' if e is None or e.median is None else value_text(e.median, self.x)} "
                               f"({c.reached}/{c.total})")  # fmt: skip
                intervals.append(interval_text(e, self.x))
            if tested:
                medians.append(p_text(self.tests[i]))
                intervals.append("")
            rows += [medians, intervals]
        rate = [f"{c.finished}/{c.runs} ({100 * c.finish_rate:.0f}%)" for c in self.columns]
        rows.append(["finish rate", *rate] + ([""] if tested else []))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        out = [
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows
        ]
        ci = f"{100 * self.confidence:g}% bootstrap interval of the median"
        out.append(f"[low to high]: {ci} ({self.resamples} resamples, seed {self.seed}); ∞: no upper end")
        out.append("—: the curve never falls to one half (too few runs reached it), so the median is beyond the data")
        return [line.rstrip() for line in out]


def value_text(value: float, x: str) -> str:
    """A time on axis `x` for people: 1,234 actions or tokens, $0.0123, 1.25 h."""
    if x == "cost":
        return f"${value:.4g}"
    if x == "hours":
        return f"{value:.3g} h"
    return f"{value:,.0f}"


def interval_text(estimate: MedianEstimate | None, x: str) -> str:
    """`[low to high]`, ∞ for an open end; '' when there is nothing to bound (no runs, or every resample beyond)."""
    if estimate is None or estimate.low is None:
        return ""
    high = "∞" if estimate.high is None else value_text(estimate.high, x)
    return f"[{value_text(estimate.low, x)} to {high}]"


def p_text(test: LogRank | None) -> str:
    if test is None or test.p_value is None:
        return "—"
    return "<0.0001" if test.p_value < 1e-4 else f"{test.p_value:.4f}"


def run_end(run: RunSeries, x: str) -> float:
    """How far `run` went on axis `x` (see the module's contracts)."""
    from animus.inspect.chart_data import x_value

    last = run.last_x(x)
    if last is None:
        from animus.runs.reader import RunReader

        with RunReader.open(run.path) as store:
            totals = store.totals()
        last = {"tokens": float(totals.tokens), "cost": totals.cost, "hours": totals.wall_seconds / 3600.0}[x]
    return max([last, *(x_value(r, x) for r in run.reached)])


def run_times(run: RunSeries, x: str) -> RunTimes:
    """`run`'s times to each milestone of its profile on axis `x`, and its end there."""
    return RunTimes(run.id, tuple(run.level_times(x, len(run.profile.milestones))), run_end(run, x))


def sample_of(runs: Sequence[RunTimes], index: int) -> Sample:
    """The survival sample of milestone `index` over `runs`."""
    pairs = [r.observation(index) for r in runs]
    return Sample.of([t for t, _ in pairs], [e for _, e in pairs])


def milestones_of(profile: Profile) -> tuple[tuple[str, str], ...]:
    return tuple((m.id, m.label) for m in profile.milestones)


def milestone_table(
    labels: Sequence[LabelRuns],
    milestones: Sequence[tuple[str, str]],
    x: str,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> MilestoneTable:
    """The table of `labels` (columns, in this order) over `milestones` (the runs' profile's, in order)."""
    columns = []
    for group in labels:
        cells = []
        for i in range(len(milestones)):
            if not group.runs:
                cells.append(Cell(0, group.total, None))
                continue
            sample = sample_of(group.runs, i)
            estimate = bootstrap_median(sample, resamples, confidence, seed)
            cells.append(Cell(sample.reached, group.total, estimate))
        columns.append(Column(group.label, group.total, len(group.runs), tuple(cells)))
    present = [g for g in labels if g.runs]
    tests = tuple(
        log_rank([sample_of(g.runs, i) for g in present]) if len(present) >= 2 else None for i in range(len(milestones))
    )
    return MilestoneTable(x, tuple(milestones), tuple(columns), tests, confidence, resamples, seed)


@dataclass(frozen=True)
class Comparison:
    """What `compare_runs` found: the table, warnings for the user, and the card switches the runs differ in."""

    table: MilestoneTable
    runs: int
    warnings: tuple[str, ...]
    mixed: tuple[str, ...]


def compare_runs(
    targets: Sequence[Path | str], x: str = "actions", runs_dir: Path | None = None, allow_mixed: bool = False
) -> Comparison:
    """The table of the runs `targets` name (run dirs, dirs of runs or run ids, as `animus chart` takes them),
    grouped by label as charts group them: runs on other profiles are put on the first run's (a warning says so),
    and runs whose harness cards differ are refused with a `BadInputError` unless `allow_mixed` (then grouped by
    label and card). Reads only the run directories."""
    from animus.errors import BadInputError
    from animus.inspect.chart_data import X_AXES, align_profiles, group_runs, read_run
    from animus.inspect.charts import _mixed_cards, collect_runs
    from animus.runs.card import differences
    from animus.runs.catalog import DEFAULT_RUNS_DIR

    if x not in X_AXES:
        raise BadInputError(f"unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    originals = [read_run(p) for p in collect_runs(targets, runs_dir or DEFAULT_RUNS_DIR)]
    mixed = differences([r.card for r in originals if r.card is not None])
    if mixed and not allow_mixed:
        what = _mixed_cards(originals, mixed).split(". Chart them")[0]  # the switches, and a run on and off for each
        raise BadInputError(f"{what}. Compare them separately, or pass --allow-mixed to split each label by its card.")
    runs, warnings = align_profiles(originals)
    labels = [
        LabelRuns(g.name, tuple(run_times(r, x) for r in g.runs), len(g.runs))
        for g in group_runs(runs, x, by_card=bool(mixed))
    ]
    table = milestone_table(labels, milestones_of(runs[0].profile), x)
    return Comparison(table, len(runs), tuple(warnings), tuple(mixed))
