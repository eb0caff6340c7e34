"""Options and helpers the `animus` command modules share."""

from __future__ import annotations

from pathlib import Path

import click

RUNS_DIR = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Where runs live.",
)

ON_EVENT = click.option(
    "--on-event",
    metavar="CMD",
    help="Run CMD (through the shell, the event as JSON on stdin) when the run finishes, hits a budget, fails or "
    "gets stuck. Its failure never stops the run.",
)


def notice(text: str) -> None:
    """A notice of the command itself, on stderr (the library's go through `animus.notify`, shown alike)."""
    click.echo(f"notice: {text}", err=True)
