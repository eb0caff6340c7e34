"""The conversation window: the most recent turns a request carries.

It is rebuilt on resume from the stored model calls (each call stores the turns it added, then its reply), so
a resumed run sends exactly the requests an uninterrupted one would have sent.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable

from animus.agent.types import AssistantTurn, Reply, Turn, UserTurn, turn_from_json
from animus.runs.rows import ModelCallRow


class Context:
    """The last `recent_turns` exchanges (a user turn and the reply to it)."""

    def __init__(self, recent_turns: int) -> None:
        self._turns: deque[Turn] = deque(maxlen=2 * recent_turns)

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    def add(self, user: UserTurn, reply: Reply) -> None:
        self._turns.append(user)
        self._turns.append(AssistantTurn(user.step, reply))

    def last_reply(self) -> Reply | None:
        last = self._turns[-1] if self._turns else None
        return last.reply if isinstance(last, AssistantTurn) else None

    def rebuild(self, calls: Iterable[ModelCallRow]) -> None:
        """Replay stored `act` calls in order: each call's request delta, then its reply."""
        for call in calls:
            for turn in json.loads(call.request_delta):
                self._turns.append(turn_from_json(turn))
            self._turns.append(AssistantTurn(call.step, Reply.from_json(json.loads(call.reply))))
