"""The fleet plan: a TOML matrix of runs (each `[[run]]` x each world x each seed), validated whole first.

    steps = 2000            # per run (budget.steps); a [[run]] may set its own
    seeds = [1, 2, 3]
    worlds = [1000, 1001]   # optional: game.world of each run (a game with seeded worlds)
    [config]                # optional: overrides for every run (dotted keys as with --set, or nested tables)
    [limits]                # optional: per API key, across the fleet's processes
    max_concurrent_calls = 2
    requests_per_minute = 50
    [[run]]
    label = "mock"
    model = "mock"
    set = { "thinking.budget_tokens" = 8192 }

Contracts:
- `load_plan` raises `ConfigError` (one line, naming the plan file and the key) for a missing or unreadable file,
  bad TOML, unknown keys, no runs, duplicate labels or duplicate run names, bad seeds, and bad numbers.
- `resolve_runs` turns a plan into one `PlannedRun` per (run, seed), each with its resolved `RunConfig`
  (`label` -> `label`, `model` -> `model.name`, the seed -> `seed`, `steps` -> `budget.steps`), raising
  `ConfigError` naming the run for any config that does not validate. `[config]` and `set` may not set `seed`,
  `label` or the model's name: the plan's own keys decide those.
- `check_inputs` makes the checks `start_run` makes before it writes anything (ROM, profile, model), once per
  distinct setting, so a fleet fails before its first run starts, not in its fifth.
- A run's directory name is `<slug of its label>-s<seed>`, or `<slug>-w<world>-s<seed>` when the plan names
  worlds: the label in lower case with every run of other characters than a-z and 0-9 made one '-'.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from animus.config import RunConfig, load_config
from animus.errors import AnimusError, ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Limits(_Strict):
    """What the runs that share an API key share (none: no limit)."""

    max_concurrent_calls: int | None = Field(None, ge=1, description="Model calls in flight at once, per key.")
    requests_per_minute: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Calls per minute per key, evenly spaced."
    )

    @property
    def active(self) -> bool:
        return self.max_concurrent_calls is not None or self.requests_per_minute is not None


class RunSpec(_Strict):
    """One `[[run]]`: a labelled configuration, played once per seed."""

    label: str = Field(min_length=1, max_length=80)
    model: str = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict, alias="set")
    steps: int | None = Field(None, ge=1, description="This run's budget.steps, instead of the plan's.")


class Plan(_Strict):
    """A whole plan file."""

    steps: int | None = Field(None, ge=1, description="budget.steps of every run (default: the config's).")
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    worlds: list[int] | None = Field(None, min_length=1, description="game.world of each run, crossed with seeds.")
    config: dict[str, Any] = Field(default_factory=dict)
    limits: Limits = Limits()
    runs: list[RunSpec] = Field(alias="run", min_length=1)

    @field_validator("seeds")
    @classmethod
    def _check_seeds(cls, seeds: list[int]) -> list[int]:
        if any(s < 0 for s in seeds):
            raise ValueError(f"seeds must be 0 or more (got {seeds})")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"each seed once (got {seeds})")
        return seeds

    @field_validator("worlds")
    @classmethod
    def _check_worlds(cls, worlds: list[int] | None) -> list[int] | None:
        if worlds is None:
            return None
        if any(not 0 <= w <= 0xFFFF for w in worlds):
            raise ValueError(f"worlds must be 0-65535 (got {worlds})")
        if len(set(worlds)) != len(worlds):
            raise ValueError(f"each world once (got {worlds})")
        return worlds

    def to_json(self) -> dict[str, Any]:
        """The plan as written, keys as in the file."""
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class PlannedRun:
    """One run of the fleet: its directory name, label, seed and resolved config."""

    name: str
    label: str
    seed: int
    config: RunConfig


def load_plan(path: Path) -> Plan:
    """Read and validate a plan file (see the module docstring). Raises `ConfigError`."""
    if not path.is_file():
        what = "a directory" if path.is_dir() else "not found"
        raise ConfigError(f"plan file {path}: {what}. Give `animus fleet` a TOML plan (see the README, 'Fleets').")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"plan file {path}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"plan file {path}: not a UTF-8 text file; a plan is TOML text.") from None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"plan file {path}: {_describe(exc)}") from None
    names: dict[str, str] = {}
    for spec in plan.runs:
        slug = slugify(spec.label)
        if not slug:
            raise ConfigError(f"plan file {path}: label {spec.label!r} has no letters or digits to name its runs.")
        if slug in names and names[slug] == spec.label:
            raise ConfigError(f"plan file {path}: label {spec.label!r} is used twice: make labels unique.")
        if slug in names:
            raise ConfigError(
                f"plan file {path}: labels {names[slug]!r} and {spec.label!r} name their runs alike ({slug}-s<seed>): "
                "make them differ in letters or digits."
            )
        names[slug] = spec.label
    return plan


def resolve_runs(plan: Plan) -> list[PlannedRun]:
    """One `PlannedRun` per (run, seed), in plan order, every config validated. Raises `ConfigError`."""
    runs = []
    for spec in plan.runs:
        merged: dict[str, Any] = {}
        try:
            _merge_dotted(merged, plan.config)
            _merge_dotted(merged, spec.overrides)
        except ConfigError as exc:
            raise ConfigError(f"run {spec.label!r}: {exc}") from None
        _refuse_own_keys(merged, spec.label)
        if isinstance(merged.get("game"), str):  # `game = "NAME"` is short for [game] profile = "NAME"
            merged["game"] = {"profile": merged["game"]}
        if plan.worlds is not None and "world" in merged.get("game", {}):
            raise ConfigError(
                f"run {spec.label!r}: game.world comes from the plan's worlds; remove it from [config] and set."
            )
        model = merged.setdefault("model", {})
        model["name"] = spec.model
        merged["label"] = spec.label
        steps = spec.steps or plan.steps
        if steps is not None:
            merged.setdefault("budget", {})
            if not isinstance(merged["budget"], dict):
                raise ConfigError(f"run {spec.label!r}: budget is a value, not a section.")
            merged["budget"]["steps"] = steps
        for world, seed in _cells(plan):
            overrides = {**merged, "seed": seed} | ({} if world is None else {"game.world": world})
            try:
                config = load_config(overrides=overrides)
            except ConfigError as exc:
                raise ConfigError(f"run {spec.label!r}: {exc}") from None
            where = "" if world is None else f"-w{world}"
            runs.append(PlannedRun(f"{slugify(spec.label)}{where}-s{seed}", spec.label, seed, config))
    return runs


def _cells(plan: Plan) -> list[tuple[int | None, int]]:
    """The (world, seed) pairs each [[run]] is played at: every seed, in every world when the plan names worlds."""
    worlds: list[int | None] = list(plan.worlds) if plan.worlds else [None]
    return [(world, seed) for world in worlds for seed in plan.seeds]


def check_inputs(runs: list[PlannedRun]) -> None:
    """The checks `start_run` makes before writing anything, for every distinct ROM, profile and model setting.

    Raises the `AnimusError` `start_run` would raise, prefixed with the run's name.
    """
    from animus.agent.models import check_spec, create_model
    from animus.emulator import read_rom, rom_file
    from animus.games import choose_profile

    seen: set[str] = set()
    for run in runs:
        c = run.config
        key = c.model_dump_json(exclude={"seed", "label", "budget"})
        if key in seen:
            continue
        seen.add(key)
        try:
            _, rom = read_rom(rom_file(c.rom))
            choose_profile(rom.title, rom.sha256, c.game.profile)
            check_spec(c.model.name)
            create_model(c.model.name, c)
        except AnimusError as exc:
            raise type(exc)(f"run {run.name}: {exc}") from None


def slugify(label: str) -> str:
    """`label` in lower case with each run of characters other than a-z and 0-9 made one '-', trimmed of '-'."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


# -- helpers --------------------------------------------------------------------------------------------------------

OWN_KEYS = ("seed", "label")


def _refuse_own_keys(merged: dict[str, Any], label: str) -> None:
    for key in OWN_KEYS:
        if key in merged:
            raise ConfigError(f"run {label!r}: {key} comes from the plan ({key}s / [[run]] {key}); remove it from "
                              "[config] and set.")  # fmt: skip
    model = merged.get("model")
    if isinstance(model, str) or (isinstance(model, dict) and "name" in model):
        raise ConfigError(f"run {label!r}: the model comes from [[run]] model; remove it from [config] and set.")


def _merge_dotted(target: dict[str, Any], table: dict[str, Any]) -> None:
    """Merge `table` into `target`: a key with dots is a path ("thinking.budget_tokens"), a table merges key by key.

    Keys inside nested tables are taken as they are, so `pricing = { "gpt-4.1" = {...} }` names one model.
    """
    for key, value in table.items():
        parts = key.split(".")
        node = target
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{key}: {part} is a value, not a section.")
        _merge_value(node, parts[-1], value, key)


def _merge_value(node: dict[str, Any], key: str, value: Any, path: str) -> None:
    if isinstance(value, dict):  # a section: merged key by key into a fresh dict (the plan's own stay untouched)
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{path}: a section here, but a value was set before.")
        for k, v in value.items():
            _merge_value(child, k, v, f"{path}.{k}")
    else:
        node[key] = value


def _where(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the plan spells it: `[[run]] #2.label`, `seeds #3`, `limits.max_concurrent_calls`."""
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1] if parts else ''} #{p + 1}".strip()]
        else:
            parts.append("[[run]]" if p == "run" and not parts else str(p))
    return ".".join(parts) or "plan"


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = _where(err["loc"])
        if err["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key (a plan has steps, seeds, [config], [limits] and [[run]] tables "
                            "with label, model, set and steps)")  # fmt: skip
        elif err["type"] == "missing":
            problems.append(f"{where}: missing" + (" (add at least one [[run]] table)" if where == "[[run]]" else ""))
        elif err["type"] == "value_error":
            problems.append(f"{where}: {err.get('ctx', {}).get('error', err['msg'])}")
        else:
            problems.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "bad plan: " + "; ".join(problems)
