"""`include = ["names.toml"]`: lookup tables (`[maps.*]`) kept in data files next to a profile.

An included file holds only `[maps.*]` tables and may include others. Since a profile is shared data, an include
is a plain relative name inside the profile's own folder (no absolute path, no `..`, no symbolic link out of it),
at most `MAX_INCLUDES` files, `MAX_DEPTH` deep, `MAX_BYTES` each, and a file included twice (a cycle) is refused.
Built-in profiles include files shipped with them (package data).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from animus.errors import ProfileError

MAX_INCLUDES = 8
MAX_DEPTH = 3
MAX_BYTES = 2_000_000
BUILTIN = "builtin:"
RESERVED = "profile.toml"  # a run directory keeps its profile under this name, and the included files beside it
Fail = Callable[[str, str], NoReturn]  # the loader's one-line error: (problem, how to fix it)
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.toml\Z")  # one file name, no folders


@dataclass(frozen=True)
class Included:
    """An included data file: its `name` (as written), its TOML `data` and its `source` text."""

    name: str
    data: dict[str, Any]
    source: str


def resolve(data: dict[str, Any], path: str, fail: Fail) -> list[Included]:
    """Every file `data` (the profile at `path`) includes, depth first, each checked and read once."""
    out: list[Included] = []
    _walk(data, path, [_short(path)], out, fail)
    return out


def _walk(data: dict[str, Any], path: str, chain: list[str], out: list[Included], fail: Fail) -> None:
    names = data.get("include", [])
    if not isinstance(names, list) or any(not isinstance(n, str) for n in names):
        fail(f"'include' in {chain[-1]} must be a list of file names", 'write include = ["names.toml"]')
    for name in names:
        if not _PLAIN.match(name):
            fail(
                f"include {name!r} is not a plain .toml file name",
                "an included file must sit in the profile's folder: no folders, '..' or absolute paths",
            )
        if name == RESERVED:
            fail(f"include {name!r} has the name a run gives its profile", "rename the data file")
        if name in chain or any(item.name == name for item in out):
            fail(f"include {name!r} is included twice ({' -> '.join([*chain, name])})", "include each file once")
        if len(chain) > MAX_DEPTH:
            fail(f"includes nest deeper than {MAX_DEPTH} ({' -> '.join([*chain, name])})", "flatten them")
        if len(out) >= MAX_INCLUDES:
            fail(f"more than {MAX_INCLUDES} included files", "merge the tables into fewer files")
        source = _read(path, name, fail)
        try:
            included = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            fail(f"included file {name} is not valid TOML ({exc})", "fix its syntax (TOML 1.0)")
        except RecursionError:
            fail(f"included file {name} nests too deeply", "a data file holds flat [maps.*] tables")
        extra = sorted(set(included) - {"maps", "include"})
        if extra:
            fail(f"included file {name} has {', '.join(extra)}", "an included file holds only [maps.*] tables")
        out.append(Included(name, included, source))
        _walk(included, _sibling(path, name), [*chain, name], out, fail)


def _read(path: str, name: str, fail: Fail) -> str:
    """The text of `name` beside the profile at `path` (a file, or a built-in in package data)."""
    try:
        if path.startswith(BUILTIN):
            raw = (resources.files("animus.games") / "profiles" / name).read_bytes()
        else:
            folder = Path(path).parent.resolve()
            file = (folder / name).resolve()
            if not file.is_relative_to(folder):
                fail(f"include {name!r} leads out of the profile's folder", "include a file that sits in that folder")
            if file.stat().st_size > MAX_BYTES:
                fail(f"included file {name} is over {MAX_BYTES // 1_000_000} MB", "split or trim its tables")
            raw = file.read_bytes()
    except OSError as exc:
        raise ProfileError(
            f"profile {_short(path)}: included file {name} cannot be read ({exc.strerror or exc}); put it in the "
            "profile's folder."
        ) from None
    if len(raw) > MAX_BYTES:
        fail(f"included file {name} is over {MAX_BYTES // 1_000_000} MB", "split or trim its tables")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"included file {name} is not UTF-8 text", "save it as UTF-8")


def _sibling(path: str, name: str) -> str:
    return BUILTIN + name if path.startswith(BUILTIN) else str(Path(path).parent / name)


def _short(path: str) -> str:
    """The file name of the profile or data file at `path` (all of a profile's includes share its folder)."""
    if not path.startswith(BUILTIN):
        return Path(path).name
    name = path.removeprefix(BUILTIN)  # a built-in profile's id, or an included file's name
    return name if name.endswith(".toml") else f"{name}.toml"
