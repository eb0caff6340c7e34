"""`animus fleet PLAN.toml`: play a plan of runs (labels x seeds) in parallel; run it again to resume it.

Only click is imported when this module is: the fleet's machinery (and PyBoy, rich, Ray) is imported inside
the command, so `animus --help` stays fast.

Order of work: every input is checked before anything is created (the numbers, the plan and each run's config,
the backend, each run's ROM, profile and model, and the runs already in the runs dir against the plan); then the
runs dir and its fleet lock are taken, finished runs skipped, the rest played, and the summary printed and saved.
Exit codes: 0 every run ended normally (done, stuck, a budget) or the fleet's cost cap stopped it; 1 a run
failed; 2 bad input; 130 interrupted (a signal, or a STOP file) — running the same command again resumes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from animus.fleet.core import Fleet


@click.command("fleet")
@click.argument("plan_file", metavar="PLAN.toml", type=click.Path(path_type=Path))
@click.option(
    "--runs-dir",
    type=click.Path(path_type=Path),
    help="Where the fleet's runs go (default: runs/fleet-<plan file name>). Running the plan there again resumes.",
)
@click.option("--workers", type=int, help="Runs played at once (default: the CPU count).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", type=str, help="Ray cluster to join (default: RAY_ADDRESS; none: a local Ray).")
@click.option("--max-cost", type=float, help="Stop the whole fleet once its runs have cost this many dollars.")
@click.option("--max-restarts", type=int, default=3, show_default=True, help="Restarts of a run whose worker died.")
def fleet(
    plan_file: Path,
    runs_dir: Path | None,
    workers: int | None,
    backend: str,
    address: str | None,
    max_cost: float | None,
    max_restarts: int,
) -> None:
    """Play every run of a plan (each [[run]] x each seed), several at once, with live progress and a summary.

    See the README, "Fleets", for the plan's format.
    """
    code = run_fleet(plan_file, runs_dir, workers, backend, address, max_cost, max_restarts)
    if code:
        sys.exit(code)


def run_fleet(
    plan_file: Path,
    runs_dir: Path | None = None,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    max_cost: float | None = None,
    max_restarts: int = 3,
) -> int:
    """Check everything, then play the fleet; returns the exit code (see the module docstring). Raises an
    `AnimusError` for bad input, before anything is created."""
    import os

    from animus.errors import ConfigError
    from animus.fleet.existing import examine
    from animus.fleet.limits import key_groups
    from animus.fleet.plan import check_inputs, load_plan, resolve_runs, slugify

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers}).")
    if max_restarts < 0:
        raise ConfigError(f"--max-restarts must be 0 or more (got {max_restarts}).")
    if max_cost is not None and not max_cost > 0:
        raise ConfigError(f"--max-cost must be a positive number of dollars (got {max_cost}).")
    if max_cost == float("inf"):  # fleet.json records the cap, and JSON has no infinity
        raise ConfigError("--max-cost inf: for no cap, leave --max-cost out.")
    plan = load_plan(plan_file)
    runs = resolve_runs(plan)
    if backend == "ray":
        from animus.fleet.ray_backend import check_ray

        check_ray()
    elif address:
        raise ConfigError("--address names a Ray cluster: use it with --backend ray.")
    check_inputs(runs)
    runs_dir = runs_dir or Path("runs") / f"fleet-{slugify(plan_file.stem) or 'plan'}"
    if runs_dir.exists() and not runs_dir.is_dir():
        raise ConfigError(f"--runs-dir {runs_dir} is a file: give a directory.")
    for run in runs:
        examine(runs_dir / run.name, run.config)  # refuses a changed plan, or a run another process is writing
    groups = key_groups([r.config for r in runs], os.environ)
    from_cluster = backend == "ray" and workers is None and bool(address or os.environ.get("RAY_ADDRESS"))

    from animus.fleet.core import Fleet, RunState
    from animus.fleet.watch import Display

    runs_dir.mkdir(parents=True, exist_ok=True)
    with _fleet_lock(runs_dir):
        fleet_ = Fleet(
            plan=plan,
            plan_path=plan_file,
            runs_dir=runs_dir,
            states=[RunState(run, group) for run, group in zip(runs, groups, strict=True)],
            backend=backend,
            workers=workers or os.cpu_count() or 1,
            max_restarts=max_restarts,
            max_cost=max_cost,
            display=Display(),
            workers_from_cluster=from_cluster,
        )
        fleet_.prepare()
        skipped = sum(st.skipped for st in fleet_.states)
        click.echo(
            f"fleet {plan_file.name}: {len(runs)} runs in {runs_dir}"
            + (f" ({skipped} finished already, skipped)" if skipped else "")
            + f"; backend {backend}, "
            + ("a worker per CPU of the cluster" if fleet_.workers_from_cluster else f"{fleet_.workers} worker(s)")
        )
        try:
            if backend == "ray":
                from animus.fleet.ray_backend import run_ray

                run_ray(fleet_, address)
            else:
                from animus.fleet.local import run_local

                run_local(fleet_)
        finally:
            fleet_.display.close()
        _finish(fleet_)
        return fleet_.exit_code()


def _finish(fleet_: Fleet) -> None:
    """Print and save the summary, the runs that did not end normally, and what to do next."""
    from animus.fleet.core import FAILURES, UNFINISHED
    from animus.fleet.report import format_summary, summarize

    summary = summarize([(st.run.label, fleet_.runs_dir / st.run.name) for st in fleet_.states])
    fleet_.write_record(summary.to_json())
    for line in format_summary(summary):
        click.echo(line)
    for st in fleet_.states:
        if st.outcome in FAILURES or (st.outcome in UNFINISHED and st.outcome != "pending"):
            click.echo(f"  {st.run.name}: {st.outcome} — {st.reason}")
    click.echo(fleet_.ending())
    d = fleet_.runs_dir
    click.echo(f"  next: animus chart {d} -o {d / 'progress.png'}\n        animus runs --runs-dir {d}")


class _fleet_lock:  # a class used like a function (`with _fleet_lock(dir):`), hence its name
    """Hold `<runs-dir>/.fleet/lock` for the fleet's lifetime: one fleet per runs dir at a time."""

    def __init__(self, runs_dir: Path) -> None:
        from animus.runs.lock import RunLock

        busy = (
            f"another `animus fleet` is running in {runs_dir}: wait for it to end, or stop it "
            "(Ctrl-C, or create the STOP file there)."
        )
        self.lock = RunLock(runs_dir, runs_dir / ".fleet" / "lock", busy)

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
