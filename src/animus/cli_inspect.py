"""The `animus` commands that read runs (chart, replay, frame, clip, verify, export, compact) and list what
Animus knows (games, models, rom info). `animus.cli` registers them; like every command, they raise `AnimusError`
and import heavy modules only inside their bodies.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from animus.cli_options import RUNS_DIR, notice

# -- inspection ------------------------------------------------------------------------------------------------------


@click.command()
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
    type=click.Choice(["progress", "map", "survival"]),
    default="progress",
    show_default=True,
    help="progress: milestones by x; map: positions visited on each map; survival: runs yet to reach --milestone.",
)
@click.option(
    "--milestone",
    metavar="ID",
    help="With --kind survival: the milestone's id (default: the final one); censored runs are ticked.",
)
@click.option(
    "--align",
    type=click.Choice(["start", "fork"]),
    default="start",
    show_default=True,
    help="fork: count each fork (animus fork) from the step it was forked after (--x actions).",
)
@click.option("--title", type=str, help="Chart title (default: the game and the axis).")
@click.option(
    "--allow-mixed",
    is_flag=True,
    help="Overlay runs whose harness cards differ in a channel or a tool; the legend then gives each group's card.",
)
@RUNS_DIR
def chart(
    targets: tuple[str, ...],
    out: Path,
    x: str,
    kind: str,
    milestone: str | None,
    align: str,
    title: str | None,
    allow_mixed: bool,
    runs_dir: Path,
) -> None:
    """Chart runs' progress: milestones by actions (or tokens, cost, hours), one line per label.

    --kind survival --milestone ID: per label, the share of runs that have not reached ID yet (Kaplan-Meier: a run
    that stopped before it counts up to where it stopped), with the median and its 95% interval in the legend.

    With no RUN or DIR, charts every run under the runs dir. Runs whose models could see or do different things
    (their harness cards differ: `animus show RUN --card`) are refused unless --allow-mixed.
    """
    from animus.inspect.charts import render_chart

    summary = render_chart(
        list(targets),
        out,
        x=x,
        kind=kind,
        runs_dir=runs_dir,
        title=title,
        allow_mixed=allow_mixed,
        milestone=milestone,
        align=align,
    )
    for warning in summary.warnings:
        notice(warning)
    click.echo(summary.describe())


ROM_OPTION = click.option("--rom", type=str, help="The run's ROM, if it is no longer where the run recorded it.")


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="JSON-lines file to write.")
@RUNS_DIR
def export(run_ref: str, out: Path, runs_dir: Path) -> None:
    """Write a run's meta, steps, model calls, memory events and milestones as JSON lines."""
    from animus.inspect.export import write_export
    from animus.runs.catalog import resolve_run

    lines = write_export(resolve_run(run_ref, runs_dir), out)
    click.echo(f"wrote {out} ({lines} lines)")


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--every", type=int, default=10, show_default=True, help="Keep one keyframe in this many.")
@RUNS_DIR
def compact(run_ref: str, every: int, runs_dir: Path) -> None:
    """Thin a run's keyframes to save space; verify and replay still work (seeks get slower).

    Keeps the start state, every Nth keyframe, the last one and the last one at or before each milestone.
    """
    from animus.runs.catalog import resolve_run
    from animus.runs.compact import compact_run

    done = compact_run(resolve_run(run_ref, runs_dir), every)
    click.echo(
        f"kept {done.keyframes_after} of {done.keyframes_before} keyframes; "
        f"saved {done.saved:,} bytes ({done.bytes_before:,} -> {done.bytes_after:,})"
    )


# -- catalogues -----------------------------------------------------------------------------------------------------


@click.command()
def games() -> None:
    """List the built-in game profiles."""
    from animus.games import builtin_profiles

    profiles = builtin_profiles()
    width = max(len(p.id) for p in profiles)
    for p in profiles:
        titles = ", ".join(p.titles) or "any ROM"
        click.echo(f"{p.id:<{width}}  {len(p.milestones):>2} milestones  {p.name} ({titles})")


@click.command()
def models() -> None:
    """List the models you can pass to --model."""
    from animus.agent.models import available

    for name, target in sorted(available().items()):
        click.echo(f"{name:<10} {target}")


@click.group()
def rom() -> None:
    """Inspect ROM files."""


@rom.command("info")
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as one JSON object.")
def rom_info(path: str | None, as_json: bool) -> None:
    """Validate a ROM and print its header facts and sha256.

    PATH may name a bundled cartridge (animus-quest, animus-quest-classic); with no PATH, the default one.
    """
    from animus.emulator import read_rom, rom_file

    _, info = read_rom(rom_file(path))
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
