"""Finding runs and summarizing them, from the run directories alone (no running Animus needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from animus.errors import RunError
from animus.runs.lock import is_locked
from animus.runs.meta import RunStatus
from animus.runs.reader import DB_NAME, RunReader

DEFAULT_RUNS_DIR = Path("runs")


@dataclass(frozen=True)
class RunSummary:
    """One line of `animus runs`."""

    id: str
    path: Path
    game: str
    model: str
    label: str
    steps: int
    actions: int
    milestones: int
    milestone_total: int
    status: RunStatus
    reason: str


def resolve_run(ref: str, runs_dir: Path = DEFAULT_RUNS_DIR) -> Path:
    """A run directory from a path or a run id under `runs_dir`; `RunError` if neither holds a run."""
    for candidate in (Path(ref), runs_dir / ref):
        if (candidate / DB_NAME).is_file():
            return candidate
    raise RunError(f"no run {ref!r}: give a run directory or an id under {runs_dir} (see `animus runs`).")


def find_runs(root: Path) -> list[Path]:
    """Run directories at or below `root` (a run, a runs dir, or a dir of runs dirs), oldest first."""
    if (root / DB_NAME).is_file():
        return [root]
    found = sorted(p.parent for p in root.glob(f"*/{DB_NAME}")) + sorted(p.parent for p in root.glob(f"*/*/{DB_NAME}"))
    return found


def live_status(run_dir: Path, status: RunStatus) -> RunStatus:
    """The stored status, except that a `running` run whose writer is gone is `crashed`."""
    if status == "running" and not is_locked(run_dir):
        return "crashed"
    return status


def summarize(run_dir: Path) -> RunSummary:
    with RunReader.open(run_dir) as store:
        meta = store.meta()
        totals = store.totals()
        reached = len(store.milestones())
    return RunSummary(
        id=run_dir.name,
        path=run_dir,
        game=meta.profile_id or "?",
        model=meta.model or "?",
        label=meta.label,
        steps=totals.steps,
        actions=totals.actions,
        milestones=reached,
        milestone_total=meta.milestone_count,
        status=live_status(run_dir, meta.status),
        reason=meta.reason,
    )
