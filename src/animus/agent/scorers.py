"""Scorers rank the branches of a best-of-N fork (`animus.agent.branching`). Registered by name, imported lazily.

A scorer sees every branch's `BranchOutcome` at once and returns one ranking key per branch, a tuple of numbers:
the highest key wins, and among equal keys the lowest branch number (branch 0 plays with the run's own seed).
Built in:
- `milestones`: progress first (milestones reached), then fewer actions to the last of them, then novelty;
- `novelty`: new positions plus new screens, i.e. ground the committed line has not covered yet;
- `vote`: the first action most branches agreed on (self-consistency); its lowest-numbered branch is kept.

Other packages add scorers through the `animus.scorers` entry-point group: the entry point names a class (or a
factory) called with no arguments whose instances have `rank(outcomes) -> list[tuple[float, ...]]`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Literal, Protocol

from animus.errors import ConfigError
from animus.runs.meta import RunStatus

BranchStatus = RunStatus | Literal["horizon"]
"""How a branch of a fork ended: `horizon` (it played the actions, or the steps, its fork gave it and was stopped
there), or the status its own stop had (`done`: finished or a budget; `stopped`: a signal; `failed`, `stuck`,
`error`), as a run's would be."""

BUILTIN: dict[str, str] = {
    "milestones": "animus.agent.scorers:MilestoneScorer",
    "novelty": "animus.agent.scorers:NoveltyScorer",
    "vote": "animus.agent.scorers:VoteScorer",
}
ENTRY_POINT_GROUP = "animus.scorers"
# How a branch may end that loses to any branch that ended otherwise.
UNHEALTHY: tuple[BranchStatus, ...] = ("failed", "stuck", "error")


@dataclass(frozen=True)
class BranchOutcome:
    """What a scorer knows about one branch after it played."""

    index: int
    seed: int
    steps: int
    actions: int  # game tool calls the branch made
    milestones: tuple[tuple[str, int], ...]  # (id, actions into the branch when reached), in the order reached
    first_action: str  # the first step's inputs as JSON; "" if it played no step
    new_positions: int  # positions the committed line had not visited before the fork
    new_screens: int  # screens it had not seen
    status: BranchStatus


class Scorer(Protocol):
    def rank(self, outcomes: Sequence[BranchOutcome]) -> list[tuple[float, ...]]: ...


class MilestoneScorer:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> list[tuple[float, ...]]:
        keys: list[tuple[float, ...]] = []
        for o in outcomes:
            to_last = o.milestones[-1][1] if o.milestones else 0
            keys.append((len(o.milestones), -to_last, o.new_positions + o.new_screens))
        return keys


class NoveltyScorer:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> list[tuple[float, ...]]:
        return [(o.new_positions + o.new_screens, len(o.milestones)) for o in outcomes]


class VoteScorer:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> list[tuple[float, ...]]:
        votes = Counter(o.first_action for o in outcomes if o.first_action)
        return [(votes[o.first_action] if o.first_action else 0,) for o in outcomes]


def choose(scorer: Scorer, outcomes: Sequence[BranchOutcome]) -> tuple[int, list[tuple[float, ...]]]:
    """The index of the winning branch, and every branch's key. A branch that failed, got stuck or met a model
    error wins only if every branch did."""
    keys = scorer.rank(outcomes)
    if len(keys) != len(outcomes):
        raise ConfigError(f"scorer {type(scorer).__name__} ranked {len(keys)} of {len(outcomes)} branches.")
    healthy = [o.index for o in outcomes if o.status not in UNHEALTHY] or [o.index for o in outcomes]
    best = max(healthy, key=lambda i: (keys[i], -i))
    return best, keys


def available() -> dict[str, str]:
    """Every scorer name with where it comes from."""
    names = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def create_scorer(name: str) -> Scorer:
    """Build the scorer `name` names; `ConfigError` listing the valid names for an unknown one."""
    known = available()
    if name not in known:
        raise ConfigError(f"unknown scorer {name!r} (branching.scorer): choose one of {', '.join(sorted(known))}.")
    if name in BUILTIN:
        module, _, attr = BUILTIN[name].partition(":")
        factory = getattr(importlib.import_module(module), attr)
    else:
        (ep,) = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        factory = ep.load()
    scorer: Scorer = factory()
    return scorer
