"""`ReplayedModel`: answers with a recorded run's stored replies instead of asking a model. It never calls a network.

Contract:
- The k-th request of a (step, purpose) gets the k-th reply the run stored for that step and purpose, in the order
  the run stored them (`model_calls` by id). Nothing else of the request is read: the same tool calls are then
  made whatever the request says, which is the point (`animus rerequest` re-drives a harness with them).
- A request for which the run stored no such reply (the harness asks for a summary at a step where the run made
  none, or for a step past the run's end) raises `NoStoredReply`, a `StopRun`: the loop ends there cleanly, since
  any reply made up in its place would be a reply the run never had. Unless `stand_in` is set: then a summarize or
  reflect request without one gets the reply of a model that keeps no memory of its own (`plain_summary`: the
  summary unchanged), and its step and purpose are listed in `stand_ins`. An act request never gets a stand-in.
- The calls are read lazily, step by step, from an iterable ordered by id (`RunReader.calls()`): only the current
  step's replies are held, so a run of any length is replayed in constant memory. Steps must be asked in order;
  a request for a step before the current one raises `NoStoredReply` too (its replies are gone).

Unlike the registered models it keeps state between requests (the stream's position and how many requests of
each purpose the current step has had), so it does not pass `animus.check_model`'s no-hidden-state rule, and it is
not registered by name: build it in Python, from a run's calls.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from animus.agent.models import plain_summary
from animus.agent.types import Reply, Request
from animus.errors import StopRun
from animus.runs.rows import ModelCallRow


class NoStoredReply(StopRun):
    """The run stored no reply for a request (see the module docstring). `step` and `purpose` are the request's;
    `index` counts that purpose's requests at that step before it (0: the first)."""

    def __init__(self, step: int, purpose: str, index: int) -> None:
        nth = f"a {_ORDINALS[index]} " if 0 < index < len(_ORDINALS) else "a "
        super().__init__(
            "stopped",
            f"step {step}: the harness asked for {nth}{purpose} request that the run never made, so there is no "
            "stored reply to give it",
        )
        self.step, self.purpose, self.index = step, purpose, index


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


class ReplayedModel:
    """Replies with a run's stored replies for the same step and purpose, in order (see the module docstring).

    `calls` are the run's model calls ordered by id; `name` is the model's name in what the loop records (the
    replies keep the name of the model that wrote them); `sends_images` is what the loop asks of a model: whether
    observations carry the screen (set it as the recorded run's model did, for the same requests); `stand_in`: see
    the module docstring."""

    def __init__(
        self, calls: Iterable[ModelCallRow], name: str = "replayed", sends_images: bool = False, stand_in: bool = False
    ) -> None:
        self.name = name
        self.sends_images = sends_images
        self.stand_in = stand_in
        self.stand_ins: list[tuple[int, str]] = []  # (step, purpose) of each request answered by a stand-in
        self._rows: Iterator[ModelCallRow] = iter(calls)
        self._next: ModelCallRow | None = None  # the first row of a later step, read ahead
        self._step = 0  # the step whose replies are held
        self._replies: dict[str, list[str]] = {}  # purpose -> the step's stored replies (JSON), in order
        self._asked: Counter[str] = Counter()  # purpose -> requests of the held step answered so far

    def respond(self, request: Request) -> Reply:
        """The stored reply for `request`'s step and purpose, the k-th for its k-th request; when the run stored
        none, a stand-in or `NoStoredReply` (see the module docstring)."""
        if request.step != self._step:
            if request.step < self._step:
                raise NoStoredReply(request.step, request.purpose, 0)
            self._load(request.step)
        index = self._asked[request.purpose]
        stored = self._replies.get(request.purpose, [])
        if index >= len(stored):
            if not self.stand_in or request.purpose == "act":
                raise NoStoredReply(request.step, request.purpose, index)
            self.stand_ins.append((request.step, request.purpose))
            return plain_summary(request, self.name)
        self._asked[request.purpose] += 1
        return Reply.from_json(json.loads(stored[index]))

    def _load(self, step: int) -> None:
        """Hold the replies of `step`, dropping those of the steps before it."""
        self._step, self._replies, self._asked = step, {}, Counter()
        while True:
            row = self._next if self._next is not None else next(self._rows, None)
            self._next = None
            if row is None:
                return
            if row.step > step:
                self._next = row  # the first reply of a later step: kept for it
                return
            if row.step == step:
                self._replies.setdefault(row.purpose, []).append(row.reply)
