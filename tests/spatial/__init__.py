"""The explored-map memory (`animus.spatial`) and navigate_to, on the bundled Animus Quest, world 0.

Runs are played in process by the scripted model (`scripted:PATH`, one reply per step), so every step's tool calls
are exact. The helpers below are shared by this package's test modules (a test module never imports another).

World 0 as the cartridge generates it (`cartridge/solve.py` reads it from RAM; `world0` returns it): a new game
starts in MY HOUSE (map 0) at (9,5) facing down; the house is walled all round with floor inside, MOTHER stands at
(14,8) and the door at (10,13) leads to MISTY CROSS (map 14), arriving at (10,1); that area's house door (10,0)
leads back, arriving at (10,12). Row 1 of MISTY CROSS is floor from x=1 to x=18.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import animus
from animus.agent.loop import Agent
from animus.agent.models import Model, create_model
from animus.agent.types import Reply as ModelReply
from animus.agent.types import Request
from animus.config import load_config
from animus.games import GameState
from animus.games.spatial import OPEN, WALL, WARP, Cell
from animus.runs.rows import StepRow
from animus.runs.runner import start_run
from animus.spatial.explored import ExploredMap
from tests.conftest import REPO

HOME, TOWN = 0, 14  # MY HOUSE and MISTY CROSS, world 0's map ids
FACING = {0: "down", 1: "up", 2: "left", 3: "right"}  # the profile's [maps.facing]
WIDTH, HEIGHT = 20, 14  # one area is one screen of 20 x 14 cells

Reply = dict[str, Any]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """One tool call of a scripted reply."""
    return {"name": name, "input": arguments}


def press(*buttons: str) -> dict[str, Any]:
    return call("press_buttons", buttons=list(buttons))


def nav(x: Any, y: Any, **more: Any) -> dict[str, Any]:
    return call("navigate_to", x=x, y=y, **more)


def reply(*calls: dict[str, Any]) -> Reply:
    return {"text": "", "tool_calls": list(calls)}


# The first reply of every script: START on the title, then the frames the cartridge takes to generate the world.
START = reply(press("start"), call("wait", frames=200))


def play(
    runs: Path,
    name: str,
    replies: Iterable[Reply],
    *sets: str,
    steps: int | None = None,
    profile: Path | None = None,
    on_start: Callable[[Agent], None] | None = None,
    requests: list[Request] | None = None,
) -> Path:
    """Play `replies` (one per step) as the scripted model on world 0 of the bundled cartridge; return the run
    directory. `sets` are `--set` items; `steps` a step budget (the run otherwise ends when the script does);
    `profile` a profile file to play with (`--game PATH`); `on_start` gets the agent before its first step;
    `requests`, when given, receives every request the model was sent."""
    runs.mkdir(parents=True, exist_ok=True)
    script = runs / f"{name}.jsonl"
    script.write_text("".join(json.dumps(r) + "\n" for r in replies), encoding="utf-8")
    budget = () if steps is None else (f"budget.steps={steps}",)
    overrides = {"model": f"scripted:{script}", "game.profile": None if profile is None else str(profile)}
    config = load_config(overrides=overrides, sets=(*sets, *budget))
    model = None if requests is None else Keep(create_model(config.model.name, config), requests)
    return start_run(config, runs, name, on_start=on_start, model=model).run_dir


class Keep:
    """Stands between the loop and its model, keeping the requests it was sent."""

    def __init__(self, model: Model, requests: list[Request]) -> None:
        self.model, self.name, self.sends_images, self.requests = model, model.name, model.sends_images, requests

    def respond(self, request: Request) -> ModelReply:
        self.requests.append(request)
        return self.model.respond(request)


def steps(run_dir: Path) -> list[StepRow]:
    with animus.open_run(run_dir) as run:
        return list(run.steps())


def where(row: StepRow) -> tuple[int, int, int]:
    """(map, x, y) after the step, from its stored game state."""
    state = GameState.from_json(row.state)
    return state.value("map"), state.value("x"), state.value("y")  # type: ignore[return-value]


def value(row: StepRow, name: str) -> Any:
    return GameState.from_json(row.state).value(name)


def results(row: StepRow) -> list[str]:
    """The step's tool results, as the model reads them."""
    return [r["content"] for r in json.loads(row.tool_results)]


def errors(row: StepRow) -> list[bool]:
    return [r["is_error"] for r in json.loads(row.tool_results)]


def inputs(row: StepRow) -> list[list[Any]]:
    """The step's logged inputs: [[buttons...], hold, wait] each."""
    return json.loads(row.inputs)  # type: ignore[no-any-return]


def delta(row: StepRow) -> dict[str, list[list[Any]]]:
    """The step's stored map delta as JSON ({} when the step taught nothing, stored as NULL)."""
    return json.loads(row.map_delta) if row.map_delta is not None else {}


def folded(rows: Iterable[StepRow]) -> ExploredMap:
    return ExploredMap.rebuild(row.map_delta for row in rows)


def act_texts(run_dir: Path) -> dict[int, str]:
    """Per step, the last user turn of the step's act request (`model_calls.request_delta`)."""
    out: dict[int, str] = {}
    with animus.open_run(run_dir) as run:
        for c in run.model_calls():
            if c.purpose == "act":
                turns = json.loads(c.request_delta)
                out[c.step] = next(t["text"] for t in reversed(turns) if t["role"] == "user")
    return out


def minimap_of(text: str) -> str | None:
    """The minimap in an observation's text: from its header to the end (it is the state's last part)."""
    at = text.find("Explored map of ")
    return None if at < 0 else text[at:]


@functools.cache
def _solver() -> ModuleType:
    """cartridge/solve.py under a name of its own (no `solve` left on sys.path: other cartridges have one too)."""
    name = "tests_spatial_quest_solve"
    spec = importlib.util.spec_from_file_location(name, REPO / "cartridge" / "solve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@functools.cache
def world0() -> Any:
    """World 0's block as the cartridge generates it (`solve.World`: names, tiles per area, features)."""
    return _solver().read_world(0)


def truth(area: int) -> dict[Cell, str]:
    """What each cell of `area` in world 0 is, as the profile's [collision] classes it: floor OPEN, door WARP, the
    rest (walls, trees, people, ...) WALL."""
    solve = _solver()
    tiles = world0().tiles[area]
    kinds = {solve.FLOOR: OPEN, solve.DOOR: WARP}
    return {(x, y): kinds.get(tiles[y * WIDTH + x], WALL) for y in range(HEIGHT) for x in range(WIDTH)}
