"""The `animus` command line. This is the one place that turns an `AnimusError` into a message and an exit code.

Every command raises `AnimusError` on failure; `main` prints its message as one line on stderr, prefixed with
`error:`, and exits with the error's `exit_code` (2 for input the user can fix). No traceback reaches the user
for an error Animus raised on purpose.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from animus import __version__
from animus.errors import AnimusError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="animus")
def app() -> None:
    """Animus: a sandbox for agents that play Game Boy games."""


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
