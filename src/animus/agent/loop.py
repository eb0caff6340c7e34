"""`Agent`: the loop that plays. Observe -> respond -> act -> record, one step per model reply.

Everything the loop knows lives in the run store or can be rebuilt from it (`animus.runs.runner` does that on
resume): the emulator state (keyframes + logged inputs), the milestones, the notes, the conversation window and
the counters below. Flow control is by exceptions: `StopRun` (and `BudgetExhausted`) end the loop with a status
and a reason; a bad tool call is a result the model reads, never an exception here.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from animus.agent import prompts, tools
from animus.agent.context import Context
from animus.agent.types import Memory, Observation, Reply, Request, ToolResult, UserTurn
from animus.errors import BudgetExhausted, StopRun
from animus.runs.rows import KeyframeRow, MemoryEventRow, MilestoneRow, ModelCallRow, StepRow

if TYPE_CHECKING:
    import numpy as np

    from animus.agent.models import Model
    from animus.config import RunConfig
    from animus.emulator.gameboy import GameBoy
    from animus.games import GameState, Milestone, Profile, Tracker
    from animus.memory import Notes
    from animus.runs.store import RunStore


@dataclass
class Counters:
    """The loop's running totals, as of the last committed step. Rebuilt from the store on resume."""

    step: int = 0
    actions: int = 0
    actions_at_milestone: int = 0
    bad_streak: int = 0
    tokens: int = 0
    cost: float = 0.0
    wall_before: float = 0.0  # wall seconds spent in earlier sessions of this run
    memory_version: int = 0
    last_results: tuple[ToolResult, ...] = ()


@dataclass
class Timing:
    """Where this session's wall time went (the loop benchmark reads it)."""

    emulation: float = 0.0
    model: float = 0.0
    started: float = field(default_factory=time.perf_counter)


class Agent:
    """Plays one run until a budget, the final milestone, a signal or repeated bad calls stop it."""

    def __init__(
        self,
        *,
        gb: GameBoy,
        profile: Profile,
        model: Model,
        store: RunStore,
        config: RunConfig,
        state: GameState,
        tracker: Tracker,
        notes: Notes,
        context: Context,
        counters: Counters,
        pending: ModelCallRow | None = None,
        on_step: Callable[[Agent], None] | None = None,
    ) -> None:
        self.gb, self.profile, self.model, self.store, self.config = gb, profile, model, store, config
        self.state, self.tracker, self.notes, self.context, self.counters = state, tracker, notes, context, counters
        self.pending = pending  # a reply stored for the next step but never executed (resume after a kill)
        self.on_step = on_step
        self.system = prompts.system_prompt(profile.name)
        self.tool_specs = tools.tool_specs(config.tools)
        self.timing = Timing()
        self.stop_requested: str | None = None

    def run(self) -> StopRun:
        """Play until something stops the run; return what stopped it (the caller records it)."""
        try:
            while True:
                self.check_budgets()
                obs = self.observe()
                reply = self.respond(obs)
                executed, frame_start = self.act(reply)
                self.record(executed, frame_start)
        except StopRun as stop:
            return stop

    # -- the four verbs ----------------------------------------------------------------------------------------

    def check_budgets(self) -> None:
        """Raise `StopRun` for a requested stop, `BudgetExhausted` when a budget has run out."""
        if self.stop_requested:
            raise StopRun("stopped", self.stop_requested)
        budget, c = self.config.budget, self.counters
        if c.step >= budget.steps:
            raise BudgetExhausted(f"step budget reached ({budget.steps} steps)")
        if budget.max_minutes is not None and self.wall_seconds() >= budget.max_minutes * 60:
            raise BudgetExhausted(f"time budget reached ({budget.max_minutes:g} minutes)")
        if budget.max_tokens is not None and c.tokens >= budget.max_tokens:
            raise BudgetExhausted(f"token budget reached ({c.tokens} of {budget.max_tokens} tokens)")
        if budget.max_cost is not None and c.cost >= budget.max_cost:
            raise BudgetExhausted(f"cost budget reached (${c.cost:.2f} of ${budget.max_cost:.2f})")

    def observe(self) -> Observation:
        """What the model will be shown: the game state after the last step and the progress so far."""
        self._step_started = time.perf_counter()
        c = self.counters
        last = self.context.last_reply()
        return Observation(
            step=c.step + 1,
            state=self.state,
            milestones=tuple(m.label for m in self.profile.milestones if m.id in self.tracker.reached),
            milestone_total=len(self.profile.milestones),
            actions=c.actions,
            actions_since_milestone=c.actions - c.actions_at_milestone,
            tool_results=c.last_results,
            notices=(prompts.NO_TOOL_NOTICE,) if last is not None and not last.tool_calls else (),
            frame=self.gb.frame() if self.model.sends_images else None,
        )

    def respond(self, obs: Observation) -> Reply:
        """The model's reply to `obs`, committed before anything runs; a stored, unexecuted one is reused."""
        png = _png(obs.frame) if obs.frame is not None else None
        user = UserTurn(
            step=obs.step,
            text=prompts.observation(obs),
            tool_results=obs.tool_results,
            image=hashlib.sha256(png).hexdigest() if png else None,
        )
        if self.pending is not None and self.pending.step == obs.step:
            reply = Reply.from_json(json.loads(self.pending.reply))
            self.pending = None
        else:
            request = Request(
                purpose="act",
                step=obs.step,
                seed=self.config.seed,
                system=self.system,
                messages=(*self.context.turns, user),
                memory=self.memory(),
                tools=self.tool_specs,
                image_png=png,
            )
            t0 = time.perf_counter()
            reply = self.model.respond(request)
            latency = time.perf_counter() - t0
            self.timing.model += latency
            blobs = [(user.image, "image/png", png)] if user.image and png else []
            self._commit_call(user, reply, latency, blobs)
        self.context.add(user, reply)
        return reply

    def act(self, reply: Reply) -> tuple[tools.Executed, int]:
        """Run the reply's tool calls; return what they did and the frame count before their inputs."""
        executed = tools.execute(reply.tool_calls, self.config.tools, self.notes)
        frame_start = self.gb.frame_count
        t0 = time.perf_counter()
        tools.apply_ops(self.gb, executed.ops)
        self.timing.emulation += time.perf_counter() - t0
        return executed, frame_start

    def record(self, executed: tools.Executed, frame_start: int) -> None:
        """Commit the step in one transaction; raise `StopRun` if it finished the game or failed the run."""
        c, step = self.counters, self.counters.step + 1
        self.state = self.profile.read(self.gb)
        new = self.tracker.update(self.state)
        c.actions += executed.actions
        for result in executed.results:
            c.bad_streak = c.bad_streak + 1 if result.is_error else 0
        milestones = [self._milestone_row(m, step) for m in new]
        if new:
            c.actions_at_milestone = c.actions
        keyframe = None
        if step % self.config.record.keyframe_every == 0:
            keyframe = KeyframeRow(step, self.gb.frame_count, zlib.compress(self.gb.save_state(), 1))
        now = time.time()
        events = [MemoryEventRow(0, step, kind, key, content, "model", now) for kind, key, content in executed.events]
        c.memory_version += len(events)
        self.store.record_step(
            StepRow(
                step=step,
                frame_start=frame_start,
                frame_end=self.gb.frame_count,
                inputs=json.dumps([op.to_json() for op in executed.ops]),
                step_actions=executed.actions,
                actions=c.actions,
                bad_calls=executed.bad_calls,
                tool_results=json.dumps([r.to_json() for r in executed.results]),
                frame_hash=self.gb.frame_hash(),
                ram_hash=self.gb.ram_hash(),
                screen=self.state.screen,
                state=self.state.to_json(),
                wall_seconds=time.perf_counter() - self._step_started,
                created_at=now,
            ),
            milestones,
            events,
            keyframe,
        )
        c.step, c.last_results = step, executed.results
        if self.on_step is not None:
            self.on_step(self)
        if self.config.stop_on_finish and self.tracker.finished:
            raise StopRun("done", f"finished: reached the final milestone at step {step}")
        if c.bad_streak >= self.config.agent.max_bad_calls:
            raise StopRun("failed", f"{c.bad_streak} bad tool calls in a row (agent.max_bad_calls)")

    # -- helpers -----------------------------------------------------------------------------------------------

    def memory(self) -> Memory:
        return Memory(summary="", notes=self.notes.items(), version=self.counters.memory_version)

    def wall_seconds(self) -> float:
        """Wall time of the whole run so far, earlier sessions included."""
        return self.counters.wall_before + time.perf_counter() - self.timing.started

    def cost_of(self, reply: Reply) -> float:
        """Dollars for one reply: its usage priced by `pricing[reply.model]`, else `pricing[<--model name>]`."""
        price = self.config.pricing.get(reply.model) or self.config.pricing.get(self.config.model.split(":")[0])
        if price is None:
            return 0.0
        u = reply.usage
        return (
            u.input_tokens * price.input
            + u.output_tokens * price.output
            + u.cache_creation_input_tokens * price.cache_write
            + u.cache_read_input_tokens * price.cache_read
        ) / 1e6

    def _commit_call(self, user: UserTurn, reply: Reply, latency: float, blobs: list[tuple[str, str, bytes]]) -> None:
        c, u = self.counters, reply.usage
        cost = self.cost_of(reply)
        c.tokens += u.total
        c.cost += cost
        self.store.record_call(
            ModelCallRow(
                id=0,
                step=user.step,
                purpose="act",
                request_delta=json.dumps([user.to_json()]),
                memory_version=c.memory_version,
                reply=json.dumps(reply.to_json()),
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_write_tokens=u.cache_creation_input_tokens,
                cache_read_tokens=u.cache_read_input_tokens,
                cost=cost,
                latency_seconds=latency,
                created_at=time.time(),
            ),
            blobs,
        )

    def _milestone_row(self, m: Milestone, step: int) -> MilestoneRow:
        c = self.counters
        ordinal = [x.id for x in self.profile.milestones].index(m.id)
        return MilestoneRow(
            id=m.id,
            ordinal=ordinal,
            label=m.label,
            step=step,
            actions=c.actions,
            frame=self.gb.frame_count,
            tokens=c.tokens,
            cost=c.cost,
            wall_seconds=self.wall_seconds(),
            reached_at=time.time(),
        )


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return buf.getvalue()
