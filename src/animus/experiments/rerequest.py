"""`animus rerequest RUN [--set k=v ...]`: review a harness change before paying for it.

The current harness (this Animus, with the run's stored config and the `--set` overrides) is re-driven over a
recorded run: it plays the run's steps from its start state on the run's ROM and profile, and each model request
it makes is answered with the reply the run stored for that step and purpose (`ReplayedModel`), so the tool calls
are the run's and no model is ever called. Each request it builds is compared, step by step, with the one the run
sent, part by part (`request_parts`: system prompt, memory block, context, observation, tool results, image by
hash, tools, thinking), and their estimated input tokens are summed.

Contracts:
- No API call is made, and nothing is written to the run: it is only read (`RunReader`), and what the re-drive
  records goes to an in-memory recorder that is dropped afterwards. The run directory is byte-identical after.
- For an unchanged harness, no step differs. A change is reported at the first step where a request differs,
  with the parts that differ and a short unified diff of each (recorded -> re-driven).
- After every step the re-driven game's frame count, RAM hash and frame hash are compared with the run's. If they
  differ the harness changed what the tool calls do: the re-drive stops there and the report says so (`Divergence`).
- When the harness asks for a summarize or reflect request the run never made (a summary at a step where the run
  made none), the run has no reply to give it: a stand-in answers (`ReplayedModel`'s `stand_in`: the summary is
  kept unchanged), and the report counts these (`stand_ins`). The memory after one is not what a model would have
  written, but the actions stay the run's, so every step is still compared (its `calls` part differs there).
- The re-drive always plays without best-of-N branching: a branching run's steps and calls are its committed
  line, which plays as a run alone would. Its budgets are the steps compared (`steps`, default all); the time,
  token and cost budgets are off (the run's own ended it where it ended). `--set` of those keys is overridden.
"""

from __future__ import annotations

import difflib
import zlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus.agent.loop import Agent
from animus.agent.models.replayed import NoStoredReply, ReplayedModel
from animus.agent.state import LoopState, Rig
from animus.config import derive_config
from animus.errors import ConfigError, RunError, StopRun
from animus.experiments.request_parts import PARTS, Record, RequestView, redriven_view
from animus.experiments.request_report import (
    Divergence,
    FirstDifference,
    PartCount,
    PartDiff,
    PurposeTotals,
    RequestDiff,
    TokenChange,
)
from animus.games import load_profile
from animus.inspect.frames import run_rom
from animus.memory.events import EventSource, MemoryEvent
from animus.runs.card import IMAGE_BACKENDS, run_profile
from animus.runs.digests import use_recorded_hash
from animus.runs.reader import RunReader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from animus.agent.types import Reply, Request
    from animus.config import RunConfig
    from animus.runs.rows import KeyframeRow, MilestoneRow, ModelCallRow, StepRow

__all__ = [
    "Divergence",
    "FirstDifference",
    "PartCount",
    "PartDiff",
    "PurposeTotals",
    "RequestDiff",
    "TokenChange",
    "rerequest",
]

DIFF_LINES = 24  # the longest unified diff shown for one part; the rest is counted


def rerequest(
    run: str | Path,
    sets: Sequence[str] = (),
    steps: int | None = None,
    *,
    game: str | None = None,
    rom: str | Path | None = None,
) -> RequestDiff:
    """Re-drive this Animus over the run at `run` with its config and `sets` ("key=value") on the run's stored
    replies, and compare its requests with the recorded ones (see the module docstring). `steps`: compare the
    first N steps only (default: all). `game`: play with this profile (a name or a TOML path) instead of the run's
    own. `rom`: the run's ROM where it is not found where the run recorded it.

    `RunError` for a directory that holds no run or a run without steps, `ConfigError` for a bad setting or
    `steps`; both one line, exit code 2 from the CLI."""
    from animus.emulator.gameboy import GameBoy

    run_dir = Path(run)
    with RunReader.open(run_dir) as reader:
        meta, last = reader.meta(), reader.last_step()
        if not meta.config:
            raise RunError(f"run {run_dir} was cut short while it was being created: it has no requests to compare.")
        if last == 0:
            raise RunError(f"run {run_dir} has no steps yet: it has no requests to compare.")
        if steps is not None and steps < 1:
            raise ConfigError(f"--steps {steps}: compare at least 1 step.")
        limit = last if steps is None else min(steps, last)
        config = _redrive_config(meta.run_config(), tuple(sets), limit)
        own = run_profile(run_dir)
        profile = own if game is None else load_profile(game)
        rom_path = run_rom(meta, rom)
        record = Record(reader, own)
        stored = reader.calls()
        try:
            name, _, _ = config.model.name.partition(":")
            # Observations carry the screen for a model that is sent images: the backends that are, when
            # model.images is on, and a plugin whose recorded requests carried one.
            images = config.model.images and (name.strip() in IMAGE_BACKENDS or _sent_images(reader))
            replayed = ReplayedModel(stored, f"replayed:{meta.id}", images, stand_in=True)
            with GameBoy(rom_path) as gb:
                use_recorded_hash(reader, gb)
                gb.load_state(zlib.decompress(reader.keyframe_at_or_before(0).state))
                buffer = _Buffer(run_dir, record)
                witness = _Witness(replayed)
                rig = Rig(gb, profile, buffer, config, witness, warned=_AllWarned())
                agent = Agent(rig, LoopState.new(gb, profile, config))
                compare = _Comparison(record, buffer, witness)
                agent.on_step = compare.after_step
                stop = agent.run()
            stopped = ""
            if isinstance(stop, NoStoredReply):
                compare.step(stop.step)  # the step's requests up to the one with no reply
                stopped = stop.reason
            elif compare.divergence is None and compare.compared < limit:
                stopped = f"the re-driven run stopped after step {compare.compared}: {stop.reason}"
        finally:
            # The streams' cursors must be closed before the reader: a connection closed with a statement still
            # open lingers until the garbage collector finds it, and leaves SQLite's -wal and -shm files beside
            # run.db meanwhile.
            record.close()
            close = getattr(stored, "close", None)
            if close is not None:
                close()
    return compare.report(run_dir, tuple(sets), limit, stopped, tuple(replayed.stand_ins))


def _redrive_config(recorded: RunConfig, sets: tuple[str, ...], limit: int) -> RunConfig:
    """The run's config with `sets`, then playing `limit` steps alone: no branching, no time, token or cost budget."""
    config = derive_config(recorded, None, sets)
    budget = config.budget.model_copy(
        update={"steps": limit, "max_minutes": None, "max_tokens": None, "max_cost": None}
    )
    return config.model_copy(
        update={"budget": budget, "branching": config.branching.model_copy(update={"branches": 1})}
    )


def _sent_images(reader: RunReader) -> bool:
    """Whether the run's first act request carried the screen (a plugin backend says so only by doing it)."""
    first = next(reader.calls("act"), None)
    return first is not None and '"image": "' in first.request_delta


class _AllWarned(set[str]):
    """The `warned` set of the re-drive: every warning counts as given. A missing price or prompts a server cut
    were the recorded run's to warn of; here they would only be noise."""

    def __contains__(self, item: object) -> bool:
        return True


class _Witness:
    """The model the re-drive plays with: the replayed one, keeping each step's requests for the comparison."""

    def __init__(self, inner: ReplayedModel) -> None:
        self.inner = inner
        self.name, self.sends_images = inner.name, inner.sends_images
        self.requests: list[Request] = []

    def respond(self, request: Request) -> Reply:
        self.requests.append(request)
        return self.inner.respond(request)


class _Buffer:
    """The re-drive's `Recorder`: keeps the current step's calls and the last step row in memory, writes nothing.
    The run's operator notes reach the loop at the step the run applied them: the first step whose calls' memory
    version counts them."""

    def __init__(self, run_dir: Path, record: Record) -> None:
        self.run_dir = run_dir
        self.record = record
        self.calls: list[ModelCallRow] = []
        self.last: StepRow | None = None
        self.meta: dict[str, Any] = {}
        self._operator = [
            (index, e) for index, e in enumerate(record.events) if e.source is EventSource.OPERATOR
        ]  # (position in the run's events, event)

    def record_call(self, call: ModelCallRow, blobs: Sequence[tuple[str, str, bytes]] = ()) -> int:
        self.calls.append(call)
        return len(self.calls)

    def record_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow] = (),
        events: Sequence[MemoryEvent] = (),
        keyframe: KeyframeRow | None = None,
    ) -> None:
        self.last = step

    def set_meta(self, **values: Any) -> None:
        self.meta.update(values)

    def changed_elsewhere(self) -> bool:
        return bool(self._due())

    def memory_events(self, after_id: int = 0) -> list[MemoryEvent]:
        due = self._due()
        self._operator = self._operator[len(due) :]
        return due

    def pending_call(self, step: int, purpose: str = "act") -> ModelCallRow | None:
        return None

    def _due(self) -> list[MemoryEvent]:
        """The operator events the run had applied by the step about to be played."""
        step = (self.last.step if self.last is not None else 0) + 1
        calls = self.record.calls(step)
        version = calls[0].memory_version if calls else 0
        return [e for index, e in self._operator if index < version]


class _Comparison:
    """Compares each re-driven step's requests with the run's, and its game state after (see the module docstring)."""

    def __init__(self, record: Record, buffer: _Buffer, witness: _Witness) -> None:
        self.record, self.buffer, self.witness = record, buffer, witness
        self.compared = 0  # steps compared
        self.totals: dict[str, list[int]] = {}  # purpose -> requests recorded, re-driven, tokens recorded, re-driven
        self.estimates = False
        self.largest: TokenChange | None = None
        self.differing = 0
        self.first: FirstDifference | None = None
        self.part_steps: Counter[str] = Counter()
        self.part_first: dict[str, int] = {}
        self.divergence: Divergence | None = None

    def after_step(self, agent: Agent) -> None:
        """`Agent.on_step`: compare the step just played; `StopRun` when the game left the run's path."""
        step = agent.counters.step
        self.step(step)
        recorded, played = self.record.step_row(step), self.buffer.last
        assert played is not None
        what = _state_difference(recorded, played)
        if what:
            self.divergence = Divergence(step, what)
            raise StopRun("stopped", f"the game diverged after step {step}")

    def step(self, step: int) -> None:
        """Compare the requests of `step` (those made so far) with the run's."""
        recorded = self.record.views(step)
        tokens = [c.context_tokens for c in self.buffer.calls]
        redriven = [
            redriven_view(r, tokens[i] if i < len(tokens) else None) for i, r in enumerate(self.witness.requests)
        ]
        self.witness.requests, self.buffer.calls = [], []
        self.compared += 1
        for side, views in enumerate((recorded, redriven)):
            for v in views:
                totals = self.totals.setdefault(v.purpose, [0, 0, 0, 0])
                totals[side] += 1
                totals[2 + side] += v.tokens or 0
        self.estimates = self.estimates or any(v.tokens for v in recorded)
        found: dict[str, PartDiff] = {}
        rec_purposes, red_purposes = [v.purpose for v in recorded], [v.purpose for v in redriven]
        if rec_purposes != red_purposes:
            found["calls"] = PartDiff("calls", "", _diff(_purposes(rec_purposes), _purposes(red_purposes)))
        for a, b in _pairs(recorded, redriven):
            self._tokens(a, b)
            for part in PARTS[1:]:
                x, y = a.part(part), b.part(part)
                if x != y and part not in found:
                    found[part] = PartDiff(part, a.purpose, _diff(x or "", y or ""))
        if not found:
            return
        self.differing += 1
        for part in found:
            self.part_steps[part] += 1
            self.part_first.setdefault(part, step)
        if self.first is None:
            self.first = FirstDifference(step, tuple(found[p] for p in PARTS if p in found))

    def _tokens(self, a: RequestView, b: RequestView) -> None:
        if a.tokens is None or b.tokens is None:
            return
        change = TokenChange(a.step, a.purpose, a.tokens, b.tokens)
        if self.largest is None or abs(change.change) > abs(self.largest.change):
            self.largest = change

    def report(
        self, run: Path, sets: tuple[str, ...], limit: int, stopped: str, stand_ins: tuple[tuple[int, str], ...]
    ) -> RequestDiff:
        parts = tuple(PartCount(p, self.part_steps[p], self.part_first[p]) for p in PARTS if p in self.part_first)
        return RequestDiff(
            run=run,
            sets=sets,
            steps=self.compared,
            limit=limit,
            differing=self.differing,
            first=self.first,
            parts=parts,
            purposes=tuple(PurposeTotals(p, *self.totals[p]) for p in _PURPOSES if p in self.totals),
            largest=self.largest,
            estimates=self.estimates,
            divergence=self.divergence,
            stopped=stopped,
            stand_ins=stand_ins,
        )


_PURPOSES = ("act", "summarize", "reflect")


def _pairs(recorded: list[RequestView], redriven: list[RequestView]) -> list[tuple[RequestView, RequestView]]:
    """The requests found on both sides: the k-th of each purpose with the k-th of the same purpose."""
    by_purpose: dict[str, list[RequestView]] = {}
    for view in redriven:
        by_purpose.setdefault(view.purpose, []).append(view)
    seen: Counter[str] = Counter()
    pairs = []
    for view in recorded:
        mine = by_purpose.get(view.purpose, [])
        if seen[view.purpose] < len(mine):
            pairs.append((view, mine[seen[view.purpose]]))
        seen[view.purpose] += 1
    return pairs


def _purposes(purposes: list[str]) -> str:
    return "\n".join(purposes) or "(no request)"


def _diff(recorded: str, redriven: str) -> str:
    """A unified diff of two texts, recorded -> re-driven, cut to `DIFF_LINES` lines."""
    lines = list(
        difflib.unified_diff(recorded.splitlines(), redriven.splitlines(), "recorded", "re-driven", n=1, lineterm="")
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def _state_difference(recorded: StepRow | None, played: StepRow) -> str:
    """What differs between the run's state after a step and the re-driven one ("" when nothing does)."""
    if recorded is None:
        return "the run has no such step"
    for name, want, got in (
        ("frame count", recorded.frame_end, played.frame_end),
        ("RAM hash", recorded.ram_hash, played.ram_hash),
        ("frame hash", recorded.frame_hash, played.frame_hash),
    ):
        if want != got:
            return f"the {name} differs (recorded {want}, re-driven {got})"
    return ""
