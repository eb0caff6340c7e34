"""Progress and map charts (`animus.inspect.charts`) from real runs of the bundled cartridge."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from animus.config import load_config
from animus.errors import BadInputError, RunError
from animus.games import load_profile
from animus.inspect.chart_data import RunSeries, group_runs, level_labels, step_points
from animus.inspect.charts import ChartSummary, render_chart
from animus.runs.rows import MilestoneRow
from animus.runs.runner import start_run
from animus.runs.store import RunStore
from tests.conftest import CLASSIC

QUEST = load_profile(CLASSIC)
LABELS = [m.label for m in QUEST.milestones]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs dir with 3 runs of 2 labels: two mock runs that finish, one random run of 100 steps."""
    root = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        start_run(
            load_config(overrides={"rom": CLASSIC, "model": "mock", "seed": seed, "label": "mock"}),
            root,
            f"mock-{seed}",
        )
    overrides = {"rom": CLASSIC, "model": "random", "seed": 3, "label": "masher", "budget.steps": 100}
    start_run(load_config(overrides=overrides), root, "random-3")
    return root


def milestones_of(run_dir: Path) -> list[MilestoneRow]:
    with RunStore.open(run_dir) as store:
        return store.milestones()


def embedded_data(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert match, "the page embeds its data"
    data: dict[str, object] = json.loads(match.group(1))
    return data


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def check_file(path: Path) -> str:
    """Check that `path` is a valid chart of its format; return its text (SVG, HTML) or ''."""
    if path.suffix == ".png":
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size[0] > 500 and image.size[1] > 300
        return ""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".svg":
        ET.fromstring(text)
        return text
    parser = _Tags()
    parser.feed(text)
    assert {"html", "svg", "script", "polyline", "circle"} <= set(parser.tags)
    ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group(0))  # type: ignore[union-attr]
    assert path.stat().st_size < 1_000_000
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text  # offline
    return text


@pytest.mark.parametrize("ext", ["png", "svg", "html"])
def test_one_run_in_every_format(runs: Path, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"one.{ext}"
    summary = render_chart([runs / "mock-0"], out)
    assert isinstance(summary, ChartSummary)
    assert (summary.runs, summary.groups, summary.milestones, summary.format) == (1, (("mock", 1),), 8, ext)
    assert out.is_file() and summary.bytes == out.stat().st_size
    text = check_file(out)
    if ext == "html":
        data = embedded_data(text)
        assert [r["id"] for r in data["runs"]] == ["mock-0"]  # type: ignore[index, union-attr]
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed, not left behind


@pytest.mark.parametrize("ext", ["png", "svg", "html"])
def test_three_runs_of_two_labels(runs: Path, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"three.{ext}"
    summary = render_chart([runs], out)
    assert summary.runs == 3
    assert summary.groups == (("mock", 2), ("masher", 1))
    text = check_file(out)
    if ext in ("svg", "html"):
        assert "mock (n=2)" in text and "masher" in text  # the legend names each group, with its size
    if ext == "html":
        data = embedded_data(text)
        by_id = {r["id"]: r for r in data["runs"]}  # type: ignore[index, union-attr]
        assert set(by_id) == {"mock-0", "mock-1", "random-3"}
        for run_id, run in by_id.items():
            stored = milestones_of(runs / run_id)
            assert run["label"] == ("masher" if run_id == "random-3" else "mock")
            assert [(m["id"], m["step"], m["actions"]) for m in run["milestones"]] == [
                (m.id, m.step, m.actions) for m in stored
            ]
        assert [g["legend"] for g in data["groups"]] == ["mock (n=2)", "masher"]  # type: ignore[index, union-attr]


@pytest.mark.parametrize("x", ["tokens", "cost", "hours"])
def test_other_x_axes(runs: Path, tmp_path: Path, x: str) -> None:
    for ext in ("svg", "html"):
        out = tmp_path / f"by-{x}.{ext}"
        summary = render_chart([runs], out, x=x)
        assert summary.x == x
        text = check_file(out)
        if ext == "html":
            assert embedded_data(text)["x"] == x
    hours = [m.wall_seconds / 3600 for m in milestones_of(runs / "mock-0")]
    if x == "hours":
        data = embedded_data((tmp_path / "by-hours.html").read_text(encoding="utf-8"))
        run = next(r for r in data["runs"] if r["id"] == "mock-0")  # type: ignore[attr-defined]
        assert [m["hours"] for m in run["milestones"]] == pytest.approx(hours)


def test_unreached_milestones_still_label_the_axis(runs: Path, tmp_path: Path) -> None:
    reached = milestones_of(runs / "random-3")
    assert len(reached) < len(LABELS)  # 100 random steps do not finish the game
    for ext in ("svg", "html"):
        out = tmp_path / f"random.{ext}"
        render_chart([runs / "random-3"], out)
        text = out.read_text(encoding="utf-8")
        for label in LABELS:
            assert f">{label}<" in text, label


def test_map_chart_of_a_quest_run(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    summary = render_chart([runs / "mock-0", runs / "random-3"], out, kind="map")
    assert summary.kind == "map"
    check_file(out)
    page = tmp_path / "map.html"
    render_chart([runs / "mock-0"], page, kind="map")
    assert "data:image/png;base64," in page.read_text(encoding="utf-8")


def test_map_chart_refuses_a_profile_without_map_position(tmp_path: Path) -> None:
    overrides = {"rom": CLASSIC, "model": "random", "game": "generic", "budget.steps": 5}
    start_run(load_config(overrides=overrides), tmp_path / "runs", "generic")
    out = tmp_path / "map.png"
    with pytest.raises(BadInputError, match="has no map position"):
        render_chart([tmp_path / "runs"], out, kind="map")
    assert not out.exists()


def test_mixed_profiles_chart_against_the_first_with_a_warning(runs: Path, tmp_path: Path) -> None:
    start_run(
        load_config(overrides={"rom": CLASSIC, "model": "random", "game": "generic", "budget.steps": 5}), tmp_path, "g"
    )
    summary = render_chart([runs / "mock-0", tmp_path / "g"], tmp_path / "mixed.svg")
    assert summary.milestones == 8 and summary.runs == 2
    assert len(summary.warnings) == 1 and "generic" in summary.warnings[0]


def test_a_run_named_twice_is_charted_once(runs: Path, tmp_path: Path) -> None:
    summary = render_chart([runs, runs / "mock-0", "mock-1"], tmp_path / "c.html", runs_dir=runs)
    assert summary.runs == 3


@pytest.mark.parametrize("name", ["chart.pdf", "chart", "chart.PNG.txt"])
def test_unknown_extension_is_refused_and_writes_nothing(runs: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    with pytest.raises(BadInputError, match=r"\.png, \.svg, \.html") as info:
        render_chart([runs], out)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_targets_and_options_are_refused_and_write_nothing(runs: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out" / "c.png"
    with pytest.raises(BadInputError, match="no runs under"):
        render_chart([empty], out)
    with pytest.raises(RunError, match="no run 'nope'"):
        render_chart(["nope"], out, runs_dir=runs)
    with pytest.raises(BadInputError, match="unknown x axis"):
        render_chart([runs], out, x="frames")
    with pytest.raises(BadInputError, match="unknown chart kind"):
        render_chart([runs], out, kind="pie")
    broken = tmp_path / "broken" / "r1"
    broken.mkdir(parents=True)
    (broken / "run.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunError):
        render_chart([broken.parent], out)
    assert not out.parent.exists()


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = "import sys, animus.inspect.charts, animus.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- the group curves, on made-up runs ---------------------------------------------------------------------------


def made_up(run_id: str, label: str, actions: dict[int, int]) -> RunSeries:
    """A run of the quest that reached milestone index i at `actions[i]`."""
    from animus.inspect.chart_data import Reached

    reached = tuple(
        Reached(i, MilestoneRow(QUEST.milestones[i].id, i, LABELS[i], a, a, a, 0, 0.0, 0.0, 0.0), a)
        for i, a in sorted(actions.items(), key=lambda kv: kv[1])
    )
    last = max(actions.values(), default=0)
    return RunSeries(run_id, Path(run_id), label, "test", 0, "done", QUEST, reached, last, last)


def test_group_median_band_and_where_the_median_stops() -> None:
    runs = [
        made_up("a", "g", {0: 10, 1: 20, 2: 30}),
        made_up("b", "g", {0: 20, 1: 40}),
        made_up("c", "g", {0: 30}),
        made_up("solo", "s", {0: 5, 2: 50}),  # out of order: reaching index 2 reaches levels 1-3
    ]
    g, solo = group_runs(runs, "actions")
    assert g.legend == "g (n=3)" and solo.legend == "s"
    assert g.median[:3] == (20, 40, math.inf)  # 3rd milestone: 1 of 3 runs got there, fewer than half
    assert g.low[:3] == (10, 20, 30)
    assert g.high[:2] == (30, math.inf)  # the worst run never reached the 2nd milestone
    assert solo.median[:4] == (5, 50, 50, math.inf)
    assert step_points(g.median) == [(0.0, 0), (20, 0), (20, 1), (40, 1), (40, 2)]


def test_an_even_group_median_goes_on_while_half_got_there() -> None:
    g = group_runs([made_up("a", "g", {0: 10, 1: 20}), made_up("b", "g", {0: 30})], "actions")[0]
    assert g.median[:3] == (20, 20, math.inf)  # mean of 10 and 30; then the one run of two that got there


def test_levels_are_the_start_then_every_milestone() -> None:
    assert level_labels(QUEST) == ["(start)", *LABELS]
