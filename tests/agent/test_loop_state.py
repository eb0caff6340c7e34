"""The loop's state is built in one place (`animus.agent.state`): every piece a resume rebuilds equals the live
one, a best-of-N fork copies it whole and leaves the run's own caller alone, a fleet's gate reaches every
branch, and `start_run` / `resume_run` play with the model and the gate they are given."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

from pydantic import BaseModel

import animus
from animus.agent.loop import Agent
from animus.agent.models import Model, create_model
from animus.agent.state import LoopState, Rig
from animus.agent.types import Reply, Request
from animus.config import RunConfig, load_config
from animus.emulator import read_rom, rom_file
from animus.emulator.gameboy import GameBoy
from animus.games import Profile, choose_profile, load_profile
from animus.runs import rebuild
from animus.runs.buffer import BranchBuffer
from animus.runs.reader import RunReader
from animus.runs.runner import PROFILE_FILE, resume_run, start_run
from animus.runs.store import RunStore
from tests.conftest import CLASSIC

# A session-only cursor and wall time, not state a resume must reproduce: the rebuilt `last_event_id` is the newest
# event of the run, the live one the newest operator event applied (both read the same operator events next); the
# rebuilt `wall_before` is the earlier sessions' wall time, which the live session counts in its `Timing`.
# And a memo: the estimator's price of the tool specs it saw last, recomputed at its first use.
NOT_REBUILT = {"wall_before", "last_event_id", "_tools", "_tool_chars"}

BUSY = {
    "rom": CLASSIC,
    "model.name": "mock",
    "seed": 3,
    "budget.steps": 70,
    "stop_on_finish": False,
    "memory.context_tokens": 3000,
    "memory.notes_max_chars": 400,
    "watchdog.no_milestone_actions": 6,
    "watchdog.escalate_actions": 4,
}


def view(x: object, shared: tuple[object, ...]) -> object:
    """`x` as plain comparable values, object by object (the objects in `shared` stand for themselves)."""
    if any(x is s for s in shared):
        return ("shared", type(x).__name__)
    if x is None or isinstance(x, str | int | float | bytes | frozenset | Enum | BaseModel):
        return x
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        fields = [f.name for f in dataclasses.fields(x) if f.name not in NOT_REBUILT]
        return (type(x).__name__, {name: view(getattr(x, name), shared) for name in fields})
    if isinstance(x, dict):
        return {k: view(v, shared) for k, v in x.items()}
    if isinstance(x, list | tuple | deque):
        return [view(v, shared) for v in x]
    if isinstance(x, set):
        return x
    return (type(x).__name__, {k: view(v, shared) for k, v in vars(x).items() if k not in NOT_REBUILT})


def test_resume_rebuilds_every_piece_of_the_loop_state_as_it_was(tmp_path: Path) -> None:
    config = load_config(overrides=BUSY)
    live: list[tuple[LoopState, object]] = []

    def keep_last(agent: Agent) -> None:
        if agent.counters.step == config.budget.steps:
            live.append((agent.p.copy(shared=(agent.profile, agent.config)), agent.profile))

    def attach(agent: Agent) -> None:
        agent.on_step = keep_last

    start_run(config, tmp_path, "r", on_start=attach)
    ((state, live_profile),) = live
    run_dir = tmp_path / "r"
    profile = load_profile(str(run_dir / PROFILE_FILE))
    with RunStore.open(run_dir) as store, GameBoy(rom_file(config.rom)) as gb:
        rebuilt = rebuild.loop_state(store, gb, profile, config, config.budget.steps)
        events = store.memory_events()
    assert {e.kind for e in events} >= {"summary", "note_set", "note_delete", "stuck_warn"}, "a run with every piece"
    assert state.context.summary and state.context.base_notes and state.notes.items(), "memory to rebuild"
    for f in dataclasses.fields(LoopState):
        want = view(getattr(state, f.name), (live_profile,))
        got = view(getattr(rebuilt, f.name), (profile,))
        assert got == want, f"resume rebuilds the loop state's {f.name!r} differently from the live run"


class CountingGate:
    """A fleet's gate stand-in: counts the model calls made through it (from every branch's thread)."""

    def __init__(self) -> None:
        self.entered = 0
        self.held = 0  # calls inside it right now
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            self.entered += 1
            self.held += 1
        try:
            yield
        finally:
            with self._lock:
                self.held -= 1


class Counting:
    """A model around the mock that counts its requests and whether each came inside the gate."""

    def __init__(self, model: Model, gate: CountingGate) -> None:
        self.model, self.gate, self.name, self.sends_images = model, gate, "counting", model.sends_images
        self.steps: list[int] = []
        self.outside_gate = 0

    def respond(self, request: Request) -> Reply:
        self.steps.append(request.step)
        self.outside_gate += self.gate.held == 0
        return self.model.respond(request)


def test_start_and_resume_play_with_the_model_and_gate_they_are_given(tmp_path: Path) -> None:
    config = load_config(overrides={"rom": CLASSIC, "model.name": "mock", "seed": 2, "budget.steps": 12})
    gate = CountingGate()
    first = Counting(create_model("mock", config), gate)
    start_run(config, tmp_path, "g", model=first, gate=gate)
    with RunReader.open(tmp_path / "g") as reader:
        stored = [c.step for c in reader.calls()]
        assert reader.meta().model == "mock", "the meta records config.model.name, not the played model's name"
    assert first.steps == stored and len(stored) >= 12, "every model call of the run went to the given model"
    assert gate.entered == len(stored) and first.outside_gate == 0, "each call was made inside the gate"

    again = CountingGate()
    second = Counting(create_model("mock", config), again)
    end = resume_run(tmp_path / "g", {"steps": 20}, model=second, gate=again)
    with animus.open_run(tmp_path / "g") as run:
        more = [c.step for c in run.model_calls()][len(stored) :]
    assert end.steps == 20 and second.steps == more and min(more) > 12, "a resume plays with the given model"
    assert again.entered == len(more) and second.outside_gate == 0, "and makes each call inside its gate"


def test_a_fork_leaves_the_run_s_caller_alone_and_every_branch_keeps_the_fleet_s_gate(tmp_path: Path) -> None:
    config = load_config(
        overrides={"rom": CLASSIC, "seed": 1, "budget.steps": 30, "branching.branches": 3, "branching.horizon": 6},
        sets=('thinking.type="disabled"',),
    )
    gate = CountingGate()
    seen: dict[str, object] = {}

    def attach(agent: Agent) -> None:
        seen.update(agent=agent, caller=agent.p.caller, before=dict(vars(agent.p.caller)))

    start_run(config, tmp_path, "b", on_start=attach, gate=gate)  # as the fleet's worker does
    agent, caller, before = seen["agent"], seen["caller"], seen["before"]
    assert isinstance(agent, Agent) and isinstance(before, dict)
    assert agent.p.caller is caller, "the run keeps its own caller through every fork"
    after = vars(caller)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before if k != "in_flight"), (
        "nothing of the run's caller was changed by a fork or by taking a branch's state"
    )
    with animus.open_run(tmp_path / "b") as run:
        branches = run.branches()
        calls = len(run.model_calls()) + sum(len(run.branch_calls(b.id)) for b in branches)
    assert len({b.fork_step for b in branches}) >= 3
    assert gate.entered == calls > 0, "every branch's every model call went through the fleet's gate"


def quest(config: RunConfig) -> tuple[Path, Profile]:
    rom_path = rom_file(config.rom)
    _, rom = read_rom(rom_path)
    profile, _ = choose_profile(rom.title, rom.sha256, config.game.profile)
    return rom_path, profile


def test_a_fork_copies_the_loop_state_whole_and_take_adopts_a_branch_s(tmp_path: Path) -> None:
    config = load_config(overrides={"rom": CLASSIC, "model.name": "mock"})
    rom_path, profile = quest(config)
    with GameBoy(rom_path) as gb:
        rig = Rig(gb, profile, BranchBuffer(tmp_path), config, create_model("mock", config))
        agent = Agent(rig, LoopState.new(gb, profile, config))
        main = LoopState(**agent.p.pieces())
        fork = agent.p.copy(shared=(profile, config))
        for f in dataclasses.fields(LoopState):
            mine, theirs = getattr(main, f.name), getattr(fork, f.name)
            if not isinstance(mine, int | None | tuple) and not dataclasses.is_dataclass(mine):
                assert mine is not theirs, f"a fork shares the loop state's {f.name!r} with the run"
        assert fork.counters is not main.counters and fork.counters == main.counters
        assert fork.tracker.profile is profile, "the profile is shared, read-only"
        assert fork.context.estimator is fork.estimator, "the copy's context prices with the copy's estimator"
        caller, rig_gb, store = agent.p.caller, agent.p.gb, agent.p.store
        agent.take(fork)
        assert all(getattr(agent.p, f.name) is getattr(fork, f.name) for f in dataclasses.fields(LoopState))
        assert agent.counters is fork.counters
        assert (agent.p.caller, agent.p.gb, agent.p.store) == (caller, rig_gb, store), "what it plays on stays"
