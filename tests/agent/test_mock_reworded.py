"""The mock is not tied to one profile's wording: it finds the area, its cell and facing in the harness's minimap,
and the things on screen in the harness's text map, so a profile whose state text uses other labels in another
order is played all the same (issue 16). Without the minimap it has no position to go on."""

from __future__ import annotations

from pathlib import Path

import pytest

import animus
from tests.conftest import REPO, run_animus

PROFILE = REPO / "src" / "animus" / "games" / "profiles" / "animus-quest.toml"
# Other labels ("Location", "column", "looking", "Vigour ... out of", "Carrying"), another order (the position
# last, the screen's neighbours before the map), a battle without "Menu:", a title without "Press START".
REWORDED = '''[state]
template = "{mode:map} | Animus Quest world {world}"

[[state.section]]
when = "mode == 0 or mode == 4"
template = "Begin with START. Games completed: {playthroughs}."

[[state.section]]
when = "mode == 1 or mode == 2"
template = """Part {chapter} of the story. Vigour {hp} out of {max_hp}, {gems} gems.
Carrying -- sword: {sword:map}; crown: {crown:map}; keys bronze/silver/gold: \\
{bronze_key:map}/{silver_key:map}/{gold_key:map}.
Location: {area} (#{map}); column {x}, row {y}; looking {facing:map}. Walked {steps}."""

[[state.section]]
when = "mode == 1"
template = """{around}
{tilemap}"""

[[state.section]]
when = "mode == 2"
template = "{tilemap}"

[[state.section]]
when = "mode == 3"
template = "Fight against guardian {enemy}: you {hp}/{max_hp} vs it {enemy_hp}. Selected option: {cursor:map}."

'''


def reworded(tmp_path: Path) -> Path:
    """The bundled profile with its [state] replaced by `REWORDED` (everything else as it is)."""
    source = PROFILE.read_text(encoding="utf-8")
    start, end = source.index("[state]\n"), source.index("[position]")
    path = tmp_path / "reworded.toml"
    path.write_text(source[:start] + REWORDED + source[end:], encoding="utf-8")
    return path


def test_the_mock_finishes_with_a_reworded_state_text(tmp_path: Path) -> None:
    game = reworded(tmp_path)
    result = run_animus("run", "--game", str(game), "--runs-dir", str(tmp_path), "--name", "r", "--steps", "3000")
    assert result.returncode == 0, result.stderr
    assert "done — finished" in result.stdout
    with animus.open_run(tmp_path / "r") as run:
        assert len(run.milestones()) == 22
        texts = [row.state for row in run.steps()]
    walking = [t for t in texts if "Location: " in t]
    assert walking and not any(word in t for t in texts for word in ("Area: ", "You are at", "Items: ", "Menu: "))


def test_without_the_minimap_the_reworded_text_gives_no_position(tmp_path: Path) -> None:
    game = reworded(tmp_path)
    args = ["--game", str(game), "--set", "channels.minimap=false", "--steps", "300"]
    result = run_animus("run", *args, "--runs-dir", str(tmp_path), "--name", "blind")
    assert result.returncode == 0, result.stderr
    with animus.open_run(tmp_path / "blind") as run:
        reached = len(run.milestones())
    assert reached < 22, "the mock found its way without a position: the first test would prove nothing"


@pytest.mark.parametrize("world", [7])
def test_the_reworded_profile_on_another_world(tmp_path: Path, world: int) -> None:
    game = reworded(tmp_path)
    args = ["--game", str(game), "--world", str(world), "--steps", "3000"]
    result = run_animus("run", *args, "--runs-dir", str(tmp_path), "--name", "w")
    assert result.returncode == 0, result.stderr
    assert "done — finished" in result.stdout
