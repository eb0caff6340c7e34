"""The `animus` command line. This is the one place that turns an `AnimusError` into a message and an exit code.

Every command raises `AnimusError` on failure; `main` prints its message as one line on stderr, prefixed with
`error:`, and exits with the error's `exit_code` (2 for input the user can fix). No traceback reaches the user
for an error Animus raised on purpose. Commands validate their input before importing PyBoy, so bad input fails
fast. The library's own warnings and notices come through `animus.notify`; `main` shows them on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from animus import __version__, cli_bench, cli_compare, cli_inspect, cli_profile, cli_rerequest, notify
from animus.cli_options import ON_EVENT, RUNS_DIR
from animus.emulator import BUNDLED_ROMS, DEFAULT_ROM
from animus.errors import AnimusError, RunError
from animus.fleet.command import fleet

ROM_NAMES = " or ".join(BUNDLED_ROMS)

if TYPE_CHECKING:
    from animus.runs.runner import OnStart, RunEnd


# The commands of other modules are the group's from its creation; the ones below join it as they are defined.
_ELSEWHERE = (
    cli_inspect.chart, cli_inspect.replay, cli_inspect.frame, cli_inspect.clip, cli_inspect.verify,
    cli_inspect.export, cli_inspect.compact, cli_inspect.games, cli_inspect.models, cli_inspect.rom, fleet,
    cli_profile.profile, cli_compare.compare, cli_bench.checkpoint, cli_bench.bench, cli_rerequest.rerequest,
)  # fmt: skip


@click.group(commands=_ELSEWHERE, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="animus")
def app() -> None:
    """Animus: a sandbox for agents that play Game Boy games."""


# -- runs ----------------------------------------------------------------------------------------------------------


@app.command()
@click.option("--rom", type=str, help=f"ROM path, or a bundled cartridge: {ROM_NAMES} (default {DEFAULT_ROM}).")
@click.option("--game", type=str, help="Profile: a built-in name or a TOML path (default: chosen by the ROM).")
@click.option("--world", type=int, help="World number (0-65535) of a game with seeded worlds (default 0).")
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
@ON_EVENT
def run(
    rom: str | None,
    game: str | None,
    world: int | None,
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
    on_event: str | None,
) -> None:
    """Start a run: a model plays a ROM; every step is recorded under the runs dir."""
    from animus.config import load_config
    from animus.runs.runner import start_run

    overrides: dict[str, Any] = {
        "rom": rom,
        "game.profile": game,
        "game.world": world,
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

    def play(on_start: OnStart) -> RunEnd:
        return start_run(config, runs_dir, name, start_state, on_start=on_start)  # notices: animus.notify

    _report(_played(play, config.progress.log_every, on_event))


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--steps", type=int, help="New total step budget.")
@click.option("--max-minutes", type=float)
@click.option("--max-tokens", type=int)
@click.option("--max-cost", type=float)
@RUNS_DIR
@ON_EVENT
def resume(
    run_ref: str,
    steps: int | None,
    max_minutes: float | None,
    max_tokens: int | None,
    max_cost: float | None,
    runs_dir: Path,
    on_event: str | None,
) -> None:
    """Continue a stopped, crashed or killed run from its last recorded step."""
    from animus.runs.catalog import resolve_run
    from animus.runs.runner import resume_run

    run_dir = resolve_run(run_ref, runs_dir)
    budget = {"steps": steps, "max_minutes": max_minutes, "max_tokens": max_tokens, "max_cost": max_cost}

    def play(on_start: OnStart) -> RunEnd:
        return resume_run(run_dir, budget, on_start=on_start)

    _report(_played(play, 100, on_event))


@app.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--at", "at", type=int, required=True, help="The step to fork after (0: the start state).")
@click.option("--model", type=str, help="Play on with this model (default: the parent's).")
@click.option("--n", "count", type=int, default=1, show_default=True, help="How many forks (seeds parent's + 1..N).")
@click.option("--steps", type=int, help="Steps each fork plays after the fork (default: what the parent had left).")
@click.option("--seed", type=int, help="The fork's seed (default: the parent's; with --n, the parent's + i).")
@click.option("--label", type=str, help="Group label for charts (default: the parent's, or the new model's name).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--name", type=str, help="Run directory name (default: PARENT-atSTEP, with -1..-N for --n).")
@RUNS_DIR
@ON_EVENT
def fork(
    run_ref: str,
    at: int,
    model: str | None,
    count: int,
    steps: int | None,
    seed: int | None,
    label: str | None,
    sets: tuple[str, ...],
    name: str | None,
    runs_dir: Path,
    on_event: str | None,
) -> None:
    """Start new runs from a recorded run's state after step AT: the same game, memory and counters, played on
    with another model or settings. Each fork records its parent; verify replays the parent's steps, then its own.
    """
    from animus.runs.catalog import resolve_run
    from animus.runs.fork import fork_runs
    from animus.runs.runner import resume_run

    parent = resolve_run(run_ref, runs_dir)
    if label is None and model is not None:
        label = ""  # grouped by the new model's name, not under the parent's label
    overrides = {"model": model, "seed": seed, "label": label}

    def play(run_dir: Path) -> None:
        _report(_played(lambda on_start: resume_run(run_dir, on_start=on_start), 100, on_event))

    fork_runs(parent, at, runs_dir, n=count, name=name, overrides=overrides, sets=sets, steps=steps, play=play)


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
@click.option("--card", is_flag=True, help="Show the harness card: what the model could see and do, and interventions.")
@click.option("--json", "as_json", is_flag=True, help="With --card: print the card as one JSON object.")
@RUNS_DIR
def show(run_ref: str, card: bool, as_json: bool, runs_dir: Path) -> None:
    """Show a run: its config, milestone timeline, usage and status (--card: its harness card)."""
    from animus.config import stored_config
    from animus.runs.api import open_run
    from animus.runs.card import PROFILE_FILE, build_card, run_profile
    from animus.runs.catalog import resolve_run

    if as_json and not card:
        raise click.UsageError("--json prints the harness card: give it with --card (animus show RUN --card --json)")
    with open_run(resolve_run(run_ref, runs_dir)) as run_:
        meta, totals = run_.meta, run_.totals()
        # The card is computed from the store as it is now (meta's `card` is as of the latest session's start or end).
        if card:
            if not meta.config:
                raise RunError(f"run {run_.path} was cut short while it was being created: it has no harness card.")
            harness = build_card(meta, run_profile(run_.path), run_.memory_events())
            click.echo(json.dumps(harness.to_json(), indent=2) if as_json else "\n".join(harness.describe()))
            return
        click.echo(f"run       {run_.path}")
        click.echo(f"status    {run_.status}" + (f" — {meta.reason}" if meta.reason else ""))
        if meta.stuck_at_step:
            click.echo(f"watchdog  marked stuck at step {meta.stuck_at_step} (see the stuck_* memory events)")
        world = f" · world {stored_config(meta.config).game.world}" if _has_worlds(run_.path) else ""
        click.echo(f"game      {meta.profile_name}{world} ({meta.rom_title}, sha256 {meta.rom_sha256[:12]}…)")
        click.echo(f"model     {meta.model} · seed {meta.seed} · label {meta.group_label}")
        if meta.parent:
            click.echo(f"fork      of {meta.parent.get('run')} after its step {meta.parent.get('step')}")
        click.echo(f"progress  {totals.steps} steps · {totals.actions} actions · {totals.wall_seconds:.1f} s")
        unknown = f" + {totals.unpriced_calls} calls of unknown cost (no price)" if totals.unpriced_calls else ""
        click.echo(f"usage     {totals.tokens} tokens · ${totals.cost:.4f}{unknown}")
        forks = {b.fork_step for b in run_.branches()}
        if forks:
            spent = totals.actions + totals.branch_actions
            click.echo(f"branches  {len(forks)} best-of-N forks · {spent} actions spent, all branches included")
        if meta.config and (run_.path / PROFILE_FILE).is_file():
            harness = build_card(meta, run_profile(run_.path), run_.memory_events())
            done = f" · {harness.interventions} interventions" if harness.interventions else ""
            click.echo(f"card      {harness.short or 'all defaults'}{done} (animus show RUN --card)")
        milestones = run_.milestones()
        click.echo(f"milestones {len(milestones)}/{meta.milestone_count}")
        for m in milestones:
            click.echo(f"  {m.ordinal + 1:>2}. {m.label:<32} step {m.step:>6}  actions {m.actions:>6}")
        changed = _changed_settings(dict(meta.config))
        differ = f"{len(changed)} settings differ from the defaults" if changed else "all defaults"
        click.echo(f"config    {differ}")
        for key, value in changed:
            click.echo(f"  {key} = {json.dumps(value)}")
        click.echo("  (the whole config: animus export RUN, or the meta table's config row)")


def _has_worlds(run_dir: Path) -> bool:
    """Whether the run's own profile (stored in its directory) generates worlds from a number."""
    from animus.games import load_profile
    from animus.runs.runner import PROFILE_FILE

    path = run_dir / PROFILE_FILE
    return path.is_file() and load_profile(str(path)).world is not None


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


# -- helpers ---------------------------------------------------------------------------------------------------------


def _changed_settings(stored: dict[str, Any]) -> list[tuple[str, Any]]:
    """The stored config's settings that differ from the defaults, as (dotted key, value)."""
    from animus.config import RunConfig, stored_config

    def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict) and value and key != "pricing":
                out |= flat(value, f"{prefix}{key}.")
            else:
                out[f"{prefix}{key}"] = value
        return out

    defaults = flat(json.loads(RunConfig().to_json()))
    upgraded = json.loads(stored_config(stored).to_json())  # an older run's keys, as today's config names them
    return [(k, v) for k, v in flat(upgraded).items() if defaults.get(k, object()) != v]


def _played(play: Callable[[OnStart], RunEnd], log_every: int, on_event: str | None) -> RunEnd:
    """Play a run (`play` starts or resumes it) with the progress display, and the event hook if asked for."""
    from animus.runs.events import EventHook
    from animus.runs.progress import ProgressDisplay

    display = ProgressDisplay(log_every)
    hook = EventHook(on_event) if on_event else None
    try:
        end = play(hook.chain(display.attach) if hook else display.attach)
    except BaseException as exc:
        if hook is not None:
            hook.crashed(exc)
        raise
    finally:
        display.close()
    if hook is not None:
        hook.ended(end.status, end.reason, end.finished)
    return end


def _resumable(end: RunEnd) -> bool:
    return end.status in ("stopped", "error") or (end.status == "done" and not end.finished)


def _report(end: RunEnd) -> None:
    if end.complete:
        click.echo(f"run {end.run_dir} is complete ({end.reason}): nothing to resume.")
        return
    click.echo(
        f"run {end.run_dir}: {end.status} — {end.reason}\n"
        f"  {end.steps} steps · {end.actions} actions · {end.milestones} milestones\n"
        f"  next: animus show {end.run_dir}\n"
        f"        animus chart {end.run_dir} -o progress.png\n"
        f"        animus replay {end.run_dir}" + (f"\n        animus resume {end.run_dir}" if _resumable(end) else "")
    )
    if end.status in ("failed", "error"):  # error: the model's API refused or stayed down; fix it and resume
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `animus` console script. The library's messages (`animus.notify`) are shown on stderr."""
    notify.install_stderr()
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
