"""`Tracker`: records each milestone of a profile once, the first time it holds."""

from __future__ import annotations

from collections.abc import Iterable

from animus.games.profile import Profile
from animus.games.state import GameState, Milestone


class Tracker:
    """Records each milestone once, when it first holds. Rebuildable from what a run store keeps.

    `reached` (milestone ids) and `screens` (screen hashes of states already seen) restore a tracker to where a
    run left off; ids the profile does not have are ignored, so a run store never makes a tracker fail.
    """

    def __init__(self, profile: Profile, reached: Iterable[str] = (), screens: Iterable[str] = ()) -> None:
        self.profile = profile
        known = {m.id for m in profile.milestones}
        self._reached = frozenset(r for r in reached if r in known)
        self._screens = set(screens)

    @property
    def reached(self) -> frozenset[str]:
        """Ids of the milestones reached so far."""
        return self._reached

    @property
    def screens(self) -> frozenset[str]:
        """The distinct screen hashes seen so far (what a run store keeps to rebuild `screens_seen`)."""
        return frozenset(self._screens)

    @property
    def screens_seen(self) -> int:
        """How many distinct screens (`GameState.screen`) have been seen."""
        return len(self._screens)

    @property
    def finished(self) -> bool:
        """True once the profile's last milestone is reached (False for a profile without milestones)."""
        return bool(self.profile.milestones) and self.profile.milestones[-1].id in self._reached

    def update(self, state: GameState) -> list[Milestone]:
        """Count `state.screen` as seen, then return the milestones that hold for the first time, in profile order."""
        self._screens.add(state.screen)
        new = self.profile._holding(state, len(self._screens), self._reached)
        if not new:
            return []
        self._reached = self._reached | set(new)
        return [m for m in self.profile.milestones if m.id in new]
