"""Matplotlib renderers: the progress chart and the map heat map, as PNG or SVG bytes.

matplotlib is imported inside the functions, never at module level, so importing Animus (or this module) does
not pay for it. Figures are built with the object API on the Agg backend: no window, no pyplot global state.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from animus.games import Profile
from animus.inspect.chart_data import (
    X_AXES,
    Group,
    band_edges,
    color,
    jump_tops,
    level_labels,
    step_points,
    x_limit,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, fmt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    # Text stays text in SVG (searchable, smaller); a fixed salt and no date, so the same runs give the same file.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "animus"}):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buf, format="png", dpi=150)
    return buf.getvalue()


def progress_png_svg(groups: Sequence[Group], profile: Profile, x: str, title: str, fmt: str) -> bytes:
    """The progress chart of `groups` against `profile`'s milestones, on axis `x`, as `fmt` ("png" or "svg")."""
    runs = [run for g in groups for run in g.runs]
    labels = level_labels(profile)
    xmax = x_limit(runs, x)
    fig = figure(10.0, max(4.0, 1.6 + 0.32 * len(labels)))
    ax = fig.add_subplot()
    for index, group in enumerate(groups):
        c = color(index)
        if len(group.runs) == 1:
            run = group.runs[0]
            pts = step_points(run.level_times(x, len(profile.milestones)))
            ax.plot(*zip(*pts, strict=True), color=c, linewidth=2, label=group.legend)
            last = run.last_x(x)
            if last is not None and last > pts[-1][0]:
                # How long the run went on after its last milestone: only actions have a cheap run-end value.
                ax.plot([pts[-1][0], last], [pts[-1][1]] * 2, color=c, linewidth=1.2, linestyle=":")
        else:
            xs, best, worst = band_edges(group.low, group.high, xmax)
            ax.fill_between(xs, worst, best, step="post", color=c, alpha=0.18, linewidth=0)
            pts = step_points(group.median)
            ax.plot(*zip(*pts, strict=True), color=c, linewidth=2, label=group.legend)
        times = group.median if len(group.runs) > 1 else group.runs[0].level_times(x, len(profile.milestones))
        corners = jump_tops(times)
        if corners:
            ax.plot(*zip(*corners, strict=True), linestyle="none", marker="o", markersize=4, color=c)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(-0.5, len(labels) - 0.5)
    ax.set_xlim(0, xmax * 1.03)
    ax.set_xlabel(X_AXES[x])
    if x in ("actions", "tokens"):
        from matplotlib.ticker import StrMethodFormatter

        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # 100,000 reads faster than 100000
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small", frameon=True)
    return save_figure(fig, fmt)
