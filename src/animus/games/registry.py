"""Built-in profiles (package data), `load_profile` by name or path, and `choose_profile` for a ROM."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from animus.errors import ProfileError
from animus.games.loader import parse_profile
from animus.games.profile import Profile

BUILTIN = ("animus-quest", "animus-quest-classic", "pokemon-red", "generic")
GENERIC = "generic"


@cache
def _builtin(name: str) -> Profile:
    source = (resources.files("animus.games") / "profiles" / f"{name}.toml").read_text(encoding="utf-8")
    return parse_profile(source, f"builtin:{name}")


def builtin_profiles() -> list[Profile]:
    """Every built-in profile, loaded from package data (once per process)."""
    return [_builtin(name) for name in BUILTIN]


def load_profile(spec: str) -> Profile:
    """A built-in profile by name (one of `BUILTIN`) or a profile from a .toml path.

    Raises `ProfileError` with one line for an unknown name, an unreadable file, bad TOML (file:line) or any
    problem in the profile itself.
    """
    if spec in BUILTIN:
        return _builtin(spec)
    path = Path(spec)
    if not (spec.endswith(".toml") or "/" in spec or path.exists()):
        raise ProfileError(
            f"unknown game profile {spec!r}: use one of {', '.join(BUILTIN)}, or the path of a .toml profile."
        )
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile file {spec} does not exist: check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile file {spec} cannot be read ({exc}): it must be a UTF-8 TOML file.") from None
    return parse_profile(source, str(path))


def choose_profile(title: str, sha256: str, requested: str | None = None) -> tuple[Profile, str | None]:
    """The profile for a ROM, and a notice when Animus fell back to the generic one.

    `requested` (a name or path, e.g. from --game) wins. Otherwise a built-in that lists the ROM's sha256, then
    one that lists its cartridge title (case and surrounding spaces ignored), else the generic profile. A title
    match gets a notice when the profile says what a title alone risks (`[game] title_notice`).
    """
    if requested:
        return load_profile(requested), None
    profiles = builtin_profiles()
    for profile in profiles:
        if sha256.lower() in profile.sha256:
            return profile, None
    key = title.strip().upper()
    for profile in profiles:
        if key and key in (t.strip().upper() for t in profile.titles):
            if not profile.title_notice:
                return profile, None
            return profile, (
                f"the ROM {title.strip()!r} matches the profile {profile.id!r} by its title only (its sha256 "
                f"{sha256[:12]}... is not one the profile knows): {profile.title_notice} If this is the game the "
                f"profile is for, pass --game {profile.id} to say so."
            )
    notice = (
        f"no built-in profile knows the ROM {title.strip() or '(untitled)'!r} (sha256 {sha256[:12]}...): using the "
        "generic profile, which only counts distinct screens. Pick a profile with --game NAME "
        f"({', '.join(BUILTIN)}) or --game PATH.toml (write one: docs/profiles.md)."
    )
    return _builtin(GENERIC), notice
