"""The bad-ROM matrix: each broken file gets its own one-line error and exit code 2 from `animus rom info`."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from animus.emulator import GameBoy, bundled_rom, read_rom
from animus.emulator.rom import header_checksum
from animus.errors import RomError


def animus(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would: PySDL2 sets PYSDL2_DLL_PATH in this process, and warns only where it is unset."""
    env = {k: v for k, v in os.environ.items() if k != "PYSDL2_DLL_PATH"}
    return subprocess.run(
        [sys.executable, "-m", "animus", *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def patched(data: bytes, fix_checksum: bool = True, **offsets: int) -> bytes:
    raw = bytearray(data)
    for key, value in offsets.items():
        raw[int(key[1:], 16)] = value
    if fix_checksum:
        raw[0x14D] = header_checksum(bytes(raw))
    return bytes(raw)


def make_case(name: str, tmp: Path, good: bytes) -> Path:
    """Write the broken ROM called `name` under `tmp` and return the path to give to animus."""
    path = tmp / f"{name}.gb"
    if name == "missing":
        return path
    if name == "directory":
        path.mkdir()
        return path
    content = {
        "empty": b"",
        "truncated": good[:20000],
        "short-of-header": good[: 16 * 1024],
        "random": random.Random(7).randbytes(32 * 1024),
        "bad-checksum": patched(good, fix_checksum=False, x14D=good[0x14D] ^ 0xFF),
        "unknown-type": patched(good, x147=0x42),
        "unsupported-type": patched(good, x147=0xFC),
        "bad-ram-size": patched(good, x149=0x09),
        "oversized": good * (9 * 1024 * 1024 // len(good)),
    }[name]
    path.write_bytes(content)
    return path


CASES = {
    "missing": "ROM not found",
    "directory": "is a directory",
    "empty": "ROM file is empty",
    "truncated": "not a multiple of 16 KiB",
    "short-of-header": "header declares 32768",
    "random": "bad header checksum",
    "bad-checksum": "bad header checksum",
    "unknown-type": "unsupported cartridge type 0x42 (unknown)",
    "unsupported-type": "unsupported cartridge type 0xFC (POCKET CAMERA)",
    "bad-ram-size": "invalid RAM size byte 0x09",
    "oversized": "too large",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_rejects_bad_rom_with_one_line_and_exit_2(name: str, tmp_path: Path, quest_bytes: bytes) -> None:
    path = make_case(name, tmp_path, quest_bytes)
    result = animus("rom", "info", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert CASES[name] in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_gameboy_raises_rom_error_before_pyboy_sees_the_file(name: str, tmp_path: Path, quest_bytes: bytes) -> None:
    path = make_case(name, tmp_path, quest_bytes)
    with pytest.raises(RomError, match=CASES[name].replace("(", r"\(").replace(")", r"\)")):
        GameBoy(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_unreadable_rom(tmp_path: Path, quest_bytes: bytes) -> None:
    path = tmp_path / "locked.gb"
    path.write_bytes(quest_bytes)
    path.chmod(0)
    with pytest.raises(RomError, match="cannot read ROM"):
        read_rom(path)


def test_a_fifo_is_not_a_rom(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.gb"
    os.mkfifo(fifo)
    with pytest.raises(RomError, match="not a regular file"):
        read_rom(fifo)


def test_rom_info_on_the_bundled_cartridge(quest_rom: Path) -> None:
    result = animus("rom", "info", str(quest_rom))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ANIMUSQUEST" in result.stdout
    assert "0x00 ROM ONLY" in result.stdout


def test_rom_info_without_a_path_describes_the_default_bundled_cartridge() -> None:
    result = animus("rom", "info")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    default = bundled_rom()
    _, info = read_rom(default)
    assert f"path             {default}\n" in result.stdout
    assert f"title            {info.title}\n" in result.stdout
    assert f"0x{info.cartridge_type:02X} {info.cartridge_name}" in result.stdout


def test_rom_info_json_matches_the_file(quest_rom: Path, quest_bytes: bytes) -> None:
    import hashlib

    result = animus("rom", "info", "--json", str(quest_rom))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["sha256"] == hashlib.sha256(quest_bytes).hexdigest()
    assert facts["title"] == "ANIMUSQUEST"
    assert facts["cgb"] == "dmg"
    assert facts["cgb_only"] is False
    assert facts["size"] == 32 * 1024


def test_cgb_only_flag_is_reported(tmp_path: Path, quest_bytes: bytes) -> None:
    path = tmp_path / "cgb.gbc"
    path.write_bytes(patched(quest_bytes, x143=0xC0))
    _, info = read_rom(path)
    assert info.cgb_only
    assert info.title == "ANIMUSQUEST"
