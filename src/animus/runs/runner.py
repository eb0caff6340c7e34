"""Starting and resuming runs: everything around the loop.

`start_run` checks all input first (ROM, profile, model, start state) so bad input fails fast, before PyBoy is
imported; then it creates the run directory and store, boots the emulator and plays. `resume_run` rebuilds the
loop from the store: nearest keyframe, replay of the logged inputs (checking every replayed step's hashes), the
milestones, notes, conversation window and counters; then plays on.
"""

from __future__ import annotations

import json
import re
import signal
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from animus import __version__
from animus.agent import prompts
from animus.agent.context import Context
from animus.agent.loop import Agent, Counters
from animus.agent.models import check_spec, create_model, split_spec
from animus.agent.tools import InputOp, apply_ops
from animus.agent.types import ToolResult
from animus.config import RunConfig, config_from_dict
from animus.emulator import bundled_rom, read_rom
from animus.errors import RunError, StateError, StopRun
from animus.games import Profile, Tracker, choose_profile, load_profile
from animus.memory import Notes
from animus.runs.rows import KeyframeRow
from animus.runs.schema import SCHEMA_VERSION
from animus.runs.store import RunStore

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy

PROFILE_FILE = "profile.toml"


@dataclass(frozen=True)
class RunEnd:
    """How a session of a run ended."""

    run_dir: Path
    status: str
    reason: str
    steps: int
    actions: int
    milestones: int


OnStart = Callable[[Agent], None]


def start_run(
    config: RunConfig,
    runs_dir: Path,
    name: str | None = None,
    start_state: Path | None = None,
    on_start: OnStart | None = None,
    notify: Callable[[str], None] | None = None,
) -> RunEnd:
    """Create a run under `runs_dir` and play it until it stops. Raises on bad input before anything is written.

    `notify` receives notices for the user (e.g. that no profile matched the ROM and `generic` is used).
    """
    rom_path = Path(config.rom) if config.rom else bundled_rom()
    _, rom = read_rom(rom_path)
    profile, notice = choose_profile(rom.title, rom.sha256, config.game)
    if notice and notify is not None:
        notify(notice)
    check_spec(config.model)
    model = create_model(config.model, config)
    state_bytes = _read_start_state(start_state) if start_state else None

    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise RunError(f"bad run name {name!r}: use letters, digits, '.', '_' and '-' (up to 100 characters).")
    run_dir = runs_dir / (name or _run_id(config))
    store = RunStore.create(run_dir)
    try:
        (run_dir / PROFILE_FILE).write_text(profile.source, encoding="utf-8")
        store.set_meta(
            id=run_dir.name,
            schema_version=SCHEMA_VERSION,
            animus_version=__version__,
            git_commit=_git_commit(),
            config=json.loads(config.to_json()),
            label=config.group_label,
            model=config.model,
            seed=config.seed,
            profile_id=profile.id,
            profile_name=profile.name,
            profile_hash=profile.content_hash,
            milestone_count=len(profile.milestones),
            prompts=prompts.TEMPLATES,
            rom_path=str(rom_path),
            rom_sha256=rom.sha256,
            rom_title=rom.title,
            pyboy_version=version("pyboy"),
            start_state=start_state is not None,
            created_at=time.time(),
            status="running",
            reason="",
        )
        from animus.emulator.gameboy import GameBoy

        with GameBoy(rom_path) as gb:
            if state_bytes is not None:
                gb.import_state(state_bytes)
            store.set_meta(state_version=gb.state_version)
            store.put_keyframe(KeyframeRow(0, gb.frame_count, zlib.compress(gb.save_state(), 1)))
            agent = Agent(
                gb=gb,
                profile=profile,
                model=model,
                store=store,
                config=config,
                state=profile.read(gb),
                tracker=Tracker(profile),
                notes=Notes(config.agent.notes_max_chars),
                context=Context(config.agent.recent_turns),
                counters=Counters(),
            )
            return _play(agent, store, run_dir, on_start)
    finally:
        store.close()


def resume_run(run_dir: Path, budget: dict[str, Any] | None = None, on_start: OnStart | None = None) -> RunEnd:
    """Continue a stopped, crashed or killed run from its last committed step (see the module docstring)."""
    store = RunStore.open(run_dir, write=True)
    try:
        meta = store.meta()
        stored = dict(meta["config"])
        stored["budget"] = {**stored["budget"], **{k: v for k, v in (budget or {}).items() if v is not None}}
        config = config_from_dict(stored)
        last = store.last_step()
        if (meta["status"] == "done" and meta["reason"].startswith("finished")) or last >= config.budget.steps:
            return _complete(store, run_dir, meta, last)
        rom_path = Path(config.rom) if config.rom else bundled_rom()
        _, rom = read_rom(rom_path)
        if rom.sha256 != meta["rom_sha256"]:
            raise RunError(
                f"{rom_path} is not the ROM this run played (sha256 {rom.sha256[:12]}… vs {meta['rom_sha256'][:12]}…):"
                " restore the original ROM file to resume."
            )
        profile = load_profile(str(run_dir / PROFILE_FILE))
        model = create_model(config.model, config)
        from animus.emulator.gameboy import GameBoy

        with GameBoy(rom_path) as gb:
            _replay(store, gb, last)
            agent = Agent(
                gb=gb,
                profile=profile,
                model=model,
                store=store,
                config=config,
                state=profile.read(gb),
                tracker=_tracker(store, profile),
                notes=_notes(store, config),
                context=_context(store, config),
                counters=_counters(store, last),
                pending=store.pending_call(last + 1),
            )
            store.set_meta(status="running", reason="")
            return _play(agent, store, run_dir, on_start)
    finally:
        store.close()


# -- playing ------------------------------------------------------------------------------------------------------


def _play(agent: Agent, store: RunStore, run_dir: Path, on_start: OnStart | None) -> RunEnd:
    if on_start is not None:
        on_start(agent)
    with _graceful_signals(agent):
        try:
            stop = agent.run()
        except StopRun as exc:  # raised outside the loop body (e.g. by a model while building a request)
            stop = exc
        except BaseException as exc:
            store.set_meta(status="failed", reason=f"{type(exc).__name__}: {exc}", ended_at=time.time())
            raise
    store.set_meta(status=stop.status, reason=stop.reason, ended_at=time.time())
    c = agent.counters
    return RunEnd(run_dir, stop.status, stop.reason, c.step, c.actions, len(agent.tracker.reached))


@contextmanager
def _graceful_signals(agent: Agent) -> Iterator[None]:
    """First SIGINT/SIGTERM: finish the current step, then stop. A second one: exit at once (the store holds)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if agent.stop_requested:
            import os

            os._exit(128 + signum)
        agent.stop_requested = f"interrupted by {signal.Signals(signum).name}"

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# -- rebuilding a run from its store --------------------------------------------------------------------------------


def _replay(store: RunStore, gb: GameBoy, last: int) -> None:
    """Bring `gb` to the state after step `last`: nearest keyframe, then the logged inputs, checking hashes."""
    keyframe = store.keyframe_at_or_before(last)
    gb.load_state(zlib.decompress(keyframe.state))
    for row in store.steps(keyframe.step + 1, last):
        apply_ops(gb, [InputOp(b, h, w) for b, h, w in row.input_ops()])
        if gb.frame_count != row.frame_end or gb.ram_hash() != row.ram_hash or gb.frame_hash() != row.frame_hash:
            raise RunError(
                f"cannot resume {store.run_dir}: replaying its inputs diverged at step {row.step}. The ROM, PyBoy "
                "or Animus differ from the ones that recorded it."
            )


def _tracker(store: RunStore, profile: Profile) -> Tracker:
    screens = (row.screen for row in store.steps())
    return Tracker(profile, reached=[m.id for m in store.milestones()], screens=screens)


def _notes(store: RunStore, config: RunConfig) -> Notes:
    notes = Notes(config.agent.notes_max_chars)
    notes.replay((e.kind, e.key, e.content) for e in store.memory_events())
    return notes


def _context(store: RunStore, config: RunConfig) -> Context:
    # Only calls of committed steps: a pending reply joins the context when the loop executes it.
    context = Context(config.agent.recent_turns)
    last = store.last_step()
    context.rebuild(
        call for call in store.calls("act", start=max(0, last - config.agent.recent_turns)) if call.step <= last
    )
    return context


def _counters(store: RunStore, last: int) -> Counters:
    totals = store.totals()
    row = store.step(last)
    milestones = store.milestones()
    streak = 0
    for step in store.steps(max(1, last - 50), last):  # a streak longer than the limit has already failed the run
        for result in json.loads(step.tool_results):
            streak = streak + 1 if result["is_error"] else 0
    return Counters(
        step=last,
        actions=totals.actions,
        actions_at_milestone=milestones[-1].actions if milestones else 0,
        bad_streak=streak,
        tokens=totals.tokens,
        cost=totals.cost,
        wall_before=totals.wall_seconds,
        memory_version=len(store.memory_events()),
        last_results=tuple(ToolResult.from_json(r) for r in json.loads(row.tool_results)) if row else (),
    )


def _complete(store: RunStore, run_dir: Path, meta: dict[str, Any], last: int) -> RunEnd:
    totals = store.totals()
    return RunEnd(
        run_dir, "complete", meta["reason"] or "step budget reached", last, totals.actions, len(store.milestones())
    )


# -- small helpers ---------------------------------------------------------------------------------------------------


def _run_id(config: RunConfig) -> str:
    model = re.sub(r"[^A-Za-z0-9]+", "-", split_spec(config.model)[0]).strip("-")
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{model}-s{config.seed}-{time.time_ns() % 10_000:04d}"


def _git_commit() -> str | None:
    """The commit Animus runs from, when it runs from a git checkout."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _read_start_state(path: Path) -> bytes:
    if not path.is_file():
        raise StateError(f"start state not found: {path}. Give --start-state a file saved by PyBoy or Animus.")
    data = path.read_bytes()
    if not data:
        raise StateError(f"start state {path} is empty.")
    return data
