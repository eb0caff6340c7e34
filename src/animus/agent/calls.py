"""`ModelCaller`: sends a request to the model and commits the call before anything acts on the reply.

After a kill, the first step a resumed run plays may already have replies stored for it (a summary, a
reflection, the action itself) that were paid for but never acted on: for that one step, a stored reply of the
same purpose is returned instead of asking the model again.

A call is priced from the config's `pricing` table. A backend that reports tokens for a model with no price gets
its cost recorded as unknown (NULL), with one warning per run session; the run goes on.

A caller holds no loop state: each call books its tokens, cost and the estimator's calibration into the
`LoopState` it is given, and its latency into the given `Timing`. So a best-of-N fork builds a fresh caller on
the branch's own model and recorder, and the run taking a branch's state needs nothing re-linked here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from animus import notify
from animus.agent.types import Reply, Request, Turn
from animus.errors import ModelInterrupted, StopRun
from animus.memory.tokens import round_context
from animus.runs.rows import ModelCallRow

CUT_CALLS_TO_WARN = 3  # requests in a row that look cut by the server before the warning
CUT_WARNING = "(prompts cut)"  # its key in the caller's `warned` set: once per run session

if TYPE_CHECKING:
    from animus.agent.models import Model
    from animus.agent.state import Gate, LoopState, Timing
    from animus.config import RunConfig
    from animus.runs.buffer import Recorder


class ModelCaller:
    """One place where the model is called, priced, timed and recorded."""

    def __init__(
        self,
        model: Model,
        store: Recorder,
        config: RunConfig,
        resume_step: int | None = None,
        gate: Gate | None = None,
        warned: set[str] | None = None,
    ) -> None:
        self.model, self.store, self.config = model, store, config
        self.resume_step = resume_step
        self.in_flight = False  # a model call is under way: a signal may abandon it (see runner)
        self.gate = gate  # entered around each model call when set (a fleet's shared limits, from its Rig)
        self.warned = warned if warned is not None else set()  # warnings given once a session

    def call(
        self, request: Request, delta: Sequence[Turn], context_tokens: int, loop: LoopState, timing: Timing
    ) -> Reply:
        """The model's reply to `request`, committed with the turns it added (`delta`) before it is returned.
        A new reply's tokens and cost are added to `loop.counters`, its reported input calibrates
        `loop.estimator`, and its latency is added to `timing`; a stored reply reused on resume adds nothing."""
        if request.step == self.resume_step:
            stored = self.store.pending_call(request.step, request.purpose)
            if stored is not None:
                return Reply.from_json(json.loads(stored.reply))
        t0 = time.perf_counter()
        try:
            self.in_flight = True  # before the gate: a signal may abandon the wait for it too
            if self.gate is None:
                reply = self.model.respond(request)
            else:
                with self.gate():
                    t0 = time.perf_counter()  # the latency is the call's, not the wait for its turn
                    reply = self.model.respond(request)
            self.in_flight = False
        except ModelInterrupted as exc:
            raise StopRun("stopped", f"{exc} while waiting for the model") from None
        finally:
            self.in_flight = False
        latency = time.perf_counter() - t0
        timing.model += latency
        u = reply.usage
        cost = self.cost_of(reply)
        counters = loop.counters
        counters.tokens += u.total
        if cost is None:
            counters.unpriced_calls += 1
        else:
            counters.cost += cost
        loop.estimator.calibrate(context_tokens, reported_input(reply))
        if loop.estimator.cut_calls >= CUT_CALLS_TO_WARN and CUT_WARNING not in self.warned:
            self.warned.add(CUT_WARNING)
            reported = reported_input(reply)
            notify.warn(
                f"the server reported {reported} input tokens for a request of about {context_tokens}, "
                f"{CUT_CALLS_TO_WARN} requests in a row: it seems to cut prompts at a context of "
                f"{round_context(reported)} tokens without an error (as Ollama does at its num_ctx), so the model "
                "sees only part of its memory. Raise the server's context (Ollama: PARAMETER num_ctx 32768 in a "
                "Modelfile, or OLLAMA_CONTEXT_LENGTH=32768 for ollama serve) or lower memory.context_tokens; these "
                "calls are left out of the token estimates' calibration"
            )
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

    def cost_of(self, reply: Reply) -> float | None:
        """Dollars for one reply: its usage priced by `pricing[reply.model]`, else by the price of the --model
        spec (`anthropic:NAME` or NAME); 0 for a reply with no tokens; None (unknown) with no price."""
        u = reply.usage
        spec = self.config.model.name
        names = (reply.model, spec, spec.partition(":")[2], spec.partition(":")[0])
        price = next((self.config.pricing[n] for n in names if n in self.config.pricing), None)
        if price is None:
            if u.total == 0:
                return 0.0
            if reply.model not in self.warned:
                self.warned.add(reply.model)
                notify.warn(
                    f"no price for model {reply.model!r}: its cost is recorded as unknown. "
                    f"Add [pricing.{json.dumps(reply.model)}] with input/output/cache_write/cache_read "
                    "($ per million tokens) to the config."
                    + (" budget.max_cost cannot count unknown costs." if self.config.budget.max_cost else "")
                )
            return None
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
