"""The one error tree of Animus.

Every error Animus raises on purpose is an `AnimusError`. Messages say what is wrong *and* how to fix it, in one
line, because the CLI prints them as they are. `exit_code` is what the CLI exits with: 2 for input the user can
correct (a bad ROM, a bad state file, a bad argument), 1 for everything else.
"""


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
