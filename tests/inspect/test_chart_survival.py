"""`animus chart --kind survival` and `animus compare` on real runs of the classic cartridge, some of which stopped
before milestones (censored). Every number is checked against `animus.stats.survival` fed from the runs' own
milestone rows and totals (`animus.open_run`), read here independently of the code under test."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import animus
from animus.games import load_profile
from animus.stats import Sample, bootstrap_median, kaplan_meier, log_rank
from tests.conftest import CLASSIC, run_animus

IDS = [m.id for m in load_profile(CLASSIC).milestones]
LABELS = {m.id: m.label for m in load_profile(CLASSIC).milestones}

# (name, label, model, seed, steps): the mock reaches left_house at 4 actions, talked_elder 11, found_key 22,
# reached_cave 30 and finishes at 51; step budgets of 3, 15 and 30 stop it before some of them. Random presses
# reach the first milestones late, or not in 400 steps.
RUNS = [
    ("mock-full", "mock", "mock", 0, 300),
    ("mock-3", "mock", "mock", 1, 3),
    ("mock-15", "mock", "mock", 2, 15),
    ("mock-30", "mock", "mock", 3, 30),
    ("masher-1", "masher", "random", 1, 400),
    ("masher-2", "masher", "random", 2, 400),
    ("masher-3", "masher", "random", 3, 400),
]


def play(runs_dir: Path, name: str, label: str, model: str, seed: int, steps: int, *extra: str) -> None:
    args = ["run", "--rom", CLASSIC, "--model", model, "--seed", str(seed), "--steps", str(steps), "--label", label]
    done = run_animus(*args, "--runs-dir", str(runs_dir), "--name", name, *extra)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("survival")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda r: play(root, *r), RUNS))
    return root


@pytest.fixture(scope="module")
def odd_card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mock run whose model saw no minimap: its harness card differs from the others'."""
    root = tmp_path_factory.mktemp("odd")
    play(root, "no-minimap", "mock", "mock", 0, 300, "--set", "channels.minimap=false")
    return root / "no-minimap"


# -- the reference: straight from the store ---------------------------------------------------------------------------


def observations(run_dir: Path, x: str) -> tuple[str, list[tuple[float, bool]]]:
    """The run's label and, per milestone of the profile, (time, reached): the first x at which it reached that
    milestone or a later one, else (how far it went on x, False)."""
    with animus.open_run(run_dir) as run:
        rows, totals, label = run.milestones(), run.totals(), run.meta.group_label

    def value(actions: float, tokens: float, cost: float, seconds: float) -> float:
        return {"actions": actions, "tokens": tokens, "cost": cost, "hours": seconds / 3600}[x]

    reached = {r.id: value(r.actions, r.tokens, r.cost, r.wall_seconds) for r in rows}
    end = max([value(totals.actions, totals.tokens, totals.cost, totals.wall_seconds), *reached.values()])
    out = []
    for i in range(len(IDS)):
        later = [t for mid, t in reached.items() if IDS.index(mid) >= i]
        out.append((min(later), True) if later else (end, False))
    return label, out


def reference(run_dirs: list[Path], x: str) -> dict[str, list[Sample]]:
    """Per label (in first-seen order), the sample of each milestone."""
    by_label: dict[str, list[list[tuple[float, bool]]]] = {}
    for d in run_dirs:
        label, obs = observations(d, x)
        by_label.setdefault(label, []).append(obs)
    return {
        label: [Sample.of([o[i][0] for o in runs], [o[i][1] for o in runs]) for i in range(len(IDS))]
        for label, runs in by_label.items()
    }


def run_dirs(root: Path) -> list[Path]:
    """The runs in the order a directory of runs lists them (by name), so labels come first-seen: masher, mock."""
    return sorted(root / name for name, *_ in RUNS)


def chart_data(page: Path) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page.read_text(), re.S)
    assert match, "the page embeds its data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# -- the chart --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", ["actions", "hours"])
def test_the_survival_page_holds_each_labels_kaplan_meier_curve(runs: Path, tmp_path: Path, x: str) -> None:
    out = tmp_path / "found_key.html"
    done = run_animus("chart", str(runs), "--kind", "survival", "--milestone", "found_key", "--x", x, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert f"7 run(s), time to found_key by {x}; groups: masher (3), mock (4)" in done.stdout
    data = chart_data(out)
    assert data["milestone"] == {"id": "found_key", "label": "Found the key"} and data["x"] == x
    expected = reference(run_dirs(runs), x)
    index = IDS.index("found_key")
    for group in data["groups"]:
        sample = expected[group["name"]][index]
        curve, est = kaplan_meier(sample), bootstrap_median(sample)
        assert group["times"] == pytest.approx(curve.times) and group["survival"] == pytest.approx(curve.survival)
        assert group["censored"] == pytest.approx(
            sorted(t for t, e in zip(sample.times, sample.events, strict=True) if not e)
        )
        assert (group["median"], group["low"], group["high"]) == (est.median, est.low, est.high)
        assert group["reached"] == sample.reached and len(group["runs"]) == sample.n
    if x == "actions":
        # By hand: the mock finds the key at 22 actions; the runs of 3 and 15 steps stopped before it (censored
        # at 3 and 15), so both runs still at risk at 22 find it there: S falls from 1 to 0 at 22.
        masher, mock = data["groups"]
        assert (mock["times"], mock["survival"], mock["censored"], mock["median"]) == ([22], [0], [3, 15], 22)
        assert masher["median"] is None  # no random run found the key: beyond the data
    assert "<svg" in out.read_text() and "bootstrap interval" in out.read_text()


def test_png_and_svg_and_the_legend(runs: Path, tmp_path: Path) -> None:
    svg, png = tmp_path / "s.svg", tmp_path / "s.png"
    done = run_animus("chart", str(runs), "--kind", "survival", "--milestone", "left_house", "-o", str(svg))
    assert done.returncode == 0, done.stderr
    text = svg.read_text()
    ET.fromstring(text)
    est = bootstrap_median(reference(run_dirs(runs), "actions")["mock"][0])
    assert est.median == 4 and f"mock (n=4, {est.reached} reached): median 4 [4 to 4]" in text
    done = run_animus("chart", str(runs), "--kind", "survival", "-o", str(png))  # default: the final milestone
    assert done.returncode == 0 and "time to finished by actions" in done.stdout
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000


def test_an_unknown_milestone_is_refused_with_the_valid_ids(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "nope.png"
    done = run_animus("chart", str(runs), "--kind", "survival", "--milestone", "nope", "-o", str(out))
    assert done.returncode == 2 and not out.exists()
    assert done.stderr.strip().splitlines() == [
        f"error: unknown milestone 'nope' in {CLASSIC}: use one of {', '.join(IDS)}."
    ]
    wrong_kind = run_animus("chart", str(runs), "--milestone", "left_house", "-o", str(out))
    assert wrong_kind.returncode == 2 and "--milestone is for --kind survival" in wrong_kind.stderr
    assert not out.exists()


def test_runs_with_other_cards_are_refused_unless_allow_mixed(runs: Path, odd_card: Path, tmp_path: Path) -> None:
    out = tmp_path / "mixed.html"
    args = ["chart", str(runs), str(odd_card), "--kind", "survival", "--milestone", "left_house", "-o", str(out)]
    refused = run_animus(*args)
    assert refused.returncode == 2 and "minimap" in refused.stderr and not out.exists()
    assert len(refused.stderr.strip().splitlines()) == 1
    mixed = run_animus(*args, "--allow-mixed")
    assert mixed.returncode == 0, mixed.stderr
    assert [g["name"] for g in chart_data(out)["groups"]] == ["masher [default]", "mock [default]", "mock [-minimap]"]
    compare = run_animus("compare", str(runs), str(odd_card))
    assert compare.returncode == 2 and "minimap" in compare.stderr and "--allow-mixed" in compare.stderr
    split = run_animus("compare", str(runs), str(odd_card), "--allow-mixed", "--json")
    assert split.returncode == 0, split.stderr
    assert [c["label"] for c in json.loads(split.stdout)["labels"]] == [
        "masher [default]", "mock [default]", "mock [-minimap]",
    ]  # fmt: skip


# -- animus compare ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", ["actions", "tokens", "hours"])
def test_compare_json_is_the_statistics_of_the_runs(runs: Path, x: str) -> None:
    done = run_animus("compare", str(runs), "--x", x, "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["x"], got["runs"], got["confidence"], got["resamples"], got["seed"]) == (x, 7, 0.95, 2000, 0)
    expected = reference(run_dirs(runs), x)
    assert [c["label"] for c in got["labels"]] == list(expected) == ["masher", "mock"]
    for column in got["labels"]:
        samples = expected[column["label"]]
        assert column["runs"] == len(samples[0].times)
        assert column["finished"] == samples[-1].reached
        for cell, sample in zip(column["milestones"], samples, strict=True):
            est = bootstrap_median(sample)
            assert (cell["median"], cell["low"], cell["high"]) == (est.median, est.low, est.high), cell["id"]
            assert (cell["reached"], cell["total"]) == (sample.reached, sample.n)
    for i, milestone in enumerate(got["milestones"]):
        test = log_rank([expected["masher"][i], expected["mock"][i]])
        assert milestone["log_rank"]["p_value"] == pytest.approx(test.p_value)
        assert milestone["log_rank"]["statistic"] == pytest.approx(test.statistic)
    if x == "actions":
        # By hand: 4 mock runs; the one of 3 steps stopped before leaving the house (4 actions), so 3 of 4 left it,
        # all at 4. The one of 15 steps talked to the elder (11) but stopped before the key (22): 2 of 4 found it.
        # Only the full run finished (51).
        mock = got["labels"][1]["milestones"]
        assert [(c["median"], c["reached"]) for c in mock[:3]] == [(4, 3), (11, 3), (22, 2)]
        assert (mock[-1]["median"], mock[-1]["reached"], got["labels"][1]["finish_rate"]) == (51, 1, 0.25)


def test_compare_prints_labels_side_by_side(runs: Path) -> None:
    done = run_animus("compare", str(runs))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("7 run(s): Kaplan-Meier median actions")
    assert lines[1].split() == ["milestone", "masher", "(n=3)", "mock", "(n=4)", "log-rank", "p"]
    expected = reference(run_dirs(runs), "actions")
    for i, mid in enumerate(IDS):
        row = next(k for k, line in enumerate(lines) if line.startswith(LABELS[mid] + "  "))
        cells = []
        for label in ("masher", "mock"):
            s = expected[label][i]
            m = bootstrap_median(s).median
            cells += ["—" if m is None else f"{m:,.0f}", f"({s.reached}/{s.n})"]
        p = log_rank([expected["masher"][i], expected["mock"][i]]).p_value
        assert p is not None
        cells.append("<0.0001" if p < 1e-4 else f"{p:.4f}")
        assert lines[row][len(LABELS[mid]) :].split() == cells
        intervals = []
        for label in ("masher", "mock"):
            est = bootstrap_median(expected[label][i])
            if est.low is not None:
                high = "∞" if est.high is None else f"{est.high:,.0f}"
                intervals += [f"[{est.low:,.0f}", "to", f"{high}]"]
        assert lines[row + 1].split() == intervals  # the row under it: each label's interval, if it has one
    assert next(line for line in lines if line.startswith("finish rate")).split()[2:] == ["0/3", "(0%)", "1/4", "(25%)"]


def test_compare_of_one_run_has_no_test(runs: Path) -> None:
    done = run_animus("compare", str(runs / "mock-full"), "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert [m["log_rank"] for m in got["milestones"]] == [None] * len(IDS)
    assert [c["median"] for c in got["labels"][0]["milestones"]] == [4, 11, 22, 27, 30, 36, 39, 51]
    assert [(c["low"], c["high"]) for c in got["labels"][0]["milestones"]][-1] == (51, 51)
    text = run_animus("compare", str(runs / "mock-full"))
    assert "log-rank" not in text.stdout and "1/1 (100%)" in text.stdout


def test_compare_refuses_what_is_not_runs(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run_animus("compare", str(tmp_path / "empty"))
    assert done.returncode == 2 and done.stderr.startswith("error: no runs under") and done.stdout == ""
