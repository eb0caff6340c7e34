"""`animus profile`: commands that help write game profiles. `animus.cli` registers the group; like every command,
they raise `AnimusError` and import heavy modules (PyBoy, numpy) only inside their bodies, after the input checks.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def profile() -> None:
    """Write game profiles: draft one for a ROM no profile knows (discover)."""


@profile.command()
@click.argument("rom")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path),
    help="Where to write the draft profile (default: ROM_STEM.draft.toml in the current directory).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the exploration: same seed, same draft.")
@click.option("--probes", type=int, default=48, show_default=True, help="States to probe the d-pad from (8-400).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def discover(rom: str, out: Path | None, seed: int, probes: int, force: bool) -> None:
    """Draft a profile for ROM by RAM diffs: find the map id, x, y and progress bytes.

    ROM is a path, or a bundled cartridge's name. It explores the game with seeded presses, presses each d-pad
    direction from many of the states reached, ranks the RAM bytes that moved with them, and writes a draft
    profile with the evidence for every guess as comments. Then: edit the draft, and
    animus run --rom ROM --game DRAFT.toml.
    """
    from animus.discover.draft import check_output, write_draft
    from animus.discover.session import check_probes
    from animus.emulator import read_rom, rom_file

    path = rom_file(rom)
    check_probes(probes)
    read_rom(path)  # a bad ROM is one line before anything is explored
    target = out if out is not None else Path(f"{path.stem}.draft.toml")
    check_output(target, force)

    from animus.discover import discover as run_discover

    found = run_discover(path, seed=seed, probes=probes, draft_path=str(target))
    write_draft(found.draft, target, force)
    for line in found.report(str(target), rom):
        click.echo(line)
