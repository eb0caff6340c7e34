"""The `animus` command line. This is the one place that turns an `AnimusError` into a message and an exit code.

Every command raises `AnimusError` on failure; `main` prints its message as one line on stderr, prefixed with
`error:`, and exits with the error's `exit_code` (2 for input the user can fix). No traceback reaches the user
for an error Animus raised on purpose. Commands validate their input before importing PyBoy, so bad input fails
fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from animus import __version__
from animus.errors import AnimusError

RUNS_DIR = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Where runs live.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="animus")
def app() -> None:
    """Animus: a sandbox for agents that play Game Boy games."""


# -- runs ----------------------------------------------------------------------------------------------------------


@app.command()
@click.option("--rom", type=str, help="ROM to play (default: the bundled Animus Quest).")
@click.option("--game", type=str, help="Profile: a built-in name or a TOML path (default: chosen by the ROM).")
@click.option("--model", type=str, help="Model, e.g. random, scripted:PATH, anthropic:MODEL (see `animus models`).")
@click.option("--base-url", type=str, help="API endpoint of a remote model (default: the SDK's).")
@click.option("--steps", type=int, help="Step budget (model replies). Default 2000.")
@click.option("--seed", type=int, help="Seed (default 0).")
@click.option("--label", type=str, help="Group label for charts (default: the model name).")
@click.option("--max-minutes", type=float, help="Wall-clock budget in minutes.")
@click.option("--max-tokens", type=int, help="Token budget.")
@click.option("--max-cost", type=float, help="Cost budget in dollars.")
@click.option("--branches", type=int, help="Best-of-N: continuations played at each fork (default 1: none).")
@click.option("--horizon", type=int, help="Best-of-N: actions each branch plays before scoring (default 20).")
@click.option("--scorer", type=str, help="Best-of-N: milestones (default), novelty, vote, or a plugin's name.")
@click.option("--config", "config_file", type=str, help="A TOML config file.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@RUNS_DIR
@click.option("--name", type=str, help="Run directory name (default: time, model and seed).")
@click.option("--start-state", type=click.Path(path_type=Path), help="Start from this save state (PyBoy's or Animus').")
def run(
    rom: str | None,
    game: str | None,
    model: str | None,
    base_url: str | None,
    steps: int | None,
    seed: int | None,
    label: str | None,
    max_minutes: float | None,
    max_tokens: int | None,
    max_cost: float | None,
    branches: int | None,
    horizon: int | None,
    scorer: str | None,
    config_file: str | None,
    sets: tuple[str, ...],
    runs_dir: Path,
    name: str | None,
    start_state: Path | None,
) -> None:
    """Start a run: a model plays a ROM; every step is recorded under the runs dir."""
    from animus.config import load_config
    from animus.runs.progress import ProgressDisplay
    from animus.runs.runner import start_run

    overrides: dict[str, Any] = {
        "rom": rom,
        "game": game,
        "model": model,
        "model.base_url": base_url,
        "seed": seed,
        "label": label,
        "budget.steps": steps,
        "budget.max_minutes": max_minutes,
        "budget.max_tokens": max_tokens,
        "budget.max_cost": max_cost,
        "branching.branches": branches,
        "branching.horizon": horizon,
        "branching.scorer": scorer,
    }
    config = load_config(config_file, overrides, sets)
    display = ProgressDisplay(config.progress.log_every)
    try:
        end = start_run(config, runs_dir, name, start_state, on_start=display.attach, notify=_notice)
    finally:
        display.close()
    _report(end)


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--steps", type=int, help="New total step budget.")
@click.option("--max-minutes", type=float)
@click.option("--max-tokens", type=int)
@click.option("--max-cost", type=float)
@RUNS_DIR
def resume(
    run_ref: str,
    steps: int | None,
    max_minutes: float | None,
    max_tokens: int | None,
    max_cost: float | None,
    runs_dir: Path,
) -> None:
    """Continue a stopped, crashed or killed run from its last recorded step."""
    from animus.runs.catalog import resolve_run
    from animus.runs.progress import ProgressDisplay
    from animus.runs.runner import resume_run

    run_dir = resolve_run(run_ref, runs_dir)
    budget = {"steps": steps, "max_minutes": max_minutes, "max_tokens": max_tokens, "max_cost": max_cost}
    display = ProgressDisplay(100)
    try:
        end = resume_run(run_dir, budget, on_start=display.attach)
    finally:
        display.close()
    _report(end)


@app.command("runs")
@RUNS_DIR
def list_runs(runs_dir: Path) -> None:
    """List the runs under the runs dir."""
    from animus.runs.catalog import find_runs, summarize

    found = find_runs(runs_dir) if runs_dir.is_dir() else []
    if not found:
        click.echo(f"no runs under {runs_dir}")
        return
    rows = [summarize(p) for p in found]
    header = ("id", "game", "model", "steps", "actions", "milestones", "status")
    table = [header] + [
        (r.id, r.game, r.model, str(r.steps), str(r.actions), f"{r.milestones}/{r.milestone_total}", r.status)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@app.command()
@click.argument("run_ref", metavar="RUN")
@RUNS_DIR
def show(run_ref: str, runs_dir: Path) -> None:
    """Show a run: its config, milestone timeline, usage and status."""
    from animus.runs.api import open_run
    from animus.runs.catalog import resolve_run

    with open_run(resolve_run(run_ref, runs_dir)) as run_:
        meta, totals = run_.meta, run_.totals()
        click.echo(f"run       {run_.path}")
        click.echo(f"status    {run_.status}" + (f" — {meta.get('reason')}" if meta.get("reason") else ""))
        if meta.get("stuck_at_step"):
            click.echo(f"watchdog  marked stuck at step {meta['stuck_at_step']} (see the stuck_* memory events)")
        click.echo(f"game      {meta.get('profile_name')} ({meta.get('rom_title')}, sha256 {meta['rom_sha256'][:12]}…)")
        click.echo(f"model     {meta.get('model')} · seed {meta.get('seed')} · label {meta.get('label')}")
        click.echo(f"progress  {totals.steps} steps · {totals.actions} actions · {totals.wall_seconds:.1f} s")
        unknown = f" + {totals.unpriced_calls} calls of unknown cost (no price)" if totals.unpriced_calls else ""
        click.echo(f"usage     {totals.tokens} tokens · ${totals.cost:.4f}{unknown}")
        forks = {b.fork_step for b in run_.branches()}
        if forks:
            spent = totals.actions + totals.branch_actions
            click.echo(f"branches  {len(forks)} best-of-N forks · {spent} actions spent, all branches included")
        milestones = run_.milestones()
        click.echo(f"milestones {len(milestones)}/{meta.get('milestone_count')}")
        for m in milestones:
            click.echo(f"  {m.ordinal + 1:>2}. {m.label:<32} step {m.step:>6}  actions {m.actions:>6}")
        click.echo("config")
        for line in json.dumps(meta["config"], indent=2).splitlines()[1:-1]:
            click.echo("  " + line)


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("key")
@click.argument("text", required=False)
@click.option("--forget", is_flag=True, help="Delete the note KEY instead of writing it.")
@RUNS_DIR
def note(run_ref: str, key: str, text: str | None, forget: bool, runs_dir: Path) -> None:
    """Write (or --forget) a long-term note of a run, as its operator.

    A running run picks the change up at its next step; a stopped one when it is resumed.
    """
    from animus.runs.catalog import resolve_run
    from animus.runs.operator import edit_note

    if forget == (text is not None):
        raise click.UsageError("give either TEXT, or --forget (and no TEXT)")
    step = edit_note(resolve_run(run_ref, runs_dir), key, text)
    click.echo(f"{'forgot' if forget else 'noted'} {key!r}: effective from step {step}")


# -- inspection ------------------------------------------------------------------------------------------------------


@app.command()
@click.argument("targets", nargs=-1, metavar="[RUN|DIR]...")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help=".png, .svg or .html")
@click.option(
    "--x",
    type=click.Choice(["actions", "spent", "tokens", "cost", "hours"]),
    default="actions",
    show_default=True,
    help="What the x axis counts (cumulative); spent: actions of every best-of-N branch, chosen or not.",
)
@click.option(
    "--kind",
    type=click.Choice(["progress", "map"]),
    default="progress",
    show_default=True,
    help="progress: milestones by x; map: positions visited on each map.",
)
@click.option("--title", type=str, help="Chart title (default: the game and the axis).")
@RUNS_DIR
def chart(targets: tuple[str, ...], out: Path, x: str, kind: str, title: str | None, runs_dir: Path) -> None:
    """Chart runs' progress: milestones by actions (or tokens, cost, hours), one line per label.

    With no RUN or DIR, charts every run under the runs dir.
    """
    from animus.inspect.charts import render_chart

    summary = render_chart(list(targets), out, x=x, kind=kind, runs_dir=runs_dir, title=title)
    for warning in summary.warnings:
        _notice(warning)
    click.echo(summary.describe())


ROM_OPTION = click.option("--rom", type=str, help="The run's ROM, if it is no longer where the run recorded it.")


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; not loopback = a warning.")
@ROM_OPTION
@RUNS_DIR
def replay(run_ref: str, port: int, host: str, rom: str | None, runs_dir: Path) -> None:
    """Serve the replay viewer of a run on 127.0.0.1 until Ctrl-C. Opens no browser: visit the printed URL."""
    from animus.inspect.server import serve
    from animus.runs.catalog import resolve_run

    def ready(url: str) -> None:
        click.echo(f"replay viewer at {url} (Ctrl-C to stop)")

    serve(resolve_run(run_ref, runs_dir), host, port, ready=ready, rom=rom)


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("step", type=int)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="PNG file to write.")
@click.option("--scale", type=click.IntRange(1, 8), default=1, show_default=True)
@ROM_OPTION
@RUNS_DIR
def frame(run_ref: str, step: int, out: Path, scale: int, rom: str | None, runs_dir: Path) -> None:
    """Write the frame shown at the end of STEP (0 = the start) as a PNG."""
    from animus.inspect.clips import write_frame
    from animus.runs.catalog import resolve_run

    write_frame(resolve_run(run_ref, runs_dir), step, out, scale, rom)
    click.echo(f"wrote {out}")


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--from", "start", type=int, required=True, help="First step.")
@click.option("--to", "stop", type=int, required=True, help="Last step (inclusive).")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="*.webp, *.gif, *.png (APNG) or *.mp4.",
)
@click.option("--fps", type=click.IntRange(1, 60), default=8, show_default=True, help="Steps per second.")
@click.option("--scale", type=click.IntRange(1, 8), default=2, show_default=True)
@click.option("--overlay", is_flag=True, help="Show the step number and its action above each frame.")
@ROM_OPTION
@RUNS_DIR
def clip(
    run_ref: str,
    start: int,
    stop: int,
    out: Path,
    fps: int,
    scale: int,
    overlay: bool,
    rom: str | None,
    runs_dir: Path,
) -> None:
    """Write steps --from..--to as an animation, one frame per step."""
    from animus.inspect.clips import write_clip
    from animus.runs.catalog import resolve_run

    count = write_clip(resolve_run(run_ref, runs_dir), start, stop, out, fps, scale, overlay, rom)
    click.echo(f"wrote {out} ({count} frames)")


@app.command()
@click.argument("run_ref", metavar="RUN")
@ROM_OPTION
@RUNS_DIR
def verify(run_ref: str, rom: str | None, runs_dir: Path) -> None:
    """Re-simulate a run from its start state and inputs; check every stored hash and the milestones."""
    from animus.inspect.verify import verify_run
    from animus.runs.catalog import resolve_run

    verdict = verify_run(resolve_run(run_ref, runs_dir), rom)
    if verdict.ok:
        click.echo(f"OK: {verdict.steps} steps re-simulated; every hash and milestone matches")
        return
    click.echo(f"FAILED at step {verdict.step}: {verdict.problem} ({verdict.steps} steps matched before it)")
    sys.exit(1)


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="JSON-lines file to write.")
@RUNS_DIR
def export(run_ref: str, out: Path, runs_dir: Path) -> None:
    """Write a run's meta, steps, model calls, memory events and milestones as JSON lines."""
    import io

    from animus.inspect.export import export_run
    from animus.runs.catalog import resolve_run

    buffer = io.StringIO()  # written whole at the end, so a refused store leaves no file behind
    lines = export_run(resolve_run(run_ref, runs_dir), buffer)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"wrote {out} ({lines} lines)")


# -- catalogues -----------------------------------------------------------------------------------------------------


@app.command()
def games() -> None:
    """List the built-in game profiles."""
    from animus.games import builtin_profiles

    for p in builtin_profiles():
        titles = ", ".join(p.titles) or "any ROM"
        click.echo(f"{p.id:<14} {len(p.milestones):>2} milestones  {p.name} ({titles})")


@app.command()
def models() -> None:
    """List the models you can pass to --model."""
    from animus.agent.models import available

    for name, target in sorted(available().items()):
        click.echo(f"{name:<10} {target}")


@app.group()
def rom() -> None:
    """Inspect ROM files."""


@rom.command("info")
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as one JSON object.")
def rom_info(path: str | None, as_json: bool) -> None:
    """Validate a ROM and print its header facts and sha256.

    With no PATH, describes Animus Quest, the cartridge bundled with Animus.
    """
    from animus.emulator import bundled_rom, read_rom

    _, info = read_rom(path if path is not None else bundled_rom())
    if as_json:
        click.echo(json.dumps(asdict(info) | {"cgb_only": info.cgb_only}, indent=2))
        return
    rows = [
        ("path", info.path),
        ("title", info.title or "(none)"),
        ("sha256", info.sha256),
        ("size", f"{info.size} bytes ({info.size // 1024} KiB)"),
        ("cartridge", f"0x{info.cartridge_type:02X} {info.cartridge_name}"),
        ("cartridge RAM", f"{info.ram_size_kib} KiB"),
        ("model", info.cgb + (" (will not run on a DMG)" if info.cgb_only else "")),
        ("super game boy", "yes" if info.sgb else "no"),
        ("header checksum", f"0x{info.header_checksum:02X} (valid)"),
        ("global checksum", "valid" if info.global_checksum_ok else "mismatch (ignored by hardware)"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key:<{width}}  {value}")


# -- helpers ---------------------------------------------------------------------------------------------------------


def _notice(text: str) -> None:
    click.echo(f"notice: {text}", err=True)


def _resumable(status: str, reason: str) -> bool:
    return status in ("stopped", "error") or (status == "done" and not reason.startswith("finished"))


def _report(end: Any) -> None:
    if end.status == "complete":
        click.echo(f"run {end.run_dir} is complete ({end.reason}): nothing to resume.")
        return
    click.echo(
        f"run {end.run_dir}: {end.status} — {end.reason}\n"
        f"  {end.steps} steps · {end.actions} actions · {end.milestones} milestones\n"
        f"  next: animus show {end.run_dir}\n"
        f"        animus chart {end.run_dir} -o progress.png\n"
        f"        animus replay {end.run_dir}"
        + (f"\n        animus resume {end.run_dir}" if _resumable(end.status, end.reason) else "")
    )
    if end.status in ("failed", "error"):  # error: the model's API refused or stayed down; fix it and resume
        sys.exit(1)


from animus.fleet.command import fleet as _fleet  # noqa: E402  (kept in its own module: cli.py is full)

app.add_command(_fleet)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `animus` console script."""
    try:
        app.main(args=argv, prog_name="animus", standalone_mode=False)
    except AnimusError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
