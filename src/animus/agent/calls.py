"""`ModelCaller`: sends a request to the model and commits the call before anything acts on the reply.

After a kill, the first step a resumed run plays may already have replies stored for it (a summary, a
reflection, the action itself) that were paid for but never acted on: for that one step, a stored reply of the
same purpose is returned instead of asking the model again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from animus.agent.types import Reply, Request, Turn
from animus.runs.rows import ModelCallRow

if TYPE_CHECKING:
    from animus.agent.loop import Counters, Timing
    from animus.agent.models import Model
    from animus.config import RunConfig
    from animus.memory.tokens import TokenEstimator
    from animus.runs.store import RunStore


class ModelCaller:
    """One place where the model is called, priced, timed and recorded."""

    def __init__(
        self,
        model: Model,
        store: RunStore,
        config: RunConfig,
        counters: Counters,
        timing: Timing,
        estimator: TokenEstimator,
        resume_step: int | None = None,
    ) -> None:
        self.model, self.store, self.config = model, store, config
        self.counters, self.timing, self.estimator = counters, timing, estimator
        self.resume_step = resume_step

    def call(self, request: Request, delta: Sequence[Turn], context_tokens: int) -> Reply:
        """The model's reply to `request`, committed with the turns it added (`delta`) before it is returned."""
        if request.step == self.resume_step:
            stored = self.store.pending_call(request.step, request.purpose)
            if stored is not None:
                return Reply.from_json(json.loads(stored.reply))
        t0 = time.perf_counter()
        reply = self.model.respond(request)
        latency = time.perf_counter() - t0
        self.timing.model += latency
        u = reply.usage
        cost = self.cost_of(reply)
        self.counters.tokens += u.total
        self.counters.cost += cost
        self.estimator.calibrate(context_tokens, reported_input(reply))
        blobs = []
        if request.image_png is not None:
            blobs.append((hashlib.sha256(request.image_png).hexdigest(), "image/png", request.image_png))
        self.store.record_call(
            ModelCallRow(
                id=0,
                step=request.step,
                purpose=request.purpose,
                request_delta=json.dumps([t.to_json() for t in delta]),
                memory_version=request.memory.version,
                reply=json.dumps(reply.to_json()),
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_write_tokens=u.cache_creation_input_tokens,
                cache_read_tokens=u.cache_read_input_tokens,
                cost=cost,
                latency_seconds=latency,
                created_at=time.time(),
                context_tokens=context_tokens,
            ),
            blobs,
        )
        return reply

    def cost_of(self, reply: Reply) -> float:
        """Dollars for one reply: its usage priced by `pricing[reply.model]`, else `pricing[<--model name>]`."""
        price = self.config.pricing.get(reply.model) or self.config.pricing.get(self.config.model.split(":")[0])
        if price is None:
            return 0.0
        u = reply.usage
        return (
            u.input_tokens * price.input
            + u.output_tokens * price.output
            + u.cache_creation_input_tokens * price.cache_write
            + u.cache_read_input_tokens * price.cache_read
        ) / 1e6


def reported_input(reply: Reply) -> int:
    """All input tokens a backend reported for a call, cached or not."""
    u = reply.usage
    return u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
