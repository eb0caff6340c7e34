"""`discover`: drive a ROM, score what its RAM did, draft a profile, and say so in a short report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from animus.discover.draft import Header, check_draft, chosen_fields, draft_text
from animus.discover.probe import observe
from animus.discover.score import Candidate, Scores, score
from animus.emulator import RomInfo, read_rom
from animus.errors import ConfigError

MIN_PROBES, MAX_PROBES = 8, 400
DEFAULT_PROBES = 48


@dataclass(frozen=True)
class Discovery:
    """What `discover` found on one ROM: the ranked candidates, the draft profile's text, and the numbers."""

    rom: RomInfo
    seed: int
    scores: Scores
    draft: str
    presses: int  # exploration presses
    screens: int  # distinct screens seen
    doors: int  # wholesale screen changes crossed while exploring
    states: int  # probe states
    probes: int  # probes (two presses of one direction each)
    seconds: float

    def report(self, out: str, rom: str) -> list[str]:
        """The report's lines: what was explored, the candidates with their evidence, what was written (`out`),
        and the next command (for `rom`, as the user named it)."""
        lines = [
            f"discover {self.rom.title or '(untitled)'} ({Path(self.rom.path).name}), seed {self.seed}: "
            f"{self.presses} presses ({_count(self.screens, 'screen')}, "
            f"{_count(self.doors, 'wholesale screen change')}), "
            f"{self.probes} probes from {self.states} states, {self.seconds:.1f} s"
        ]
        fields = chosen_fields(self.scores)
        for role in ("map", "x", "y"):
            found = [f for f in fields if f.name == role]
            lines.append(_line(role, found[0].candidate) if found else f"  {role:<11} not found")
        progress = [f for f in fields if f.candidate.role in ("flags", "counter")]
        lines.append(f"  progress: {len(progress)} bytes that only rose or only gained bits, never while idle")
        lines += [_line(f.name, f.candidate, indent=4) for f in progress]
        others = [
            f"{c.role} 0x{c.address:04X} (score {c.score:g})"
            for role in ("map", "x", "y")
            for c in getattr(self.scores, role)[1:3]
        ]
        if others:
            lines.append("  runners-up: " + ", ".join(others))
        lines.append(f"wrote {out}: fields {', '.join(f.name for f in fields) or 'none'}")
        lines.append(f"next: edit the draft, then animus run --rom {rom} --game {out}")
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _line(name: str, c: Candidate, indent: int = 2) -> str:
    return f"{' ' * indent}{name:<11} 0x{c.address:04X} {c.type:<5} {c.evidence}"


def check_probes(probes: int) -> None:
    """Raise `ConfigError` unless `probes` (probe states) is from MIN_PROBES to MAX_PROBES."""
    if not MIN_PROBES <= probes <= MAX_PROBES:
        raise ConfigError(
            f"--probes {probes} is out of range: give from {MIN_PROBES} to {MAX_PROBES} states to probe from "
            f"(default {DEFAULT_PROBES})."
        )


def discover(rom: str | Path, *, seed: int = 0, probes: int = DEFAULT_PROBES, draft_path: str = "draft") -> Discovery:
    """Explore `rom` with `seed`, probe the d-pad from `probes` states, score, and draft a profile.

    The ROM is validated first (`RomError`, before PyBoy starts). The draft is checked with Animus's own loader
    (`draft_path` names it in a message); one that does not load raises `AnimusError`. Deterministic: the same
    ROM, seed and probes give the same `Discovery` but for `seconds`.
    """
    check_probes(probes)
    _, info = read_rom(rom)
    from animus.emulator import GameBoy  # PyBoy is imported here, once the input is known to be good

    started = time.monotonic()
    with GameBoy(rom) as gb:
        obs = observe(gb, seed, probes)
    scores = score(obs)
    header = Header(info.title, info.sha256, seed, obs.presses, obs.screens, len(obs.probe_dirs))
    text = draft_text(header, scores)
    check_draft(text, draft_path)
    return Discovery(
        rom=info,
        seed=seed,
        scores=scores,
        draft=text,
        presses=obs.presses,
        screens=obs.screens,
        doors=obs.doors,
        states=obs.states,
        probes=len(obs.probe_dirs),
        seconds=time.monotonic() - started,
    )
