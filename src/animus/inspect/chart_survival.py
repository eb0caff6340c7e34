"""The survival chart of one milestone: per group of runs, the share that had not reached it yet, against x.

    survival_chart(groups, profile, "actions", "got_badge", title, "png")   # bytes of a .png, .svg or .html

Contracts:
- The data are `animus.stats.milestones`' (what reaching a milestone means, where a run that did not is censored)
  and `animus.stats.survival`'s (the Kaplan-Meier curve, the median and its bootstrap interval, seed 0).
- Each group is one step curve from 1 at x = 0, down at each time a run reached the milestone, flat to the group's
  last observed time; a tick marks each run censored there (it stopped before reaching the milestone). The legend
  gives the group, its runs, how many reached the milestone, and the median with its interval, or says that the
  median is beyond the data (the curve never falls to 0.5). A dotted line marks 0.5, where the curves cross it at
  their medians.
- .png and .svg come from matplotlib (`chart_plot`'s figure and writer); .html is one self-contained page with
  that SVG inline, a table of the medians, and the curves as JSON in `<script type="application/json"
  id="chart-data">` (nothing fetched, no script needed to read it).
- An unknown milestone id is a `BadInputError` that lists the valid ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from animus.errors import BadInputError
from animus.games import Profile
from animus.inspect.chart_data import X_AXES, Group, color
from animus.stats.milestones import interval_text, run_times, sample_of, value_text
from animus.stats.survival import Curve, MedianEstimate, bootstrap_median, kaplan_meier


@dataclass(frozen=True)
class SurvivalSeries:
    """One group's curve for one milestone."""

    name: str  # the group's name (`Group.name`: its label, and its card when the chart mixes cards)
    runs: tuple[str, ...]  # run ids
    curve: Curve
    estimate: MedianEstimate
    points: tuple[tuple[float, float], ...]  # the step line's corners, from (0, 1) to (curve.end, S there)
    ticks: tuple[tuple[float, float], ...]  # (censoring time, S there), one per censored run

    def legend(self, x: str) -> str:
        """`mock (n=5, 4 reached): median 36 [30 to 51]`, or `... median beyond the data` when undefined."""
        head = f"{self.name} (n={len(self.runs)}, {self.estimate.reached} reached)"
        e = self.estimate
        if e.median is None:
            return f"{head}: median beyond the data (the curve stays above 1/2)"
        return f"{head}: median {value_text(e.median, x)} {interval_text(e, x)}".rstrip()


def milestone_index(profile: Profile, milestone: str) -> int:
    """The index of `milestone` in `profile`; `BadInputError` listing the valid ids when it has none such."""
    ids = [m.id for m in profile.milestones]
    if not ids:
        raise BadInputError(f"profile {profile.id} has no milestones: there is nothing to time runs to.")
    if milestone not in ids:
        raise BadInputError(f"unknown milestone {milestone!r} in {profile.id}: use one of {', '.join(ids)}.")
    return ids.index(milestone)


def survival_series(groups: Sequence[Group], index: int, x: str) -> list[SurvivalSeries]:
    """The curves of milestone `index` for `groups` (in order) on axis `x`."""
    out = []
    for group in groups:
        times = [run_times(run, x) for run in group.runs]
        sample = sample_of(times, index)
        curve = kaplan_meier(sample)
        out.append(
            SurvivalSeries(
                name=group.name,
                runs=tuple(run.id for run in group.runs),
                curve=curve,
                estimate=bootstrap_median(sample),
                points=tuple(step_corners(curve)),
                ticks=tuple((t, curve.at(t)) for t in curve.censored),
            )
        )
    return out


def step_corners(curve: Curve) -> list[tuple[float, float]]:
    """The corners of the curve's step line: from (0, 1), down at each event time, flat to its end."""
    points = [(0.0, 1.0)]
    level = 1.0
    for t, s in zip(curve.times, curve.survival, strict=True):
        points += [(t, level), (t, s)]
        level = s
    points.append((curve.end, level))
    return points


def survival_chart(groups: Sequence[Group], profile: Profile, x: str, milestone: str, title: str, fmt: str) -> bytes:
    """The survival chart of `milestone` (an id of `profile`) for `groups` on axis `x`, as `fmt` (png, svg, html)."""
    index = milestone_index(profile, milestone)
    series = survival_series(groups, index, x)
    label = profile.milestones[index].label
    if fmt != "html":
        return _figure(series, x, label, title, fmt)
    svg = _figure(series, x, label, title, "svg").decode("utf-8")
    return _page(series, profile, milestone, label, x, title, svg[svg.index("<svg") :])


def _figure(series: Sequence[SurvivalSeries], x: str, label: str, title: str, fmt: str) -> bytes:
    from animus.inspect.chart_plot import figure, save_figure

    fig = figure(10.0, 5.6)
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        c = color(i)
        ax.plot(*zip(*s.points, strict=True), color=c, linewidth=2, label=s.legend(x))
        if s.ticks:
            ax.plot(*zip(*s.ticks, strict=True), linestyle="none", marker="|", markersize=11, color=c)
    ax.axhline(0.5, color="#999999", linewidth=0.8, linestyle=":")
    right = max((s.curve.end for s in series), default=0.0)
    ax.set_xlim(0, (right if right > 0 else 1.0) * 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(X_AXES[x])
    ax.set_ylabel(f"runs that have not reached\n{label!r} (Kaplan-Meier)")
    if x in ("actions", "spent", "tokens"):
        from matplotlib.ticker import StrMethodFormatter

        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small", frameon=True, title="| : run stopped before it", title_fontsize="small")
    return save_figure(fig, fmt)


def _page(
    series: Sequence[SurvivalSeries], profile: Profile, milestone: str, label: str, x: str, title: str, svg: str
) -> bytes:
    data: dict[str, Any] = {
        "title": title,
        "x": x,
        "x_title": X_AXES[x],
        "profile": {"id": profile.id, "name": profile.name},
        "milestone": {"id": milestone, "label": label},
        "groups": [
            {
                "name": s.name,
                "color": color(i),
                "runs": list(s.runs),
                "reached": s.estimate.reached,
                "times": list(s.curve.times),
                "survival": list(s.curve.survival),
                "censored": list(s.curve.censored),
                "end": s.curve.end,
                "median": s.estimate.median,
                "low": s.estimate.low,  # null: beyond the data (+inf)
                "high": s.estimate.high,
                "confidence": s.estimate.confidence,
                "resamples": s.estimate.resamples,
                "seed": s.estimate.seed,
            }
            for i, s in enumerate(series)
        ],
    }
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{len(s.runs)}</td><td>{s.estimate.reached}</td>"
        f"<td>{'beyond the data' if s.estimate.median is None else value_text(s.estimate.median, x)}</td>"
        f"<td>{escape(interval_text(s.estimate, x))}</td></tr>"
        for s in series
    )
    ci = f"{100 * series[0].estimate.confidence:g}%" if series else "95%"
    table = (
        "<table><tr><th>group</th><th>runs</th><th>reached it</th><th>median</th>"
        f"<th>{ci} bootstrap interval</th></tr>{rows}</table>"
    )
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:16px;color:#222}svg{max-width:100%;height:auto}"
        "table{border-collapse:collapse;margin-top:12px}td,th{padding:2px 10px;text-align:left}"
        "th{border-bottom:1px solid #999}</style></head><body>",
        svg,
        table,
        f'<script type="application/json" id="chart-data">{payload}</script>',
        "</body></html>",
    ]
    return "\n".join(page).encode("utf-8")
