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


def notice(text: str) -> None:
    """A notice for the user, on stderr."""
    click.echo(f"notice: {text}", err=True)
