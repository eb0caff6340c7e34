"""The report of `animus rerequest` (`animus.experiments.rerequest`): what differs between the requests a run sent
and the ones today's harness builds over its replies, as frozen records with their JSON and text forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animus.experiments.request_parts import PARTS


@dataclass(frozen=True)
class PartDiff:
    """A part that differs at a step: in the first request of `purpose` where it differs, as a unified diff from
    the recorded text to the re-driven one (at most `DIFF_LINES` lines). `purpose` is "" for `calls`."""

    part: str
    purpose: str
    diff: str


@dataclass(frozen=True)
class FirstDifference:
    """The first step at which a request differs, and every part that differs there (in `PARTS` order)."""

    step: int
    parts: tuple[PartDiff, ...]


@dataclass(frozen=True)
class PartCount:
    """How many steps compared differ in one part, and the first of them."""

    part: str
    steps: int
    first: int


@dataclass(frozen=True)
class TokenChange:
    """The estimated input tokens of one request, recorded and re-driven."""

    step: int
    purpose: str
    recorded: int
    redriven: int

    @property
    def change(self) -> int:
        return self.redriven - self.recorded


@dataclass(frozen=True)
class PurposeTotals:
    """The requests of one purpose (act, summarize, reflect) in the steps compared, and the sum of their estimated
    input tokens, on each side."""

    purpose: str
    requests_recorded: int
    requests_redriven: int
    tokens_recorded: int
    tokens_redriven: int


@dataclass(frozen=True)
class Divergence:
    """The re-driven game left the run's path after `step`: `what` differs (frame count, RAM or frame hash)."""

    step: int
    what: str


@dataclass(frozen=True)
class RequestDiff:
    """What `rerequest` found (see the module docstring).

    `steps` were compared of the `limit` asked for. `differing` steps have a request that differs in some part;
    `parts` has a count per part that differs anywhere. `purposes` counts the requests of the steps compared and
    sums their estimated input tokens, on each side, by purpose (`estimates` is False for a store that recorded
    no estimates: its side is 0); `largest` is the request whose estimate changed most, of the requests found on
    both sides."""

    run: Path
    sets: tuple[str, ...]
    steps: int
    limit: int
    differing: int
    first: FirstDifference | None
    parts: tuple[PartCount, ...]
    purposes: tuple[PurposeTotals, ...]
    largest: TokenChange | None
    estimates: bool
    divergence: Divergence | None
    stopped: str  # why the re-drive stopped before `limit` steps ("" when it did not)
    stand_ins: tuple[tuple[int, str], ...] = ()  # (step, purpose) of the requests the run never made

    @property
    def requests_recorded(self) -> int:
        return sum(p.requests_recorded for p in self.purposes)

    @property
    def requests_redriven(self) -> int:
        return sum(p.requests_redriven for p in self.purposes)

    @property
    def tokens_recorded(self) -> int:
        return sum(p.tokens_recorded for p in self.purposes)

    @property
    def tokens_redriven(self) -> int:
        return sum(p.tokens_redriven for p in self.purposes)

    def purpose(self, name: str) -> PurposeTotals:
        """The totals of the requests of purpose `name` (zeros when neither side made one)."""
        return next((p for p in self.purposes if p.purpose == name), PurposeTotals(name, 0, 0, 0, 0))

    @property
    def same(self) -> bool:
        """Every request of every step asked for is the recorded one, and the game followed the run's path."""
        return self.differing == 0 and self.divergence is None and not self.stopped and self.steps == self.limit

    def to_json(self) -> dict[str, Any]:
        largest = self.largest
        return {
            "run": str(self.run),
            "sets": list(self.sets),
            "steps": self.steps,
            "limit": self.limit,
            "same": self.same,
            "requests": {"recorded": self.requests_recorded, "redriven": self.requests_redriven},
            "differing_steps": self.differing,
            "first": None
            if self.first is None
            else {
                "step": self.first.step,
                "parts": [{"part": p.part, "purpose": p.purpose, "diff": p.diff} for p in self.first.parts],
            },
            "parts": {p.part: {"steps": p.steps, "first": p.first} for p in self.parts},
            "tokens": {
                "estimates": self.estimates,
                "recorded": self.tokens_recorded,
                "redriven": self.tokens_redriven,
                "by_purpose": {
                    p.purpose: {
                        "requests": {"recorded": p.requests_recorded, "redriven": p.requests_redriven},
                        "recorded": p.tokens_recorded,
                        "redriven": p.tokens_redriven,
                    }
                    for p in self.purposes
                },
                "largest": None
                if largest is None
                else {
                    "step": largest.step,
                    "purpose": largest.purpose,
                    "recorded": largest.recorded,
                    "redriven": largest.redriven,
                    "change": largest.change,
                },
            },
            "diverged": None
            if self.divergence is None
            else {"step": self.divergence.step, "what": self.divergence.what},
            "stopped": self.stopped or None,
            "stand_ins": [{"step": step, "purpose": purpose} for step, purpose in self.stand_ins],
        }

    def lines(self) -> list[str]:
        """The report as lines of text for people."""
        sets = f" with {' '.join(self.sets)}" if self.sets else ""
        out = [
            f"rerequest {self.run}: {self.steps} of {self.limit} steps re-driven{sets} on the run's stored replies "
            "(no model called)",
            f"requests  {self.requests_recorded} recorded, {self.requests_redriven} re-driven",
        ]
        if self.first is None:
            out.append(f"differ    no step differs in {', '.join(PARTS)}")
        else:
            by_part = ", ".join(f"{p.part} {p.steps} (from step {p.first})" for p in self.parts)
            out.append(f"differ    {self.differing} of {self.steps} steps: {by_part}")
            named = ", ".join(p.part + (f" ({p.purpose} request)" if p.purpose else "") for p in self.first.parts)
            out.append(f"first     step {self.first.step}: {named}")
            for p in self.first.parts:
                out += [f"  {line}" for line in p.diff.splitlines()]
        out += self._tokens_lines()
        if self.divergence is not None:
            d = self.divergence
            out.append(
                f"game      DIVERGED after step {d.step}: {d.what}. The harness changed what the run's tool calls do; "
                "the re-drive stopped there"
            )
        else:
            out.append(
                f"game      as recorded: the frame count, RAM and frame hashes after each of the {self.steps} steps"
            )
        if self.stand_ins:
            kinds = "/".join(sorted({purpose for _, purpose in self.stand_ins}))
            out.append(
                f"stand-ins {len(self.stand_ins)} {kinds} requests the run never made kept the summary as it was "
                f"(from step {self.stand_ins[0][0]}): the memory after them is no model's"
            )
        if self.stopped:
            out.append(f"stopped   {self.stopped}")
        return out

    def _tokens_lines(self) -> list[str]:
        if not self.estimates:
            return [f"tokens    the run recorded no estimates (an old store); re-driven {self.tokens_redriven:,}"]
        out = [f"tokens    estimated input {_change(self.tokens_recorded, self.tokens_redriven)}"]
        for p in self.purposes:
            count = f"{p.requests_recorded} -> {p.requests_redriven}"
            if p.requests_recorded == p.requests_redriven:
                count = str(p.requests_recorded)
            out.append(f"          {p.purpose} ({count} requests): {_change(p.tokens_recorded, p.tokens_redriven)}")
        if self.largest is not None and self.largest.change:
            m = self.largest
            out.append(f"          largest change: step {m.step} {m.purpose}, {m.recorded:,} -> {m.redriven:,} "
                       f"({m.change:+,})")  # fmt: skip
        return out


def _change(recorded: int, redriven: int) -> str:
    share = f" ({(redriven - recorded) / recorded:+.1%})" if recorded else ""
    return f"{recorded:,} recorded -> {redriven:,} re-driven{share}"
