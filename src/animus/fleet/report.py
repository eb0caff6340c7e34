"""The fleet's summary by label: the time to each milestone in actions, with survival statistics, and the finish
rate.

Contracts:
- Milestones are the profile's, in its order, as the runs stored it (`profile.toml` beside each run.db, read by
  `animus.inspect.chart_data.read_run`); the first readable run's profile names them.
- For each label and milestone (`animus.stats.milestones`): the Kaplan-Meier median of the actions to it, where a
  run that stopped before it counts as censored where it stopped (so a label whose runs mostly stopped early is
  not summarized by its few lucky runs), its 95% percentile-bootstrap interval (2000 resamples, seed 0), and how
  many runs reached it out of all the label's planned runs; per milestone, the log-rank p-value between labels.
  The median is undefined (None, printed —) when the curve never falls to one half. The finish rate is the
  share of the label's runs that reached the final milestone.
- Reads run stores only; a run that cannot be read (not started, or being created) reached nothing: it counts in
  the label's runs, and the estimates cover the label's readable runs.
- `FleetSummary.to_json` is what fleet.json keeps: `milestones` and `labels` (per label and milestone `id`,
  `median_actions`: the Kaplan-Meier median, `reached`), and `survival` (`MilestoneTable.to_json`: the intervals,
  the totals and the log-rank tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.errors import AnimusError

if TYPE_CHECKING:
    from animus.stats.milestones import MilestoneTable


@dataclass(frozen=True)
class FleetSummary:
    """The summary by label; `table` is None when no run has a readable store yet."""

    table: MilestoneTable | None

    def to_json(self) -> dict[str, Any]:
        if self.table is None:
            return {"milestones": [], "labels": []}
        t = self.table
        labels = [
            {"label": col.label, "runs": col.runs, "finished": col.finished, "finish_rate": col.finish_rate,
             "milestones": [
                 {"id": mid, "median_actions": c.estimate.median if c.estimate else None, "reached": c.reached}
                 for (mid, _), c in zip(t.milestones, col.cells, strict=True)
             ]}
            for col in t.columns
        ]  # fmt: skip
        milestones = [{"id": mid, "label": label} for mid, label in t.milestones]
        return {"milestones": milestones, "labels": labels, "survival": t.to_json()}


def summarize(runs: Sequence[tuple[str, Path]]) -> FleetSummary:
    """The summary of (label, run dir) pairs, labels in first-seen order."""
    from animus.inspect.chart_data import RunSeries, align_profiles, read_run
    from animus.stats.milestones import LabelRuns, milestone_table, milestones_of, run_times

    series: dict[Path, RunSeries] = {}
    for _, run_dir in runs:
        try:
            series[run_dir] = read_run(run_dir)
        except AnimusError:  # not started, or being created: it reached nothing
            continue
    if not series:
        return FleetSummary(None)
    aligned, _ = align_profiles(list(series.values()))  # a fleet's runs share their game: no warning to give
    series = dict(zip(series, aligned, strict=True))
    by_label: dict[str, list[Path]] = {}
    for label, run_dir in runs:
        by_label.setdefault(label, []).append(run_dir)
    labels = [
        LabelRuns(label, tuple(run_times(series[d], "actions") for d in dirs if d in series), len(dirs))
        for label, dirs in by_label.items()
    ]
    return FleetSummary(milestone_table(labels, milestones_of(aligned[0].profile), "actions"))


def format_summary(summary: FleetSummary) -> list[str]:
    """The summary as a plain-text table: a row per milestone (and one of intervals), a column per label, the
    log-rank p-value when there are two labels or more, then the finish rate."""
    if summary.table is None:
        return ["summary: no run has a readable store yet"]
    head = "summary by label: Kaplan-Meier median actions to each milestone (runs that reached it / runs)"
    return [head, *summary.table.lines()]
