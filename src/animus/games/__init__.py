"""Game profiles: what a game's memory means, its milestones, and the state text a model plans from.

A profile is shareable TOML data (docs/profiles.md), loaded and checked by `load_profile`. Nothing here runs code
from a profile: expressions and templates are parsed against whitelists at load time.
"""

from __future__ import annotations

from animus.games.profile import Profile
from animus.games.registry import builtin_profiles, choose_profile, load_profile
from animus.games.screen import Memory, visible_tiles
from animus.games.state import GameState, Milestone
from animus.games.tracker import Tracker

__all__ = [
    "GameState",
    "Memory",
    "Milestone",
    "Profile",
    "Tracker",
    "builtin_profiles",
    "choose_profile",
    "load_profile",
    "visible_tiles",
]
