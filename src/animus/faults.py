"""Fault injection for the reliability tests: `ANIMUS_FAULT=POINT:N` makes a process SIGKILL itself at an exact
instant, the Nth time (counted from 1 in each process) it reaches POINT. The points:

- `step`: inside a step's transaction, after its rows are written and before COMMIT;
- `keyframe`: the same, in a step that writes a keyframe (the step-0 keyframe of a new run is not counted);
- `call`: inside a model call's transaction (any purpose), after its row is written and before COMMIT: the model
  has replied and nothing of the reply is committed yet;
- `summary`: the same, for a `summarize` call.

The variable is read once, when this module is imported: that is this module's one side effect at import, and it
is what keeps `point` free when the variable is unset (one comparison, then return). A malformed value is reported
by `check`, which starting or resuming a run calls before anything is written.
"""

from __future__ import annotations

import os
import signal

from animus.errors import ConfigError

VARIABLE = "ANIMUS_FAULT"
POINTS = ("step", "keyframe", "call", "summary")


def _parse(value: str | None) -> tuple[tuple[str, int] | None, str | None]:
    """(point, count) or None, and the problem with `value` if it is malformed."""
    if not value:
        return None, None
    name, _, count = value.partition(":")
    if name not in POINTS or not count.isdigit() or int(count) < 1:
        return None, f"{VARIABLE}={value!r}: use POINT:N with POINT one of {', '.join(POINTS)} and N >= 1"
    return (name, int(count)), None


_PLAN, _PROBLEM = _parse(os.environ.get(VARIABLE))
_seen = dict.fromkeys(POINTS, 0)


def point(name: str) -> None:
    """Mark that the process reached the point `name`; SIGKILL the process if the plan says so. Returns at once
    when `ANIMUS_FAULT` is unset."""
    if _PLAN is None:
        return
    _seen[name] += 1
    if (name, _seen[name]) == _PLAN:
        os.kill(os.getpid(), signal.SIGKILL)


def check() -> None:
    """Raise `ConfigError` if `ANIMUS_FAULT` is set but malformed (a typo must not pass silently as no fault)."""
    if _PROBLEM is not None:
        raise ConfigError(_PROBLEM)
