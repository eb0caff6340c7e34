"""`animus rerequest`: the requests this Animus would send over a recorded run, diffed against the run's
(`animus.experiments.rerequest`). `animus.cli` registers it; like every command, it raises `AnimusError` and
imports heavy modules only inside its body.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from animus.cli_options import RUNS_DIR


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a key of the run's config (repeatable)."
)
@click.option("--steps", type=int, help="Compare the first N steps only (default: every step).")
@click.option("--game", type=str, help="Play with this profile, a name or a TOML path (default: the run's own).")
@click.option("--rom", type=str, help="The run's ROM, where it is not found where the run recorded it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@RUNS_DIR
def rerequest(
    run_ref: str,
    sets: tuple[str, ...],
    steps: int | None,
    game: str | None,
    rom: str | None,
    as_json: bool,
    runs_dir: Path,
) -> None:
    """Review a harness change before paying for it: re-drive this Animus (the run's config with the --set
    overrides) over a recorded run, answering each request with the reply the run stored, and diff its requests
    against the recorded ones step by step: system prompt, memory, context, observation, tool results, image,
    tools. Reports the first step that differs, how many do, and the change in estimated input tokens. No model
    is called and the run is not written.
    """
    from animus.experiments.rerequest import rerequest as compare
    from animus.runs.catalog import resolve_run

    found = compare(resolve_run(run_ref, runs_dir), sets, steps, game=game, rom=rom)
    click.echo(json.dumps(found.to_json(), indent=2) if as_json else "\n".join(found.lines()))
