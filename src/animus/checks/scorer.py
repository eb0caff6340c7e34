"""`check_scorer`: does a scorer keep the `Scorer` contract? (See `animus.checks` for the rules.)"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any, cast

from animus.agent.scorers import BranchOutcome, Scorer
from animus.checks.rules import SCORER_RULES, Checked, broken, short
from animus.errors import BadInputError

SHUFFLE_SEED = 7


def _press(button: str) -> str:
    return f'[[["{button}"], 4, 12]]'  # a first step's inputs, as `InputOp.to_json` writes them


# A fork of eight branches that tells scorers apart: ties, no milestones, an empty first step, every status.
OUTCOMES: tuple[BranchOutcome, ...] = (
    BranchOutcome(0, 1000, 20, 20, (("title", 3),), _press("start"), 4, 1, "horizon"),
    BranchOutcome(1, 1001, 20, 18, (("title", 2), ("room", 15)), _press("right"), 9, 2, "horizon"),
    BranchOutcome(2, 1002, 20, 20, (), _press("right"), 0, 0, "stuck"),
    BranchOutcome(3, 1003, 7, 7, (("title", 1), ("room", 6), ("door", 7)), _press("start"), 5, 3, "done"),
    BranchOutcome(4, 1004, 0, 0, (), "", 0, 0, "error"),
    BranchOutcome(5, 1005, 20, 25, (("title", 2), ("room", 15)), _press("right"), 12, 0, "horizon"),
    BranchOutcome(6, 1006, 12, 12, (("title", 4),), _press("a"), 2, 2, "failed"),
    BranchOutcome(7, 1007, 20, 20, (("title", 3),), _press("start"), 4, 1, "stopped"),
)


def check_scorer(
    scorer: Scorer | Callable[[], Scorer] | str, *, outcomes: Sequence[BranchOutcome] | None = None
) -> Checked:
    """Check that a scorer keeps the `Scorer` contract; raise `ContractError` naming the rule broken, or return
    what was checked.

    `scorer` is a factory called with no arguments (a scorer class, or what an `animus.scorers` entry point
    names), a scorer name built by `create_scorer`, or one instance. Pass a factory when you can: with an
    instance there are no fresh instances to compare, so hidden state and nondeterminism are reported as one
    rule (6). `outcomes` defaults to `OUTCOMES`; their `index` fields must be 0..N-1 in order.
    """
    outcomes = tuple(OUTCOMES if outcomes is None else outcomes)
    if [o.index for o in outcomes] != list(range(len(outcomes))) or not outcomes:
        raise BadInputError("check_scorer needs outcomes whose indexes are 0, 1, ..., N-1, in that order.")
    make, fresh = _maker(scorer)
    first = make()
    subject = f"scorer {type(first).__name__}"
    n, calls = len(outcomes), 0

    def rank(instance: Scorer, given: Sequence[BranchOutcome], rule: int = 1) -> list[tuple[float, ...]]:
        nonlocal calls
        calls += 1
        return _rank(instance, subject, given, rule)

    reference = rank(first, outcomes)
    second = make()
    again = rank(second, outcomes)
    if again != reference:
        who = "two fresh instances" if fresh else "the instance, asked twice,"
        rule = 4 if fresh else 6
        detail = f"{who} ranked the same {n} outcomes differently: {short(reference)} vs {short(again)}"
        raise broken(SCORER_RULES, rule, f"{subject}: {detail}.")
    # Every size from 1 to N, by the first instance in increasing size, by the second in decreasing.
    by_size = {k: rank(first, outcomes[:k], 7) for k in range(1, n + 1)}
    for k in range(n, 0, -1):
        got = rank(second, outcomes[:k], 7)
        if got != by_size[k]:
            detail = f"the first {k} outcomes got {short(by_size[k])} from one instance and {short(got)} from another"
            raise broken(SCORER_RULES, 6, f"{subject}: {detail}, after ranking other lists in another order.")
    if (late := rank(first, outcomes)) != reference:
        detail = f"the instance ranked the same {n} outcomes {short(late)}, not {short(reference)} as at first"
        raise broken(SCORER_RULES, 6, f"{subject}: after ranking {n} other lists, {detail}.")
    shuffled = list(outcomes)
    random.Random(SHUFFLE_SEED).shuffle(shuffled)
    for name, order in (("reversed", list(reversed(outcomes))), ("shuffled", shuffled)):
        got = rank(make() if fresh else first, order)
        want = [reference[o.index] for o in order]
        if got != want:
            indexes = [o.index for o in order]
            detail = f"were ranked {short(got)}, not the same keys permuted: {short(want)}"
            raise broken(SCORER_RULES, 5, f"{subject}: the outcomes in the order {indexes} ({name}) {detail}.")
    return Checked(type(first).__name__, calls, tuple(SCORER_RULES))


def _maker(scorer: Scorer | Callable[[], Scorer] | str) -> tuple[Callable[[], Scorer], bool]:
    """A function giving the scorer to check, and whether each call gives a fresh instance."""
    if isinstance(scorer, str):
        from animus.agent.scorers import create_scorer

        name = scorer
        return (lambda: create_scorer(name)), True
    if isinstance(scorer, type) or not hasattr(scorer, "rank"):
        factory = cast("Callable[[], Scorer]", scorer)
        return factory, True
    instance = cast("Scorer", scorer)
    return (lambda: instance), False


def _rank(scorer: Scorer, subject: str, given: Sequence[BranchOutcome], rule: int) -> list[tuple[float, ...]]:
    """`scorer.rank(given)` on a list of its own, checked against rules 1, 2 and 3. `rule` is the rule an
    exception breaks (7 while trying sizes other than the whole fork)."""
    n = len(given)
    outcomes = list(given)
    try:
        keys: Any = scorer.rank(outcomes)
    except Exception as exc:
        what = f"{n} outcome{'' if n == 1 else 's'}"
        raise broken(SCORER_RULES, rule, f"{subject} raised {type(exc).__name__}: {exc} ranking {what}.") from exc
    if outcomes != list(given):
        raise broken(SCORER_RULES, 3, f"{subject} changed the list of {n} outcomes it was given.")
    if not isinstance(keys, list | tuple) or len(keys) != n:
        got = f"{len(keys)} keys" if isinstance(keys, list | tuple) else f"a {type(keys).__name__}"
        raise broken(SCORER_RULES, 1, f"{subject} returned {got} for {n} outcomes: return a list of one key each.")
    for i, key in enumerate(keys):
        numbers = isinstance(key, tuple) and all(_number(x) for x in key)
        if not numbers:
            detail = f"gave outcome {i} of {n} the key {short(key)}"
            raise broken(SCORER_RULES, 2, f"{subject} {detail}: a key is a tuple of finite ints or floats.")
    return list(keys)


def _number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)
