"""What memory does when the model's summary fails: a check of the summary, and a mechanical digest instead.

A summary replaces the one before it, so an empty one (a reply with only a tool call, no text, or cut off at the
token limit) would wipe the memory of the whole run. `summary_problem` says why a reply is no usable summary; the
loop then asks once more, plainly, and if that fails too it keeps the old summary and appends a `digest` of the
leaving turns: their tool calls, the calls' results and the first line of the game state, one line per step.
The digest is deterministic (the same turns always give the same text) and bounded (`DIGEST_MAX_LINES`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from animus.agent.types import AssistantTurn, Reply, Turn, UserTurn

# The heading under which digests are kept in a summary; lines under it are the digest of earlier failures.
DIGEST_HEADING = "Digest of turns the model could not summarize (mechanical, one line per step):"
DIGEST_MAX_LINES = 60  # the newest lines stay: a run whose summaries keep failing keeps a bounded memory
CUT_OFF = ("max_tokens", "model_context_window_exceeded")


def summary_problem(reply: Reply) -> str | None:
    """Why `reply` is no usable summary ("empty", "cut off at the token limit", "a tool call, not text"), or None."""
    if reply.stop_reason in CUT_OFF:
        return "cut off at the token limit"
    if not reply.text.strip():
        return "a tool call, not text" if reply.tool_calls else "empty"
    return None


def digest(turns: Sequence[Turn], staying: Sequence[Turn]) -> list[str]:
    """One line per exchange of `turns`: `step N: call(args) -> result | state`. A call's result is in the user
    turn after its reply, which for the last leaving exchange is the first of `staying`."""
    after = [*turns, *staying]
    lines = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, AssistantTurn):
            continue
        nxt = next((t for t in after[i + 1 :] if isinstance(t, UserTurn)), None)
        results = {r.call_id: r.content for r in nxt.tool_results} if nxt is not None else {}
        calls = [f"{c.name}({_args(c.input)}) -> {_short(results.get(c.id, 'not run'), 60)}"
                 for c in turn.reply.tool_calls]  # fmt: skip
        before = after[i - 1] if i > 0 else None
        seen = _state_line(before) if isinstance(before, UserTurn) else ""
        lines.append(f"step {turn.step}: {'; '.join(calls) or 'no tool call'}" + (f" | {seen}" if seen else ""))
    return lines


def merged(old_summary: str, lines: Sequence[str]) -> str:
    """`old_summary` kept as it is, with `lines` added to its digest (the newest `DIGEST_MAX_LINES` of it)."""
    text, _, earlier = old_summary.partition(DIGEST_HEADING)
    kept = [*(line for line in earlier.splitlines() if line.strip()), *lines][-DIGEST_MAX_LINES:]
    body = "\n".join(kept) or "(no steps)"
    return f"{text.rstrip()}\n\n{DIGEST_HEADING}\n{body}".lstrip()


def _args(value: dict[str, object]) -> str:
    return _short(", ".join(f"{k}={json.dumps(v)}" for k, v in value.items()), 60)


def _state_line(turn: UserTurn) -> str:
    """The first line of the game state an observation showed (it follows the progress paragraph)."""
    _, _, state = turn.text.partition("\n\n")
    first = next((line.strip() for line in state.splitlines() if line.strip()), "")
    return _short(first, 80)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
