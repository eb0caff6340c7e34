"""A run's provenance and status: the `meta` table, typed. The one module that knows its keys.

The `meta` table holds one JSON value per key. `RunMeta` is every key Animus writes, as attributes; `encode` turns
keys and values into rows and `decode` turns rows back into a `RunMeta`. Everything else reads attributes.

Reading is lenient in one way and strict in another. A key an older Animus did not write reads as its documented
default (the field's comment says it), and a key this version does not know (a newer minor version's) is kept in
`extra` and otherwise ignored. A known key whose value has the wrong type is a damaged store (`RunError`).

`finished` (the run ended because its final milestone was reached) and `budget` (which budget ended it) were added
after runs had been recorded. A store written before them has neither key, and is read by the rule it was written
with: a `done` run whose reason starts with "finished" was finished, one whose reason starts with "step budget"
(time, token, cost) ran out of that budget. Those rules live here and nowhere else: no other code reads a reason.

`sessions` (when the run was started and each time it was resumed or forked, with the budget each session played
with), `card` (the harness card, `animus.runs.card`) and `parent` (a fork's lineage) were added later too. A store
without them has no sessions recorded (its resumes and budget changes are unknown), an empty card (`card.run_card`
computes it from the store) and no parent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, cast, get_args, get_origin, get_type_hints

from animus.errors import RunError

if TYPE_CHECKING:
    from animus.config import RunConfig

RunStatus = Literal["running", "done", "stopped", "failed", "stuck", "error", "crashed"]
"""How a run stands. Stored: `running` (being played, or its writer died), `done` (a budget ran out, or the game
was finished: see `RunMeta.finished`), `stopped` (a signal or an operator stopped it; resumable), `failed` (bad tool
calls in a row, or an unexpected error), `stuck` (the watchdog's last stage, with `watchdog.on_stuck = "stop"`),
`error` (the model's API or the disk kept failing; resumable). Never stored, only read: `crashed`, a `running` run
whose writer is gone (`live_status`)."""

RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)

Budget = Literal["steps", "minutes", "tokens", "cost"]
"""Which budget ended a `done` run that was not finished."""
BUDGETS: tuple[Budget, ...] = get_args(Budget)
SessionKind = Literal["start", "resume", "fork"]
# The reasons runs had before `finished` and `budget` were stored, which old stores are read by.
LEGACY_FINISHED_PREFIX = "finished"
LEGACY_BUDGET_PREFIXES: dict[str, Budget] = {"step budget": "steps", "time budget": "minutes",
                                             "token budget": "tokens", "cost budget": "cost"}  # fmt: skip


@dataclass(frozen=True)
class Session:
    """One session of a run: its start, or a resume. Stored in `RunMeta.sessions` as a JSON object of these
    fields; `budget` is the session's `budget` section as JSON (`steps`, `max_minutes`, `max_tokens`, `max_cost`),
    so a resume that changed a budget shows as a session whose budget differs from the one before."""

    kind: SessionKind
    step: int  # the last committed step it started from: 0 for the start, the step it resumed or was forked after
    started_at: float
    budget: Mapping[str, int | float | None]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "step": self.step, "started_at": self.started_at, "budget": dict(self.budget)}

    @classmethod
    def from_json(cls, data: object) -> Session:
        """The session a stored JSON object holds; `ValueError` naming what is wrong for any other value."""
        if not isinstance(data, dict):
            raise ValueError(f"a session is a JSON object, not {type(data).__name__}")
        kind, step, at, budget = (data.get(k) for k in ("kind", "step", "started_at", "budget"))
        if kind not in get_args(SessionKind):
            raise ValueError(f"a session's kind is {str(kind)[:40]!r}, not start, resume or fork")
        if not isinstance(step, int) or isinstance(step, bool) or not isinstance(at, (int, float)):
            raise ValueError("a session's step is not an integer or its started_at not a number")
        if not isinstance(budget, dict) or not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in budget.values()
        ):
            raise ValueError("a session's budget is not an object of numbers")
        return cls(cast(SessionKind, kind), step, float(at), budget)


@dataclass(frozen=True)
class RunMeta:
    """Everything a run records about itself in `meta`. Defaults are what a store without the key means."""

    id: str  # default: the run directory's name
    config: Mapping[str, Any] = field(default_factory=dict)  # the resolved RunConfig as JSON (`config_from_dict`)
    status: RunStatus = "running"  # default: a run whose creation was cut short
    reason: str = ""
    finished: bool = False  # default for old stores: the legacy rule (module docstring)
    budget: Budget | None = None  # the budget that ended it; default for old stores: the legacy rule
    schema_version: int | None = None  # the store schema the run was created with
    animus_version: str = ""
    git_commit: str | None = None
    label: str = ""  # charts and fleets group by `group_label`: this, else `model`, else `id`
    model: str = ""
    seed: int = 0
    profile_id: str = ""
    profile_name: str = ""
    profile_hash: str = ""
    milestone_count: int = 0
    prompts: Mapping[str, str] = field(default_factory=dict)
    rom_path: str = ""
    rom_sha256: str = ""
    rom_title: str = ""
    pyboy_version: str = ""
    state_version: int | None = None
    hashes: str | None = None  # the digest of the steps' frame and RAM hashes; None: older, see runs/digests.py
    start_state: bool = False  # the run began from a given save state
    created_at: float | None = None
    ended_at: float | None = None  # the end of the latest session
    stuck_at_step: int | None = None  # the step the watchdog's last stage was reached (the latest)
    sessions: tuple[Session, ...] = ()  # the start, then every resume, in order; default for old stores: none known
    # The harness card (`animus.runs.card.Card.to_json`) as of the latest session's start or end; default for old
    # stores: {} (`card.run_card` computes it from the store, always current).
    card: Mapping[str, Any] = field(default_factory=dict)
    # A fork's parent (`animus.runs.fork`): {"run": its id, "path": its directory, "step": the step forked after};
    # default: {} (not a fork). Its steps up to "step" are copies of the parent's.
    parent: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as read

    def run_config(self) -> RunConfig:
        """The config the run played with, upgraded from an older Animus's keys (`config.stored_config`)."""
        from animus.config import stored_config

        return stored_config(self.config)

    def to_json(self) -> dict[str, Any]:
        """Every key as this version reads it, the unknown ones included (for export): a key an older store lacks
        appears with its default, `finished` and `budget` as its legacy rule reads them."""
        known = {name: _plain(getattr(self, name)) for name in _FIELDS}
        return {**known, **self.extra}

    @property
    def group_label(self) -> str:
        """The label charts and fleets group the run by."""
        return self.label or self.model or self.id


_FIELDS = {f.name: f for f in fields(RunMeta) if f.name != "extra"}
KEYS = frozenset(_FIELDS)


def _json_types(hint: Any) -> tuple[type, ...]:
    """The JSON values (as `json.loads` gives them) a field of type `hint` may hold."""
    origin = get_origin(hint)
    if origin is Literal:
        return (str,)  # every Literal here is of strings
    if origin in (Union, UnionType):
        return tuple(t for arg in get_args(hint) for t in _json_types(arg))
    if origin is Mapping or hint is Mapping:
        return (dict,)
    if origin is tuple:
        return (list,)  # a tuple of records, stored as a JSON array
    if hint is float:
        return (float, int)  # `1e9` and `1000000000` alike
    return (hint,)  # str, int, bool, NoneType


# What each key may hold, from RunMeta's own annotations: a new field needs no entry anywhere else.
_TYPES = {name: _json_types(hint) for name, hint in get_type_hints(RunMeta).items() if name in KEYS}


def encode(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`(key, JSON)` rows for `values`. A key that is not a `RunMeta` field is a bug (`KeyError`), so a typo in a
    writer fails where it is made instead of being stored under a name no reader knows."""
    unknown = set(values) - KEYS
    if unknown:
        raise KeyError(f"not a RunMeta key: {', '.join(sorted(unknown))}")
    return [(key, json.dumps(_plain(value))) for key, value in values.items()]


def initial(meta: RunMeta) -> list[tuple[str, str]]:
    """The rows a new run starts with: every field of `meta` (not `extra`)."""
    return encode({name: _plain(getattr(meta, name)) for name in _FIELDS})


def decode(rows: Iterable[tuple[Any, Any]], run_dir: Path) -> RunMeta:
    """The `RunMeta` of a store's meta rows; `RunError` (a damaged store) for a value that is not JSON or has the
    wrong type for its key."""
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, raw in rows:
        try:
            value = json.loads(raw)
        except (ValueError, TypeError) as exc:  # not JSON, or not even text
            raise _damaged(run_dir, f"a meta value is not JSON: {exc}") from None
        if key not in KEYS:
            extra[str(key)] = value
            continue
        if not isinstance(value, _TYPES[key]) or (isinstance(value, bool) and bool not in _TYPES[key]):
            raise _damaged(run_dir, f"meta {key!r} holds {type(value).__name__} {str(value)[:40]!r}")
        known[key] = value
    if "sessions" in known:
        try:
            known["sessions"] = tuple(Session.from_json(s) for s in known["sessions"])
        except ValueError as exc:
            raise _damaged(run_dir, f"meta 'sessions': {exc}") from None
    status = known.get("status", "running")
    if status not in RUN_STATUSES or status == "crashed":
        raise _damaged(run_dir, f"meta 'status' is {str(status)[:40]!r}, not a run status")
    reason = str(known.get("reason", ""))
    if "finished" not in known:
        known["finished"] = status == "done" and reason.startswith(LEGACY_FINISHED_PREFIX)
    if "budget" not in known and status == "done":
        known["budget"] = next((b for p, b in LEGACY_BUDGET_PREFIXES.items() if reason.startswith(p)), None)
    if known.get("budget") not in (None, *BUDGETS):
        raise _damaged(run_dir, f"meta 'budget' is {str(known['budget'])[:40]!r}, not a budget")
    for key in ("created_at", "ended_at"):
        if known.get(key) is not None:
            known[key] = float(known[key])
    known.setdefault("id", run_dir.name)
    return RunMeta(**known, extra=extra)


def end_values(
    status: RunStatus, reason: str, *, finished: bool = False, budget: Budget | None = None, at: float
) -> dict[str, Any]:
    """The keys that record how a session of the run ended."""
    return {"status": status, "reason": reason, "finished": finished, "budget": budget, "ended_at": at}


def running_values() -> dict[str, Any]:
    """The keys that mark a run as being played again (resume)."""
    return {"status": "running", "reason": "", "finished": False, "budget": None}


def _plain(value: Any) -> Any:
    """`value` as JSON values: a mapping as a dict, a tuple of sessions as a list of objects."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, list)):
        return [v.to_json() if isinstance(v, Session) else v for v in value]
    return value


def _damaged(run_dir: Path, detail: str) -> RunError:
    from animus.runs.health import damaged

    return damaged(run_dir, detail)
