"""What the replay viewer's JSON API returns, read from a run directory alone.

Contracts:
- Every function takes an open, read-only `RunReader` and returns plain JSON-ready values; nothing here writes.
- Step 0 is the start state: it has a frame but no step row and no model call.
- The memory at step N is what the events with `step <= N` leave: the latest summary and the notes replayed in
  event order (`Notes.replay`), exactly as the run rebuilds them on resume.
- `MemoryLog` caches the memory events of a run in memory and only reads new ones (the table is append-only), so
  a viewer playing a 100,000-step run does not read every event again for every step.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from animus.agent.types import Reply, ToolResult
from animus.errors import ProfileError
from animus.games import GameState
from animus.memory import Notes
from animus.memory.events import NOTE_KINDS, WATCHDOG_KINDS, MemoryEvent, MemoryKind
from animus.runs.reader import RunReader
from animus.runs.rows import MilestoneRow, ModelCallRow, StepRow

JSONDict = dict[str, Any]

PURPOSES = ("act", "summarize", "reflect")
STEPS_LIMIT = 5000  # most step summaries one /api/steps answer carries
SEARCH_LIMIT = 200  # most search hits one /api/search answer carries
SNIPPET_CHARS = 60  # context on each side of a search hit


# -- meta and the timeline ---------------------------------------------------------------------------------------


def meta_payload(store: RunReader, log: MemoryLog) -> JSONDict:
    """The run at a glance: identity, status, size, totals, milestones and watchdog events."""
    meta = store.meta()
    totals = store.totals()
    return {
        "id": meta.id,
        "model": meta.model,
        "label": meta.group_label,
        "seed": meta.seed,
        "profile_name": meta.profile_name,
        "rom_title": meta.rom_title,
        "status": meta.status,
        "reason": meta.reason,
        "finished": meta.finished,
        "created_at": meta.created_at,
        "ended_at": meta.ended_at,
        "milestone_count": meta.milestone_count,
        "stuck_at_step": meta.stuck_at_step,
        # A fork's lineage: the parent's id and the step it was forked after (its steps up to there are copies).
        "parent": {"run": meta.parent.get("run"), "step": meta.parent.get("step")} if meta.parent else None,
        "last_step": store.last_step(),
        "totals": {
            "steps": totals.steps,
            "actions": totals.actions,
            "tokens": totals.tokens,
            "cost": totals.cost,
            "wall_seconds": totals.wall_seconds,
        },
        "milestones": [milestone_json(m) for m in store.milestones()],
        "watchdog": [event_json(e) for e in log.watchdog()],
    }


def steps_payload(store: RunReader, log: MemoryLog, start: int, limit: int) -> JSONDict:
    """Compact summaries of steps `start`.. (at most `limit`), with the markers at or after `start`.

    A page polls this with `start` = its last known step + 1 to learn what a live run committed since.
    """
    start = max(start, 1)
    limit = max(0, min(limit, STEPS_LIMIT))
    last = store.last_step()
    steps = [step_summary(row) for row in store.steps(start, start + limit - 1)] if limit else []
    return {
        "status": store.meta().status,
        "last_step": last,
        "steps": steps,
        "milestones": [milestone_json(m) for m in store.milestones() if m.step >= start],
        "watchdog": [event_json(e) for e in log.watchdog() if e.step >= start],
    }


def step_summary(row: StepRow) -> JSONDict:
    return {
        "step": row.step,
        "actions": row.actions,
        "step_actions": row.step_actions,
        "bad_calls": row.bad_calls,
        "inputs": inputs_label(row),
    }


def inputs_label(row: StepRow) -> str:
    """The step's inputs in a few words: `right x3, a`, `wait 60`."""
    parts: list[tuple[str, int]] = []
    for buttons, _hold, wait in row.input_ops():
        name = "+".join(buttons) if buttons else f"wait {wait}"
        if parts and parts[-1][0] == name:
            parts[-1] = (name, parts[-1][1] + 1)
        else:
            parts.append((name, 1))
    return ", ".join(name if n == 1 else f"{name} x{n}" for name, n in parts)


def milestone_json(m: MilestoneRow) -> JSONDict:
    return {
        "id": m.id,
        "ordinal": m.ordinal,
        "label": m.label,
        "step": m.step,
        "actions": m.actions,
        "tokens": m.tokens,
        "cost": m.cost,
        "wall_seconds": m.wall_seconds,
    }


def event_json(e: MemoryEvent) -> JSONDict:
    """An event as the viewer's API shows it: kind and source as stored (a kind from a newer Animus too)."""
    kind, source = e.kind.value, e.source.value
    return {"id": e.id, "step": e.step, "kind": kind, "key": e.key, "content": e.content, "source": source}


# -- one step ------------------------------------------------------------------------------------------------------


def step_payload(store: RunReader, log: MemoryLog, step: int) -> JSONDict | None:
    """Everything about `step`, or None when the run has no such step (yet)."""
    if step == 0:
        return {
            "step": 0,
            "start": True,
            "last_step": store.last_step(),
            "observation": "",
            "state_text": "The start state, before the first step.",
            "calls": [],
            "act": None,
            "tool_calls": [],
            "tool_results": [],
            "milestones": [],
            "events": [],
        }
    row = store.step(step)
    if row is None:
        return None
    calls = [c for c in (store.pending_call(step, p) for p in PURPOSES) if c is not None]
    calls.sort(key=lambda c: c.id)
    act = next((c for c in calls if c.purpose == "act"), None)
    results = [ToolResult.from_json(r) for r in json.loads(row.tool_results)]
    by_id = {r.call_id: r for r in results}
    tool_calls: list[JSONDict] = []
    act_json = call_json(act) if act is not None else None
    if act_json is not None:
        for tc in act_json["reply"]["tool_calls"]:
            result = by_id.get(tc["id"])
            tool_calls.append(
                {
                    "id": tc["id"],
                    "name": tc["name"],
                    "input": tc["input"],
                    "result": None if result is None else result.content,
                    "is_error": None if result is None else result.is_error,
                }
            )
    state_text, dialog = _state_text(row.state)
    return {
        "step": step,
        "start": False,
        "last_step": store.last_step(),
        "actions": row.actions,
        "step_actions": row.step_actions,
        "bad_calls": row.bad_calls,
        "frame_start": row.frame_start,
        "frame_end": row.frame_end,
        "frame_hash": row.frame_hash,
        "inputs": inputs_label(row),
        "wall_seconds": row.wall_seconds,
        "created_at": row.created_at,
        "observation": act_json["observation"] if act_json else "",
        "previous_results": act_json["previous_results"] if act_json else [],
        "act": act_json,
        "calls": [call_json(c) for c in calls if c.purpose != "act"],
        "tool_calls": tool_calls,
        "tool_results": [r.to_json() for r in results],
        "state_text": state_text,
        "dialog": dialog,
        "cost": None if any(c.cost is None for c in calls) else sum(c.cost or 0.0 for c in calls),
        "tokens": sum(c.tokens for c in calls),
        "milestones": [milestone_json(m) for m in store.milestones() if m.step == step],
        "events": [event_json(e) for e in log.at(step)],
        "fork": fork_json(store, step),
    }


def fork_json(store: RunReader, step: int) -> JSONDict | None:
    """The best-of-N fork that played `step`: every branch with its score and outcome, and what each unchosen one
    did (its inputs and its act replies, step by step). None for a step no fork played."""
    fork = store.fork_of(step)
    if not fork:
        return None
    branches: list[JSONDict] = []
    for b in fork:
        played: list[JSONDict] = []
        if not b.chosen:
            replies = {c.step: Reply.from_json(json.loads(c.reply)) for c in store.branch_calls(b.id)}
            for row in store.branch_steps(b.id):
                reply = replies.get(row.step)
                played.append({"step": row.step, "inputs": inputs_label(row), "text": reply.text if reply else ""})
        branches.append(
            {
                "branch": b.branch,
                "seed": b.seed,
                "chosen": b.chosen,
                "score": json.loads(b.score),
                "steps": b.steps,
                "actions": b.actions,
                "milestones": json.loads(b.milestones),
                "tokens": b.tokens,
                "cost": b.cost,
                "status": b.status,
                "reason": b.reason,
                "played": played,
            }
        )
    return {"fork_step": fork[0].fork_step, "branches": branches}


def call_json(call: ModelCallRow) -> JSONDict:
    """One model call: the observation it was shown, the reply (thinking, text, tool calls) and its usage."""
    reply = Reply.from_json(json.loads(call.reply))
    observation = ""
    previous: list[JSONDict] = []
    for turn in json.loads(call.request_delta):
        if turn.get("role") == "user":
            observation = str(turn.get("text", ""))
            previous = list(turn.get("tool_results") or [])
    return {
        "id": call.id,
        "purpose": call.purpose,
        "observation": observation,
        "previous_results": previous,
        "reply": {
            "text": reply.text,
            "thinking": ["[redacted thinking]" if t.redacted else t.text for t in reply.thinking],
            "tool_calls": [c.to_json() for c in reply.tool_calls],
            "stop_reason": reply.stop_reason,
            "model": reply.model,
        },
        "usage": {
            "input_tokens": call.input_tokens,
            "output_tokens": call.output_tokens,
            "cache_write_tokens": call.cache_write_tokens,
            "cache_read_tokens": call.cache_read_tokens,
            "context_tokens": call.context_tokens,
        },
        "cost": call.cost,
        "latency_seconds": call.latency_seconds,
        "memory_version": call.memory_version,
    }


def _state_text(state: str) -> tuple[str, str]:
    try:
        parsed = GameState.from_json(state)
    except ProfileError:
        return "(the stored game state could not be read)", ""
    return parsed.text, parsed.dialog


# -- memory --------------------------------------------------------------------------------------------------------


class MemoryLog:
    """The run's memory events, cached and read incrementally. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[MemoryEvent] = []
        self._last_id = 0

    def refresh(self, store: RunReader) -> None:
        """Read the events committed since the last refresh."""
        with self._lock:
            new = store.memory_events(after_id=self._last_id)
            if new:
                self._rows.extend(new)
                self._last_id = new[-1].id

    def rows(self) -> list[MemoryEvent]:
        with self._lock:
            return list(self._rows)

    def watchdog(self) -> list[MemoryEvent]:
        return [e for e in self.rows() if e.kind in WATCHDOG_KINDS]

    def at(self, step: int) -> list[MemoryEvent]:
        return [e for e in self.rows() if e.step == step]


def memory_payload(log: MemoryLog, step: int, max_chars: int = 10**9) -> JSONDict:
    """The summary and the notes as they stood at the end of `step` (events with step <= `step`)."""
    rows = [e for e in log.rows() if e.step <= step]
    summary = ""
    summary_step: int | None = None
    for e in rows:
        if e.kind is MemoryKind.SUMMARY:
            summary, summary_step = e.content, e.step
    notes = Notes(max_chars)
    notes.replay(rows)
    changed = sorted({e.key for e in rows if e.step == step and e.kind in NOTE_KINDS and e.key is not None})
    return {
        "step": step,
        "summary": summary,
        "summary_step": summary_step,
        "notes": [{"key": k, "text": v} for k, v in notes.items()],
        "changed": changed,
    }


# -- search ----------------------------------------------------------------------------------------------------------


def search_payload(store: RunReader, query: str, limit: int = SEARCH_LIMIT) -> JSONDict:
    """Calls whose thinking or reply text contains `query` (case-insensitive), in step order, at most `limit`."""
    needle = query.strip().lower()
    hits: list[JSONDict] = []
    truncated = False
    if needle:
        # A cheap test on the raw JSON first: for an ASCII needle without JSON escapes it is a necessary
        # condition (escaping leaves such text as it is), so most rows are never parsed.
        quick = needle.isascii() and json.dumps(needle)[1:-1] == needle
        for call in store.calls():
            if quick and needle not in call.reply.lower():
                continue
            reply = json.loads(call.reply)
            texts = [("thinking", str(t.get("text", ""))) for t in reply.get("thinking", []) if not t.get("redacted")]
            texts.append(("text", str(reply.get("text", ""))))
            for where, text in texts:
                at = text.lower().find(needle)
                if at < 0:
                    continue
                if len(hits) >= limit:
                    truncated = True
                    break
                lo, hi = max(0, at - SNIPPET_CHARS), min(len(text), at + len(needle) + SNIPPET_CHARS)
                hits.append(
                    {
                        "step": call.step,
                        "purpose": call.purpose,
                        "where": where,
                        "before": ("…" if lo else "") + text[lo:at],
                        "match": text[at : at + len(needle)],
                        "after": text[at + len(needle) : hi] + ("…" if hi < len(text) else ""),
                    }
                )
                break
            if truncated:
                break
    return {"query": query, "results": hits, "truncated": truncated, "limit": limit}
