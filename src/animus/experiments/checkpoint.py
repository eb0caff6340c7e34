"""Checkpoints: a moment of a recorded run that anyone with the ROM can reach again, and a task to play from it.

A checkpoint holds no save state, so one of a commercial game is legal to share. It holds the ROM's sha256 (and
title), the profile, the world number of a game with seeded worlds, every step's inputs from power-on
(`[buttons, hold, wait]` triples, as the run store logs them), the frame count, and the RAM and frame hashes of
the state they lead to, with the digest the run hashed with. `replay` rebuilds that state: power-on, the
profile's world setup (`animus.runs.setup.set_world`), the inputs step by step as the run applied them; then it
checks the frame count and both hashes. The format is TOML (docs/checkpoints.md).

Contracts:
- `make_checkpoint` cuts one from any recorded run after step `at` (1 to its last step) that began at power-on,
  not from a save state (`CheckpointError` otherwise). The goal (a milestone id of the run's profile, one the run
  had not reached by `at`) defaults to the next one the run reached after `at`, else the first in the profile's
  order it had not reached; the budget defaults to `budget_for` (see there).
- `load_checkpoint` / `parse_checkpoint` check every key and type; `replay` refuses, with one line naming the
  checkpoint and what differs, a ROM whose sha256 is another, inputs that do not add up to the recorded frame
  count, and a replay whose frame count or hashes differ from the recorded ones. All are `CheckpointError` (a
  `BadInputError`: exit code 2).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from animus.agent.tools import InputOp, apply_ops
from animus.emulator import BUTTONS, bundled_with_hash, read_rom, rom_file
from animus.errors import BadInputError
from animus.games import load_profile
from animus.runs.setup import check_goal

FORMAT = 1
MIN_BUDGET = 10  # actions: the least a default budget gives (a goal the run reached at once still needs a few)
UNREACHED_BUDGET = 100  # actions: the least a default budget gives for a goal the run never reached


class CheckpointError(BadInputError):
    """A checkpoint that cannot be made, read or used: the message names it and what is wrong."""


@dataclass(frozen=True)
class Expect:
    """The state the inputs lead to: frame counts (after the world setup, at the end) and the end's hashes."""

    digest: str  # the digest of the hashes (`animus.emulator.gameboy.HASHES`), the run's `meta.hashes`
    start_frame: int  # the frame count once the game's world setup is done (power-on for a game without one)
    frames: int
    ram_hash: str
    frame_hash: str


@dataclass(frozen=True)
class Origin:
    """Where the checkpoint was cut: for people and reports; nothing checks it."""

    run: str
    step: int
    actions: int
    model: str
    reached: tuple[str, ...]  # the milestones the run had reached by `step`, in the order it reached them


@dataclass(frozen=True)
class Checkpoint:
    name: str
    rom_sha256: str
    rom_title: str
    profile: str  # a built-in profile's name, or a profile file's path
    world: int | None  # the world number, for a profile with [world]
    steps: tuple[tuple[InputOp, ...], ...]  # every step's inputs, in order
    expect: Expect
    goal: str  # the default goal of a task from here: a milestone id of the profile
    budget: int  # its default action budget
    origin: Origin
    source: str = ""  # where it was read from (a file, or a suite's task): how errors name it

    @property
    def label(self) -> str:
        return f"{self.name!r} ({self.source})" if self.source else repr(self.name)


def budget_for(at_actions: int, goal_actions: int | None, end_actions: int) -> int:
    """The default action budget of a task cut at `at_actions`: twice what the run took from there to the goal
    (at least `MIN_BUDGET`); for a goal the run never reached (`goal_actions` None), what it went on to spend
    without reaching it, at least `UNREACHED_BUDGET`."""
    if goal_actions is not None:
        return max(MIN_BUDGET, 2 * (goal_actions - at_actions))
    return max(UNREACHED_BUDGET, end_actions - at_actions)


def make_checkpoint(
    run_dir: Path, at: int, goal: str | None = None, budget: int | None = None, name: str = ""
) -> Checkpoint:
    """The checkpoint of the run at `run_dir` after step `at` (see the module's contracts)."""
    from animus.config import stored_config
    from animus.games.registry import BUILTIN
    from animus.runs.reader import RunReader
    from animus.runs.runner import PROFILE_FILE

    with RunReader.open(run_dir) as store:
        meta, last = store.meta(), store.last_step()
        if meta.start_state:
            raise CheckpointError(
                f"run {run_dir.name} began from a save state (--start-state): its inputs do not start at power-on, "
                "so no one could replay a checkpoint of it. Cut one from a run that started at power-on."
            )
        if not 1 <= at <= last:
            raise CheckpointError(f"--at {at}: run {run_dir.name} has steps 1 to {last}; cut it after one of them.")
        profile = load_profile(str(run_dir / PROFILE_FILE))
        rows = store.milestones()
        reached = tuple(r.id for r in sorted(rows, key=lambda r: (r.step, r.ordinal)) if r.step <= at)
        after = sorted((r for r in rows if r.step > at), key=lambda r: (r.step, r.ordinal))
        if goal is None:
            left = [m.id for m in profile.milestones if m.id not in reached]
            if not after and not left:
                raise CheckpointError(f"run {run_dir.name} had reached every milestone by step {at}: no goal is left.")
            goal = after[0].id if after else left[0]
        check_goal(profile, goal, "--goal")
        if goal in reached:
            raise CheckpointError(
                f"--goal {goal}: run {run_dir.name} had already reached it by step {at}; pick one it had not reached."
            )
        played, end = list(store.steps(1, at)), store.step(last)
        first, cut = played[0], played[-1]
        hit = next((r.actions for r in after if r.id == goal), None)
        digest = meta.hashes or _detected_digest(store, meta)
        config = stored_config(meta.config)
    return Checkpoint(
        name=name or f"{run_dir.name}-at{at}",
        rom_sha256=meta.rom_sha256,
        rom_title=meta.rom_title,
        profile=profile.id if profile.id in BUILTIN else str((run_dir / PROFILE_FILE).resolve()),  # the run's copy
        world=config.game.world if profile.world is not None else None,
        steps=tuple(tuple(InputOp(b, h, w) for b, h, w in row.input_ops()) for row in played),
        expect=Expect(digest, first.frame_start, cut.frame_end, cut.ram_hash, cut.frame_hash),
        goal=goal,
        budget=budget if budget is not None else budget_for(cut.actions, hit, end.actions if end else cut.actions),
        origin=Origin(meta.id, at, cut.actions, meta.model, reached),
    )


def to_toml(cp: Checkpoint) -> str:
    """The checkpoint as TOML text (`parse_checkpoint` reads it back); one line per step of inputs."""
    q = json.dumps  # JSON strings, numbers and arrays of them are TOML values too
    tables: dict[str, dict[str, Any]] = {
        "": {"format": FORMAT, "name": cp.name, "goal": cp.goal, "budget": cp.budget},
        "rom": {"sha256": cp.rom_sha256, "title": cp.rom_title},
        "game": {"profile": cp.profile} | ({"world": cp.world} if cp.world is not None else {}),
        "expect": asdict(cp.expect),
        "origin": asdict(cp.origin),
    }
    lines = ["# An Animus checkpoint (docs/checkpoints.md): power-on, the world setup, these inputs -> [expect]."]
    for title, table in tables.items():
        lines += [*([f"\n[{title}]"] if title else []), *(f"{k} = {q(v)}" for k, v in table.items())]
    lines += ["\n[inputs]", "# one line per step: [buttons, hold frames, wait frames] per input; no buttons: a wait"]
    lines += ["steps = [", *(f"  [{', '.join(q(op.to_json()) for op in step)}]," for step in cp.steps), "]"]
    return "\n".join(lines) + "\n"


def write_checkpoint(cp: Checkpoint, path: Path, force: bool = False) -> None:
    """Write `cp` to `path`, a profile file's path relative to it; `CheckpointError` when it exists and not `force`."""
    if path.exists() and not force:
        raise CheckpointError(f"{path} already exists: pass --force to replace it, or give -o another name.")
    if cp.profile.endswith(".toml"):
        cp = replace(cp, profile=os.path.relpath(Path(cp.profile).resolve(), path.parent.resolve()))
    try:
        path.write_text(to_toml(cp), encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"cannot write {path} ({exc}): give -o a path in a writable directory.") from None


def load_checkpoint(path: Path) -> Checkpoint:
    """Read the checkpoint file at `path` (its profile path, if any, is relative to the file's directory)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} not found: check the path.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} cannot be read ({exc}): it must be a TOML checkpoint.") from None
    return parse_checkpoint(data, str(path), path.parent)


def parse_checkpoint(data: dict[str, Any], source: str, base: Path) -> Checkpoint:
    """A checkpoint from its TOML tables; `source` names it in errors, `base` anchors a relative profile path."""
    t = _Table(data, source)
    if t.get("format", int) != FORMAT:
        raise CheckpointError(f"checkpoint {source}: format {data['format']} is not {FORMAT}; cut it again.")
    rom, game, expect, origin, inputs = (t.table(k) for k in ("rom", "game", "expect", "origin", "inputs"))
    profile = game.get("profile", str)
    if profile.endswith(".toml") and not Path(profile).is_absolute():
        profile = str(base / profile)
    world = game.get("world", int) if "world" in game.data else None
    return Checkpoint(
        name=t.get("name", str),
        rom_sha256=rom.get("sha256", str),
        rom_title=rom.get("title", str),
        profile=profile,
        world=world,
        steps=tuple(_ops(step, source, i + 1) for i, step in enumerate(inputs.get("steps", list))),
        expect=Expect(**{f.name: expect.get(f.name, _TYPES[f.type]) for f in fields(Expect)}),
        goal=t.get("goal", str),
        budget=t.get("budget", int),
        origin=Origin(**{f.name: origin.get(f.name, _TYPES[f.type]) for f in fields(Origin)}),
        source=source,
    )


def rom_for(cp: Checkpoint, rom: str | None = None) -> Path:
    """The ROM to replay `cp` on: `rom` (a path or a bundled name) if given, else the bundled cartridge with its
    sha256. `CheckpointError` for a ROM with another sha256, or none given for a ROM that is not bundled."""
    if rom is None:
        found = bundled_with_hash(cp.rom_sha256)
        if found is None:
            raise CheckpointError(
                f"checkpoint {cp.label} was cut on {cp.rom_title!r} (sha256 {cp.rom_sha256[:12]}…), which is not "
                "bundled: give --rom the path of that ROM."
            )
        return found
    path = rom_file(rom)
    sha = read_rom(path)[1].sha256
    if sha != cp.rom_sha256:
        raise CheckpointError(
            f"{path} is not the ROM of checkpoint {cp.label} (sha256 {sha[:12]}… vs {cp.rom_sha256[:12]}…, "
            f"{cp.rom_title!r}): give --rom that ROM."
        )
    return path


def replay(cp: Checkpoint, rom: str | None = None) -> bytes:
    """Replay `cp` from power-on (see the module docstring) and return the state it reaches, as `GameBoy.save_state`
    bytes, once its frame count and hashes are checked (`CheckpointError` names what differs)."""
    from animus.emulator.gameboy import HASHES, GameBoy
    from animus.runs.setup import set_world

    path = rom_for(cp, rom)
    profile = load_profile(cp.profile)
    if (cp.world is None) != (profile.world is None):
        has = "has no" if profile.world is None else "has a"
        raise CheckpointError(f"checkpoint {cp.label}: profile {profile.id!r} {has} [world], but world = {cp.world}.")
    if cp.expect.digest not in HASHES:
        raise CheckpointError(
            f"checkpoint {cp.label}: unknown digest {cp.expect.digest!r}; use one of {', '.join(HASHES)}."
        )
    total = cp.expect.start_frame + sum(op.frames for step in cp.steps for op in step)
    if total != cp.expect.frames:
        raise CheckpointError(
            f"checkpoint {cp.label} does not add up: its inputs end at frame {total}, its [expect] frames = "
            f"{cp.expect.frames}; an input or the frame count was edited. Cut it again with `animus checkpoint`."
        )
    with GameBoy(path) as gb:
        gb.use_hash(cp.expect.digest)
        if cp.world is not None:
            set_world(gb, profile, cp.world)
        _same(cp, "start_frame", cp.expect.start_frame, gb.frame_count)
        for step in cp.steps:
            apply_ops(gb, step)
        _same(cp, "frames", cp.expect.frames, gb.frame_count)
        _same(cp, "ram_hash", cp.expect.ram_hash, gb.ram_hash())
        _same(cp, "frame_hash", cp.expect.frame_hash, gb.frame_hash())
        return gb.save_state()


# -- helpers -------------------------------------------------------------------------------------------------------

_TYPES: dict[Any, type[Any]] = {"int": int, "str": str, "tuple[str, ...]": tuple}  # the fields' annotations


def _same(cp: Checkpoint, what: str, want: object, got: object) -> None:
    if want != got:
        raise CheckpointError(
            f"checkpoint {cp.label} does not replay to its recorded state: {what} differs (recorded {want}, "
            f"replayed {got}); its inputs or [expect] were edited, or the profile's world setup changed."
        )


class _Table:
    """One TOML table of a checkpoint, with typed getters whose errors name the key."""

    def __init__(self, data: Any, where: str, prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise CheckpointError(f"checkpoint {where}: [{prefix.rstrip('.')}] must be a table.")
        self.data, self.where, self.prefix = data, where, prefix

    def get(self, key: str, kind: type[Any]) -> Any:
        value = self.data.get(key)
        if kind is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)  # a list of strings (TOML has no tuples)
        if value is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CheckpointError(
                f"checkpoint {self.where}: {self.prefix}{key} must be a {kind.__name__}; cut it again."
            )
        return value

    def table(self, key: str) -> _Table:
        return _Table(self.data.get(key), self.where, f"{key}.")


def _ops(step: Any, where: str, number: int) -> tuple[InputOp, ...]:
    """One step's inputs, each as `GameBoy.press` (known buttons, hold and wait >= 1) or `tick` (no buttons, hold
    0, wait >= 0) takes it; `CheckpointError` for anything else."""
    ops = []
    for op in step if isinstance(step, list) else [None]:
        parts: list[Any] = op if isinstance(op, list) and len(op) == 3 else [None, 0, -1]
        b, h, w = parts
        ok = isinstance(b, list) and type(h) is int and type(w) is int and all(x in BUTTONS for x in b)
        if not ok or not ((h >= 1 and w >= 1) if b else (h == 0 and w >= 0)):
            raise CheckpointError(
                f"checkpoint {where}: input step {number} is not a list of [buttons, hold, wait] with known buttons "
                f"({', '.join(BUTTONS)}) and frame counts; cut it again."
            )
        ops.append(InputOp(tuple(b), h, w))
    return tuple(ops)


def _detected_digest(store: Any, meta: Any) -> str:
    """The digest of an old run whose meta does not name it: found by replaying its first step."""
    from animus.emulator.gameboy import GameBoy
    from animus.inspect.frames import run_rom
    from animus.runs.digests import use_recorded_hash

    with GameBoy(run_rom(meta, None)) as gb:
        return use_recorded_hash(store, gb)
