"""The conversation a request carries: the turns since the last summary, kept within a token budget.

When the turns would no longer fit, the oldest exchanges leave: they are handed to the model to fold into the
running summary (or, with memory disabled, simply dropped). The turns themselves stay in the run store. The
context is rebuilt on resume from the stored calls and summary events, so a resumed run sends exactly the requests
an uninterrupted one would have.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from animus.agent.types import AssistantTurn, Reply, Turn, UserTurn, turn_from_json
from animus.memory.events import MemoryEvent
from animus.memory.tokens import TokenEstimator
from animus.runs.rows import ModelCallRow


class Context:
    """Turns since the last summary (user turn, reply, user turn, reply, ...), plus that summary."""

    def __init__(self, estimator: TokenEstimator) -> None:
        self.estimator = estimator
        self.turns: list[Turn] = []
        self.sizes: list[float] = []  # uncalibrated tokens of each turn, priced once
        self.summary = ""
        self.summarized_through = 0  # the last step whose turns the summary covers
        self.base_notes: tuple[tuple[str, str], ...] = ()  # the notes when the summary was written

    def add(self, user: UserTurn, reply: Reply) -> None:
        self._append(user)
        self._append(AssistantTurn(user.step, reply))

    def last_reply(self) -> Reply | None:
        last = self.turns[-1] if self.turns else None
        return last.reply if isinstance(last, AssistantTurn) else None

    def leaving(self, keep_exchanges: int, over: float) -> int:
        """How many of the oldest turns must leave to shed `over` uncalibrated tokens, in whole exchanges,
        keeping at least `keep_exchanges` exchanges."""
        count, shed = 0, 0.0
        limit = max(0, len(self.turns) - 2 * keep_exchanges)
        while count < limit and shed < over:
            shed += self.sizes[count] + self.sizes[count + 1]
            count += 2
        return count

    def fold(self, count: int, summary: str) -> None:
        """Drop the oldest `count` turns; `summary` (possibly "") now stands for them."""
        if count:
            self.summarized_through = self.turns[count - 1].step
        del self.turns[:count], self.sizes[:count]
        self.summary = summary

    def rebuild(self, calls: Iterable[ModelCallRow], summaries: Iterable[MemoryEvent]) -> None:
        """Restore from the store: the latest summary event, then the `act` calls after the steps it covers."""
        for event in summaries:
            self.summary, self.summarized_through = event.content, event.through
        for call in calls:
            if call.step <= self.summarized_through:
                continue
            for turn in json.loads(call.request_delta):
                self._append(turn_from_json(turn))
            self._append(AssistantTurn(call.step, Reply.from_json(json.loads(call.reply))))

    def _append(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.sizes.append(self.estimator.turn(turn))
