"""The stuck watchdog: it watches where the agent is and what it achieves, never what it says.

Three alarms, all counted in actions:
- `same_position`: the profile's position signature has not changed for `same_position_actions`;
- `loop`: over the last `loop_actions`, the agent visited at most `loop_positions` distinct positions (pacing
  between a few places);
- `no_milestone`: no new milestone for `no_milestone_actions`.
One alarm is counted in replies, since it is about replies that take no action: `idle`, `idle_replies` replies in
a row without a game action (a model that writes its calls as text, or keeps ending its turn) raises one stage per
`idle_replies` replies. Its stages are its own, apart from the action alarms' (one of those at its last stage must
not hide it, nor one at its second raise it early), and its last stage always stops the run (the loop sees
`kind == "idle"`): such a run would burn its whole budget without playing.
While an alarm holds, the watchdog escalates one stage every `escalate_actions`: 1 warn (a notice in the next
observation), 2 reflect (the loop asks the model for a reflection), 3 stuck (the run is marked stuck and, if
configured, stops). A new milestone, or the alarm clearing, resets it to stage 0.

A step whose position is `OFF_MAP` (`()`: the profile's `[position] overworld` does not hold, e.g. a battle, a
menu or a text box) is not standing still: the position clocks (`same_position`, `loop`) and the escalation of an
alarm hold through it, and only `no_milestone` keeps counting.

The watchdog is a pure function of the (actions, position, milestone) history, so resume rebuilds it by feeding
the stored steps through `update` again.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from animus.config import WatchdogConfig
from animus.games.profile import OFF_MAP  # the position of a step off the map

STAGES = ("ok", "warn", "reflect", "stuck")
IDLE = "idle"  # the kind of the alarm counted in replies


@dataclass(frozen=True)
class Alarm:
    """A stage the watchdog has just escalated to, with the reason in words the model can act on."""

    stage: int  # 1 warn, 2 reflect, 3 stuck
    kind: str  # same_position | loop | no_milestone | idle
    message: str

    @property
    def name(self) -> str:
        return STAGES[self.stage]


class Watchdog:
    """Feed it every step with `update`; it returns an `Alarm` when it escalates."""

    def __init__(self, cfg: WatchdogConfig) -> None:
        self.cfg = cfg
        self.stage = 0
        self._position: object = None
        self._position_since = 0  # actions when the current position was first seen
        self._milestone_at = 0  # actions at the last new milestone
        self._recent: deque[tuple[int, object]] = deque()  # (actions, position) over the loop window
        self._places: Counter[object] = Counter()  # positions in that window, kept in step with it
        self._stage_at = 0  # actions when the current stage was reached
        self._actions = 0  # actions after the last update: a step that adds none is an idle reply
        self._idle_replies = 0  # idle replies in a row
        self._idle_called = False  # whether one of them made a tool call (a note, a bad call)
        self._held = 0  # actions of steps off the map (OFF_MAP): the position clocks do not count them

    def update(self, actions: int, position: object, new_milestone: bool, tool_calls: int = 0) -> Alarm | None:
        """Record the state after a step (its reply made `tool_calls` calls); return an `Alarm` if this step
        escalates to a new stage."""
        cfg = self.cfg
        # Without an action no frame passed: position and milestones are as they were, so only the idle count moves.
        spent = actions - self._actions
        idle, self._actions = actions == self._actions and not new_milestone, actions
        if idle:
            return self._idle(tool_calls)
        self._idle_replies, self._idle_called = 0, False
        off_map = position == OFF_MAP
        if off_map:
            self._held += spent
        clock = actions - self._held  # actions on the map: the time of the position clocks
        if new_milestone:
            self._milestone_at = actions
        if not off_map:
            if position != self._position:
                self._position, self._position_since = position, clock
            self._recent.append((clock, position))
            self._places[position] += 1
            while self._recent and self._recent[0][0] <= clock - cfg.loop_actions:
                _, old = self._recent.popleft()
                self._places[old] -= 1
                if not self._places[old]:
                    del self._places[old]

        kind, message = self._alarm(actions, clock, off_map)
        if kind is None and off_map and not new_milestone:  # held: no escalation, no reset; its timer waits
            self._stage_at += spent
            return None
        if kind is None or new_milestone:
            self.stage, self._stage_at = 0, actions
            return None
        due = self._stage_at + (0 if self.stage == 0 else cfg.escalate_actions)
        if self.stage < 3 and actions >= due:
            self.stage, self._stage_at = self.stage + 1, actions
            return Alarm(self.stage, kind, message)
        return None

    def _idle(self, tool_calls: int) -> Alarm | None:
        """One more reply without a game action: the idle alarm's stage n at n * `idle_replies` of them."""
        self._idle_replies += 1
        self._idle_called = self._idle_called or tool_calls > 0
        n, every = self._idle_replies, self.cfg.idle_replies
        if n % every or n > 3 * every:
            return None
        stage = n // every
        if stage < 3:
            message = (f"your last {n} replies took no game action. Only a tool call acts on the game: call "
                       "press_buttons or wait now, through tool calling (not written as text).")  # fmt: skip
        elif self._idle_called:
            message = (f"the model answered {n} times without a game action (press_buttons or wait): it called "
                       "only other tools, or none; read its replies with animus replay RUN")  # fmt: skip
        else:
            message = (f"the model answered {n} times without calling a tool; does this server support tool "
                       "calling? (see README: Local models)")  # fmt: skip
        return Alarm(stage, IDLE, message)

    def _alarm(self, actions: int, clock: int, off_map: bool) -> tuple[str | None, str]:
        cfg = self.cfg
        still = clock - self._position_since
        if not off_map and still >= cfg.same_position_actions:
            return "same_position", (
                f"you have been at the same place ({_show(self._position)}) for {still} actions; what you are "
                "doing is not working. Try something different."
            )
        spanned = clock - self._recent[0][0] if self._recent else 0
        places = len(self._places)
        if not off_map and spanned >= cfg.loop_actions - 1 and places <= cfg.loop_positions:
            return "loop", (
                f"you have moved between the same {places} places for the last {spanned} actions. Break the "
                "loop: go somewhere new or try another kind of action."
            )
        since = actions - self._milestone_at
        if since >= cfg.no_milestone_actions:
            return "no_milestone", (
                f"no new milestone for {since} actions. Review your notes, list what you have not tried yet, and "
                "try it."
            )
        return None, ""


def _show(position: object) -> str:
    if isinstance(position, tuple):
        return ", ".join(str(p) for p in position)
    return str(position)
