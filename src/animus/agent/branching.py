"""Best-of-N branching: parallel test-time compute for a run (`branching.branches` > 1).

At each fork the run's own line (the main `Agent`) stands still. N branch agents start from copies of its loop
state: the emulator state, the memory (summary, notes, context), the tracker, the watchdog and the counters. Each
plays with its own seed (branch 0 with the run's seed, so it is what the run alone would have done) until it has
made `branching.horizon` actions, or played 4 x horizon steps, or stopped on its own (finished, failed, stuck, a
budget). They play at the same time, one thread each: a remote model's requests overlap, and PyBoy releases the
GIL while it emulates. A scorer (`animus.agent.scorers`) ranks them, and the best is committed to the run store
in one transaction, as if the run had played it: `steps`, `model_calls` and the rest stay the committed line that
verify, the charts and the viewer read. Every branch gets a `branches` row; the others keep their steps and calls
in `branch_steps` and `branch_calls`. The main agent then takes over the winner's state and forks again.

The run's token and cost budgets hold for a fork as a whole, not per branch: before each of its model calls (act,
summary, reflection) a branch checks the run's totals, the fork's start plus every branch's spending so far
(`animus.agent.state.Spend`). When one runs out, each branch stops with the `BudgetExhausted` the run's line would
raise, the fork is committed as usual, and the run stops with that budget. The fork overshoots it by at most the
one call each branch had under way.

A fork is committed whole or not at all. A graceful stop (Ctrl-C, SIGTERM) stops every branch after its current
step and commits the best of what they played; a kill -9 loses the fork in progress (nothing of it was committed),
and a resumed run plays that fork again from its start. With the mock model a resumed run then continues exactly
as an uninterrupted one: branch seeds come from (run seed, fork step, branch number).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from animus.agent.loop import Agent
from animus.agent.models import Model, create_model
from animus.agent.scorers import BranchOutcome, BranchStatus, Scorer, choose, create_scorer
from animus.agent.state import Rig, Spend
from animus.errors import StopRun
from animus.games import GameState
from animus.runs.buffer import BranchBuffer
from animus.runs.rows import BranchRow, PlayedBranch

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy
    from animus.runs.store import RunStore

HORIZON = "horizon reached"
STEPS_PER_ACTION_CAP = 4  # a branch ends after horizon x this many steps even if it made fewer actions


def branch_seed(seed: int, fork_step: int, index: int) -> int:
    """The seed branch `index` plays with at the fork after `fork_step`: the run's own for branch 0."""
    if index == 0:
        return seed
    digest = hashlib.sha256(f"animus-branch:{seed}:{fork_step}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def play(main: Agent, store: RunStore, rom: Path) -> StopRun:
    """Play `main`'s run with best-of-N branching until something stops it; return what stopped it."""
    from animus.emulator.gameboy import GameBoy

    cfg = main.config
    scorer = create_scorer(cfg.branching.scorer)
    with ExitStack() as stack, ThreadPoolExecutor(cfg.branching.branches, thread_name_prefix="branch") as pool:
        slots, temperatures = [], cfg.branching.temperatures
        for i in range(cfg.branching.branches):
            gb = stack.enter_context(GameBoy(rom))
            own = cfg
            if temperatures:  # a remote model's branches differ by sampling; a mock's by its seed
                t = temperatures[i % len(temperatures)]
                own = cfg.model_copy(update={"model": cfg.model.model_copy(update={"temperature": t})})
            slots.append(_Slot(gb, create_model(cfg.model.name, own)))
        return Brancher(main, store, slots, scorer, pool).run()


@dataclass
class _Slot:
    """What a branch keeps from fork to fork: its emulator and its model."""

    gb: GameBoy
    model: Model


@dataclass
class _Branch:
    index: int
    seed: int
    agent: Agent
    buffer: BranchBuffer
    stop: StopRun | None = None
    asked_to_stop: bool = False  # it reached its horizon, and the fork asked it to stop there

    @property
    def at_horizon(self) -> bool:
        """It ended at its horizon: the fork asked it to stop, and nothing else (finished, failed, stuck) came first.
        A fact kept here, not read from the stop's reason (the reason is text for people)."""
        assert self.stop is not None
        return self.asked_to_stop and self.stop.status == "stopped"

    @property
    def status(self) -> BranchStatus:
        assert self.stop is not None
        return "horizon" if self.at_horizon else self.stop.status


class Brancher:
    """Forks, plays, scores and commits until something stops the run (see the module docstring)."""

    def __init__(self, main: Agent, store: RunStore, slots: list[_Slot], scorer: Scorer, pool: ThreadPoolExecutor):
        self.main, self.store, self.slots, self.scorer, self.pool = main, store, slots, scorer, pool
        # Positions the committed line has visited (novelty); screens come from the tracker.
        self.positions = {GameState.from_json(row.state).position for row in store.steps()}
        self.positions.add(main.p.state.position)

    def run(self) -> StopRun:
        try:
            while True:
                self.main.check_budgets()
                branches = self.play_branches()
                best = self.choose(branches)
                self.commit(best, branches)
                assert best.stop is not None
                if not best.at_horizon:
                    return best.stop
        except StopRun as stop:
            return stop

    def play_branches(self) -> list[_Branch]:
        """Play every branch from the current state at once; return them when all have stopped."""
        main, fork_state = self.main, self.main.p.gb.save_state()
        notices = main.take_operator_notes()  # a branch's buffer sees no operator: the run's line reads them here
        spend = Spend(main.config.budget, main.counters)  # the fork's budgets count every branch's calls
        branches = [self.fork(i, slot, fork_state, spend) for i, slot in enumerate(self.slots)]
        for b in branches:
            b.agent.carried_notices = list(notices)
        futures: dict[Future[StopRun], _Branch] = {self.pool.submit(b.agent.run): b for b in branches}
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2)
            if main.stop_requested:  # a signal reached the run: every branch stops after its current step
                for b in branches:
                    b.agent.stop_requested = b.agent.stop_requested or main.stop_requested
        for future, branch in futures.items():
            branch.stop = future.result()  # an unexpected error in a branch is raised here, as in a plain run
        return branches

    def fork(self, index: int, slot: _Slot, fork_state: bytes, spend: Spend) -> _Branch:
        """A branch agent on `slot`, starting from a copy of the main agent's loop state. It is built as every
        agent is (`Agent(rig, loop)`), with a caller of its own: its model, its buffer, and a gate of the fleet's
        limits and the fork's budget check (`spend`, which counts this branch's counters)."""
        m = self.main
        seed = branch_seed(m.config.seed, m.counters.step, index)
        config = m.config.model_copy(update={"seed": seed})
        loop = m.p.copy(shared=(m.profile, m.config))  # those two are read-only
        slot.gb.load_state(fork_state)
        buffer = BranchBuffer(self.store.run_dir)
        spend.add(loop.counters)
        main_caller = m.p.caller  # a fleet's shared limits hold for every branch; a missing price warns once
        gate = spend.gate(main_caller.gate)
        rig = Rig(slot.gb, m.profile, buffer, config, slot.model, gate=gate, warned=main_caller.warned)
        agent = Agent(rig, loop)
        # The session's clock, not the branch's: its time budget and its milestones' wall_seconds count the time
        # the session played before this fork (the run's earlier sessions are in its counters).
        agent.timing.started = m.timing.started
        counters = agent.counters
        start_actions, start_step, horizon = counters.actions, counters.step, m.config.branching.horizon

        branch = _Branch(index, seed, agent, buffer)

        def at_horizon(a: Agent) -> None:
            c = a.counters
            reached = c.actions - start_actions >= horizon or c.step - start_step >= horizon * STEPS_PER_ACTION_CAP
            if reached and not a.stop_requested:
                a.stop_requested, branch.asked_to_stop = HORIZON, True

        agent.on_step = at_horizon
        return branch

    def choose(self, branches: list[_Branch]) -> _Branch:
        """Score the branches; mark each with its key. Returns the winner."""
        outcomes = [self.outcome(b) for b in branches]
        best, keys = choose(self.scorer, outcomes)
        self._keys = keys
        return branches[best]

    def outcome(self, b: _Branch) -> BranchOutcome:
        steps = [r.step for r in b.buffer.steps]
        start = self.main.counters.actions
        positions = {GameState.from_json(s.state).position for s in steps} - self.positions
        screens = {s.screen for s in steps} - self.main.tracker.screens
        reached = tuple((m.id, m.actions - start) for r in b.buffer.steps for m in r.milestones)
        actions = (steps[-1].actions - start) if steps else 0
        first = steps[0].inputs if steps else ""
        new_positions, new_screens = len(positions), len(screens)
        return BranchOutcome(b.index, b.seed, len(steps), actions, reached, first, new_positions, new_screens, b.status)

    def commit(self, best: _Branch, branches: list[_Branch]) -> None:
        """Store the fork (one transaction), then let the main agent carry on from the winner's state."""
        fork_step, start = self.main.counters.step, self.main.counters.actions
        played: dict[int, PlayedBranch] = {}
        for b in branches:
            assert b.stop is not None
            calls, steps = b.buffer.calls, b.buffer.steps
            costs = [c.cost for c in calls]
            row = BranchRow(
                id=0,
                fork_step=fork_step,
                branch=b.index,
                seed=b.seed,
                chosen=b is best,
                score=json.dumps(self._keys[b.index]),
                steps=len(steps),
                actions=(steps[-1].step.actions - start) if steps else 0,
                milestones=json.dumps([m.id for r in steps for m in r.milestones]),
                tokens=sum(c.tokens for c in calls),
                cost=None if None in costs else sum(c for c in costs if c is not None),
                status=b.status,
                reason=b.stop.reason,
            )
            played[b.index] = b.buffer.played(row)
        self.store.commit_branches(played[best.index], [played[b.index] for b in branches if b is not best])
        if best.buffer.meta:
            self.store.set_meta(**best.buffer.meta)
        self.adopt(best, [b for b in branches if b is not best])

    def adopt(self, best: _Branch, others: list[_Branch]) -> None:
        """The main agent takes the winner's state; the others' spending joins its counters (budgets count it)."""
        m, w = self.main, best.agent
        m.p.gb.load_state(w.p.gb.save_state())
        m.take(w.p)
        for other in others:
            for call in other.buffer.calls:
                m.counters.tokens += call.tokens
                if call.cost is None:
                    m.counters.unpriced_calls += 1
                else:
                    m.counters.cost += call.cost
        self.positions |= {GameState.from_json(r.step.state).position for r in best.buffer.steps}
        if m.on_step is not None and best.buffer.steps:
            m.on_step(m)
