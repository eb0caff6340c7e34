"""`animus chart`: progress charts of runs (milestones against actions, tokens, cost or hours) and map heat maps.

    render_chart([Path("runs")], Path("chart.png"))                      # every run under ./runs
    render_chart([run_a, run_b], Path("chart.html"), x="tokens")         # one interactive, offline page
    render_chart([run_a], Path("where.png"), kind="map")                 # visits per (x, y) on each map
    render_chart([Path("runs")], Path("s.svg"), kind="survival", milestone="got_badge")  # runs yet to reach it

Contracts:
- The format is the output's extension: .png and .svg (matplotlib, Agg backend, imported only when needed) or
  .html (one self-contained page under 1 MB for any realistic set of runs, no plotting library, works offline;
  a map chart's page embeds its PNG, a survival chart's its SVG). Anything else is a `BadInputError` naming the
  formats.
- Every argument is checked and every run read before anything is written, and the file is written to a
  temporary name then renamed: a failure leaves no file and no partial file behind.
- A progress chart reads each run's meta, milestone rows, profile.toml and last step only (see `chart_data`).
  A map chart folds every step's map delta (see `chart_explored`). A survival chart reads what a progress
  chart does, and the totals of runs that stopped before the milestone on the tokens, cost and hours axes (see
  `chart_survival`); `milestone` is for it alone (default: the profile's final milestone).
- Runs are grouped by their meta `label`. Runs on different profiles are charted against the first run's
  profile, with a warning in `ChartSummary.warnings` (see `chart_data.align_profiles`).
- Runs whose harness cards differ in a channel or a tool (`card.differences`: what their models could see or do)
  are refused with a `BadInputError` naming the switches, unless `allow_mixed`; then runs are grouped by label and
  card, and each group's legend gives its card's short form (`mock [-minimap]`). Runs with equal cards chart as
  if cards did not exist.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from animus.errors import BadInputError
from animus.inspect.chart_data import X_AXES, RunSeries, align_profiles, from_fork, group_runs, read_run
from animus.inspect.output import write_output
from animus.runs.card import config_key, differences
from animus.runs.catalog import DEFAULT_RUNS_DIR, find_runs, resolve_run

FORMATS = (".png", ".svg", ".html")
KINDS = ("progress", "map", "survival")


@dataclass(frozen=True)
class ChartSummary:
    """What `render_chart` wrote."""

    out: Path
    kind: str
    x: str
    format: str  # "png", "svg" or "html"
    runs: int
    groups: tuple[tuple[str, int], ...]  # (label, number of runs), in legend order
    milestones: int  # on the y axis (the profile's full list)
    bytes: int
    warnings: tuple[str, ...] = field(default=())
    mixed: tuple[str, ...] = field(default=())  # the card switches the runs differ in (charted with allow_mixed)
    milestone: str | None = None  # the survival chart's milestone id

    def describe(self) -> str:
        """One line for the CLI: where the chart is and what is in it."""
        groups = ", ".join(f"{label} ({n})" for label, n in self.groups)
        what = f"{self.milestones} milestones by {self.x}" if self.kind == "progress" else "map visits"
        what = f"time to {self.milestone} by {self.x}" if self.kind == "survival" else what
        line = f"wrote {self.out} ({self.format}, {self.bytes:,} bytes): {self.runs} run(s), {what}; groups: {groups}"
        return line + (f"; their cards differ in {', '.join(self.mixed)}" if self.mixed else "")


def collect_runs(targets: Sequence[Path | str], runs_dir: Path = DEFAULT_RUNS_DIR) -> list[Path]:
    """The run directories `targets` name, in order, each once; `runs_dir` when `targets` is empty.

    A target is a run directory, a directory of runs (or of runs dirs), or a run id under `runs_dir`.
    `BadInputError` (or `RunError`) when a target names nothing, or when no run is found at all.
    """
    found: list[Path] = []
    for target in targets or [runs_dir]:
        path = Path(target)
        if path.is_dir():
            runs = find_runs(path)
            if not runs:
                raise BadInputError(f"no runs under {path}: give run directories or a runs dir (see `animus runs`).")
            found += runs
        elif path.exists():
            raise BadInputError(f"{path} is not a run or a directory of runs: give run directories or a runs dir.")
        else:
            found.append(resolve_run(str(target), runs_dir))  # a run id; RunError names what was tried
    unique: dict[Path, Path] = {}
    for run in found:
        unique.setdefault(run.resolve(), run)
    return list(unique.values())


def check_output(out: Path) -> str:
    """The format of `out` by its extension ("png", "svg", "html"); `BadInputError` for any other or a dir."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise BadInputError(
            f"cannot write a chart to {out}: unknown format {suffix or '(no extension)'!r}; "
            f"use a file ending in {', '.join(FORMATS)}."
        )
    if out.is_dir():
        raise BadInputError(f"cannot write a chart to {out}: it is a directory; give a file name.")
    return suffix[1:]


def render_chart(
    targets: Sequence[Path | str],
    out: Path,
    x: str = "actions",
    kind: str = "progress",
    runs_dir: Path = DEFAULT_RUNS_DIR,
    title: str | None = None,
    allow_mixed: bool = False,
    milestone: str | None = None,
    align: str = "start",
) -> ChartSummary:
    """Chart the runs `targets` name (see `collect_runs`) into `out`, whose extension picks the format.

    `x` is the progress and survival charts' axis (`actions`, `tokens`, `cost` or `hours`); `kind` is
    `progress`, `map` or `survival` (of `milestone`, an id of the runs' profile; default its final milestone).
    Raises an `AnimusError` with one line and writes nothing on bad input: an unknown format, axis or kind, no
    runs, a run that cannot be read, a map chart of a profile without a map position, runs whose harness cards
    differ in a channel or a tool (unless `allow_mixed`: then the legend gives each group's card). `align`
    "fork" counts each fork (`animus fork`) from the step it was forked after, in actions.
    """
    fmt = check_output(out)
    if x not in X_AXES:
        raise BadInputError(f"unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    if kind not in KINDS:
        raise BadInputError(f"unknown chart kind {kind!r}: use one of {', '.join(KINDS)}.")
    if milestone is not None and kind != "survival":
        raise BadInputError(f"--milestone is for --kind survival, not {kind}: drop it, or add --kind survival.")
    if align not in ("start", "fork") or (align == "fork" and x != "actions"):
        raise BadInputError(f"--align {align} with --x {x}: align forks at their fork point on --x actions only.")
    paths = collect_runs(targets, runs_dir)
    originals = [read_run(p) for p in paths]
    if align == "fork":
        originals = [from_fork(r) for r in originals]
    mixed = differences([r.card for r in originals if r.card is not None])
    if mixed and not allow_mixed:
        raise BadInputError(_mixed_cards(originals, mixed))
    runs, warnings = align_profiles(originals)
    profile = runs[0].profile
    groups = group_runs(runs, x, by_card=bool(mixed))
    if kind == "progress":
        title = title or f"{profile.name}: milestones by {'actions spent' if x == 'spent' else x}"
        if fmt == "html":
            from animus.inspect.chart_html import progress_html

            data = progress_html(groups, profile, x, title)
        else:
            from animus.inspect.chart_plot import progress_png_svg

            data = progress_png_svg(groups, profile, x, title, fmt)
    elif kind == "survival":
        from animus.inspect.chart_survival import milestone_index, survival_chart

        milestone = milestone if milestone is not None else next((m.id for m in profile.milestones[::-1]), "")
        label = profile.milestones[milestone_index(profile, milestone)].label
        title = title or f"{profile.name}: {'actions spent' if x == 'spent' else x} to {label!r}"
        data = survival_chart(groups, profile, x, milestone, title, fmt)
    else:
        from animus.inspect.chart_explored import explored_image

        # The explored maps the runs built (walkable, blocked, warps), with the cells they stood on as heat.
        title = title or f"{profile.name}: explored map ({len(runs)} run{'s' if len(runs) != 1 else ''})"
        data = explored_image(paths, title, "png" if fmt == "html" else fmt)
        if fmt == "html":
            data = _image_page(data, title)
    write_output(out, data, "the chart")
    return ChartSummary(
        out=out,
        kind=kind,
        x=x,
        format=fmt,
        runs=len(runs),
        groups=tuple((g.name, len(g.runs)) for g in groups),
        milestones=len(profile.milestones),
        bytes=len(data),
        warnings=tuple(warnings),
        mixed=tuple(mixed),
        milestone=milestone if kind == "survival" else None,
    )


def _mixed_cards(runs: Sequence[RunSeries], switches: Sequence[str]) -> str:
    """The one-line refusal of runs whose cards differ in `switches`: each switch, its config key, and a run that
    had it on and one that had it off."""
    parts = []
    for name in switches:
        seen: dict[bool, str] = {}
        for run in runs:
            value = dict(run.card.switches).get(name) if run.card is not None else None
            if value is not None:
                seen.setdefault(value, run.id)
        parts.append(f"{name} ({config_key(name)}: on in {seen[True]}, off in {seen[False]})")
    return (
        f"these runs differ in what their model could see or do: {'; '.join(parts)}. Chart them separately, or "
        "pass --allow-mixed to overlay them with each group's card in the legend (see `animus show RUN --card`)."
    )


def _image_page(png: bytes, title: str) -> bytes:
    """A map chart as a self-contained page: the PNG inline as a data URL (a heat map has no points to hover)."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f'<body><img alt="{escape(title)}" src="{src}" style="max-width:100%"></body></html>\n'
    ).encode()
