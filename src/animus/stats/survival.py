"""Survival statistics of "time to an event" when some subjects were never seen to have it (right-censoring).

In Animus a subject is a run and the event a milestone: a run that stopped before reaching it is censored at how
far it went. This module is numbers only (numpy and math) and knows nothing of runs; `animus.stats.milestones`
turns run stores into samples.

    s = Sample.of([6, 6, 7, 10], [True, True, False, True])   # times, and whether the event happened then
    curve = kaplan_meier(s)          # Curve: S(t) after each event time; curve.at(t), curve.median
    est = bootstrap_median(s)        # MedianEstimate: the median and a seeded 95% percentile-bootstrap interval
    test = log_rank([s, other])      # LogRank: chi-square statistic, degrees of freedom, p-value

Contracts:
- Kaplan-Meier: S(t) is the product, over the event times t_i <= t, of 1 - d_i / n_i, where d_i subjects had the
  event at t_i and n_i were at risk just before it. A subject censored at t_i is at risk at t_i (at equal times,
  events come before censorings: the usual convention, and the one of the textbook examples in the tests).
- The median is the smallest event time at which S falls to 0.5 or below (Kleinbaum & Klein's definition). It is
  None when S never does (too few subjects were seen to have the event): the median lies beyond the data, and no
  number would be honest.
- The bootstrap draws `resamples` samples of the subjects with replacement from numpy's generator seeded with
  `seed` (the same seed and sample give the same interval), takes each one's median (+inf where undefined), and
  returns the order statistics at (1 - confidence) / 2 and (1 + confidence) / 2 of them, with no interpolation
  (an interpolation between a number and +inf means nothing). An end that is +inf is None: unbounded above.
- Log-rank: at each distinct event time, each group's observed and expected events (expected: the events at that
  time shared by the group's share of the subjects at risk) and their hypergeometric covariance. The statistic is
  (O - E)' V⁻ (O - E) with V's generalized inverse, on df = rank(V) degrees of freedom: k - 1 for k groups that
  each had subjects at risk at some event time. The p-value is the chi-square survival function. When V is 0 (no
  event, or only events with a single subject at risk) the test says nothing: statistic 0, df 0, p-value None.
- Bad input (times and events of different lengths, a time that is negative or not finite, an empty sample,
  fewer than two groups for the log-rank test, a confidence outside (0, 1), resamples < 1) is a `BadInputError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from animus.errors import BadInputError

FloatArray = npt.NDArray[np.float64]
_HALF = 0.5 + 1e-9  # S "at or below 0.5": products of fractions such as 10/20 can land a rounding error above it


@dataclass(frozen=True)
class Sample:
    """Times to an event, one per subject, and whether the event happened then (True) or the subject was last
    seen then without it (False: right-censored). Checked on creation: see the module's contracts."""

    times: tuple[float, ...]
    events: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.times) != len(self.events):
            raise BadInputError(
                f"a sample needs one event flag per time: got {len(self.times)} times and {len(self.events)} flags."
            )
        bad = [t for t in self.times if not (math.isfinite(t) and t >= 0)]
        if bad:
            raise BadInputError(f"times to an event must be finite and >= 0: got {bad[0]!r}; censor instead of inf.")

    @classmethod
    def of(cls, times: Iterable[float], events: Iterable[bool]) -> Sample:
        return cls(tuple(float(t) for t in times), tuple(bool(e) for e in events))

    @property
    def n(self) -> int:
        return len(self.times)

    @property
    def reached(self) -> int:
        """How many subjects had the event."""
        return sum(self.events)


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier curve: S steps down at each event time and is flat in between, from S = 1 at the start."""

    n: int
    times: tuple[float, ...]  # the distinct event times, increasing
    at_risk: tuple[int, ...]  # subjects at risk just before each
    events: tuple[int, ...]  # events at each
    survival: tuple[float, ...]  # S just after each
    censored: tuple[float, ...]  # every censoring time, increasing, repeats kept (where a chart draws its ticks)
    end: float  # the largest time observed, event or censoring: S is known up to here
    median: float | None  # see the module's contracts; None: S never falls to 0.5

    def at(self, t: float) -> float:
        """S(t): the share of subjects that had not had the event by `t` (right-continuous: an event at `t` counts)."""
        k = int(np.searchsorted(np.asarray(self.times, dtype=np.float64), t, side="right"))
        return 1.0 if k == 0 else self.survival[k - 1]


@dataclass(frozen=True)
class MedianEstimate:
    """A Kaplan-Meier median and its percentile-bootstrap interval; None in any of them means +inf (beyond the
    data: in that many resamples, fewer than half the subjects were seen to have the event)."""

    median: float | None
    low: float | None
    high: float | None
    confidence: float
    resamples: int
    seed: int
    n: int  # subjects
    reached: int  # subjects that had the event


@dataclass(frozen=True)
class LogRank:
    """A log-rank test between groups (in the order given)."""

    statistic: float  # chi-square
    df: int  # degrees of freedom: k - 1 for k groups, unless some group was never at risk at an event time
    p_value: float | None  # None when df is 0 (no event at all): the test says nothing
    observed: tuple[int, ...]  # events per group
    expected: tuple[float, ...]  # expected events per group if every group had the same hazard


def kaplan_meier(sample: Sample) -> Curve:
    """The Kaplan-Meier estimate of `sample`'s survival curve."""
    _need_subjects(sample)
    uniq, deaths, at_risk, surv = _km(sample, np.ones((1, sample.n)))
    hit = deaths[0] > 0
    censored = sorted(t for t, e in zip(sample.times, sample.events, strict=True) if not e)
    return Curve(
        n=sample.n,
        times=tuple(float(t) for t in uniq[hit]),
        at_risk=tuple(round(float(v)) for v in at_risk[0][hit]),
        events=tuple(round(float(v)) for v in deaths[0][hit]),
        survival=tuple(float(v) for v in surv[0][hit]),
        censored=tuple(censored),
        end=max(sample.times),
        median=_finite(float(_medians(uniq, surv)[0])),
    )


def bootstrap_median(sample: Sample, resamples: int = 2000, confidence: float = 0.95, seed: int = 0) -> MedianEstimate:
    """The Kaplan-Meier median of `sample` with a percentile-bootstrap interval (see the module's contracts)."""
    _need_subjects(sample)
    if resamples < 1:
        raise BadInputError(f"the bootstrap needs at least 1 resample, not {resamples}.")
    if not 0 < confidence < 1:
        raise BadInputError(f"a confidence level is between 0 and 1 (0.95 for 95%), not {confidence}.")
    n = sample.n
    # A resample is how many times each subject was drawn: a multinomial draw is the same as n draws with
    # replacement, and gives weights that one vectorized Kaplan-Meier handles for all resamples at once.
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)
    uniq, _, _, surv = _km(sample, weights)
    medians = np.sort(_medians(uniq, surv))
    lo = math.floor(resamples * (1 - confidence) / 2)
    hi = max(lo, math.ceil(resamples * (1 + confidence) / 2) - 1)
    one, _, _, plain = _km(sample, np.ones((1, n)))
    return MedianEstimate(
        median=_finite(float(_medians(one, plain)[0])),
        low=_finite(float(medians[lo])),
        high=_finite(float(medians[hi])),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        n=n,
        reached=sample.reached,
    )


def log_rank(groups: Sequence[Sample]) -> LogRank:
    """The log-rank test of whether `groups` (two or more) share one survival curve."""
    if len(groups) < 2:
        raise BadInputError(f"a log-rank test compares two or more groups, not {len(groups)}.")
    for g in groups:
        _need_subjects(g)
    times = [np.asarray(g.times, dtype=np.float64) for g in groups]
    events = [np.asarray(g.events, dtype=bool) for g in groups]
    event_times = np.unique(np.concatenate([t[e] for t, e in zip(times, events, strict=True)]))
    if event_times.size == 0:
        return LogRank(0.0, 0, None, (0,) * len(groups), (0.0,) * len(groups))
    # Per event time (rows) and group (columns): subjects at risk (time >= t) and events at t.
    risk = np.stack([(t[None, :] >= event_times[:, None]).sum(axis=1) for t in times], axis=1).astype(np.float64)
    dead = np.stack(
        [((t[None, :] == event_times[:, None]) & e[None, :]).sum(axis=1) for t, e in zip(times, events, strict=True)],
        axis=1,
    ).astype(np.float64)
    n, d = risk.sum(axis=1), dead.sum(axis=1)
    share = risk / n[:, None]
    expected = (d[:, None] * share).sum(axis=0)
    # Hypergeometric covariance of the events at each time; a time with one subject at risk adds nothing.
    spread = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    k = len(groups)
    cov = np.einsum("t,ti,ij->ij", spread, share, np.eye(k)) - np.einsum("t,ti,tj->ij", spread, share, share)
    diff = dead.sum(axis=0) - expected
    # Rows of V sum to 0, so its rank is at most k - 1; rounding leaves a tiny last singular value that the default
    # tolerances would count, hence a relative tolerance far above rounding and far below any real variance.
    tol = 1e-10 * float(np.abs(cov).max())
    df = int(np.linalg.matrix_rank(cov, tol=tol)) if tol > 0 else 0
    statistic = float(diff @ np.linalg.pinv(cov, rcond=1e-10) @ diff) if df else 0.0
    return LogRank(
        statistic=statistic,
        df=df,
        p_value=chi2_sf(statistic, df) if df else None,
        observed=tuple(int(v) for v in dead.sum(axis=0)),
        expected=tuple(float(v) for v in expected),
    )


def chi2_sf(x: float, df: int) -> float:
    """P(X > x) for X chi-square with `df` >= 1 degrees of freedom: Q(df/2, x/2), the regularized upper incomplete
    gamma function (erfc(sqrt(x/2)) for df = 1)."""
    if df < 1:
        raise BadInputError(f"a chi-square distribution has at least 1 degree of freedom, not {df}.")
    if x <= 0:
        return 1.0
    if df == 1:
        return math.erfc(math.sqrt(x / 2))
    return _gamma_q(df / 2, x / 2)


def _gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma Q(a, x), x > 0: a series for P below a + 1, a continued fraction for
    Q above (each converges fast on its side; Numerical Recipes' gser and gcf)."""
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):  # modified Lentz's method
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return math.exp(log_front) * h


def _need_subjects(sample: Sample) -> None:
    if sample.n == 0:
        raise BadInputError("a survival estimate needs at least one subject: the sample is empty.")


def _km(sample: Sample, weights: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Kaplan-Meier for each row of `weights` (how many times each subject counts): the distinct times (of events
    and censorings), and per row and time the events, the subjects at risk and S just after."""
    times = np.asarray(sample.times, dtype=np.float64)
    events = np.asarray(sample.events, dtype=np.float64)
    uniq, group = np.unique(times, return_inverse=True)
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(uniq.size))
    w = weights[:, order]
    total: FloatArray = np.add.reduceat(w, starts, axis=1)
    deaths: FloatArray = np.add.reduceat(w * events[order], starts, axis=1)
    # At risk at a time: every subject seen until then or later.
    at_risk: FloatArray = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
    factor: FloatArray = np.where(at_risk > 0, 1.0 - deaths / np.maximum(at_risk, 1.0), 1.0)
    surv: FloatArray = np.cumprod(factor, axis=1, dtype=np.float64)
    return uniq, deaths, at_risk, surv


def _medians(uniq: FloatArray, surv: FloatArray) -> FloatArray:
    """Per row of `surv`: the first time S is at or below 0.5 (S only steps down at an event), or +inf."""
    below = surv <= _HALF
    first = np.argmax(below, axis=1)
    return np.where(below.any(axis=1), uniq[first], np.inf)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
