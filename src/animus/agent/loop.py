"""`Agent`: the loop that plays. Observe -> respond -> act -> record, one step per model reply.

Everything the loop knows lives in the run store or can be rebuilt from it (`animus.runs.rebuild` does that on
resume): the emulator state (keyframes + logged inputs) and the `LoopState` (`animus.agent.state`: the milestones,
the notes and summary, the context, the watchdog, the counters). An agent is built from a `Rig` and a `LoopState`
only, for a new run, a resume and a best-of-N branch alike. Flow control is by exceptions: `StopRun` (and
`BudgetExhausted`) end the loop with a status and a reason; a bad tool call is a result the model reads, never an
exception here.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from animus import notify
from animus.agent import prompts, tools, window
from animus.agent.calls import ModelCaller
from animus.agent.pad import Pad
from animus.agent.state import Counters, LoopState, Rig, Timing
from animus.agent.types import Memory, Observation, Reply, Request, Thinking, ToolResult, Turn, UserTurn
from animus.agent.watchdog import IDLE
from animus.errors import BudgetExhausted, ContextOverflow, StopRun
from animus.memory import digest
from animus.memory.events import NOTE_KINDS, EventSource, MemoryEvent, MemoryKind
from animus.runs.rows import KeyframeRow, MilestoneRow, StepRow
from animus.spatial import minimap

if TYPE_CHECKING:
    import numpy as np

    from animus.agent.watchdog import Alarm
    from animus.config import RunConfig
    from animus.emulator.gameboy import GameBoy
    from animus.games import Milestone, Profile, Tracker
    from animus.runs.buffer import Recorder

__all__ = ["Agent", "Parts"]

# After a summary the context is cut to this share of its budget, so summaries come in batches, not every step.
# Lower means fewer summaries and smaller requests, but fewer verbatim turns right after one; with prompt caching,
# 0.4 cost 11% less per action than 0.6 in bench/tokens.py (each summary rewrites the cache of what it keeps).
REFILL_SHARE = 0.4


@dataclass
class Parts(LoopState):
    """What the loop is made of: its `LoopState`, and what it plays on, from its `Rig`. Made by `Agent` only."""

    gb: GameBoy
    profile: Profile
    store: Recorder  # the run store; a branch's in-memory buffer while best-of-N branches play
    config: RunConfig
    caller: ModelCaller


class Agent:
    """Plays one run until a budget, the final milestone, a signal or repeated bad calls stop it.

    `Agent(rig, loop)` is the one way a loop is built: for a new run, a resume and every best-of-N branch."""

    def __init__(self, rig: Rig, loop: LoopState) -> None:
        caller = ModelCaller(rig.model, rig.store, rig.config, rig.resume_step, rig.gate, rig.warned)
        self.p = Parts(
            gb=rig.gb, profile=rig.profile, store=rig.store, config=rig.config, caller=caller, **loop.pieces()
        )
        self.timing = Timing()
        self.profile, self.config = rig.profile, rig.config
        self.on_step: Callable[[Agent], None] | None = None
        self.stop_requested: str | None = None
        self.carried_notices: list[str] = []  # notices for the next observation, handed over at a best-of-N fork
        self.offered = tools.offered_tools(rig.config.tools, rig.profile)
        self.system = prompts.system_prompt(rig.profile.name, self.offered, rig.profile.prompt)
        self.tool_specs = tools.tool_specs(rig.config.tools, rig.profile)
        self.channels = rig.config.channels
        self._pad = Pad(rig.gb, rig.profile, self.p.explored)  # each step's own, made when it observes
        self.thinking = _thinking(rig.config)
        self._events: list[MemoryEvent] = []  # of this step, in order

    def take(self, loop: LoopState) -> None:
        """Carry on from `loop` (a best-of-N winner's state, emulator aside) on this agent's own rig and caller."""
        self.p = replace(self.p, **loop.pieces())

    @property
    def counters(self) -> Counters:
        return self.p.counters

    @property
    def tracker(self) -> Tracker:
        return self.p.tracker

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

    # -- the verbs -----------------------------------------------------------------------------------------------

    def check_budgets(self) -> None:
        """Raise `StopRun` for a requested stop, `BudgetExhausted` when a budget has run out."""
        if self.stop_requested:
            raise StopRun("stopped", self.stop_requested)
        budget, c = self.config.budget, self.counters
        if c.step >= budget.steps:
            raise BudgetExhausted(f"step budget reached ({budget.steps} steps)", "steps")
        if budget.max_minutes is not None and self.wall_seconds() >= budget.max_minutes * 60:
            raise BudgetExhausted(f"time budget reached ({budget.max_minutes:g} minutes)", "minutes")
        c.check_spend(budget)  # tokens and cost; a best-of-N branch also checks its fork's totals before each call

    def observe(self) -> Observation:
        """What the model will be shown: the game state after the last step, progress, and any notices."""
        self._step_started, self._events = time.perf_counter(), []
        c, alarm, shown = self.counters, self.p.alarm, self.channels
        operator = self.take_operator_notes()
        notices, self.carried_notices = [*self.carried_notices, *(operator if shown.operator_notes else [])], []
        last = self.p.context.last_reply()
        if last is not None and not last.tool_calls:
            notices.append(_NOTICE_OF_STOP.get(last.stop_reason, prompts.NO_TOOL_NOTICE))
        if shown.watchdog and alarm is not None and alarm.stage >= 1:
            notices.append(f"Watchdog: {alarm.message}")
        if shown.watchdog and alarm is not None and alarm.stage == 2 and (reflection := self.reflect(alarm)):
            notices.append(f"Your reflection: {reflection}")
        self._pad = Pad(self.p.gb, self.profile, self.p.explored)
        now = self._pad.look(dict(self.p.state.values))  # the screen's cells join the map (and this step's delta)
        spot, minimap_text = self._pad.spot, ""
        if shown.minimap and spot is not None and now is not None:
            minimap_text = minimap.render(self.p.explored, spot, now, shown.minimap_radius, shown.minimap_max_chars)
        return Observation(
            step=c.step + 1,
            state=self.p.state,
            milestones=tuple(m.label for m in self.profile.milestones if m.id in self.tracker.reached),
            milestone_total=len(self.profile.milestones),
            actions=c.actions,
            actions_since_milestone=c.actions - c.actions_at_milestone,
            tool_results=c.last_results,
            notices=tuple(notices),
            frame=self.p.gb.frame() if self.p.caller.model.sends_images else None,
            minimap=minimap_text,
            progress=shown.progress,
        )

    def respond(self, obs: Observation) -> Reply:
        """The model's reply to `obs`, committed before anything runs (a stored, unexecuted one is reused)."""
        png = _png(obs.frame) if obs.frame is not None else None
        user = UserTurn(
            step=obs.step,
            text=prompts.observation(obs),
            tool_results=obs.tool_results,
            image=hashlib.sha256(png).hexdigest() if png else None,
        )
        context, force = self.p.context, False
        while True:
            folded = False
            try:
                folded = self.fit_context(user, force)
                request = self.request("act", obs.step, self.system, (*context.turns, user), png)
                reply = self.ask(request, [user], len(context.turns))
                break
            except ContextOverflow as exc:  # the model's window is smaller than the request and its reply limit
                force = window.on_overflow(self.p, exc, force, folded, window.reply_floor(self.config))
        context.add(user, reply)
        return reply

    def act(self, reply: Reply) -> tuple[tools.Executed, int]:
        """Run the reply's tool calls; return what they did and the frame count before their inputs."""
        step, pad = self.counters.step + 1, self._pad
        frame_start = self.p.gb.frame_count
        t0 = time.perf_counter()
        executed = tools.execute(reply.tool_calls, self.config.tools, self.p.notes, step, pad, self.offered, reply.text)
        self.timing.emulation += time.perf_counter() - t0
        return executed, frame_start

    def record(self, executed: tools.Executed, frame_start: int) -> None:
        """Commit the step in one transaction; raise `StopRun` when it finished, failed or got the run stuck."""
        p, c, step = self.p, self.counters, self.counters.step + 1
        p.state = p.profile.read(p.gb, self.channels.hidden)
        if executed.ops:
            self._pad.look(dict(p.state.values))  # what the screen shows after the inputs joins this step's delta
        new = p.tracker.update(p.state)
        c.actions += executed.actions
        c.bad_streak = tools.bad_streak(c.bad_streak, executed.results)
        milestones = [self._milestone_row(m, step) for m in new]
        if new:
            c.actions_at_milestone = c.actions
        p.alarm = p.watchdog.update(c.actions, p.state.position, bool(new), tools.calls_made(executed.results))
        if p.alarm is not None:
            self._events.append(MemoryEvent.watchdog(step, p.alarm.name, p.alarm.kind, p.alarm.message))
        self._events += executed.events
        keyframe = None
        if step % self.config.record.keyframe_every == 0:
            keyframe = KeyframeRow(step, p.gb.frame_count, zlib.compress(p.gb.save_state(), 1))
        now = time.time()
        events = [replace(event, created_at=now) for event in self._events]
        c.memory_version += len(events)
        p.store.record_step(
            StepRow(
                step=step,
                frame_start=frame_start,
                frame_end=p.gb.frame_count,
                inputs=json.dumps([op.to_json() for op in executed.ops]),
                step_actions=executed.actions,
                actions=c.actions,
                bad_calls=executed.bad_calls,
                tool_results=json.dumps([r.to_json() for r in executed.results]),
                frame_hash=p.gb.frame_hash(),
                ram_hash=p.gb.ram_hash(),
                screen=p.state.screen,
                state=p.state.to_json(),
                wall_seconds=time.perf_counter() - self._step_started,
                created_at=now,
                map_delta=p.explored.take_delta().to_json(),
            ),
            milestones,
            events,
            keyframe,
        )
        c.step, c.last_results = step, executed.results
        if self.on_step is not None:
            self.on_step(self)
        goal = self.config.game.goal  # the run's final milestone when set (a task's goal), else the profile's
        if self.config.stop_on_finish and (p.tracker.finished if goal is None else goal in p.tracker.reached):
            what = "the final milestone" if goal is None else f"the goal milestone {goal!r} (game.goal)"
            raise StopRun("done", f"finished: reached {what} at step {step}", finished=True)
        if c.bad_streak >= self.config.agent.max_bad_calls:
            raise StopRun("failed", f"{c.bad_streak} bad tool calls in a row (agent.max_bad_calls)")
        if p.alarm is not None and p.alarm.stage == 3:
            p.store.set_meta(stuck_at_step=step)
            if p.alarm.kind == IDLE:  # a model that does not act would spend the whole budget on nothing
                raise StopRun("stuck", p.alarm.message)
            if self.config.watchdog.on_stuck == "stop":
                raise StopRun("stuck", f"stuck at step {step}: {p.alarm.message}")

    # -- memory ------------------------------------------------------------------------------------------------

    def memory(self) -> Memory:
        """The long-term memory requests carry; empty when memory is disabled (the ablation)."""
        if not self.config.memory.enabled:
            return Memory(version=self.counters.memory_version)
        context, shown = self.p.context, self.channels
        notes, base = (self.p.notes.items(), context.base_notes) if shown.notes else ((), ())
        return Memory(context.summary if shown.summary else "", notes, self.counters.memory_version, base)

    def fit_context(self, user: UserTurn, force: bool = False) -> bool:
        """If the next request would pass the context budget (`memory.context_tokens`, lowered after an overflow),
        or when `force`d, fold the oldest exchanges into the summary, keeping `memory.keep_turns`. Return whether
        any were folded."""
        cfg, context, est = self.config.memory, self.p.context, self.p.estimator
        memory = self.memory()
        raw = est.fixed(self.system, self.tool_specs, memory, 1 if user.image else 0) + sum(context.sizes)
        raw += est.turn(user)
        if raw * est.scale <= self.p.context_tokens and not force:
            return False
        over = raw - self.p.context_tokens * REFILL_SHARE / est.scale
        count = context.leaving(cfg.keep_turns, max(over, 1e-9) if force else over)  # forced: at least one exchange
        if count == 0:
            return False
        summary = ""
        if cfg.enabled and self.channels.summary:  # no summary is asked for when the model would never see it
            # Normally the request shows the whole context, not only the leaving turns: it then repeats the prefix
            # the last act request cached, and the model sees what follows the turns it folds. After an overflow
            # it shows only the leaving turns (their calls' results stand in the first turn that stays).
            shown = count if force else len(context.turns)
            staying = context.turns[shown] if shown < len(context.turns) else user
            results = staying.tool_results if isinstance(staying, UserTurn) else ()
            summary = self.summarize(count, shown, user, results)
        context.fold(count, summary)
        context.base_notes = self.p.notes.items()
        self._events.append(MemoryEvent.summary(user.step, context.summarized_through, summary))
        return True

    def summarize(self, count: int, shown: int, user: UserTurn, results: tuple[ToolResult, ...]) -> str:
        """The new summary for the oldest `count` turns, the request showing the first `shown`. A reply that is no
        usable summary (empty, a tool call, cut off) is asked for once more, plainly; if that fails too, the old
        summary is kept with a mechanical digest of the leaving turns added (`animus.memory.digest`)."""
        context, game, through = self.p.context, self.profile.name, self.p.context.turns[count - 1].step
        task = UserTurn(user.step, prompts.SUMMARY_PROMPT.format(game=game, through=through), results)
        request = self.request("summarize", user.step, self.system, (*context.turns[:shown], task), None)
        reply = self.ask(request, [], shown)
        problem = digest.summary_problem(reply)
        if problem is None:
            return reply.text.strip()
        text = prompts.SUMMARY_RETRY_PROMPT.format(problem=problem, game=game, through=through)
        retry = UserTurn(user.step, text, results)
        request = self.request("summarize", user.step, self.system, (*context.turns[:shown], retry), None)
        reply = self.ask(request, [], shown)
        again = digest.summary_problem(reply)
        if again is None:
            return reply.text.strip()
        staying = context.turns[count:] or [user]
        self._events.append(MemoryEvent.summary_failed(user.step, through, f"{problem}, then {again}"))
        notify.warn(f"step {user.step}: the model's summary was {problem}, then {again}; the old summary is kept "
                    "and the leaving turns were digested mechanically")  # fmt: skip
        return digest.merged(context.summary, digest.digest(context.turns[:count], staying))

    def reflect(self, alarm: Alarm) -> str:
        """Ask the model to reflect on being stuck (the watchdog's second stage); keep its answer as an event."""
        step, turns = self.counters.step + 1, tuple(self.p.context.turns)
        text = prompts.REFLECT_PROMPT.format(game=self.profile.name, reason=alarm.message)
        task = UserTurn(step, text, self.counters.last_results)
        request = self.request("reflect", step, self.system, (*turns, task), None)
        try:
            reply = self.ask(request, [], len(turns))
            text = "" if digest.summary_problem(reply) else reply.text.strip()
            shown = text or f"(no reflection: the model's answer was {digest.summary_problem(reply)})"
        except ContextOverflow:  # the act request that follows will summarize
            text, shown = "", "(no reflection: the context was full)"
        self._events.append(MemoryEvent.reflection(step, alarm.kind, shown))
        return text

    def take_operator_notes(self) -> list[str]:
        """Apply the notes an operator changed with `animus note` since the last step; say so to the model."""
        c, notices = self.counters, list[str]()
        if not self.p.store.changed_elsewhere():
            return notices
        for event in self.p.store.memory_events(after_id=c.last_event_id):
            c.last_event_id = event.id
            if event.source is EventSource.OPERATOR:
                self.p.notes.replay([event])
                c.memory_version += 1
                if event.kind in NOTE_KINDS:  # (a kind from a newer Animus changes nothing here)
                    verb = "set" if event.kind is MemoryKind.NOTE_SET else "deleted"
                    notices.append(f"Your operator {verb} the note {event.key!r}.")
        return notices

    # -- helpers -----------------------------------------------------------------------------------------------

    def request(self, purpose: str, step: int, system: str, turns: tuple[Turn, ...], png: bytes | None) -> Request:
        return Request(
            purpose=purpose,  # type: ignore[arg-type]
            step=step,
            seed=self.config.seed,
            system=system,
            messages=turns,
            memory=self.memory(),
            tools=self.tool_specs,
            thinking=self.thinking,
            image_png=png,
            max_tokens=self.p.max_tokens,
        )

    def ask(self, request: Request, delta: Sequence[Turn], from_context: int) -> Reply:
        """The model's reply to `request` through the caller, booked into this agent's state and timing; the
        request's first `from_context` messages are the context's first turns (see `estimate`)."""
        return self.p.caller.call(request, delta, self.estimate(request, from_context), self.p, self.timing)

    def estimate(self, request: Request, from_context: int) -> int:
        """Estimated input tokens of `request`, whose first `from_context` messages are the context's first
        turns (priced from the context's cache rather than again)."""
        est = self.p.estimator
        images = 1 if request.image_png is not None else 0
        raw = est.fixed(request.system, request.tools, request.memory, images)
        raw += sum(self.p.context.sizes[:from_context]) + sum(est.turn(t) for t in request.messages[from_context:])
        return round(raw * est.scale)

    def wall_seconds(self) -> float:
        """Wall time of the whole run so far, earlier sessions included."""
        return self.counters.wall_before + time.perf_counter() - self.timing.started

    def _milestone_row(self, m: Milestone, step: int) -> MilestoneRow:
        c = self.counters
        return MilestoneRow(
            id=m.id,
            ordinal=[x.id for x in self.profile.milestones].index(m.id),
            label=m.label,
            step=step,
            actions=c.actions,
            frame=self.p.gb.frame_count,
            tokens=c.tokens,
            cost=c.cost,
            wall_seconds=self.wall_seconds(),
            reached_at=time.time(),
        )


_NOTICE_OF_STOP = {
    "max_tokens": prompts.CUT_NOTICE,
    "model_context_window_exceeded": prompts.CUT_NOTICE,
    "refusal": prompts.REFUSAL_NOTICE,
}


def _thinking(config: RunConfig) -> Thinking:
    t = config.thinking
    return Thinking(type=t.kind, budget_tokens=t.budget_tokens, effort=t.effort)


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return buf.getvalue()
