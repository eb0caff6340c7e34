"""A profile's `[defaults]`: per-game button timing and watchdog thresholds, under the user's own settings.

Button timing and the watchdog's thresholds depend on the game: Animus Quest answers a press within a few frames,
Pokémon Red scrolls its text and animates its battles for seconds. A profile may therefore set defaults for a
small, fixed set of config keys (`DEFAULTABLE`); `apply_profile_defaults` puts them under what the user set
explicitly (a config file, `--set`, a flag), which always wins. The result is the run's effective config: it is
what `start_run` stores in the run's meta, so resume, verify and the viewer see the values the run played with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel

from animus.config import RunConfig, ToolsConfig, WatchdogConfig

if TYPE_CHECKING:
    from animus.games.profile import Profile

# Section -> (its config class, the keys a profile may give a default). The watchdog's keys are its numeric
# thresholds (every integer setting); what happens when stuck (`on_stuck`) is the user's choice, not the game's.
DEFAULTABLE: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "tools": (ToolsConfig, ("hold_frames", "wait_frames")),
    "watchdog": (
        WatchdogConfig,
        tuple(name for name, info in WatchdogConfig.model_fields.items() if info.annotation is int),
    ),
}

Defaults = Mapping[str, Mapping[str, int]]


def apply_profile_defaults(config: RunConfig, profile: Profile | Defaults) -> RunConfig:
    """`config` with the profile's `[defaults]` for every key the user did not set explicitly.

    "Explicitly" is pydantic's `model_fields_set` of each section: the keys a config file, `--set` or a flag gave.
    A config rebuilt from a stored one has every key set, so applying defaults to it changes nothing (resume never
    re-applies them). Pure: `config` is not changed.
    """
    defaults = profile if isinstance(profile, Mapping) else profile.defaults
    updates: dict[str, BaseModel] = {}
    for section, values in defaults.items():
        current: BaseModel = getattr(config, section)
        chosen = {k: v for k, v in values.items() if k not in current.model_fields_set}
        if chosen:
            kind = DEFAULTABLE[section][0]
            # Validated again (the profile's values passed the same bounds at load): a section stays valid.
            updates[section] = kind.model_validate({**current.model_dump(exclude_unset=True), **chosen})
    return config.model_copy(update=updates) if updates else config
