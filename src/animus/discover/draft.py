"""The draft profile `discover` writes: TOML text with every guess annotated by its evidence, checked by the loader.

The text is a pure function of the ROM's header facts, the scores and the numbers of the exploration, so the same
ROM and seed always give the same draft, byte for byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from animus.discover.score import SMALL_START, Candidate, Scores
from animus.errors import AnimusError, ConfigError, ProfileError
from animus.games.loader import parse_profile
from animus.games.profile import Profile

MAX_PROGRESS = 8  # progress fields in a draft
MAX_MILESTONE_FLAGS = 2  # progress fields that also get a "became nonzero" milestone
# The timing discover pressed with. Every probe moved with it, so the draft keeps it: a game that animates its
# steps (16 frames for a Pokémon step) misses the built-in defaults' 4-frame presses.
HOLD_FRAMES, WAIT_FRAMES = 10, 30


@dataclass(frozen=True)
class Header:
    """What the draft says of where it came from."""

    title: str
    sha256: str
    seed: int
    presses: int
    screens: int
    probes: int


@dataclass(frozen=True)
class Field:
    """One field of the draft: its name, the candidate behind it, and the comment above it."""

    name: str
    candidate: Candidate

    @property
    def comment(self) -> str:
        return f"# {self.name}: {self.candidate.evidence}"


def game_id(title: str) -> str:
    """A profile id from a cartridge title: lowercase letters, digits, '-' and '_' ("draft" when none are left)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", title.lower()).strip("-_")
    return slug or "draft"


def chosen_fields(scores: Scores) -> list[Field]:
    """The draft's fields: map, x, y (the best candidate of each, when there is one) and the best progress bytes."""
    fields = [Field(role, getattr(scores, role)[0]) for role in ("map", "x", "y") if getattr(scores, role)]
    fresh = [c for c in scores.progress if c.first < SMALL_START]  # the others start like text or pointers do
    for candidate in fresh[:MAX_PROGRESS]:
        prefix = "flags" if candidate.role == "flags" else "count"
        fields.append(Field(f"{prefix}_{candidate.address:04x}", candidate))
    return fields


def draft_text(header: Header, scores: Scores) -> str:
    """The draft profile as TOML text."""
    fields = chosen_fields(scores)
    names = [f.name for f in fields]
    lines = _preamble(header)
    for field in fields:
        lines += [field.comment, f"[fields.{field.name}]", f"address = 0x{field.candidate.address:04X}"]
        lines += [f"type = {_str(field.candidate.type)}", ""]
    lines += _milestones(fields)
    lines += _state(header, fields)
    position = (["map"] if "map" in names else ["screen"]) + [n for n in ("x", "y") if n in names]
    if "map" not in names:
        lines.append('# No map id was found: "screen" (the hash of the visible tiles) stands in for it.')
    lines += ["[position]", f"fields = {json.dumps(position)}", ""]
    return "\n".join(lines)


def _preamble(header: Header) -> list[str]:
    title = header.title or "(untitled)"
    return [
        f"# Draft profile for {title}, written by `animus profile discover` (seed {header.seed}).",
        f"# It explored with {header.presses} presses, saw {header.screens} distinct screens and probed the d-pad "
        f"{header.probes} times.",
        "# Every address below is a guess from RAM diffs; the comment above each gives the evidence. Check them,",
        "# rename the fields, then play: animus run --rom ROM --game THIS_FILE. The format: docs/profiles.md.",
        "",
        "[game]",
        f"id = {_str(game_id(header.title))}",
        f"name = {_str(header.title or 'Unknown game')}",
        f"titles = {json.dumps([header.title] if header.title else [])}",
        f"# sha256 of the ROM this draft was made from; sha256 = [...] pins the profile to it: {header.sha256}",
        "",
        "# discover pressed with these timings and saw the game answer every press; shorter ones may be too short.",
        "[defaults]",
        f"tools.hold_frames = {HOLD_FRAMES}",
        f"tools.wait_frames = {WAIT_FRAMES}",
        "",
    ]


def _milestones(fields: list[Field]) -> list[str]:
    lines = [*_milestone("screens_5", "Saw 5 different screens", "screens_seen >= 5")]
    # A progress byte that was 0 once past the title and rose later is a safe first milestone: it cannot hold at
    # the start, and it marks the first thing the game counted.
    fresh = [f for f in fields if f.candidate.role in ("flags", "counter") and f.candidate.first == 0]
    for field in fresh[:MAX_MILESTONE_FLAGS]:
        lines.append(f"# {field.name} was 0 once past the title; it rose to {field.candidate.last} while exploring.")
        label = f"{field.name} became nonzero"
        lines += _milestone(f"{field.name}_set", label, f"{field.name} != 0")
    lines.append("# The last milestone means the game is finished (a run ends there): replace it with the real ending.")
    lines += _milestone("screens_250", "Saw 250 different screens", "screens_seen >= 250")
    return lines


def _milestone(mid: str, label: str, when: str) -> list[str]:
    return ["[[milestone]]", f"id = {_str(mid)}", f"label = {_str(label)}", f"when = {_str(when)}", ""]


def _state(header: Header, fields: list[Field]) -> list[str]:
    names = [f.name for f in fields]
    title = (header.title or "Unknown game").replace("{", "{{").replace("}", "}}")
    where = ", ".join(f"{n} {{{n}}}" for n in ("map", "x", "y") if n in names)
    progress = ", ".join(
        f"{f.name} {{{f.name}:hex}}" if f.candidate.role == "flags" else f"{f.name} {{{f.name}}}"
        for f in fields
        if f.candidate.role in ("flags", "counter")
    )
    text = [f"{title} (draft profile: the fields are guesses)."]
    text += [f"Where: {where}."] if where else []
    text += [f"Progress bytes: {progress}."] if progress else []
    text += ["Screen id: {screen} (the same id means the same screen layout)."]
    return ["[state]", f"template = {_str(chr(10).join(text))}", ""]


def _str(text: str) -> str:
    # A JSON string of ASCII text is a TOML basic string: the same quotes and escapes.
    return json.dumps(text, ensure_ascii=True)


def check_draft(text: str, path: str) -> Profile:
    """The draft loaded by Animus's own loader. A draft that does not load is a bug of discover, reported so."""
    try:
        return parse_profile(text, path)
    except ProfileError as exc:
        raise AnimusError(f"the draft discover wrote does not load ({exc}); this is a bug in discover.") from exc


def check_output(out: Path, force: bool) -> None:
    """Refuse an output path that cannot be written: an existing file (without `force`), a directory, or a
    missing parent directory. Raises `ConfigError`."""
    if out.is_dir():
        raise ConfigError(f"-o {out} is a directory: give the path of the .toml file to write.")
    if out.exists() and not force:
        raise ConfigError(f"{out} exists: pass --force to overwrite it, or choose another path with -o.")
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write {out}: the directory {out.parent} does not exist.")


def write_draft(text: str, out: Path, force: bool) -> None:
    """Write the draft to `out`; without `force`, never over an existing file. Raises `ConfigError`."""
    check_output(out, force)
    try:
        with out.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"{out} exists: pass --force to overwrite it, or choose another path with -o.") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror}.") from None
