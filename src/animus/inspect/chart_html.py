"""The progress chart as ONE self-contained interactive HTML page: inline SVG, the data as JSON, vanilla JS.

Contracts:
- No plotting library and nothing fetched: the page works offline. The SVG is well-formed XML.
- Every run's data (id, label, model, seed, status, its card's short form, and each milestone reached with its
  step, actions, frame, tokens, cost and hours) is embedded in `<script type="application/json" id="chart-data">`;
  each group's `card` is its short form when the chart mixes cards, else null.
- Hovering a point shows its run or group, the milestone and its values (each point also has an SVG `<title>`,
  so browsers show a plain tooltip even without JS). Text from runs is escaped; the script uses textContent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape
from typing import Any

from animus.games import Profile
from animus.inspect.chart_data import (
    X_AXES,
    Group,
    RunSeries,
    band_edges,
    color,
    jump_tops,
    level_labels,
    step_points,
    x_limit,
    x_value,
)

_W, _ROW, _MR, _MT, _MB = 980, 30, 24, 30, 48
_SCRIPT = """
const data = JSON.parse(document.getElementById("chart-data").textContent);
const tip = document.getElementById("tip");
const fmt = (v) => v === null ? "never" : (data.x === "cost" ? "$" + v.toFixed(4)
  : data.x === "hours" ? v.toFixed(3) + " h" : Math.round(v).toLocaleString());
function describe(el) {
  const d = el.dataset;
  if (d.run !== undefined) {
    const run = data.runs[+d.run], m = run.milestones[+d.m];
    return [run.id + "  (group " + run.label + ", " + run.model + ", seed " + run.seed + ")", m.label,
      "step " + m.step + " · actions " + m.actions + " · tokens " + m.tokens,
      "cost $" + m.cost.toFixed(4) + " · " + m.hours.toFixed(3) + " h"].join("\\n");
  }
  const g = data.groups[+d.group], i = +d.level;
  return [g.legend + ": median", data.milestones[i].label, data.x + " " + fmt(g.median[i]),
    "min-max " + fmt(g.low[i]) + " to " + fmt(g.high[i]),
    "reached by " + g.reached[i] + " of " + g.runs.length].join("\\n");
}
document.querySelectorAll("svg .pt").forEach((el) => {
  el.addEventListener("mouseenter", () => { tip.textContent = describe(el); tip.style.display = "block"; });
  el.addEventListener("mousemove", (e) => {
    tip.style.left = e.pageX + 14 + "px"; tip.style.top = e.pageY + 10 + "px";
  });
  el.addEventListener("mouseleave", () => { tip.style.display = "none"; });
});
"""
_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
svg .pt { cursor: pointer; } svg .pt:hover { stroke: #000; stroke-width: 2; }
#tip { position: absolute; display: none; white-space: pre; background: #fffff0; border: 1px solid #999;
  padding: 4px 8px; font: 12px ui-monospace, monospace; pointer-events: none; }
table { border-collapse: collapse; margin-top: 12px; } td, th { padding: 2px 10px; text-align: left; }
th { border-bottom: 1px solid #999; }
"""


def progress_html(groups: Sequence[Group], profile: Profile, x: str, title: str) -> bytes:
    """The page for `groups` on `profile`'s milestones and axis `x`, as UTF-8 bytes."""
    runs = [run for g in groups for run in g.runs]
    labels = level_labels(profile)
    xmax = x_limit(runs, x) * 1.03
    ml = 24 + 7 * max(len(s) for s in labels)  # room for the milestone labels (about 7 px per character)
    legend_rows = _legend_layout(groups, ml)
    top = _MT + 20 * len(legend_rows)
    height = top + _ROW * len(labels) + _MB
    plot_w, plot_h = _W - ml - _MR, _ROW * len(labels)

    def sx(v: float) -> float:
        return round(ml + plot_w * min(v, xmax) / xmax, 1)

    def sy(level: float) -> float:
        return round(top + plot_h - (level + 0.5) * _ROW, 1)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" viewBox="0 0 {_W} {height}">']
    svg.append(f'<rect x="{ml}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#888"/>')
    for level, label in enumerate(labels):
        y = sy(level)
        svg.append(f'<line x1="{ml}" y1="{y}" x2="{ml + plot_w}" y2="{y}" stroke="#e4e4e4"/>')
        svg.append(f'<text x="{ml - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
    for value in _ticks(xmax):
        px = sx(value)
        svg.append(f'<line x1="{px}" y1="{top}" x2="{px}" y2="{top + plot_h}" stroke="#f0f0f0"/>')
        svg.append(f'<text x="{px}" y="{top + plot_h + 16}" text-anchor="middle">{_tick_text(value, x)}</text>')
    svg.append(f'<text x="{ml + plot_w / 2}" y="{height - 8}" text-anchor="middle">{escape(X_AXES[x])}</text>')
    svg.append(f'<text x="{_W / 2}" y="18" text-anchor="middle" font-weight="bold">{escape(title)}</text>')
    for lx, ly, index in _legend_positions(legend_rows):
        c, text = color(index), escape(groups[index].legend)
        svg.append(f'<rect x="{lx}" y="{ly - 9}" width="14" height="10" fill="{c}"/>')
        svg.append(f'<text x="{lx + 18}" y="{ly}">{text}</text>')
    run_index = {id(run): i for i, run in enumerate(runs)}
    for gi, group in enumerate(groups):
        c = color(gi)
        times: Sequence[float]
        if len(group.runs) > 1:
            xs, best, worst = band_edges(group.low, group.high, xmax)
            edge = _step_corners(xs, best) + _step_corners(xs, worst)[::-1]
            poly = " ".join(f"{sx(a)},{sy(b)}" for a, b in edge)
            svg.append(f'<polygon points="{poly}" fill="{c}" fill-opacity="0.18" stroke="none"/>')
            times = group.median
        else:
            times = group.runs[0].level_times(x, len(profile.milestones))
        pts = step_points(times)
        line = " ".join(f"{sx(a)},{sy(b)}" for a, b in pts)
        svg.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"/>')
        last = group.runs[0].last_x(x)
        if len(group.runs) == 1 and last is not None and last > pts[-1][0]:
            a, b = pts[-1]
            svg.append(
                f'<line x1="{sx(a)}" y1="{sy(b)}" x2="{sx(last)}" y2="{sy(b)}" stroke="{c}" stroke-dasharray="2,3"/>'
            )
        for run in group.runs:  # every run's own milestones, so each can be hovered
            ri = run_index[id(run)]
            for k, r in enumerate(run.reached):
                tip = f"{run.id}: {r.row.label}, step {r.row.step}, actions {r.row.actions}"
                svg.append(
                    f'<circle class="pt" data-run="{ri}" data-m="{k}" cx="{sx(x_value(r, x))}" '
                    f'cy="{sy(r.index + 1)}" r="{4 if len(group.runs) == 1 else 2.5}" fill="{c}" '
                    f'fill-opacity="{1 if len(group.runs) == 1 else 0.55}"><title>{escape(tip)}</title></circle>'
                )
        if len(group.runs) > 1:
            for t, top in jump_tops(group.median):
                level = top - 1
                tip = f"{group.legend} median: {labels[level + 1]}, {x} {_tick_text(t, x)}"
                svg.append(
                    f'<circle class="pt" data-group="{gi}" data-level="{level}" cx="{sx(t)}" cy="{sy(level + 1)}" '
                    f'r="5" fill="#fff" stroke="{c}" stroke-width="2"><title>{escape(tip)}</title></circle>'
                )
    svg.append("</svg>")
    payload = json.dumps(_data(groups, profile, x, title, runs), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c")  # cannot close the <script> element, and is still the same JSON
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        "\n".join(svg),
        '<div id="tip"></div>',
        _runs_table(runs),
        f'<script type="application/json" id="chart-data">{payload}</script>',
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(page).encode("utf-8")


def _data(groups: Sequence[Group], profile: Profile, x: str, title: str, runs: Sequence[RunSeries]) -> dict[str, Any]:
    def num(v: float) -> float | None:
        return None if v == math.inf else v

    return {
        "title": title,
        "x": x,
        "x_title": X_AXES[x],
        "profile": {"id": profile.id, "name": profile.name},
        "milestones": [{"id": m.id, "label": m.label} for m in profile.milestones],
        "groups": [
            {
                "label": g.label,
                "legend": g.legend,
                "card": g.card,
                "color": color(i),
                "runs": [r.id for r in g.runs],
                "median": [num(v) for v in g.median],
                "low": [num(v) for v in g.low],
                "high": [num(v) for v in g.high],
                "reached": [
                    sum(1 for r in g.runs if any(m.index >= lvl for m in r.reached)) for lvl in range(len(g.median))
                ],
            }
            for i, g in enumerate(groups)
        ],
        "runs": [
            {
                "id": r.id,
                "label": r.label,
                "model": r.model,
                "seed": r.seed,
                "status": r.status,
                "card": r.card.short if r.card is not None else None,
                "last_actions": r.last_actions,
                "milestones": [
                    {
                        "id": m.row.id,
                        "label": m.row.label,
                        "index": m.index,
                        "step": m.row.step,
                        "actions": m.row.actions,
                        "frame": m.row.frame,
                        "tokens": m.row.tokens,
                        "cost": m.row.cost,
                        "hours": m.row.wall_seconds / 3600.0,
                    }
                    for m in r.reached
                ],
            }
            for r in runs
        ],
    }


def _runs_table(runs: Sequence[RunSeries]) -> str:
    head = "<tr><th>run</th><th>group</th><th>model</th><th>seed</th><th>status</th><th>milestones</th>" + (
        "<th>actions</th></tr>"
    )
    rows = [
        f"<tr><td>{escape(r.id)}</td><td>{escape(r.label)}</td><td>{escape(r.model)}</td><td>{escape(str(r.seed))}"
        f"</td><td>{escape(r.status)}</td><td>{len(r.reached)}/{len(r.profile.milestones)}</td>"
        f"<td>{r.last_actions}</td></tr>"
        for r in runs
    ]
    return "<table>" + head + "".join(rows) + "</table>"


def _legend_layout(groups: Sequence[Group], left: float) -> list[list[tuple[float, int]]]:
    """Legend entries wrapped into rows above the plot: per row, (x, group index) pairs."""
    rows: list[list[tuple[float, int]]] = [[]]
    cursor = left
    for i, g in enumerate(groups):
        width = 30 + 7 * len(g.legend)
        if rows[-1] and cursor + width > _W - _MR:
            rows.append([])
            cursor = left
        rows[-1].append((cursor, i))
        cursor += width
    return rows


def _legend_positions(rows: Sequence[Sequence[tuple[float, int]]]) -> list[tuple[float, float, int]]:
    return [(lx, _MT + 14 + 20 * r, i) for r, row in enumerate(rows) for lx, i in row]


def _step_corners(xs: Sequence[float], ys: Sequence[int]) -> list[tuple[float, int]]:
    """Corners of a step-post line through (xs[i], ys[i])."""
    out: list[tuple[float, int]] = []
    for i, (a, b) in enumerate(zip(xs, ys, strict=True)):
        if i:
            out.append((a, ys[i - 1]))
        out.append((a, b))
    return out


def _ticks(top: float) -> list[float]:
    """About six round tick values from 0 to `top` (steps of 1, 2 or 5 times a power of ten)."""
    raw = top / 6
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(top / step) + 1)]


def _tick_text(value: float, x: str) -> str:
    if x == "cost":
        return f"${value:.4g}"
    if x == "hours":
        return f"{value:.3g}"
    return f"{value:,.0f}"
