"""A run's meta is typed (`RunMeta`), and how a run ended is a stored fact, not a phrase.

Runs of the bundled cartridge with the mock; the stores are then edited with plain SQL the way an older or a newer
Animus would have left them, and read back through the CLI and `open_run`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import animus
from animus.errors import RunError
from animus.runs.meta import RUN_STATUSES, RunMeta, decode
from tests.conftest import CLASSIC_ROM, run_animus


def _play(tmp_path: Path, name: str, *args: str) -> Path:
    result = run_animus("run", *CLASSIC_ROM, "--runs-dir", str(tmp_path), "--name", name, *args)
    assert result.returncode == 0, result.stderr
    return tmp_path / name


def _meta_sql(run: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(run / "run.db") as conn:
        conn.execute(sql, args)


def _set_meta(run: Path, key: str, value: object) -> None:
    _meta_sql(run, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, json.dumps(value))


@pytest.fixture(scope="module")
def finished_and_budget(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("meta")
    return _play(root, "fin"), _play(root, "short", "--steps", "5")


def test_a_finished_run_and_a_budget_run_record_why_they_ended(finished_and_budget: tuple[Path, Path]) -> None:
    fin, short = finished_and_budget
    with animus.open_run(fin) as run:
        assert (run.status, run.finished, run.meta.finished, run.meta.budget) == ("done", True, True, None)
        assert isinstance(run.meta, RunMeta) and run.meta.milestone_count == 8 and run.meta.extra == {}
    with animus.open_run(short) as run:
        assert (run.status, run.finished, run.meta.budget) == ("done", False, "steps")


def test_rewording_the_reason_changes_nothing(finished_and_budget: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    fin, short = (Path(shutil.copytree(p, tmp_path / p.name)) for p in finished_and_budget)
    # A finished run whose reason says "step budget", and a budget run whose reason says "finished".
    _set_meta(fin, "reason", "step budget reached (2000 steps)")
    _set_meta(short, "reason", "finished: reached the final milestone at step 5")
    again = run_animus("resume", str(fin))
    assert again.returncode == 0, again.stderr
    assert "is complete" in again.stdout and "nothing to resume" in again.stdout
    more = run_animus("resume", str(short), "--steps", "8")
    assert more.returncode == 0, more.stderr
    with animus.open_run(short) as run:
        assert run.totals().steps == 8 and run.meta.budget == "steps" and not run.finished


def test_an_old_store_without_the_fields_is_read_by_its_old_rule(
    finished_and_budget: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    fin, short = (Path(shutil.copytree(p, tmp_path / p.name)) for p in finished_and_budget)
    for run_dir in (fin, short):
        _meta_sql(run_dir, "DELETE FROM meta WHERE key IN ('finished', 'budget')")
    with animus.open_run(fin) as run:
        assert run.finished and run.meta.budget is None
    with animus.open_run(short) as run:
        assert not run.finished and run.meta.budget == "steps"
    assert "is complete" in run_animus("resume", str(fin)).stdout
    more = run_animus("resume", str(short), "--steps", "7")
    assert more.returncode == 0 and "is complete" not in more.stdout, more.stdout + more.stderr


def test_unknown_keys_of_a_newer_minor_version_are_kept_and_ignored(
    finished_and_budget: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    short = Path(shutil.copytree(finished_and_budget[1], tmp_path / "short"))
    _set_meta(short, "harness_card", {"navigate": True})
    shown = run_animus("show", str(short))
    assert shown.returncode == 0 and "status    done" in shown.stdout, shown.stderr
    with animus.open_run(short) as run:
        assert run.meta.extra == {"harness_card": {"navigate": True}}
        assert "harness_card" not in RunMeta.__dataclass_fields__
    assert run_animus("resume", str(short), "--steps", "6").returncode == 0
    with animus.open_run(short) as run:  # a writer leaves what it does not know alone
        assert run.meta.extra == {"harness_card": {"navigate": True}} and run.totals().steps == 6


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("status", "bogus", "not a run status"),
        ("status", "crashed", "not a run status"),  # only ever derived, never stored
        ("seed", "zero", "meta 'seed' holds str"),
        ("finished", 1, "meta 'finished' holds int"),
        ("budget", "patience", "not a budget"),
    ],
)
def test_a_meta_value_of_the_wrong_type_is_a_damaged_run(tmp_path: Path, key: str, value: object, says: str) -> None:
    with pytest.raises(RunError, match=says):
        decode([("id", json.dumps("x")), (key, json.dumps(value))], tmp_path)


def test_a_damaged_status_is_one_line_from_every_reader(finished_and_budget: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    short = Path(shutil.copytree(finished_and_budget[1], tmp_path / "short"))
    _set_meta(short, "status", "sleeping")
    export = ("export", str(short), "-o", str(tmp_path / "x.jsonl"))
    for args in (("show", str(short)), ("runs", "--runs-dir", str(tmp_path)), export):
        result = run_animus(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert "'sleeping'" in result.stderr


def test_writers_refuse_a_key_runmeta_does_not_have(tmp_path: Path) -> None:
    from animus.runs.store import RunStore

    with RunStore.create(tmp_path / "r") as store, pytest.raises(KeyError, match="stuck_at"):
        store.set_meta(stuck_at=3)  # a typo fails where it is made, not in a reader


def test_statuses_are_one_type() -> None:
    from typing import get_args

    from animus.fleet.existing import FleetOutcome

    assert set(RUN_STATUSES) == {"running", "done", "stopped", "failed", "stuck", "error", "crashed"}
    fleet_only = {a for arg in get_args(FleetOutcome) for a in (get_args(arg) or (arg,))} - set(RUN_STATUSES)
    assert fleet_only == {"pending", "interrupted"}
