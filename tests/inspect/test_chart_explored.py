"""The explored-map chart (`animus.inspect.chart_explored`) from real mock runs of the bundled cartridge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from animus.config import load_config
from animus.errors import BadInputError
from animus.games import GameState, load_profile
from animus.inspect.chart_explored import draw_explored, read_explored
from animus.runs.reader import RunReader
from animus.runs.runner import start_run
from animus.spatial.explored import ExploredMap
from tests.conftest import CLASSIC, REPO

OLD_STORE = REPO / "tests" / "fixtures" / "stores" / "v5-mock-done"  # schema 5: no map deltas


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short mock runs of Animus Quest (world 0, seeds 0 and 1) and one of a game without a map position."""
    root = tmp_path_factory.mktemp("explored-runs")
    for seed in (0, 1):
        start_run(load_config(overrides={"model": "mock", "seed": seed, "budget.steps": 120}), root, f"quest-{seed}")
    start_run(load_config(overrides={"model": "mock", "game": "generic", "budget.steps": 5}), root, "generic")
    return root


def maps_visited(run_dir: Path) -> dict[int | str, str]:
    """Map id -> name of every map a step of the run ended on."""
    profile = load_profile(str(run_dir / "profile.toml"))
    with RunReader.open(run_dir) as store:
        spots = [profile.spot(dict(GameState.from_json(row.state).values)) for row in store.steps()]
    return {s.map: s.name for s in spots if s is not None}


def maps_steps(run_dir: Path) -> list[int]:
    """The steps of the run that ended on the map."""
    profile = load_profile(str(run_dir / "profile.toml"))
    with RunReader.open(run_dir) as store:
        return [r.step for r in store.steps() if profile.spot(dict(GameState.from_json(r.state).values)) is not None]


def test_it_draws_every_map_a_run_walked(runs: Path, tmp_path: Path) -> None:
    run = runs / "quest-0"
    out = tmp_path / "charts" / "explored.png"
    line = draw_explored([run], out)
    image = Image.open(out)
    assert image.format == "PNG" and image.width > 400 and image.height > 400
    visited = maps_visited(run)
    assert len(visited) >= 3  # the house, the crossroads and beyond
    assert line.startswith(f"wrote {out} (png, ") and f"1 run(s), {len(visited)} maps" in line and "\n" not in line
    # The same chart as SVG keeps its text: every map's panel is there, titled with its name and id.
    svg = tmp_path / "explored.svg"
    draw_explored([run], svg, title="Two doors")
    text = svg.read_text(encoding="utf-8")
    assert "Two doors" in text
    for key, name in visited.items():
        assert f"{name} (map {key})" in text
    assert "→ MISTY CROSS" in text  # the house's door, with the name of where it leads


def test_the_map_is_the_runs_deltas_folded_and_their_visits_summed(runs: Path) -> None:
    one, _ = read_explored([runs / "quest-0"])
    with RunReader.open(runs / "quest-0") as store:
        rebuilt = ExploredMap.rebuild(row.map_delta for row in store.steps())
    assert {k: a.cells() for k, a in one.explored.areas.items()} == {k: a.cells() for k, a in rebuilt.areas.items()}
    assert {k: a.warps for k, a in one.explored.areas.items()} == {k: a.warps for k, a in rebuilt.areas.items()}
    assert sum(sum(c.values()) for c in one.visits.values()) == len(maps_steps(runs / "quest-0"))
    both, _ = read_explored([runs / "quest-0", runs / "quest-1"])
    assert len(both.ends) == 2
    for key, area in one.explored.areas.items():
        assert area.cells() <= both.explored.areas[key].cells()
        assert all(both.visits[key][cell] >= n for cell, n in one.visits.get(key, {}).items())


def test_runs_without_a_map_position_are_refused_in_one_line(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "explored.png"
    with pytest.raises(BadInputError, match="has no map position") as refused:
        draw_explored([runs / "quest-0", runs / "generic"], out)
    assert "\n" not in str(refused.value) and str(runs / "generic") in str(refused.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_other_refusals(runs: Path, tmp_path: Path) -> None:
    classic = start_run(load_config(overrides={"rom": CLASSIC, "model": "mock", "budget.steps": 3}), tmp_path, "c")
    with pytest.raises(BadInputError, match="one game"):
        draw_explored([runs / "quest-0", classic.run_dir], tmp_path / "mixed.png")
    with pytest.raises(BadInputError, match=r"\.png or \.svg"):
        draw_explored([runs / "quest-0"], tmp_path / "explored.pdf")
    with pytest.raises(BadInputError, match="no runs"):
        draw_explored([], tmp_path / "none.png")
    assert not any(p.suffix in (".png", ".pdf") for p in tmp_path.iterdir())


def test_an_old_store_is_drawn_from_where_its_steps_stood(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(OLD_STORE, old)
    data, _ = read_explored([old])
    assert data.visits and all(a.cells() == a.visited and not a.warps for a in data.explored.areas.values())
    line = draw_explored([old], tmp_path / "old.png")
    assert "1 run(s)" in line and (tmp_path / "old.png").read_bytes().startswith(b"\x89PNG")
