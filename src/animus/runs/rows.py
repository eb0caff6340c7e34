"""The rows of a run store, as frozen dataclasses. Field names are the SQLite columns' names (see `schema.py`).

Rows map to SQL by name, both ways (reader.py, store.py): the order of the fields is free. A column that an older
schema lacks must have a default here, which is what a reader of such a store gets; the comment says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from animus.agent.scorers import BranchStatus
from animus.memory.events import MemoryEvent


@dataclass(frozen=True)
class StepRow:
    """One step: the inputs it applied, what they did, and the game state after them."""

    step: int
    frame_start: int
    frame_end: int
    inputs: str  # JSON [[buttons...], hold, wait]
    step_actions: int
    actions: int
    bad_calls: int
    tool_results: str  # JSON
    frame_hash: str
    ram_hash: str
    screen: str
    state: str  # GameState JSON
    wall_seconds: float
    created_at: float
    text_sha: str | None = None  # in the database only: the state's text is in `texts` (schema 5; before: None)
    map_delta: str | None = None  # what the step taught the explored map, MapDelta JSON (schema 6; before: None)

    def input_ops(self) -> list[tuple[tuple[str, ...], int, int]]:
        """The inputs as (buttons, hold, wait) triples; empty buttons means wait(frames=wait)."""
        return [(tuple(b), h, w) for b, h, w in json.loads(self.inputs)]


@dataclass(frozen=True)
class ModelCallRow:
    """One model call: the request as a delta, the reply verbatim, usage, cost and latency."""

    id: int
    step: int
    purpose: str
    request_delta: str  # JSON list of turns
    memory_version: int
    reply: str  # JSON Reply
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost: float | None  # None: the config has no price for this model
    latency_seconds: float
    created_at: float
    context_tokens: int = 0  # the request's estimated input tokens (schema 2; before: 0, unknown)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone the first time it held, with the cumulative cost of getting there."""

    id: str
    ordinal: int
    label: str
    step: int
    actions: int
    frame: int
    tokens: int
    cost: float
    wall_seconds: float
    reached_at: float


@dataclass(frozen=True)
class KeyframeRow:
    step: int
    frame: int
    state: bytes  # zlib-compressed save-state envelope


@dataclass(frozen=True)
class BranchRow:
    """One branch of a fork (see schema migration 4). `id` is 0 until stored."""

    id: int
    fork_step: int
    branch: int
    seed: int
    chosen: bool
    score: str  # JSON list: the scorer's key, higher wins
    steps: int
    actions: int
    milestones: str  # JSON list of milestone ids
    tokens: int
    cost: float | None
    status: BranchStatus
    reason: str


@dataclass(frozen=True)
class RecordedStep:
    """Everything one step commits: the step row and what came with it (as `RunStore.record_step` takes them)."""

    step: StepRow
    milestones: tuple[MilestoneRow, ...] = ()
    events: tuple[MemoryEvent, ...] = ()
    keyframe: KeyframeRow | None = None


@dataclass(frozen=True)
class PlayedBranch:
    """What one branch recorded while it played, in order, ready to be committed or kept aside."""

    row: BranchRow
    steps: tuple[RecordedStep, ...]
    calls: tuple[ModelCallRow, ...]
    blobs: tuple[tuple[str, str, bytes], ...]  # (sha256, mime, data) of the images its calls sent


@dataclass(frozen=True)
class Totals:
    """Budget-relevant sums over a whole run, all resumes included."""

    steps: int = 0
    actions: int = 0
    tokens: int = 0
    cost: float = 0.0  # of the calls with a price
    wall_seconds: float = 0.0
    unpriced_calls: int = 0  # calls with tokens but no price: their cost is unknown
    branch_actions: int = 0  # actions played by branches that were not chosen (best-of-N runs)


def row_dict(row: Any, skip: str | None = None) -> dict[str, Any]:
    """A row dataclass's values by column name, for INSERT (less `skip`, e.g. an id the database assigns)."""
    values = dict(row.__dict__)
    if skip is not None:
        del values[skip]
    return values
