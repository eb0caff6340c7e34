"""Animus: a sandbox for agents that play Game Boy games."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from animus.checks import check_model, check_scorer
    from animus.runs.api import Run, open_run

__all__ = ["Run", "__version__", "check_model", "check_scorer", "open_run"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import animus` stays cheap and has no side effects.
    if name in ("open_run", "Run"):
        from animus.runs import api

        return getattr(api, name)
    if name in ("check_model", "check_scorer"):
        from animus import checks

        return getattr(checks, name)
    raise AttributeError(f"module 'animus' has no attribute {name!r}")
