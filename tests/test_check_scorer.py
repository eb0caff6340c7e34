"""`animus.check_scorer`: every built-in scorer passes, and a scorer breaking a rule fails naming it."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import animus
from animus.agent.scorers import BranchOutcome, MilestoneScorer, VoteScorer
from animus.checks import SCORER_RULES, ContractError, check_scorer
from animus.checks.scorer import OUTCOMES
from animus.errors import BadInputError


@pytest.mark.parametrize("scorer", ["milestones", "novelty", "vote", MilestoneScorer, VoteScorer()])
def test_every_builtin_scorer_passes(scorer: Any) -> None:
    checked = animus.check_scorer(scorer)
    assert checked.rules == tuple(SCORER_RULES) and checked.calls == 21 and checked.subject.endswith("Scorer")


Keys = list[tuple[float, ...]]


class Progress:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        return [(len(o.milestones),) for o in outcomes]


class StatefulScorer(Progress):
    def __init__(self) -> None:
        self.forks = 0

    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        self.forks += 1
        return [(k[0] - self.forks,) for k in super().rank(outcomes)]


class ByPosition:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        return [(-i,) for i in range(len(outcomes))]


class OneShort(Progress):
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        return super().rank(outcomes)[1:]


class BareNumbers:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> list[float]:
        return [float(o.actions) for o in outcomes]


class NotANumber:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        return [(float("nan") if o.index == 2 else 1.0,) for o in outcomes]


class Sorting(Progress):
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        keys = super().rank(outcomes)
        outcomes.sort(key=lambda o: o.actions)  # type: ignore[attr-defined]
        return keys


class Noisy:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        return [(random.random(),) for _ in outcomes]


class Normalized:
    def rank(self, outcomes: Sequence[BranchOutcome]) -> Keys:
        low, high = min(o.actions for o in outcomes), max(o.actions for o in outcomes)
        return [((o.actions - low) / (high - low),) for o in outcomes]


SCORER_FAILURES: list[tuple[Callable[[], Any] | Any, int, list[str]]] = [
    (StatefulScorer, 6, ["rule 6 (no hidden state): scorer StatefulScorer: the first 8 outcomes got",
                         "from one instance and", "from another"]),
    (StatefulScorer(), 6, ["rule 6 (no hidden state): scorer StatefulScorer: the instance, asked twice,"]),
    (ByPosition, 5, ["rule 5 (independent of order): scorer ByPosition: the outcomes in the order",
                     "[7, 6, 5, 4, 3, 2, 1, 0] (reversed)"]),
    (OneShort, 1, ["rule 1 (one key per outcome): scorer OneShort returned 7 keys for 8 outcomes"]),
    (BareNumbers, 2, ["rule 2 (keys are tuples of numbers): scorer BareNumbers gave outcome 0 of 8 the key 20.0"]),
    (NotANumber, 2, ["rule 2 (keys are tuples of numbers): scorer NotANumber gave outcome 2 of 8 the key (nan,)"]),
    (Sorting, 3, ["rule 3 (outcomes untouched): scorer Sorting changed the list of 8 outcomes"]),
    (Noisy, 4, ["rule 4 (deterministic): scorer Noisy: two fresh instances ranked the same 8 outcomes differently"]),
    (Normalized, 7, ["rule 7 (any number of outcomes): scorer Normalized raised ZeroDivisionError",
                     "ranking 1 outcome."]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("scorer", "rule", "words"),
    SCORER_FAILURES,
    ids=[getattr(s, "__name__", type(s).__name__ + "()") for s, _, _ in SCORER_FAILURES],
)
def test_a_scorer_breaking_a_rule_fails_naming_it(scorer: Any, rule: int, words: list[str]) -> None:
    with pytest.raises(ContractError) as caught:
        check_scorer(scorer)
    assert caught.value.rule == rule and caught.value.title == SCORER_RULES[rule]
    for fragment in words:
        assert fragment in str(caught.value)


def test_a_scorer_is_checked_on_the_outcomes_given() -> None:
    assert check_scorer(VoteScorer, outcomes=OUTCOMES[:3]).calls == 2 + 3 + 3 + 1 + 2
    with pytest.raises(ContractError, match=r"rule 7 .* ranking 1 outcome\."):
        check_scorer(Normalized, outcomes=OUTCOMES[:2])
    with pytest.raises(BadInputError, match=r"indexes are 0, 1, \.\.\., N-1"):
        check_scorer(VoteScorer, outcomes=OUTCOMES[1:])
