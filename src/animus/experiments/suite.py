"""Suites of checkpoint tasks, and `run_bench`, which plays every task once per seed and reports on them.

A suite is a TOML file of `[[task]]` tables (docs/checkpoints.md): each names a checkpoint (a file, relative to
the suite's directory, or an inline table with the checkpoint's own keys), and may replace its goal (a milestone
id) and action budget.

Contracts:
- `load_suite` checks everything a bench needs before anything plays: the keys, unique task names that can name
  runs, each checkpoint's format, and each goal against its profile's milestones; `BadInputError` (one line).
- `run_bench` replays every task's checkpoint first (a tampered one, or one whose ROM differs, is refused before
  any run is created), then plays task x seed as ordinary runs named `<task>-s<seed>` in `runs_dir`, one after
  another: each starts from the checkpoint's state (`start_run`'s start state), with `game.goal` set to the
  task's goal (the run is finished there), and stops once the task's action budget is spent (`budget.steps` is
  twice the budget, so a model that replies without acting cannot play on forever). Run again into the same
  `runs_dir`, it reuses runs that ended and resumes interrupted ones; a run there with another config or from
  another checkpoint is refused.
- A run succeeds when its milestone rows hold the goal at no more than the budget's actions. Actions to the goal
  are then that row's actions; a run that did not succeed is censored at its last step's actions. Per task the
  report gives the success rate and the Kaplan-Meier median with its bootstrap interval (`animus.stats.survival`,
  2000 resamples, seed 0), and `bench.json` in `runs_dir` holds it all.
- A run stopped by a signal stops the bench (`BenchReport.stopped`); running the same command again resumes.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animus import __version__
from animus.errors import BadInputError, ConfigError, StopRun
from animus.experiments.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    parse_checkpoint,
    replay,
    rom_for,
)
from animus.games import load_profile
from animus.runs.setup import check_goal

if TYPE_CHECKING:
    from animus.agent.loop import Agent
    from animus.config import RunConfig
    from animus.stats.survival import MedianEstimate

REPORT = "bench.json"
_TASK_KEYS = {"name", "checkpoint", "goal", "budget"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")
# The settings a bench decides for each run (and game.* below them): --set may not change them.
_OWN_KEYS = ("rom", "game", "model", "model.name", "seed", "label", "budget.steps", "stop_on_finish")


@dataclass(frozen=True)
class Task:
    """One task of a suite: from `checkpoint`'s state, reach milestone `goal` within `budget` actions."""

    name: str
    checkpoint: Checkpoint
    goal: str
    goal_label: str
    budget: int


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class BenchRun:
    """One run of a task, as its store has it."""

    task: str
    seed: int
    run: str  # the run's directory name under the runs dir
    status: str
    reason: str
    steps: int
    actions: int  # at its last step
    goal_actions: int | None  # where its milestone rows hold the goal, or None
    reached: bool  # the goal, within the budget


@dataclass(frozen=True)
class TaskResult:
    task: str
    world: int | None
    goal: str
    goal_label: str
    budget: int
    checkpoint: str
    runs: tuple[BenchRun, ...]
    successes: int
    success_rate: float
    estimate: MedianEstimate | None  # Kaplan-Meier median actions to the goal and its interval (None: no run)


@dataclass(frozen=True)
class BenchReport:
    suite: str
    model: str
    seeds: tuple[int, ...]
    runs_dir: str
    tasks: tuple[TaskResult, ...]
    stopped: bool  # a signal stopped the bench before every run was played

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; an estimate's median, low or high that is null is beyond the data (+inf)."""
        return asdict(self)

    def lines(self) -> list[str]:
        """The report as a table for people: one row per task."""
        from animus.stats.milestones import interval_text, value_text

        rows = [["task", "world", "goal", "budget", "success", "median actions to goal [95% interval]"]]
        for t in self.tasks:
            est = t.estimate
            median = "—" if est is None or est.median is None else value_text(est.median, "actions")
            rate = f"{t.successes}/{len(t.runs)} ({100 * t.success_rate:.0f}%)"
            world = "" if t.world is None else str(t.world)
            rows.append([t.task, world, t.goal_label, str(t.budget), rate, f"{median} {interval_text(est, 'actions')}"])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        left = (0, 2, 5)  # text columns; numbers are right-aligned
        out = [
            "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows
        ]
        out.append("medians are Kaplan-Meier's: a run short of the goal is censored at its actions; —: beyond the data")
        return [line.rstrip() for line in out]


def load_suite(path: Path) -> Suite:
    """Read and check the suite at `path` (see the module's contracts)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"suite {path} not found: check the path.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInputError(f"suite {path} cannot be read ({exc}): a suite is a TOML file of [[task]].") from None
    if unknown := sorted(set(data) - {"name", "description", "task"}):
        raise BadInputError(
            f"suite {path}: unknown key(s) {', '.join(unknown)}; a suite has name, description, [[task]]."
        )
    items = data.get("task")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise BadInputError(f"suite {path} has no [[task]]: add one per checkpoint.")
    tasks: list[Task] = []
    for i, item in enumerate(items, 1):
        where = f"suite {path}, task {i}"
        if unknown := sorted(set(item) - _TASK_KEYS):
            raise BadInputError(
                f"{where}: unknown key(s) {', '.join(unknown)}; a task has {', '.join(sorted(_TASK_KEYS))}."
            )
        ref = item.get("checkpoint")
        if isinstance(ref, str):
            cp = load_checkpoint(path.parent / ref)
        elif isinstance(ref, dict):
            cp = parse_checkpoint(ref, f"{path} task {i}", path.parent)
        else:
            raise BadInputError(f"{where}: checkpoint must be a file name (relative to the suite) or a table.")
        name, goal, budget = item.get("name", cp.name), item.get("goal", cp.goal), item.get("budget", cp.budget)
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in {t.name for t in tasks}:
            raise BadInputError(f"{where}: name {name!r} must be unique, of letters, digits, '.', '_' and '-'.")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise BadInputError(f"{where}: budget must be a number of actions, at least 1.")
        if not isinstance(goal, str):
            raise BadInputError(f"{where}: goal must be a milestone id.")
        profile = load_profile(cp.profile)
        check_goal(profile, goal, f"{where} goal")
        label = next(m.label for m in profile.milestones if m.id == goal)
        tasks.append(Task(name, cp, goal, label, budget))
    name = data.get("name", path.stem)
    return Suite(name if isinstance(name, str) else path.stem, path, tuple(tasks))


def run_bench(
    suite: Suite,
    runs_dir: Path,
    model: str = "mock",
    seeds: Sequence[int] = (1, 2, 3),
    rom: str | None = None,
    sets: Sequence[str] = (),
    on_run: Callable[[BenchRun], None] | None = None,
) -> BenchReport:
    """Play `suite` (see the module's contracts); `on_run` is told of each run once it has ended (or was found
    ended). Writes and returns the report."""
    from animus.agent.models import check_spec

    check_spec(model)
    keys = [s.partition("=")[0].strip() for s in sets]
    if owned := [k for k in keys if k in _OWN_KEYS or k.startswith("game.")]:
        raise ConfigError(f"--set {owned[0]}: a bench sets {', '.join(_OWN_KEYS)} itself; use its options instead.")
    configs = {(t.name, s): _config(t, model, s, rom, sets) for t in suite.tasks for s in seeds}
    states = {t.name: replay(t.checkpoint, rom) for t in suite.tasks}  # every checkpoint is checked before any run
    runs_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, list[BenchRun]] = {t.name: [] for t in suite.tasks}
    stopped = False
    with tempfile.TemporaryDirectory(prefix="animus-bench-") as tmp:
        for task in suite.tasks:
            state = Path(tmp) / f"{task.name}.state"
            state.write_bytes(states[task.name])
            for seed in seeds if not stopped else ():
                run_dir = runs_dir / f"{task.name}-s{seed}"
                status = _play(task, run_dir, configs[(task.name, seed)], state)
                stopped = status == "stopped"  # a signal: the runner stopped the run, so the bench stops too
                done[task.name].append(_outcome(task, seed, run_dir))
                if on_run is not None:
                    on_run(done[task.name][-1])
    report = BenchReport(
        suite.name, model, tuple(seeds), str(runs_dir), tuple(_result(t, done[t.name]) for t in suite.tasks), stopped
    )
    head = {"suite_path": str(suite.path), "created_at": time.time(), "animus_version": __version__}
    (runs_dir / REPORT).write_text(json.dumps(head | report.to_json(), indent=2) + "\n", encoding="utf-8")
    return report


# -- runs ----------------------------------------------------------------------------------------------------------


def _play(task: Task, run_dir: Path, config: RunConfig, state: Path) -> str | None:
    """Start the run at `run_dir` from `state`, resume it, or leave it as it ended; the status it ended with now
    (None: it had ended before)."""
    from animus.fleet.existing import examine, remove_half, settled
    from animus.runs.runner import resume_run, start_run

    hook = _ActionBudget(task.budget, task.goal)
    found = examine(run_dir, config)  # refuses a run with another config, or one being written
    if found.kind == "half":  # killed while it was being created: nothing was played
        remove_half(run_dir)
    if found.kind != "run":
        return start_run(config, run_dir.parent, run_dir.name, start_state=state, on_start=hook.attach).status
    _check_origin(run_dir, task)
    if settled(found, config.budget.steps):
        return None
    return resume_run(run_dir, on_start=hook.attach).status


class _ActionBudget:
    """Ends a run, after the step that spends it, once the task's action budget is spent without the goal."""

    def __init__(self, budget: int, goal: str) -> None:
        self.budget, self.goal = budget, goal

    def attach(self, agent: Agent) -> None:
        agent.on_step = self.check

    def check(self, agent: Agent) -> None:
        # Raised from the step's `on_step`, after the step is committed: the loop ends the run as it ends it at
        # its final milestone (status done). A step that reached the goal is left to that check (finished).
        c = agent.counters
        if c.actions >= self.budget and self.goal not in agent.tracker.reached:
            raise StopRun("done", f"the task's action budget is spent ({c.actions} of {self.budget} actions)")


def _config(task: Task, model: str, seed: int, rom: str | None, sets: Sequence[str]) -> RunConfig:
    from animus.config import load_config
    from animus.emulator import BUNDLED_ROMS, bundled_rom

    path = rom_for(task.checkpoint, rom)  # refuses a ROM with another sha256 before anything is played
    overrides = {
        "rom": rom or next((name for name in BUNDLED_ROMS if bundled_rom(name) == path), str(path)),
        "game.profile": task.checkpoint.profile,
        "game.goal": task.goal,
        "model": model,
        "seed": seed,
        "label": f"{task.name} ({model})",
        "budget.steps": 2 * task.budget,
        "stop_on_finish": True,
    }
    return load_config(overrides=overrides, sets=tuple(sets))


def _check_origin(run_dir: Path, task: Task) -> None:
    """A run found in the runs dir must have started where this task's checkpoint ends."""
    from animus.runs.reader import RunReader

    with RunReader.open(run_dir) as store:
        frame = store.keyframe_at_or_before(0).frame
    if frame != task.checkpoint.expect.frames:
        raise CheckpointError(
            f"run {run_dir} was played from another checkpoint than task {task.name!r} (frame {frame}, not "
            f"{task.checkpoint.expect.frames}): use another --runs-dir for this suite."
        )


def _outcome(task: Task, seed: int, run_dir: Path) -> BenchRun:
    from animus.runs.catalog import live_status
    from animus.runs.reader import RunReader

    with RunReader.open(run_dir) as store:
        meta, last = store.meta(), store.last_step()
        row = store.step(last) if last else None
        hit = next((m.actions for m in store.milestones() if m.id == task.goal), None)
    actions = row.actions if row is not None else 0
    reached = hit is not None and hit <= task.budget
    status = live_status(run_dir, meta.status)
    return BenchRun(task.name, seed, run_dir.name, status, meta.reason or "", last, actions, hit, reached)


def _result(task: Task, runs: list[BenchRun]) -> TaskResult:
    from animus.stats.survival import Sample, bootstrap_median

    times = [float(r.goal_actions) if r.reached and r.goal_actions is not None else float(r.actions) for r in runs]
    estimate = bootstrap_median(Sample.of(times, [r.reached for r in runs])) if runs else None
    wins, cp = sum(r.reached for r in runs), task.checkpoint
    rate = wins / len(runs) if runs else 0.0
    return TaskResult(
        task.name, cp.world, task.goal, task.goal_label, task.budget, cp.source, tuple(runs), wins, rate, estimate
    )
