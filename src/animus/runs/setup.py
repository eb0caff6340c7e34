"""What happens before a run's first step: a game with seeded worlds is given its world number.

A profile's `[world]` names the field that holds the number and the condition under which the game is ready
for it (its start-up done, the title shown). The harness runs the game until then and writes the number; the
run's start state (keyframe 0) is taken after the write, so a resume, the viewer and `verify` all start from
the chosen world without doing anything special. `verify` checks the number in that state against the config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from animus.config import RunConfig
from animus.errors import ConfigError, ProfileError
from animus.games import Profile

if TYPE_CHECKING:
    from animus.emulator.gameboy import GameBoy


def check_world(profile: Profile, config: RunConfig, start_state: bool) -> None:
    """Refuse a world number the game cannot take, before anything is written (`ConfigError`)."""
    world = config.game.world
    if world == 0:
        return
    if profile.world is None:
        raise ConfigError(
            f"game.world = {world}, but the profile {profile.id!r} has no [world] setting: this game has one world; "
            "leave game.world at 0 (drop --world)."
        )
    if start_state:
        raise ConfigError(
            f"game.world = {world} with --start-state: a start state already holds its world; drop one of them."
        )
    if world >= 1 << (8 * profile.world.field.size):
        raise ConfigError(
            f"game.world = {world} is too large for {profile.id!r}, whose world number is one byte (0-255)."
        )


def check_goal(profile: Profile, goal: str | None, where: str = "game.goal") -> None:
    """Refuse a goal (`game.goal`) that is not a milestone id of `profile` (`ConfigError` listing the ids)."""
    ids = [m.id for m in profile.milestones]
    if goal is not None and goal not in ids:
        raise ConfigError(f"{where} = {goal!r} is not a milestone of {profile.id!r}; use one of {', '.join(ids)}.")


def set_world(gb: GameBoy, profile: Profile, world: int) -> None:
    """Run `gb` until the profile's `[world] ready` holds, then write `world` into its world field.

    Does nothing for a profile without `[world]`. `ProfileError` when `ready` does not hold within its
    `max_frames`: the profile does not fit this ROM.
    """
    setting = profile.world
    if setting is None:
        return
    for _ in range(setting.max_frames):
        if setting.ready(dict(profile.read(gb).values)):
            gb.write(setting.field.address, setting.encode(world))
            return
        gb.tick(1)
    raise ProfileError(
        f"profile {profile.id!r}: [world] ready = {setting.ready_text!r} did not hold within "
        f"{setting.max_frames} frames of power-on; this ROM does not take a world number the way the profile says."
    )


def world_of(gb: GameBoy, profile: Profile) -> int | None:
    """The world number `gb` holds now, by the profile's `[world]` field (None for a game without one)."""
    if profile.world is None:
        return None
    return int.from_bytes(gb.read(profile.world.field.address, profile.world.field.size), "little")
