"""`animus checkpoint` and `animus bench`: short, standard tasks cut from long runs (docs/checkpoints.md).
`animus.cli` registers them; like every command, they raise `AnimusError` and import heavy modules in their body.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from animus.cli_options import RUNS_DIR, notice


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--at", "at", type=int, required=True, metavar="STEP", help="The step to cut after (1 to the last).")
@click.option(
    "-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="NAME.toml to write."
)
@click.option(
    "--goal",
    metavar="MILESTONE_ID",
    help="Milestone id to reach from there (default: the next one the run reached after STEP).",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    metavar="ACTIONS",
    help="Action budget (default: twice the run's actions from STEP to the goal; see docs/checkpoints.md).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@RUNS_DIR
def checkpoint(
    run_ref: str, at: int, out: Path, goal: str | None, budget: int | None, force: bool, runs_dir: Path
) -> None:
    """Write a checkpoint of RUN after step STEP: its inputs from power-on and the hashes they lead to, no save
    state; replayed and checked before it is written."""
    from animus.experiments.checkpoint import CheckpointError, make_checkpoint, replay, write_checkpoint
    from animus.inspect.frames import run_rom
    from animus.runs.catalog import resolve_run
    from animus.runs.reader import RunReader

    if out.exists() and not force:
        raise CheckpointError(f"{out} already exists: pass --force to replace it, or give -o another name.")
    run_dir = resolve_run(run_ref, runs_dir)
    cp = make_checkpoint(run_dir, at, goal, budget, name=out.stem)
    with RunReader.open(run_dir) as store:
        rom = run_rom(store.meta())
    replay(cp, str(rom))  # a checkpoint that would not replay is never written
    write_checkpoint(cp, out, force)
    world = f", world {cp.world}" if cp.world is not None else ""
    click.echo(
        f"wrote {out}: run {cp.origin.run} after step {at} ({cp.origin.actions} actions{world}); goal {cp.goal}, "
        f"budget {cp.budget} actions; {sum(len(s) for s in cp.steps)} inputs replay to its hashes"
    )


@click.command()
@click.argument("suite_file", metavar="SUITE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", default="mock", show_default=True, help="Model spec every run plays (see `animus models`).")
@click.option(
    "--seeds", default="1,2,3", show_default=True, help="Comma-separated seeds: each task is run once per seed."
)
@click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the runs and bench.json go (default: runs/bench-<suite>-<model>). Running again there resumes.",
)
@click.option("--rom", help="The ROM the checkpoints were cut on, when it is not a bundled cartridge.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A setting of every run, as for `animus run`.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (it is also written to bench.json).")
def bench(
    suite_file: Path,
    model: str,
    seeds: str,
    runs_dir: Path | None,
    rom: str | None,
    sets: tuple[str, ...],
    as_json: bool,
) -> None:
    """Play every task of SUITE once per seed, from its checkpoint to its goal within its action budget, and report
    per task the success rate and the Kaplan-Meier median actions to the goal with its bootstrap interval."""
    from animus.errors import BadInputError
    from animus.experiments.suite import REPORT, BenchRun, load_suite, run_bench

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise BadInputError(f"--seeds {seeds!r}: give integers separated by commas, e.g. --seeds 1,2,3.") from None
    if not seed_list or len(set(seed_list)) != len(seed_list) or min(seed_list) < 0:
        raise BadInputError(f"--seeds {seeds!r}: give distinct integers >= 0, e.g. --seeds 1,2,3.")
    suite = load_suite(suite_file)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{suite.name}-{model}").strip("-").lower()
    target = runs_dir if runs_dir is not None else Path("runs") / f"bench-{slug}"

    def said(run: BenchRun) -> None:
        what = f"reached the goal in {run.goal_actions} actions" if run.reached else f"{run.status}: {run.reason}"
        click.echo(f"{run.task} seed {run.seed}: {what} ({target / run.run})", err=as_json)

    report = run_bench(suite, target, model, seed_list, rom, sets, on_run=said)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(f"suite {suite.name}: {len(suite.tasks)} task(s) x {len(seed_list)} seed(s), model {model}")
        for line in report.lines():
            click.echo(line)
        click.echo(f"report: {target / REPORT}")
    if report.stopped:
        notice("the bench was stopped: run the same command again to resume it.")
        sys.exit(130)
    if failed := [r for t in report.tasks for r in t.runs if r.status in ("error", "crashed", "stopped")]:
        notice(
            f"{len(failed)} run(s) did not end on their own ({failed[0].run}: {failed[0].reason}): run again to resume."
        )
        sys.exit(1)
