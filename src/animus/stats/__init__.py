"""Statistics of runs: survival analysis of the time to each milestone, runs that stopped before it censored.

`survival` is the numbers (Kaplan-Meier, a bootstrap interval of the median, the log-rank test); `milestones`
reads runs into them and makes the per-label table that `animus compare` and the fleet summary print.
"""

from animus.stats.survival import (
    Curve,
    LogRank,
    MedianEstimate,
    Sample,
    bootstrap_median,
    chi2_sf,
    kaplan_meier,
    log_rank,
)

__all__ = [
    "Curve",
    "LogRank",
    "MedianEstimate",
    "Sample",
    "bootstrap_median",
    "chi2_sf",
    "kaplan_meier",
    "log_rank",
]
