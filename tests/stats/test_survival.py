"""`animus.stats.survival` against published worked examples with censoring and against references written here.

The worked example is the remission data of Freireich et al. (1963), 6-MP against placebo in acute leukemia, as
Kleinbaum & Klein ("Survival Analysis: A Self-Learning Text", chapter 2) tabulate it: the Kaplan-Meier tables of
both groups, medians of 23 and 8 weeks, and a log-rank chi-square of 16.79 on 1 degree of freedom (O = 9 and 21,
E = 19.25 and 10.75). The exact fractions and p-values below are worked out in the tests, not copied.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from animus.errors import BadInputError
from animus.stats import Sample, bootstrap_median, chi2_sf, kaplan_meier, log_rank

# Weeks in remission; False marks a censored time (the patient was still in remission when last seen).
SIX_MP = Sample.of(
    [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
    [True, True, True, False, True, False, True, False, False, True, True, False, False, False, True, True,
     False, False, False, False, False],
)  # fmt: skip
PLACEBO = Sample.of([1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23], [True] * 21)


# -- references written independently: exact fractions and plain loops ---------------------------------------------


def reference_km(times: list[float], events: list[bool]) -> list[tuple[float, Fraction]]:
    """(event time, S just after it) by the textbook's product-limit recipe, in exact fractions."""
    s = Fraction(1)
    out = []
    for t in sorted({t for t, e in zip(times, events, strict=True) if e}):
        at_risk = sum(1 for u in times if u >= t)
        died = sum(1 for u, e in zip(times, events, strict=True) if u == t and e)
        s *= Fraction(at_risk - died, at_risk)
        out.append((t, s))
    return out


def reference_median(times: list[float], events: list[bool]) -> float:
    """The first event time with S <= 1/2, inf when none (exact fractions, so no rounding question)."""
    return next((t for t, s in reference_km(times, events) if s <= Fraction(1, 2)), math.inf)


def reference_log_rank(groups: list[Sample]) -> float:
    """The k-group log-rank statistic in exact fractions: (O - E) over the first k - 1 groups, solved against their
    covariance by Gauss-Jordan elimination (no generalized inverse, no numpy)."""
    k = len(groups)
    pooled = sorted({t for g in groups for t, e in zip(g.times, g.events, strict=True) if e})
    diff = [Fraction(0)] * k
    cov = [[Fraction(0)] * k for _ in range(k)]
    for t in pooled:
        n_g = [sum(1 for u in g.times if u >= t) for g in groups]
        d_g = [sum(1 for u, e in zip(g.times, g.events, strict=True) if u == t and e) for g in groups]
        n, d = sum(n_g), sum(d_g)
        for i in range(k):
            diff[i] += d_g[i] - Fraction(d * n_g[i], n)
            if n > 1:
                for j in range(k):
                    same = Fraction(n_g[i], n) if i == j else Fraction(0)
                    cov[i][j] += Fraction(d * (n - d), n - 1) * (same - Fraction(n_g[i] * n_g[j], n * n))
    m = k - 1
    rows = [[*cov[i][:m], diff[i]] for i in range(m)]
    for col in range(m):
        pivot = next(r for r in range(col, m) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(m):
            if r != col:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col], strict=True)]
    return float(sum(diff[i] * rows[i][m] for i in range(m)))


def reference_sf(x: float, df: int) -> float:
    """Chi-square survival by the closed forms: Q(1/2) = erfc(sqrt(x/2)), Q(1) = exp(-x/2), and the recurrence
    Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1) with y = x/2."""
    y = x / 2
    a, q = (0.5, math.erfc(math.sqrt(y))) if df % 2 else (1.0, math.exp(-y))
    while a < df / 2:
        q += math.exp(a * math.log(y) - y - math.lgamma(a + 1))
        a += 1
    return q


# -- the worked example -----------------------------------------------------------------------------------------------


def test_the_6mp_kaplan_meier_table_is_the_textbooks() -> None:
    curve = kaplan_meier(SIX_MP)
    assert curve.times == (6, 7, 10, 13, 16, 22, 23)
    assert curve.at_risk == (21, 17, 15, 12, 11, 7, 6)  # n(j) of Kleinbaum & Klein's table
    assert curve.events == (3, 1, 1, 1, 1, 1, 1)
    textbook = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    assert {t: round(s, 3) for t, s in zip(curve.times, curve.survival, strict=True)} == textbook
    for t, exact in reference_km(list(SIX_MP.times), list(SIX_MP.events)):
        assert curve.at(t) == pytest.approx(float(exact), abs=1e-12)
    # Flat between events and after the last one; 1 before the first; censored times kept for the ticks.
    assert curve.at(5.99) == 1.0 and curve.at(9) == curve.at(7) and curve.at(100) == curve.survival[-1]
    assert curve.censored == (6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35) and curve.end == 35
    assert curve.median == 23 and SIX_MP.reached == 9


def test_the_placebo_curve_and_median_are_the_textbooks() -> None:
    curve = kaplan_meier(PLACEBO)
    textbook = {1: 0.905, 2: 0.810, 3: 0.762, 4: 0.667, 5: 0.571, 8: 0.381, 11: 0.286, 12: 0.190, 15: 0.143,
                17: 0.095, 22: 0.048, 23: 0.0}  # fmt: skip
    assert {t: round(s, 3) for t, s in zip(curve.times, curve.survival, strict=True)} == textbook
    assert curve.median == 8  # S(5) = 12/21 > 1/2, S(8) = 8/21 <= 1/2
    assert curve.censored == ()


def test_the_log_rank_test_of_6mp_against_placebo_is_the_textbooks() -> None:
    test = log_rank([SIX_MP, PLACEBO])
    assert round(test.statistic, 2) == 16.79 and test.df == 1
    assert test.observed == (9, 21)
    assert [round(e, 2) for e in test.expected] == [19.25, 10.75]
    assert test.statistic == pytest.approx(reference_log_rank([SIX_MP, PLACEBO]), rel=1e-12)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(test.statistic / 2)), rel=1e-12)
    assert test.p_value == pytest.approx(4.17e-5, rel=1e-3)
    # The groups' order changes nothing but the order of the counts.
    swapped = log_rank([PLACEBO, SIX_MP])
    assert swapped.statistic == pytest.approx(test.statistic) and swapped.observed == (21, 9)


def test_the_bootstrap_interval_brackets_the_median_and_is_seeded() -> None:
    est = bootstrap_median(SIX_MP)
    assert (est.median, est.n, est.reached, est.resamples, est.confidence, est.seed) == (23, 21, 9, 2000, 0.95, 0)
    # More than 2.5% of the resamples never fall to one half, so the upper end is beyond the data.
    assert (est.low, est.high) == (13, None)
    assert bootstrap_median(SIX_MP) == est
    # The placebo group's median is discrete and well inside its data: its interval is the same for any seed.
    assert {(bootstrap_median(PLACEBO, seed=s).low, bootstrap_median(PLACEBO, seed=s).high) for s in range(5)} == {
        (4, 11)
    }


def reference_bootstrap(sample: Sample, resamples: int, seed: int, confidence: float) -> tuple[float, float]:
    """Resampling by hand: the same draws (counts per subject), each resample's median by the exact-fraction
    reference, and the order statistics at (1 - c) / 2 and (1 + c) / 2."""
    counts = np.random.default_rng(seed).multinomial(sample.n, [1 / sample.n] * sample.n, size=resamples)
    medians = []
    for row in counts:
        picked = [i for i, c in enumerate(row) for _ in range(c)]
        medians.append(reference_median([sample.times[i] for i in picked], [sample.events[i] for i in picked]))
    medians.sort()
    low, high = math.floor(resamples * (1 - confidence) / 2), math.ceil(resamples * (1 + confidence) / 2) - 1
    return medians[low], medians[high]


@pytest.mark.parametrize(
    ("sample", "resamples", "seed", "confidence"),
    [
        (SIX_MP, 2000, 0, 0.95),
        (PLACEBO, 2000, 0, 0.95),
        (Sample.of([3, 5, 5, 8, 9, 12, 12, 15, 20, 22, 30], [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]), 400, 7, 0.8),
    ],
)
def test_the_bootstrap_is_the_percentile_of_resampled_medians(
    sample: Sample, resamples: int, seed: int, confidence: float
) -> None:
    lo, hi = reference_bootstrap(sample, resamples, seed, confidence)
    est = bootstrap_median(sample, resamples=resamples, confidence=confidence, seed=seed)
    assert (est.low, est.high) == (None if lo == math.inf else lo, None if hi == math.inf else hi)
    assert est.median == reference_median(list(sample.times), list(sample.events))


# -- edge cases -------------------------------------------------------------------------------------------------------


def test_all_censored_has_no_event_no_median_and_no_test() -> None:
    s = Sample.of([4, 9, 9, 30], [False] * 4)
    curve = kaplan_meier(s)
    assert (curve.times, curve.survival, curve.median, curve.at(1e9)) == ((), (), None, 1.0)
    assert curve.censored == (4, 9, 9, 30)
    est = bootstrap_median(s, resamples=50)
    assert (est.median, est.low, est.high, est.reached) == (None, None, None, 0)
    test = log_rank([s, Sample.of([1, 2], [False, False])])
    assert (test.statistic, test.df, test.p_value, test.observed) == (0.0, 0, None, (0, 0))


def test_one_group_without_events_is_still_tested_against_one_with() -> None:
    never = Sample.of([10, 10, 10], [False] * 3)
    early = Sample.of([1, 2, 3], [True] * 3)
    test = log_rank([early, never])
    assert test.df == 1 and test.observed == (3, 0)
    assert test.statistic == pytest.approx(reference_log_rank([early, never]))
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(test.statistic / 2)))


def test_ties_between_events_and_censorings_keep_the_censored_at_risk() -> None:
    # t=1: 5 at risk, 1 event (the censored 1 is still at risk); t=2: 3 at risk, 2 events.
    curve = kaplan_meier(Sample.of([1, 1, 2, 2, 3], [True, False, True, True, False]))
    assert curve.at_risk == (5, 3) and curve.events == (1, 2)
    assert curve.survival == pytest.approx((4 / 5, 4 / 15))
    assert curve.median == 2


def test_a_curve_at_exactly_one_half_has_its_median_there() -> None:
    assert kaplan_meier(Sample.of([1, 2, 3, 4], [True] * 4)).median == 2  # S(2) = 2/4: "at or below one half"
    assert kaplan_meier(Sample.of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [True] * 10)).median == 5


def test_a_single_run() -> None:
    reached = Sample.of([42], [True])
    assert kaplan_meier(reached).survival == (0.0,)
    est = bootstrap_median(reached, resamples=20)
    assert (est.median, est.low, est.high) == (42, 42, 42)
    stopped = bootstrap_median(Sample.of([42], [False]), resamples=20)
    assert (stopped.median, stopped.low, stopped.high) == (None, None, None)


def test_three_groups_match_the_exact_reference_and_the_closed_form_p() -> None:
    groups = [
        SIX_MP,
        PLACEBO,
        Sample.of([2, 4, 4, 7, 9, 9, 12, 15, 18, 25], [True, True, False, True, True, False, True, False, True, False]),
    ]
    test = log_rank(groups)
    assert test.df == 2
    assert test.statistic == pytest.approx(reference_log_rank(groups), rel=1e-12)
    assert test.p_value == pytest.approx(math.exp(-test.statistic / 2), rel=1e-12)  # chi-square, 2 df: e^(-x/2)
    assert sum(test.observed) == pytest.approx(sum(test.expected))  # observed and expected events add up alike


def test_random_samples_match_the_references() -> None:
    rng = random.Random(11)
    for _ in range(60):
        k = rng.choice([2, 3, 4])
        groups = []
        for _ in range(k):
            n = rng.randint(1, 12)
            groups.append(Sample.of([rng.randint(0, 9) for _ in range(n)], [rng.random() < 0.6 for _ in range(n)]))
        for g in groups:
            exact = reference_km(list(g.times), list(g.events))
            assert kaplan_meier(g).survival == pytest.approx([float(s) for _, s in exact], abs=1e-12)
            median = reference_median(list(g.times), list(g.events))
            assert kaplan_meier(g).median == (None if median == math.inf else median)
        test = log_rank(groups)
        if test.df == k - 1:  # every group at risk at some event time: the reference's k - 1 block is invertible
            assert test.statistic == pytest.approx(reference_log_rank(groups), rel=1e-9, abs=1e-12)
            assert test.p_value == pytest.approx(reference_sf(test.statistic, test.df), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 17, 30, 61])
def test_the_chi_square_survival_function_matches_its_closed_forms(df: int) -> None:
    for x in (1e-6, 0.05, 0.5, 1, df - 0.5, df, df + 1.5, 2.5 * df, 40, 120, 400):
        assert chi2_sf(x, df) == pytest.approx(reference_sf(x, df), rel=1e-10, abs=1e-300)
    assert chi2_sf(0, df) == 1.0


def test_the_chi_square_tables_five_percent_points() -> None:
    # Upper 5% points of the chi-square table (any statistics textbook's appendix).
    for df, point in ((1, 3.841), (2, 5.991), (3, 7.815), (5, 11.070), (10, 18.307), (30, 43.773)):
        assert chi2_sf(point, df) == pytest.approx(0.05, abs=2e-5)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: Sample.of([1, 2], [True]), "one event flag per time"),
        (lambda: Sample.of([1, -2], [True, True]), "finite and >= 0"),
        (lambda: Sample.of([1, math.inf], [True, False]), "censor instead of inf"),
        (lambda: kaplan_meier(Sample.of([], [])), "at least one subject"),
        (lambda: log_rank([SIX_MP]), "two or more groups"),
        (lambda: bootstrap_median(SIX_MP, confidence=95), "between 0 and 1"),
        (lambda: bootstrap_median(SIX_MP, resamples=0), "at least 1 resample"),
        (lambda: chi2_sf(3.0, 0), "at least 1 degree"),
    ],
)
def test_bad_input_is_one_line_that_says_what_to_do(call: object, match: str) -> None:
    with pytest.raises(BadInputError, match=match) as caught:
        call()  # type: ignore[operator]
    assert "\n" not in str(caught.value)
