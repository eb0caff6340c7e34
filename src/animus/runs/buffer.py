"""`Recorder`, what the loop writes a run through, and `BranchBuffer`, which holds a branch's records in memory.

The loop and the model caller only record steps and calls, set a meta key now and then, and look for operator
notes; `RunStore` does all that on disk. While best-of-N branches play (`animus.agent.branching`), each writes to
its own `BranchBuffer` instead; the chosen one is committed to the store afterwards, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from animus.memory.events import MemoryEvent
from animus.runs.rows import BranchRow, KeyframeRow, MilestoneRow, ModelCallRow, PlayedBranch, RecordedStep, StepRow


class Recorder(Protocol):
    """The part of a run store the loop and the model caller use."""

    run_dir: Path

    def record_call(self, call: ModelCallRow, blobs: Sequence[tuple[str, str, bytes]] = ()) -> int: ...

    def record_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow] = (),
        events: Sequence[MemoryEvent] = (),
        keyframe: KeyframeRow | None = None,
    ) -> None: ...

    def set_meta(self, **values: Any) -> None: ...

    def changed_elsewhere(self) -> bool: ...

    def memory_events(self, after_id: int = 0) -> list[MemoryEvent]: ...

    def pending_call(self, step: int, purpose: str = "act") -> ModelCallRow | None: ...


class BranchBuffer:
    """A `Recorder` that keeps everything in memory. Operator notes are not seen here: the run's own line picks
    them up after the fork is committed. Meta keys set by a branch (e.g. `stuck_at_step`) are kept in `meta`."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.steps: list[RecordedStep] = []
        self.calls: list[ModelCallRow] = []
        self.blobs: dict[str, tuple[str, str, bytes]] = {}
        self.meta: dict[str, Any] = {}

    def record_call(self, call: ModelCallRow, blobs: Sequence[tuple[str, str, bytes]] = ()) -> int:
        self.calls.append(replace(call, id=len(self.calls) + 1))
        for blob in blobs:
            self.blobs.setdefault(blob[0], blob)
        return len(self.calls)

    def record_step(
        self,
        step: StepRow,
        milestones: Sequence[MilestoneRow] = (),
        events: Sequence[MemoryEvent] = (),
        keyframe: KeyframeRow | None = None,
    ) -> None:
        self.steps.append(RecordedStep(step, tuple(milestones), tuple(events), keyframe))

    def set_meta(self, **values: Any) -> None:
        self.meta.update(values)

    def changed_elsewhere(self) -> bool:
        return False

    def memory_events(self, after_id: int = 0) -> list[MemoryEvent]:
        return []

    def pending_call(self, step: int, purpose: str = "act") -> ModelCallRow | None:
        return None

    def played(self, row: BranchRow) -> PlayedBranch:
        """Everything recorded, under the branch's row."""
        return PlayedBranch(row, tuple(self.steps), tuple(self.calls), tuple(self.blobs.values()))
