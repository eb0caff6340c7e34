"""Starting and resuming runs: everything around the loop.

`start_run` checks all input first (ROM, profile, model, start state) so bad input fails fast, before PyBoy is
imported; then it boots the emulator (which may still refuse the ROM or the start state), and only then creates
the run directory and store and plays, so a refused run leaves nothing behind. `resume_run` rebuilds the
loop from the store: nearest keyframe, replay of the logged inputs (checking every replayed step's hashes), the
milestones, notes, conversation window and counters; then plays on.

Each session is recorded in meta as it starts (`sessions`: the start, then each resume with the step it plays on
after and its budget), and the run's harness card (`card`, `runs/card.py`) is written when the run is created,
resumed, and when a session ends.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

from animus import __version__, faults, notify
from animus.agent import prompts, window
from animus.agent.loop import Agent
from animus.agent.models import Model, check_spec, create_model, split_spec
from animus.agent.scorers import create_scorer
from animus.agent.state import Gate, LoopState, Rig
from animus.config import RunConfig, stored_config
from animus.emulator import bundled_with_hash, read_rom, rom_file
from animus.errors import BudgetExhausted, ModelInterrupted, RunError, StateError, StopRun
from animus.games import Profile, choose_profile, load_profile
from animus.games.defaults import apply_profile_defaults
from animus.runs import digests, health, rebuild
from animus.runs.card import build_card
from animus.runs.lock import is_locked
from animus.runs.meta import Budget, RunMeta, RunStatus, Session, end_values, running_values
from animus.runs.reader import RunReader
from animus.runs.rows import KeyframeRow
from animus.runs.schema import SCHEMA_VERSION
from animus.runs.setup import check_goal, check_world, set_world
from animus.runs.store import RunStore
from animus.signals import stop_signals

PROFILE_FILE = "profile.toml"


@dataclass(frozen=True)
class RunEnd:
    """How a session of a run ended."""

    run_dir: Path
    status: RunStatus
    reason: str
    steps: int
    actions: int
    milestones: int
    finished: bool = False  # it ended because its final milestone was reached
    budget: Budget | None = None  # the budget that ended it
    complete: bool = False  # resume found nothing left to play (finished, or its step budget used up)


OnStart = Callable[[Agent], None]


def start_run(
    config: RunConfig,
    runs_dir: Path,
    name: str | None = None,
    start_state: Path | None = None,
    on_start: OnStart | None = None,
    *,
    gate: Gate | None = None,
    model: Model | None = None,
) -> RunEnd:
    """Create a run under `runs_dir` and play it until it stops. Raises on bad input before anything is written.

    Notices for the user (e.g. that no profile matched the ROM and `generic` is used) go to
    `animus.notify.notice` (logger `animus`), like every message of the library.

    `on_start(agent)` is called once the agent is built, before its first step (to set `agent.on_step`, e.g. a
    progress display or a fleet's stop checks). `gate` is entered around every model call of the run, its
    best-of-N branches' included (a fleet's shared limits). `model`, for Python users and the contract checker,
    is played with instead of the model `config.model.name` names (e.g. a wrapper that records the requests);
    the run's meta still records `config.model.name`, which must be a valid spec, and is what a resume builds.
    With best-of-N branching every branch plays a model of its own, built from `config.model.name` (the branches
    play at the same time), so `model` is not called.
    """
    faults.check()
    rom_path = rom_file(config.rom)
    _, rom = read_rom(rom_path)
    profile, notice = choose_profile(rom.title, rom.sha256, config.game.profile)
    if notice:
        notify.notice(notice)
    # The game's [defaults] under the user's settings: the effective config, stored in the meta, is what a resume
    # and the model's tools play with.
    config = apply_profile_defaults(config, profile)
    check_spec(config.model.name)
    create_scorer(config.branching.scorer)  # an unknown scorer fails here, before anything is written
    check_world(profile, config, start_state is not None)
    check_goal(profile, config.game.goal)
    model = model if model is not None else create_model(config.model.name, config)
    state_bytes = _read_start_state(start_state) if start_state else None

    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise RunError(f"bad run name {name!r}: use letters, digits, '.', '_' and '-' (up to 100 characters).")
    from animus.emulator.gameboy import GameBoy

    # PyBoy may still refuse the ROM (a title-matched game wrapper) or the start state: find out before the run
    # directory exists, so that a refused run leaves nothing behind.
    gb = GameBoy(rom_path)
    try:
        if state_bytes is not None:
            gb.import_state(state_bytes)
        else:
            set_world(gb, profile, config.game.world)
        run_dir = runs_dir / (name or _run_id(config))
        store = RunStore.create(run_dir)
    except BaseException:
        gb.close()
        raise
    try:
        _write_profile(run_dir, profile)
        now = time.time()
        store.write_meta(
            RunMeta(
                id=run_dir.name,
                schema_version=SCHEMA_VERSION,
                animus_version=__version__,
                git_commit=_git_commit(),
                config=json.loads(config.to_json()),
                label=config.group_label,
                model=config.model.name,
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
                state_version=gb.state_version,
                hashes=digests.DEFAULT,
                start_state=start_state is not None,
                created_at=now,
                sessions=(Session("start", 0, now, _budget(config)),),
            )
        )
        store.set_meta(card=_card(store, profile, store.meta()))
        with gb:
            store.put_keyframe(KeyframeRow(0, gb.frame_count, zlib.compress(gb.save_state(), 1)))
            agent = Agent(Rig(gb, profile, store, config, model, gate=gate), LoopState.new(gb, profile, config))
            return _play(agent, store, rom_path, on_start)
    except sqlite3.Error as exc:  # the new store could not be written (a full disk, a file size limit)
        raise health.failure(run_dir, exc) from None
    finally:
        store.close()
        gb.close()


def resume_run(
    run_dir: Path,
    budget: dict[str, Any] | None = None,
    on_start: OnStart | None = None,
    *,
    gate: Gate | None = None,
    model: Model | None = None,
) -> RunEnd:
    """Continue a stopped, crashed or killed run from its last committed step (see the module docstring).

    `budget` replaces stored budgets, key by key (a key whose value is None keeps the stored one). `on_start`,
    `gate` and `model` are as for `start_run`: `model` is played with instead of the one the stored
    `config.model.name` names (the run's meta is not changed).
    """
    faults.check()
    if not is_locked(run_dir):  # (a live writer: taking the lock below says so)
        with RunReader.open(run_dir) as reader:
            _preflight(reader, budget)  # refuse a run that cannot be resumed before its lock is taken
    store = RunStore.open(run_dir, write=True)
    try:
        meta, config, last, rom_path = _preflight(store, budget)  # again under the lock: it may have changed
        if rom_path is None:
            return _complete(store, run_dir, meta, last)
        profile = load_profile(str(run_dir / PROFILE_FILE))
        model = model if model is not None else create_model(config.model.name, config)
        from animus.emulator.gameboy import GameBoy

        with GameBoy(rom_path) as gb:
            loop = rebuild.loop_state(store, gb, profile, config, last)  # brings gb to step `last`
            agent = Agent(Rig(gb, profile, store, config, model, resume_step=last + 1, gate=gate), loop)
            sessions = meta.sessions
            if not (sessions and sessions[-1].kind == "fork" and sessions[-1].step == last):  # a fork's first play
                sessions = (*sessions, Session("resume", last, time.time(), _budget(config)))
            card = _card(store, profile, replace(meta, sessions=sessions))
            store.set_meta(**running_values(), sessions=sessions, card=card)
            return _play(agent, store, rom_path, on_start)
    except sqlite3.Error as exc:  # the store could not be written or read (a full disk, a damaged page)
        raise health.failure(run_dir, exc) from None
    finally:
        store.close()


# -- playing ------------------------------------------------------------------------------------------------------


def _play(agent: Agent, store: RunStore, rom: Path, on_start: OnStart | None) -> RunEnd:
    if on_start is not None:
        on_start(agent)
    store.space = health.SpaceWatch(store.run_dir, agent.config.record.warn_free_mb)
    store.space.check()
    with _graceful_signals(agent):
        try:
            # Once a session: a best-of-N branch copies what it fitted.
            window.fit_session(agent.p, agent.p.caller.model, window.reply_floor(agent.config))
            if agent.config.branching.branches > 1:
                from animus.agent import branching

                stop = branching.play(agent, store, rom)
            else:
                stop = agent.run()
        except StopRun as exc:  # raised outside the loop body (e.g. by a model while building a request)
            stop = exc
        except ModelInterrupted as exc:  # a signal in the instant a model call ended: nothing was recorded
            stop = StopRun("stopped", str(exc))
        except sqlite3.Error as exc:  # the store could not be written: a full disk, a file size limit
            problem = health.failure(store.run_dir, exc)
            _record_end(store, "error", str(problem))
            raise problem from None
        except BaseException as exc:
            store.set_meta(**end_values("failed", f"{type(exc).__name__}: {exc}", at=time.time()))
            raise
    budget = stop.budget if isinstance(stop, BudgetExhausted) else None
    ended = end_values(stop.status, stop.reason, finished=stop.finished, budget=budget, at=time.time())
    store.set_meta(**ended, card=_card(store, agent.profile, store.meta()))
    c = agent.counters
    reached = len(agent.tracker.reached)
    return RunEnd(store.run_dir, stop.status, stop.reason, c.step, c.actions, reached, stop.finished, budget)


@contextmanager
def _graceful_signals(agent: Agent) -> Iterator[None]:
    """First SIGINT/SIGTERM: finish the current step, then stop; but a model call in flight (a slow request, a
    wait between retries) is abandoned at once, since nothing of it is recorded yet. A second signal: exit at once
    (the store holds)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if agent.stop_requested:
            import os

            os._exit(128 + signum)
        agent.stop_requested = f"interrupted by {signal.Signals(signum).name}"
        if agent.p.caller.in_flight:
            raise ModelInterrupted(agent.stop_requested)

    with stop_signals(handler):
        yield


def _preflight(store: RunReader, budget: dict[str, Any] | None) -> tuple[RunMeta, RunConfig, int, Path | None]:
    """The run's meta, its config with the budgets raised, its last step and the ROM to play it on (None when
    nothing is left to play). `RunError` for a run that cannot be resumed: one cut short while it was created, or
    whose ROM is gone or changed."""
    run_dir, meta = store.run_dir, store.meta()
    if not meta.config or (store.last_step() == 0 and not store.keyframe_steps()):
        raise RunError(
            f"run {run_dir} was cut short while it was being created (nothing was played): delete it and start "
            "the run again."
        )
    stored = dict(meta.config)
    stored["budget"] = {**stored["budget"], **{k: v for k, v in (budget or {}).items() if v is not None}}
    config = stored_config(stored)
    last = store.last_step()
    if meta.finished or last >= config.budget.steps:
        return meta, config, last, None
    # A run that played the default cartridge of its day resumes on that cartridge, bundled under whatever name.
    rom_path = rom_file(config.rom) if config.rom else bundled_with_hash(meta.rom_sha256) or rom_file(None)
    if not rom_path.is_file():
        raise RunError(
            f"cannot find the ROM this run played ({rom_path}, sha256 {meta.rom_sha256[:12]}…): put it back "
            "at that path to resume."
        )
    _, rom = read_rom(rom_path)
    if rom.sha256 != meta.rom_sha256:
        raise RunError(
            f"{rom_path} is not the ROM this run played (sha256 {rom.sha256[:12]}… vs {meta.rom_sha256[:12]}…):"
            " restore the original ROM file to resume."
        )
    return meta, config, last, rom_path


def _record_end(store: RunStore, status: RunStatus, reason: str) -> bool:
    """Record how the run ended, if the store can still be written; False if it cannot."""
    try:
        store.set_meta(**end_values(status, reason, at=time.time()))
    except sqlite3.Error:  # the disk is still full: the run then lists as `crashed`, which resumes all the same
        return False
    return True


def _write_profile(run_dir: Path, profile: Profile) -> None:
    """The profile's text as profile.toml, and the data files it includes beside it: the run reads on its own."""
    try:
        for name, text in profile.included:
            (run_dir / name).write_text(text, encoding="utf-8")
        (run_dir / PROFILE_FILE).write_text(profile.source, encoding="utf-8")
    except OSError as exc:  # a full disk or a file size limit, in the run directory just created
        raise health.failure(run_dir, exc) from None


def _complete(store: RunStore, run_dir: Path, meta: RunMeta, last: int) -> RunEnd:
    reason, totals = meta.reason or "step budget reached", store.totals()
    reached = len(store.milestones())
    return RunEnd(run_dir, meta.status, reason, last, totals.actions, reached, meta.finished, meta.budget, True)


# -- small helpers ---------------------------------------------------------------------------------------------------


def _budget(config: RunConfig) -> dict[str, Any]:
    """A session's budget as its `Session` records it: the `budget` section as JSON."""
    return dict(config.budget.model_dump(mode="json"))


def _card(store: RunStore, profile: Profile, meta: RunMeta) -> dict[str, Any]:
    """The run's harness card as meta stores it, with the operator notes written so far."""
    return build_card(meta, profile, store.memory_events()).to_json()


def _run_id(config: RunConfig) -> str:
    model = re.sub(r"[^A-Za-z0-9]+", "-", split_spec(config.model.name)[0]).strip("-")
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
