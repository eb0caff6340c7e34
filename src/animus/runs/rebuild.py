"""Rebuilding a run's loop from its store, for `animus resume`.

Every piece is derived from committed rows only, so the rebuilt loop is the one an uninterrupted run would have
at that step: the emulator (nearest keyframe + the logged inputs, every replayed step's hashes checked), and the
`LoopState` (`animus.agent.state`): the tracker, notes, summary and context, the watchdog, the estimator's
calibration, the counters and the explored map (the map deltas the steps stored, folded in order). `loop_state` is
the rebuild rule of every piece; a new piece of loop state gets its rule there (docs/architecture.md, "The loop's
state").
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

from animus.agent.calls import reported_input
from animus.agent.state import Counters, LoopState
from animus.agent.tools import InputOp, apply_ops, bad_streak, calls_made
from animus.agent.types import Reply, ToolResult
from animus.agent.watchdog import Alarm, Watchdog
from animus.config import RunConfig
from animus.errors import RunError
from animus.games import GameState, Profile, Tracker
from animus.memory import Notes
from animus.memory.context import Context
from animus.memory.events import MemoryKind
from animus.memory.tokens import HeuristicEstimator
from animus.runs.digests import use_recorded_hash
from animus.runs.reader import RunReader
from animus.spatial.explored import ExploredMap

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy


def loop_state(store: RunReader, gb: GameBoy, profile: Profile, config: RunConfig, last: int) -> LoopState:
    """The loop's state after step `last`, with `gb` brought to that step (`replay`). The context budget starts
    again from the config: a session's lowering after the model overflowed is not kept."""
    replay(store, gb, last)
    est = estimator(store, config)
    dog, alarm = watchdog(store, config)
    return LoopState(
        state=profile.read(gb, config.channels.hidden),
        tracker=tracker(store, profile),
        notes=notes(store, config, last),
        context=context(store, est, config, last),
        estimator=est,
        watchdog=dog,
        counters=counters(store, last),
        alarm=alarm,
        context_tokens=config.memory.context_tokens,
        max_tokens=config.model.max_tokens,
        explored=ExploredMap.rebuild(row.map_delta for row in store.steps(1, last)),
    )


def replay(store: RunReader, gb: GameBoy, last: int) -> None:
    """Bring `gb` to the state after step `last`: nearest keyframe, then the logged inputs, checking hashes."""
    use_recorded_hash(store, gb)  # the first runs hashed with another digest
    keyframe = store.keyframe_at_or_before(last)
    gb.load_state(zlib.decompress(keyframe.state))
    for row in store.steps(keyframe.step + 1, last):
        apply_ops(gb, [InputOp(b, h, w) for b, h, w in row.input_ops()])
        if gb.frame_count != row.frame_end or gb.ram_hash() != row.ram_hash or gb.frame_hash() != row.frame_hash:
            raise RunError(
                f"cannot resume {store.run_dir}: replaying its inputs diverged at step {row.step}. The ROM, PyBoy "
                "or Animus differ from the ones that recorded it."
            )


def tracker(store: RunReader, profile: Profile) -> Tracker:
    return Tracker(profile, reached=[m.id for m in store.milestones()], screens=(s.screen for s in store.steps()))


def notes(store: RunReader, config: RunConfig, last: int | None = None) -> Notes:
    """The notes after step `last` (all of them when None). Later operator edits the loop applies itself."""
    rebuilt = Notes(config.memory.notes_max_chars)
    rebuilt.replay(e for e in store.memory_events() if last is None or e.step <= last)
    return rebuilt


def estimator(store: RunReader, config: RunConfig) -> HeuristicEstimator:
    """The run's estimator, calibrated again by the calls the run made (in order)."""
    est = HeuristicEstimator.for_config(config)
    for call in store.calls():
        est.calibrate(call.context_tokens, reported_input(Reply.from_json(json.loads(call.reply))))
    return est


def context(store: RunReader, est: HeuristicEstimator, config: RunConfig, last: int) -> Context:
    """The latest summary, the notes as they stood then, and the turns after it. A pending reply joins when the
    loop executes it."""
    rebuilt = Context(est)
    events = store.memory_events()
    summaries = [e for e in events if e.kind is MemoryKind.SUMMARY and e.step <= last]
    covered = summaries[-1].through if summaries else 0
    rebuilt.rebuild((c for c in store.calls("act", start=covered + 1) if c.step <= last), summaries)
    if summaries:  # a summary is folded before its step's calls run: the notes of the events stored before it
        base = Notes(config.memory.notes_max_chars)
        base.replay(e for e in events if e.id < summaries[-1].id)
        rebuilt.base_notes = base.items()
    return rebuilt


def watchdog(store: RunReader, config: RunConfig) -> tuple[Watchdog, Alarm | None]:
    """The watchdog fed every committed step again, and the alarm the last step raised (if any)."""
    dog, alarm = Watchdog(config.watchdog), None
    reached_at = {m.step for m in store.milestones()}
    for row in store.steps():
        results = [ToolResult.from_json(r) for r in json.loads(row.tool_results)]
        position = GameState.from_json(row.state).position
        alarm = dog.update(row.actions, position, row.step in reached_at, calls_made(results))
    return dog, alarm


def counters(store: RunReader, last: int) -> Counters:
    totals = store.totals()
    row = store.step(last)
    milestones = store.milestones()
    streak = 0
    for step in store.steps(max(1, last - 50), last):  # a streak longer than the limit has already failed the run
        streak = bad_streak(streak, [ToolResult.from_json(r) for r in json.loads(step.tool_results)])
    events = [e for e in store.memory_events() if e.step <= last]
    return Counters(
        step=last,
        actions=totals.actions,
        actions_at_milestone=milestones[-1].actions if milestones else 0,
        bad_streak=streak,
        tokens=totals.tokens,
        cost=totals.cost,
        unpriced_calls=totals.unpriced_calls,
        wall_before=totals.wall_seconds,
        memory_version=len(events),
        last_event_id=events[-1].id if events else 0,
        last_results=tuple(ToolResult.from_json(r) for r in json.loads(row.tool_results)) if row else (),
    )
