"""The replay viewer's explored map: `/api/map/N` against a fold of the stored map deltas, its cache, runs without a
map, and the map panel in a real browser."""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from animus.config import load_config
from animus.games import GameState, load_profile
from animus.games.spatial import Spot
from animus.inspect import viewer_map
from animus.inspect.server import ViewerServer, make_server
from animus.runs.reader import RunReader
from animus.runs.runner import start_run
from animus.spatial import minimap
from animus.spatial.explored import Area, ExploredMap
from tests.conftest import REPO
from tests.helpers import get
from tests.inspect.conftest import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PLAYER_RGB = (124, 196, 255)  # map.js's PLAYER_COLOR, #7cc4ff
OLD_STORE = REPO / "tests" / "fixtures" / "stores" / "v5-mock-done"  # schema 5: no map_delta column


@pytest.fixture(scope="module")
def quest_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 steps of the mock on the bundled Animus Quest (world 0): it leaves the house and walks a few areas."""
    runs = tmp_path_factory.mktemp("map-runs")
    config = load_config(overrides={"model": "mock", "seed": 0, "budget.steps": 120})
    end = start_run(config, runs, "quest")
    assert end.steps == 120
    return end.run_dir


@pytest.fixture(scope="module")
def quest_server(quest_run: Path) -> Iterator[ViewerServer]:
    with serving(quest_run) as srv:
        yield srv


def spots(run_dir: Path) -> dict[int, Spot | None]:
    """Each step's spot, as the profile reads it from the step's stored state."""
    profile = load_profile(str(run_dir / "profile.toml"))
    with RunReader.open(run_dir) as store:
        return {row.step: profile.spot(dict(GameState.from_json(row.state).values)) for row in store.steps()}


def folded(run_dir: Path, step: int) -> tuple[ExploredMap, Spot | None, int | None]:
    """The map after `step` from scratch, and where the player last stood on the map (and when)."""
    with RunReader.open(run_dir) as store:
        explored = ExploredMap.rebuild(row.map_delta for row in store.steps(1, step))
    on_map = [(n, s) for n, s in spots(run_dir).items() if n <= step and s is not None]
    return explored, on_map[-1][1] if on_map else None, on_map[-1][0] if on_map else None


def door_step(run_dir: Path) -> int:
    """The first step that ends on the map after walking through a warp (a step whose delta learnt one)."""
    by_step = spots(run_dir)
    with RunReader.open(run_dir) as store:
        return next(r.step for r in store.steps() if r.map_delta and '"w"' in r.map_delta and by_step[r.step])


class CountingReader:
    """A `RunReader` that counts the step rows read through it."""

    def __init__(self, store: RunReader) -> None:
        self.store, self.rows = store, 0
        self.schema_version = store.schema_version

    def meta(self) -> Any:
        return self.store.meta()

    def steps(self, start: int = 1, stop: int | None = None) -> Iterator[Any]:
        for row in self.store.steps(start, stop):
            self.rows += 1
            yield row


# -- the API ---------------------------------------------------------------------------------------------------------


def test_the_map_at_any_step_is_the_stored_deltas_folded(quest_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked in any order, with checkpoints close enough to be thinned out, every step's map is the one a fold of
    steps 1..N gives: its cells, the player, the warps, and the minimap text the model read (without the sight)."""
    monkeypatch.setattr(viewer_map, "CHECKPOINT_EVERY", 4)
    monkeypatch.setattr(viewer_map, "MAX_CHECKPOINTS", 3)
    folds = viewer_map.MapFolds(quest_run)
    order = list(range(121))
    random.Random(7).shuffle(order)
    with RunReader.open(quest_run) as store:
        for step in [120, 119, 3, *order[:40], 0, 60, 61, 62]:
            got = folds.payload(store, step)
            explored, spot, when = folded(quest_run, step)
            assert got["available"] and got["step"] == step
            assert got["known_cells_total"] == sum(len(a.cells()) for a in explored.areas.values())
            if spot is None:
                assert got["map"] is None and got["player"] is None
                continue
            area = explored.areas.get(spot.map) or Area()
            assert got["map"] == viewer_map.grid_json(explored, area, spot)
            player = {"x": spot.x, "y": spot.y, "facing": spot.facing, "here": when == step, "step": when}
            assert got["player"] == player
            assert got["minimap"] == minimap.render(explored, spot, None, 10, 2400)
            warps = [(w["map"], w["x"], w["y"], w["target"], w["target_name"], w["here"]) for w in got["warps"]]
            want = [
                (w.source, *w.cell, w.target, explored.name(w.target), w.source == spot.map) for w in explored.warps()
            ]
            assert sorted(warps, key=str) == sorted(want, key=str)
            assert [w[5] for w in warps] == sorted((w[5] for w in warps), reverse=True)  # this map's warps first
    assert len(folds._checkpoints) <= 3 and folds._every >= 32  # the spacing doubled instead of the list growing


def test_folding_reads_only_the_new_steps(quest_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Playing forward folds one step per request; jumping back folds from a checkpoint, not from step 1."""
    monkeypatch.setattr(viewer_map, "CHECKPOINT_EVERY", 16)
    folds = viewer_map.MapFolds(quest_run)
    with RunReader.open(quest_run) as raw:
        store: Any = CountingReader(raw)
        folds.payload(store, 100)
        assert store.rows == 100
        for step in range(101, 111):
            store.rows = 0
            folds.payload(store, step)
            assert store.rows == 1
        store.rows = 0
        folds.payload(store, 50)  # from the checkpoint at 48
        assert store.rows == 2
        store.rows = 0
        folds.payload(store, 110)  # from the checkpoint at 96
        assert store.rows == 14


def test_a_step_off_the_map_shows_where_the_player_last_stood(quest_server: ViewerServer, quest_run: Path) -> None:
    by_step = spots(quest_run)
    step = next(n for n, s in by_step.items() if s is None and any(by_step[k] for k in range(1, n)))
    before = max(k for k in range(1, step) if by_step[k] is not None)
    got = get(quest_server, f"/api/map/{step}")
    spot = by_step[before]
    assert spot is not None
    assert got["player"] == {"x": spot.x, "y": spot.y, "facing": spot.facing, "here": False, "step": before}
    assert "off the map" in got["reason"] and got["map"]["id"] == spot.map


def test_runs_without_a_map_show_nothing(quest_server: ViewerServer, tmp_path: Path) -> None:
    config = load_config(overrides={"model": "mock", "game": "generic", "budget.steps": 5})
    generic = start_run(config, tmp_path, "generic").run_dir
    srv = make_server(generic)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        for step in (0, 3, 5):
            got = get(srv, f"/api/map/{step}")
            assert got["available"] is False and got["map"] is None and "no map position" in got["reason"]
    finally:
        srv.shutdown()
        srv.close()
        thread.join(5)
    old = tmp_path / "old"
    shutil.copytree(OLD_STORE, old)
    with RunReader.open(old) as store:
        got = viewer_map.MapFolds(old).payload(store, 3)
    assert got["available"] is False and "schema 6" in got["reason"]
    with pytest.raises(Exception, match="404"):
        get(quest_server, "/api/map/100000")


# -- the page in a browser -----------------------------------------------------------------------------------------


def select_step(page: Any, step: int) -> None:
    """Drag the timeline's scrubber to `step`, as a user does, and wait for the map panel to show it."""
    page.evaluate(
        "(n) => { const s = document.getElementById('scrubber'); s.value = String(n);"
        " s.dispatchEvent(new Event('input', { bubbles: true })); }",
        step,
    )
    page.wait_for_selector(f"#map-panel[data-step='{step}']", state="attached")


def player_pixel(page: Any, got: dict[str, Any]) -> tuple[int, int, int]:
    """The canvas pixel at the center of the player's cell, as the panel drew it."""
    x, y = got["player"]["x"] - got["map"]["x0"], got["player"]["y"] - got["map"]["y0"]
    rgba = page.evaluate(
        "([x, y]) => { const c = document.getElementById('map-canvas'); const size = Number(c.dataset.cell);"
        " const r = c.width / c.clientWidth; const px = Math.floor((x + 0.5) * size * r);"
        " const py = Math.floor((y + 0.5) * size * r);"
        " return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data); }",
        [x, y],
    )
    return rgba[0], rgba[1], rgba[2]


def test_the_map_panel_shows_the_player_and_the_warps(quest_server: ViewerServer, quest_run: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    door = door_step(quest_run)
    by_step = spots(quest_run)
    inside = by_step[door]
    earlier = next(n for n in range(1, door) if by_step[n] is not None)
    assert inside is not None and door > earlier
    after, first = get(quest_server, f"/api/map/{door}"), get(quest_server, f"/api/map/{earlier}")
    names = {w["target_name"] for w in after["warps"]}
    assert after["player"]["here"] and names and not any(n.startswith("map ") for n in names)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(quest_server.url)
            page.wait_for_selector("#map-panel[data-step='0']", state="attached")

            select_step(page, door)
            panel = page.locator("#map-panel")
            assert panel.is_visible()
            assert panel.get_attribute("data-player") == f"{inside.map},{inside.x},{inside.y}"
            assert panel.get_attribute("data-here") == "1"
            assert inside.name in page.inner_text("#map-title")
            assert player_pixel(page, after) == PLAYER_RGB
            warps = page.inner_text("#warps")
            assert any(name in warps for name in names)
            page.click("#minimap-box > summary")
            assert f"you are @ at x={inside.x}, y={inside.y}" in page.inner_text("#minimap")
            known_after = int(panel.get_attribute("data-known-total") or "0")

            select_step(page, earlier)
            spot = by_step[earlier]
            assert spot is not None
            assert panel.get_attribute("data-player") == f"{spot.map},{spot.x},{spot.y}"
            assert int(panel.get_attribute("data-known-total") or "0") == first["known_cells_total"] < known_after
            assert player_pixel(page, first) == PLAYER_RGB
            assert page.inner_text("#warps") != warps
            assert errors == []
        finally:
            browser.close()
