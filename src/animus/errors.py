"""The one error tree of Animus.

Every error Animus raises on purpose is an `AnimusError`. Messages say what is wrong *and* how to fix it, in one
line, because the CLI prints them as they are. `exit_code` is what the CLI exits with: 2 for input the user can
correct (a bad ROM, a bad state file, a bad argument), 1 for everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from animus.runs.meta import Budget, RunStatus


class AnimusError(Exception):
    """Base of every error Animus raises on purpose."""

    exit_code = 1


class BadInputError(AnimusError):
    """Input the user can correct: the CLI exits with code 2."""

    exit_code = 2


class RomError(BadInputError):
    """A ROM file that cannot be used: missing, unreadable, malformed, or unsupported."""


class StateError(BadInputError):
    """A save state that does not belong to this ROM or this PyBoy, or is not a state at all."""


class ButtonError(BadInputError):
    """An unknown button name, or a press with an impossible timing."""


class ConfigError(BadInputError):
    """A config file, `--set` override or flag that does not validate."""


class RunError(BadInputError):
    """A run that cannot be started, found, resumed or written: a bad name, a locked run, a different ROM."""


class StoreWriteError(AnimusError):
    """A run store that could not be written while the run played: the disk is full, a file size limit was reached,
    or the disk failed. The run stops (status `error` if that can still be written) and resumes once it is fixed."""


class StopRun(AnimusError):
    """Ends a run's loop cleanly. `status`, `reason` and `finished` (the run ended because its final milestone was
    reached) are recorded in the run's meta. The reason is for people: no code reads it."""

    def __init__(self, status: RunStatus, reason: str, *, finished: bool = False) -> None:
        super().__init__(reason)
        self.status: RunStatus = status
        self.reason = reason
        self.finished = finished


class BudgetExhausted(StopRun):
    """A budget ran out (`budget`: steps, minutes, tokens or cost, recorded in meta): the run is done, and
    resumable with a larger budget."""

    def __init__(self, reason: str, budget: Budget) -> None:
        super().__init__("done", reason)
        self.budget: Budget = budget


class BadToolCall(AnimusError):
    """A tool call the model got wrong. The loop turns it into an error tool result the model sees."""


class ModelError(BadInputError):
    """A model that cannot be used as asked: an unknown name, a missing or malformed script."""


class ProfileError(BadInputError):
    """A game profile that cannot be used: unknown name, bad TOML, a missing or wrong key, an unsafe expression."""


class ContractError(AnimusError):
    """A model or scorer that breaks a rule of its seam's contract (`animus.check_model`, `animus.check_scorer`).
    `rule` is the rule's number and `title` its short name; the message starts with both."""

    def __init__(self, rule: int, title: str, detail: str) -> None:
        super().__init__(f"rule {rule} ({title}): {detail}")
        self.rule = rule
        self.title = title


class ContextOverflow(AnimusError):
    """A request did not fit the model's context window. The loop fits the session to it and asks again.

    What the server said of the sizes, where its message states them (None where not): `prompt_tokens` of the
    request, `reply_tokens` it asked for (max_tokens), and the `window` (the model's context length)."""

    def __init__(
        self,
        message: str,
        prompt_tokens: int | None = None,
        reply_tokens: int | None = None,
        window: int | None = None,
    ) -> None:
        super().__init__(message)
        self.prompt_tokens, self.reply_tokens, self.window = prompt_tokens, reply_tokens, window


class ModelInterrupted(BaseException):
    """Raised by the signal handler while a model call is in flight (waiting on the network or on a retry).

    A `BaseException`, like `KeyboardInterrupt`, so that SDKs' own `except Exception` blocks let it through. The
    call is abandoned: nothing of it was recorded, so the run is consistent and resumes at the same step.
    """
