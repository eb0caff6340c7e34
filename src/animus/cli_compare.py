"""`animus compare`: labels side by side, with survival statistics of the time to each milestone. `animus.cli`
registers it; like every command, it raises `AnimusError` and imports heavy modules only inside its body.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from animus.cli_options import RUNS_DIR, notice


@click.command()
@click.argument("targets", nargs=-1, metavar="[RUN|DIR]...")
@click.option(
    "--x",
    type=click.Choice(["actions", "spent", "tokens", "cost", "hours"]),
    default="actions",
    show_default=True,
    help="What the time to a milestone counts (cumulative), as in `animus chart`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON object.")
@click.option(
    "--allow-mixed",
    is_flag=True,
    help="Compare runs whose harness cards differ in a channel or a tool, each label split by its card.",
)
@RUNS_DIR
def compare(targets: tuple[str, ...], x: str, as_json: bool, allow_mixed: bool, runs_dir: Path) -> None:
    """Compare labels side by side: runs, finish rate, and per milestone the median time to it.

    Medians are Kaplan-Meier's, so a run that stopped before a milestone counts up to where it stopped
    (censored), with a 95% bootstrap interval (2000 resamples, seed 0), runs that reached it / runs, and the
    log-rank p-value between labels. With no RUN or DIR, compares every run under the runs dir.
    """
    from animus.stats.milestones import compare_runs

    found = compare_runs(list(targets), x=x, runs_dir=runs_dir, allow_mixed=allow_mixed)
    for warning in found.warnings:
        notice(warning)
    if as_json:
        click.echo(json.dumps(found.table.to_json() | {"runs": found.runs, "mixed": list(found.mixed)}, indent=2))
        return
    what = "actions spent" if x == "spent" else x
    click.echo(f"{found.runs} run(s): Kaplan-Meier median {what} to each milestone (runs that reached it / runs)")
    for line in found.table.lines():
        click.echo(line)
