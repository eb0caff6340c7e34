"""The one channel through which the library tells its user something: Python `logging`, logger `animus`.

The library never prints a warning or a notice. Warnings, notices and progress of retries go to the `animus` logger
(or a child of it, `animus.<module>`), each record carrying its `kind` (`warning`, `notice` or `status`) so that a
front end can render it its own way. The `animus` command installs `StderrNotices` and shows them exactly as it
always has:

    animus: warning: <message>      kind warning (level WARNING)
    notice: <message>               kind notice  (level INFO)
    animus: <message>               kind status  (level INFO): a retry, a wait, a slow start

A message whose line predates this module and reads otherwise carries its own `prefix` (the viewer's
`warning: serving on ...` and `replay: error answering ...`), which `StderrNotices` prints instead of the kind's.

A Python user captures them with any logging handler (or pytest's `caplog`; notices and status lines are INFO, so
`caplog.set_level(logging.INFO, logger="animus")`), or silences them with
`logging.getLogger("animus").setLevel(logging.ERROR)`. With no handler configured at all, Python's last-resort
handler prints warnings (not notices) on stderr, bare.

What is not a message, and so still written directly by its owner: what a front end was asked to draw, namely
the progress line of a run (`runs/progress.py`) and the fleet's board and its event lines (`fleet/watch.py`),
both created by the CLI; the result lines of the CLI itself; a fleet worker's `error:`/`ended:` lines (its
process's entry point, which is the worker's CLI); and `inspect.server.serve`'s URL when no `ready` callback was
given (the one thing that call exists to tell).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

Kind = Literal["warning", "notice", "status"]

LOGGER = "animus"
_LEVELS: dict[str, int] = {"warning": logging.WARNING, "notice": logging.INFO, "status": logging.INFO}
_PREFIXES: dict[str, str] = {"warning": "animus: warning: ", "notice": "notice: ", "status": "animus: "}


def emit(kind: Kind, message: str, logger: str = LOGGER, prefix: str | None = None, stacklevel: int = 1) -> None:
    """Send one message of `kind` to the `animus` logger (or the child `logger`); `prefix`, when given, replaces
    the kind's prefix in `StderrNotices`' line. The record names the code `stacklevel` frames above this call
    (1: the caller of `emit`) as where it came from."""
    extra: dict[str, str] = {"animus_kind": kind}
    if prefix is not None:
        extra["animus_prefix"] = prefix
    logging.getLogger(logger).log(_LEVELS[kind], message, extra=extra, stacklevel=stacklevel + 1)


def warn(message: str, logger: str = LOGGER, prefix: str | None = None) -> None:
    """Something the user should act on; the run goes on."""
    emit("warning", message, logger, prefix, stacklevel=2)


def notice(message: str, logger: str = LOGGER, prefix: str | None = None) -> None:
    """Something the user should know (e.g. that the generic profile is used)."""
    emit("notice", message, logger, prefix, stacklevel=2)


def status(message: str, logger: str = LOGGER, prefix: str | None = None) -> None:
    """Progress the user may want to see while waiting (a retry and its delay)."""
    emit("status", message, logger, prefix, stacklevel=2)


def kind_of(record: logging.LogRecord) -> str:
    """The kind of a record: the one it was emitted with, else from its level."""
    kind = getattr(record, "animus_kind", None)
    if isinstance(kind, str):
        return kind
    return "warning" if record.levelno >= logging.WARNING else "notice"


def render(record: logging.LogRecord) -> str:
    """The line the `animus` command shows for `record`: its own prefix or its kind's, then the message."""
    prefix = getattr(record, "animus_prefix", None)
    if not isinstance(prefix, str):
        prefix = _PREFIXES.get(kind_of(record), "animus: ")
    return prefix + record.getMessage()


class StderrNotices(logging.Handler):
    """Renders the library's records on stderr, one line each, as the `animus` command has always shown them.

    It looks `sys.stderr` up at each record, so a stream swapped in later (rich's live display, pytest's capture,
    a fleet worker's log on fd 2) gets the line.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(render(record), file=sys.stderr, flush=True)
        except Exception:  # a handler must not raise into the code that logged (logging's own contract)
            self.handleError(record)


def install_stderr() -> StderrNotices:
    """Attach a `StderrNotices` handler to the `animus` logger (once) and let INFO through; returns it.

    For a program's entry point only (the `animus` command, a fleet worker's process): it takes the `animus`
    logger over, and a library must not do that to its caller.
    """
    root = logging.getLogger(LOGGER)
    for handler in root.handlers:
        if isinstance(handler, StderrNotices):
            return handler
    handler = StderrNotices()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False  # the command owns stderr: a user's root logging config would print them twice
    return handler
