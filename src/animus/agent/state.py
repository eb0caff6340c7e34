"""The loop's state, and what it plays on: the one place where both are defined.

An `Agent` is built in one way only, `Agent(rig, loop)`:
- `Rig` is what the loop plays on and with, none of it rebuilt from the store: the emulator, the profile, the
  recorder, the config and the model (plus how a session calls it: the step whose stored replies a resume reuses,
  a fleet's gate, the models already warned of). Each session, and each best-of-N branch, has its own, except
  what a run's branches share with its own rig: the profile, the fleet's gate (its limits hold for every branch)
  and the `warned` set (a model without a price, or prompts the server cuts, are warned of once per session).
- `LoopState` is everything the loop carries from one step to the next. It comes from exactly three places: a new
  run (`LoopState.new`), a resume (`animus.runs.rebuild.loop_state`, from the store's rows only) and a best-of-N
  fork (`LoopState.copy`, a deep copy of the main agent's); a fork's winner goes back through `Agent.take`.
- `Spend` is a best-of-N fork's shared ledger: the run's tokens and cost at the fork plus every branch's since. It
  is no loop state: it lives only while its fork plays, each branch's calls check it through the branch's gate, and
  there is nothing of it to rebuild on resume.

A new piece of loop state is a field of `LoopState`, its value for a new run in `LoopState.new`, and its rebuild
rule in `runs/rebuild.py` (with a test that kills a run and compares it with an uninterrupted one). A fork copies
it and the run takes the winner's without further code. docs/architecture.md has the table of every piece.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from animus.agent.types import ToolResult
from animus.agent.watchdog import Alarm, Watchdog
from animus.errors import BudgetExhausted
from animus.games import GameState, Tracker
from animus.memory import Notes
from animus.memory.context import Context
from animus.memory.tokens import HeuristicEstimator, TokenEstimator
from animus.spatial.explored import ExploredMap

if TYPE_CHECKING:
    from animus.agent.models import Model
    from animus.config import BudgetConfig, RunConfig
    from animus.emulator.gameboy import GameBoy
    from animus.games import Profile
    from animus.runs.buffer import Recorder

# Entered around each model call when set (a fleet's shared limits: animus.fleet.limits.Gate).
Gate = Callable[[], AbstractContextManager[object]]


@dataclass
class Counters:
    """The loop's running totals, as of the last committed step. Rebuilt from the store on resume."""

    step: int = 0
    actions: int = 0
    actions_at_milestone: int = 0
    bad_streak: int = 0
    tokens: int = 0
    cost: float = 0.0  # of the calls with a price
    unpriced_calls: int = 0  # calls whose cost is unknown (no price in the config)
    wall_before: float = 0.0  # wall seconds spent in earlier sessions of this run
    memory_version: int = 0  # memory events applied so far
    last_event_id: int = 0  # the newest memory event applied (operator notes arrive as events)
    last_results: tuple[ToolResult, ...] = ()

    def check_spend(self, budget: BudgetConfig) -> None:
        """Raise `BudgetExhausted` when these totals have reached the token or the cost budget."""
        check_spend(budget, self.tokens, self.cost)


def check_spend(budget: BudgetConfig, tokens: int, cost: float) -> None:
    """Raise `BudgetExhausted` when a run's `tokens` or `cost` so far have reached its token or cost budget: the one
    place these two budgets are checked, for a run's line (`Counters.check_spend`) and a fork's branches (`Spend`)."""
    if budget.max_tokens is not None and tokens >= budget.max_tokens:
        raise BudgetExhausted(f"token budget reached ({tokens} of {budget.max_tokens} tokens)", "tokens")
    if budget.max_cost is not None and cost >= budget.max_cost:
        raise BudgetExhausted(f"cost budget reached (${cost:.2f} of ${budget.max_cost:.2f})", "cost")


class Spend:
    """What a run has spent while a best-of-N fork plays: its tokens and cost when the fork started, plus what each
    branch has spent since. Branches play at the same time on copies of the counters, so none of them sees the
    others' calls; the token and cost budgets are checked against this instead, before every call a branch makes
    (act, summary and reflection alike), through the branch's gate (`gate`).

    A branch's caller books each call into the branch's own counters before the branch can ask again, and `Spend`
    reads them (each is written by its own branch's thread only). So when a budget runs out, a branch makes no further
    call, and the calls over the budget are at most the one each branch had under way: the overshoot is at most one
    call per branch. A `Spend` lives only while its fork plays: it is no loop state, and there is nothing to rebuild.
    """

    def __init__(self, budget: BudgetConfig, at_fork: Counters) -> None:
        self.budget, self.tokens_at_fork, self.cost_at_fork = budget, at_fork.tokens, at_fork.cost
        self._branches: list[Counters] = []

    def add(self, counters: Counters) -> None:
        """Count the spending of a branch that plays on `counters` (a copy of the counters at the fork)."""
        self._branches.append(counters)

    def totals(self) -> tuple[int, float]:
        """The run's tokens and cost so far: the fork's start plus every branch's spending since."""
        tokens, cost, branches = self.tokens_at_fork, self.cost_at_fork, list(self._branches)
        return tokens + sum(c.tokens - tokens for c in branches), cost + sum(c.cost - cost for c in branches)

    def check(self) -> None:
        """Raise the `BudgetExhausted` the run's line would raise with these totals."""
        check_spend(self.budget, *self.totals())

    def gate(self, inner: Gate | None = None) -> Gate:
        """A branch's gate: `inner` (a fleet's limits), then this check, around each of the branch's model calls."""

        @contextmanager
        def checked() -> Iterator[None]:
            with inner() if inner is not None else nullcontext():
                self.check()  # after waiting for a fleet's slot: the others may have spent meanwhile
                yield

        return checked


@dataclass
class Timing:
    """Where a session's wall time went (the loop benchmark reads it). An agent's own, never loop state.

    `emulation` and `model` are this agent's own seconds. `started` is when the session's clock started: a new
    agent's when it is made, but a best-of-N branch agent keeps the session's (`Brancher.fork`), so its time budget
    and the `wall_seconds` of its milestones count the session's time before the fork."""

    emulation: float = 0.0
    model: float = 0.0
    started: float = field(default_factory=time.perf_counter)


@dataclass
class LoopState:
    """What the loop carries from one step to the next (see the module docstring for where it comes from)."""

    state: GameState  # the game state after the last step
    tracker: Tracker
    notes: Notes
    context: Context
    estimator: TokenEstimator
    watchdog: Watchdog
    counters: Counters
    alarm: Alarm | None  # the watchdog's alarm after the last step
    context_tokens: int  # the context budget: memory.context_tokens, lowered for a session if the model overflows
    max_tokens: int  # the largest reply: model.max_tokens, lowered for a session to fit the model's context window
    explored: ExploredMap  # the maps as far as the run's steps have shown them

    @classmethod
    def new(cls, gb: GameBoy, profile: Profile, config: RunConfig) -> LoopState:
        """The state of a new run, before its first step, with `gb` at the start state."""
        est = HeuristicEstimator.for_config(config)
        return cls(
            state=profile.read(gb, config.channels.hidden),
            tracker=Tracker(profile),
            notes=Notes(config.memory.notes_max_chars),
            context=Context(est),
            estimator=est,
            watchdog=Watchdog(config.watchdog),
            counters=Counters(),
            alarm=None,
            context_tokens=config.memory.context_tokens,
            max_tokens=config.model.max_tokens,
            explored=ExploredMap(),
        )

    def pieces(self) -> dict[str, Any]:
        """The pieces by field name (of `LoopState` only, when `self` is a subclass such as the loop's `Parts`)."""
        return {f.name: getattr(self, f.name) for f in fields(LoopState)}

    def copy(self, shared: Iterable[object] = ()) -> LoopState:
        """A deep copy for a best-of-N branch: nothing of it is shared with `self`, except the objects in `shared`
        (read-only ones such as the profile and the config), which are kept as they are."""
        memo = {id(obj): obj for obj in shared}
        return copy.deepcopy(LoopState(**self.pieces()), memo)


@dataclass(frozen=True)
class Rig:
    """What a loop plays on and with (see the module docstring). The agent builds its `ModelCaller` from it."""

    gb: GameBoy
    profile: Profile
    store: Recorder  # the run store; a branch's in-memory buffer while best-of-N branches play
    config: RunConfig
    model: Model
    resume_step: int | None = None  # a resumed session's first step: replies stored for it are used again
    gate: Gate | None = None  # a fleet's, shared by a run's branches; a branch's also checks its fork's `Spend`
    warned: set[str] = field(default_factory=set)  # warnings given once a session; a run's branches share it
