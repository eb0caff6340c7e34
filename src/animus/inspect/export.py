"""`export_run`: a run as JSON lines, for people who want flat files.

One object per line, each with a `type`: first `meta`, then `card` (the harness card, `animus.runs.card`,
computed from the store as it is now; a run cut short while it was being created has none), then every `step`,
`model_call`, `memory_event` and `milestone`, in the order they were recorded. JSON columns of the store (inputs,
tool results, state, request deltas, replies) are embedded as JSON, not as strings.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from animus.inspect.output import check_writable, write_output
from animus.runs.card import build_card, run_profile
from animus.runs.reader import RunReader

_JSON_COLUMNS = {"inputs", "tool_results", "state", "request_delta", "reply"}


def export_run(run_dir: Path, out: TextIO) -> int:
    """Write the run at `run_dir` to `out` as JSON lines; return the number of lines written."""
    with RunReader.open(run_dir) as store:
        lines = 0

        def write(kind: str, row: dict[str, Any]) -> None:
            nonlocal lines
            record = {"type": kind} | {k: json.loads(v) if k in _JSON_COLUMNS else v for k, v in row.items()}
            out.write(json.dumps(record) + "\n")
            lines += 1

        meta = store.meta()
        write("meta", meta.to_json())
        if meta.config:
            write("card", build_card(meta, run_profile(run_dir), store.memory_events()).to_json())
        for step in store.steps():
            write("step", asdict(step))
        for call in store.calls():
            write("model_call", asdict(call))
        for event in store.memory_events():
            write("memory_event", asdict(event))
        for milestone in store.milestones():
            write("milestone", asdict(milestone))
    return lines


def write_export(run_dir: Path, out: Path) -> int:
    """Export the run at `run_dir` into the file `out` (see `output.write_output`); return the number of lines.

    The export is built in memory and written whole at the end, so a refused store leaves no file behind.
    """
    check_writable(out, "the export")
    buffer = io.StringIO()
    lines = export_run(run_dir, buffer)
    write_output(out, buffer.getvalue().encode("utf-8"), "the export")
    return lines
