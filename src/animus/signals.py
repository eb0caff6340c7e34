"""Handlers for the two signals that ask Animus to stop, SIGINT (Ctrl-C) and SIGTERM (`kill`), for a block of code.

One context manager for every place that needs them: the runner (finish the step, then stop), the fleet's parent
(count them), the local fleet's process start (ignore them) and Ray's start-up (which installs its own).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], object] | int | None


@contextmanager
def stop_signals(handler: Handler) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM go to `handler` (a function, or `signal.SIG_IGN`); None leaves the
    handlers as they are, for code inside that installs its own. After it, the handlers from before are back."""
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        if handler is not None:
            for s in STOP_SIGNALS:
                signal.signal(s, handler)
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
