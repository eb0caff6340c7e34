"""The fleet summary's survival table: a real fleet of the classic cartridge whose short runs stop before
milestones, checked against `animus.stats.survival` fed from the runs' own stores (`animus.open_run`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import animus
from animus.fleet.report import format_summary, summarize
from animus.games import load_profile
from animus.stats import Sample, bootstrap_median, log_rank
from tests.conftest import CLASSIC, run_animus
from tests.fleet.helpers import fleet, record, write_plan

MILESTONES = load_profile(CLASSIC).milestones
IDS = [m.id for m in MILESTONES]

# The mock finishes in 51 actions; with 25 steps it stops after the key (22) and before the gate (27): censored
# there. 400 random presses reach the first milestone in some seeds and nothing in others.
PLAN = f"""
    steps = 300
    seeds = [1, 2, 3]
    [config]
    rom = "{CLASSIC}"

    [[run]]
    label = "mock"
    model = "mock"

    [[run]]
    label = "mock short"
    model = "mock"
    steps = 25

    [[run]]
    label = "random"
    model = "random"
    steps = 400
"""
LABELS = {"mock": "mock", "mock short": "mock-short", "random": "random"}  # label -> slug of its run names


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("survival-fleet")
    plan = write_plan(root / "plan.toml", PLAN)
    out = fleet(str(plan), "--runs-dir", str(root / "runs"), "--workers", "2")
    assert out.returncode == 0, out.stderr
    return root / "runs", out.stdout


def samples(runs: Path, label: str) -> list[Sample]:
    """Per milestone, the label's sample in actions: a run's first actions at that milestone or a later one, or its
    last step's actions (censored) when it reached neither."""
    obs = []
    for seed in (1, 2, 3):
        with animus.open_run(runs / f"{LABELS[label]}-s{seed}") as run:
            rows, end = run.milestones(), run.totals().actions
        at = {r.id: r.actions for r in rows}
        later = [[t for mid, t in at.items() if IDS.index(mid) >= i] for i in range(len(IDS))]
        obs.append([(min(ts), True) if ts else (end, False) for ts in later])
    return [Sample.of([o[i][0] for o in obs], [o[i][1] for o in obs]) for i in range(len(IDS))]


def test_the_fleet_summary_prints_kaplan_meier_medians_intervals_and_p(fleet_run: tuple[Path, str]) -> None:
    runs, stdout = fleet_run
    lines = stdout.splitlines()
    top = lines.index(next(line for line in lines if line.startswith("summary by label: Kaplan-Meier median actions")))
    assert lines[top + 1].split() == ["milestone", "mock", "(n=3)", "mock", "short", "(n=3)", "random", "(n=3)",
                                      "log-rank", "p"]  # fmt: skip
    expected = {label: samples(runs, label) for label in LABELS}
    for i, m in enumerate(MILESTONES):
        row = next(k for k, line in enumerate(lines) if k > top and line.startswith(m.label + "  "))
        cells, intervals = [], []
        for label in LABELS:
            est = bootstrap_median(expected[label][i])
            cells += ["—" if est.median is None else f"{est.median:,.0f}", f"({est.reached}/3)"]
            if est.low is not None:
                intervals += [f"[{est.low:,.0f}", "to", "∞]" if est.high is None else f"{est.high:,.0f}]"]
        p = log_rank([expected[label][i] for label in LABELS]).p_value
        assert p is not None
        cells.append("<0.0001" if p < 1e-4 else f"{p:.4f}")
        assert lines[row][len(m.label) :].split() == cells, lines[row]
        assert lines[row + 1].split() == intervals, lines[row + 1]
    # By hand: the short mock runs stopped at 25 actions, after the key (22) and before the gate (27).
    key = next(line for line in lines if line.startswith("Found the key"))
    gate = next(line for line in lines if line.startswith("Opened the gate"))
    assert key.split()[3:7] == ["22", "(3/3)", "22", "(3/3)"] and gate.split()[3:7] == ["27", "(3/3)", "—", "(0/3)"]
    assert next(line for line in lines if line.startswith("finish rate")).split()[2:] == [
        "3/3", "(100%)", "0/3", "(0%)", "0/3", "(0%)",
    ]  # fmt: skip


def test_fleet_json_keeps_the_table_and_compare_agrees(fleet_run: tuple[Path, str]) -> None:
    runs, _ = fleet_run
    summary = record(runs)["summary"]
    expected = {label: samples(runs, label) for label in LABELS}
    survival = summary["survival"]
    settings = (survival["x"], survival["confidence"], survival["resamples"], survival["seed"])
    assert settings == ("actions", 0.95, 2000, 0)
    for legacy, column in zip(summary["labels"], survival["labels"], strict=True):
        assert legacy["label"] == column["label"] and column["runs"] == column["readable"] == 3
        for i, (old, cell) in enumerate(zip(legacy["milestones"], column["milestones"], strict=True)):
            est = bootstrap_median(expected[column["label"]][i])
            assert old == {"id": IDS[i], "median_actions": est.median, "reached": est.reached}
            assert (cell["median"], cell["low"], cell["high"], cell["reached"], cell["total"]) == (
                est.median, est.low, est.high, est.reached, 3,
            )  # fmt: skip
    for i, m in enumerate(survival["milestones"]):
        test = log_rank([expected[label][i] for label in LABELS])
        assert (m["log_rank"]["df"], m["log_rank"]["observed"]) == (test.df, list(test.observed))
        assert m["log_rank"]["p_value"] == pytest.approx(test.p_value)
    # By hand: 3 labels, 2 degrees of freedom, up to the key; from the gate on, the short runs (stopped at 25) are
    # at risk at no event time (the mock's are at 27 and later), so only 2 groups are compared: 1 degree.
    assert [m["log_rank"]["df"] for m in survival["milestones"]] == [2, 2, 2, 1, 1, 1, 1, 1]
    # `animus compare` of the fleet's runs dir makes the same table from the same runs.
    compared = run_animus("compare", str(runs), "--json")
    assert compared.returncode == 0, compared.stderr
    got = json.loads(compared.stdout)
    assert (got.pop("runs"), got.pop("mixed")) == (9, [])
    assert got == survival


def test_a_run_that_never_started_counts_in_the_total_but_not_in_the_estimate(fleet_run: tuple[Path, str]) -> None:
    runs, _ = fleet_run
    pairs = [(label, runs / f"{slug}-s{seed}") for label, slug in LABELS.items() for seed in (1, 2, 3)]
    summary = summarize([*pairs, ("mock", runs / "mock-s4")])  # planned, never started: no store
    assert summary.table is not None
    mock = summary.table.columns[0]
    assert (mock.runs, mock.readable, mock.finished) == (4, 3, 3)
    assert [(c.reached, c.total) for c in mock.cells] == [(3, 4)] * len(IDS)
    estimate = mock.cells[-1].estimate
    assert estimate is not None and (estimate.median, estimate.n) == (51, 3)
    lines = format_summary(summary)
    assert next(line for line in lines if line.startswith("Finished the quest")).split()[3:5] == ["51", "(3/4)"]
    assert format_summary(summarize([("mock", runs / "nothing-here")])) == ["summary: no run has a readable store yet"]
