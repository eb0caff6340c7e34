"""The fleet's summary by label: median actions to each milestone, and the finish rate.

Contracts:
- Milestones are the profile's, in its order, as the runs stored it (`profile.toml` beside each run.db, read by
  `animus.inspect.chart_data.read_run`); the first readable run's profile names them.
- For each label and milestone: the median of the actions at which the label's runs first reached it, over the
  runs that reached it, and how many did, out of all the label's planned runs (a run that never started reached
  nothing). The finish rate is the share of the label's runs that reached the final milestone.
- Reads run stores only; a run that cannot be read counts as one that reached nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from animus.errors import AnimusError


def summarize(runs: Sequence[tuple[str, Path]]) -> dict[str, Any]:
    """The summary of (label, run dir) pairs, labels in first-seen order, as JSON-ready data."""
    from animus.inspect.chart_data import RunSeries, read_run

    series: dict[Path, RunSeries] = {}
    for _, run_dir in runs:
        try:
            series[run_dir] = read_run(run_dir)
        except AnimusError:  # not started, or being created: it reached nothing
            continue
    if not series:
        return {"milestones": [], "labels": []}
    profile = next(iter(series.values())).profile
    ids = [m.id for m in profile.milestones]
    by_label: dict[str, list[Path]] = {}
    for label, run_dir in runs:
        by_label.setdefault(label, []).append(run_dir)
    labels = []
    for label, dirs in by_label.items():
        per_milestone: list[dict[str, Any]] = []
        for mid in ids:
            actions = [r.row.actions for d in dirs if d in series for r in series[d].reached if r.row.id == mid]
            median = statistics.median(actions) if actions else None
            per_milestone.append({"id": mid, "median_actions": median, "reached": len(actions)})
        finished = int(per_milestone[-1]["reached"]) if per_milestone else 0
        labels.append(
            {"label": label, "runs": len(dirs), "finished": finished, "finish_rate": finished / len(dirs),
             "milestones": per_milestone}
        )  # fmt: skip
    return {"milestones": [{"id": m.id, "label": m.label} for m in profile.milestones], "labels": labels}


def format_summary(summary: dict[str, Any]) -> list[str]:
    """The summary as a plain-text table: a row per milestone, a column per label, then the finish rate."""
    if not summary["labels"]:
        return ["summary: no run has a readable store yet"]
    header = ["milestone", *(f"{g['label']} (n={g['runs']})" for g in summary["labels"])]
    rows = [header]
    for i, milestone in enumerate(summary["milestones"]):
        cells = [milestone["label"]]
        for g in summary["labels"]:
            m = g["milestones"][i]
            value = "—" if m["median_actions"] is None else f"{m['median_actions']:,.0f}"
            cells.append(f"{value} ({m['reached']}/{g['runs']})")
        rows.append(cells)
    rows.append(
        ["finish rate", *(f"{g['finished']}/{g['runs']} ({100 * g['finish_rate']:.0f}%)" for g in summary["labels"])]
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["summary by label: median actions to each milestone (runs that reached it / runs)"]
    for r in rows:
        lines.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    return [line.rstrip() for line in lines]
