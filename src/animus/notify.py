"""The one channel through which the library tells its user something: Python `logging`, logger `animus`.

The library never prints. Warnings, notices and progress of retries go to the `animus` logger (or a child of it,
`animus.<module>`), each record carrying its `kind` (`warning`, `notice` or `status`) so that a front end can
render it its own way. The `animus` command installs `StderrNotices` and shows them exactly as it always has:

    animus: warning: <message>      kind warning (level WARNING)
    notice: <message>               kind notice  (level INFO)
    animus: <message>               kind status  (level INFO): a retry, a wait, a slow start

A Python user captures them with any logging handler, or silences them with
`logging.getLogger("animus").setLevel(logging.ERROR)`. With no handler configured at all, Python's last-resort
handler prints warnings (not notices) on stderr.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

Kind = Literal["warning", "notice", "status"]

LOGGER = "animus"
_LEVELS: dict[str, int] = {"warning": logging.WARNING, "notice": logging.INFO, "status": logging.INFO}
_PREFIXES: dict[str, str] = {"warning": "animus: warning: ", "notice": "notice: ", "status": "animus: "}


def emit(kind: Kind, message: str, logger: str = LOGGER) -> None:
    """Send one message of `kind` to the `animus` logger (or the child `logger`)."""
    logging.getLogger(logger).log(_LEVELS[kind], message, extra={"animus_kind": kind})


def warn(message: str, logger: str = LOGGER) -> None:
    """Something the user should act on; the run goes on."""
    emit("warning", message, logger)


def notice(message: str, logger: str = LOGGER) -> None:
    """Something the user should know (e.g. that the generic profile is used)."""
    emit("notice", message, logger)


def status(message: str, logger: str = LOGGER) -> None:
    """Progress the user may want to see while waiting (a retry and its delay)."""
    emit("status", message, logger)


def kind_of(record: logging.LogRecord) -> str:
    """The kind of a record: the one it was emitted with, else from its level."""
    kind = getattr(record, "animus_kind", None)
    if isinstance(kind, str):
        return kind
    return "warning" if record.levelno >= logging.WARNING else "notice"


class StderrNotices(logging.Handler):
    """Renders the library's records on stderr, one line each, as the `animus` command has always shown them."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = _PREFIXES.get(kind_of(record), "animus: ") + record.getMessage()
            print(line, file=sys.stderr, flush=True)
        except Exception:  # a handler must not raise into the code that logged (logging's own contract)
            self.handleError(record)


def install_stderr() -> StderrNotices:
    """Attach a `StderrNotices` handler to the `animus` logger (once) and let INFO through; returns it."""
    root = logging.getLogger(LOGGER)
    for handler in root.handlers:
        if isinstance(handler, StderrNotices):
            return handler
    handler = StderrNotices()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False  # the command owns stderr: a user's root logging config would print them twice
    return handler
