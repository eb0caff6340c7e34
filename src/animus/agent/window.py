"""Fitting a session to the model's context window: the reply limit and the context budget.

A request fits when its prompt plus the reply it asks for (`max_tokens`) is within the model's context length.
Local servers (vLLM, llama-server) are often started with a short context, and a default reply limit of 16,000 tokens
alone can exceed it. So there are two cures, and the right one depends on what is too big:

- the reply limit: lowered for the session (`LoopState.max_tokens`), with a warning naming `model.max_tokens`;
- the prompt: the context budget (`LoopState.context_tokens`) shrinks and the oldest turns are folded into the summary.

`fit` shares a window between the two; `fit_session` applies it once per session where the model reports its window
(`context_window()`, as `OpenAIModel` does), and `on_overflow` where a refused request states its sizes. Both are
session settings, like the context budget's lowering: a resume starts again from the config (and is fitted again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from animus import notify
from animus.errors import StopRun

if TYPE_CHECKING:
    from animus.agent.state import LoopState
    from animus.config import RunConfig
    from animus.errors import ContextOverflow

# After the model reports a context overflow, the session's context budget shrinks to this share of itself.
OVERFLOW_SHRINK = 0.6
# A reply keeps at least this share of the window (reasoning models think inside their reply) ...
REPLY_SHARE = 0.25
# ... and the context budget stays this far under what is left, since it is kept with estimated tokens.
ESTIMATE_MARGIN = 0.9
MIN_CONTEXT_TOKENS = 1000


@runtime_checkable
class Windowed(Protocol):
    """A model that can say its context length (optional: `Model` does not require it)."""

    def context_window(self) -> int | None: ...


def reply_floor(config: RunConfig) -> int:
    """The smallest reply limit a run can play with: above its thinking budget (the API refuses a budget that is
    not below max_tokens), else 1."""
    t = config.thinking
    return t.budget_tokens + 1 if t.kind == "enabled" and t.budget_tokens is not None else 1


def fit(window: int, max_tokens: int, context_tokens: int, floor: int = 1) -> tuple[int, int]:
    """The (reply limit, context budget) that share `window`: unchanged when both fit; otherwise the reply limit
    leaves the context budget its room where it can, keeping at least `REPLY_SHARE` of the window and `floor`
    (`reply_floor`), and the context budget takes what is left under `ESTIMATE_MARGIN`. Neither ever grows."""
    if max_tokens + context_tokens <= window:
        return max_tokens, context_tokens
    reply = max(1, min(max_tokens, max(floor, window - context_tokens, int(window * REPLY_SHARE))))
    context = min(context_tokens, max(MIN_CONTEXT_TOKENS, int((window - reply) * ESTIMATE_MARGIN)))
    return reply, context


def fit_session(loop: LoopState, model: object, floor: int = 1) -> None:
    """Fit `loop`'s reply limit and context budget to the window `model` reports, with a notice when they change;
    `floor` as for `fit`."""
    window = model.context_window() if isinstance(model, Windowed) else None
    if window is None:
        return
    reply, context = fit(window, loop.max_tokens, loop.context_tokens, floor)
    if (reply, context) != (loop.max_tokens, loop.context_tokens):
        notify.notice(
            f"the server reports a context of {window} tokens: this session's replies are limited to {reply} tokens "
            f"(model.max_tokens is {loop.max_tokens}) and its context budget to {context} tokens "
            f"(memory.context_tokens is {loop.context_tokens}); set both lower for new runs to silence this"
        )
    loop.max_tokens, loop.context_tokens = reply, context


def on_overflow(loop: LoopState, exc: ContextOverflow, forced: bool, folded: bool, floor: int = 1) -> bool:
    """Fit `loop` to a refused request; return whether the next try must fold turns into the summary (`floor`
    as for `fit`).

    When the message states a prompt that fits the window, the reply limit is (part of) the excess: it is lowered
    by `fit`, and turns are folded only if the prompt still does not fit beside the new limit. Otherwise the prompt
    is the excess: the context budget shrinks by `OVERFLOW_SHRINK` and turns are folded. `StopRun` when a forced
    fold already folded nothing and the request still does not fit."""
    prompt, window = exc.prompt_tokens, exc.window
    if prompt is not None and window is not None and prompt < window:
        reply, context = fit(window, loop.max_tokens, loop.context_tokens, floor)
        if reply < loop.max_tokens:
            notify.warn(
                f"{exc}; model.max_tokens ({loop.max_tokens}) does not fit the model's context of {window} tokens: "
                f"this session's replies are limited to {reply} tokens (set model.max_tokens lower for new runs)"
            )
            loop.max_tokens, loop.context_tokens = reply, context
            return prompt + reply > window
    if forced and not folded:
        raise StopRun("error", f"{exc}; nothing left to summarize: lower memory.context_tokens")
    loop.context_tokens = max(MIN_CONTEXT_TOKENS, int(loop.context_tokens * OVERFLOW_SHRINK))
    notify.warn(f"{exc}; the context budget is now {loop.context_tokens} tokens for this session "
                "(set memory.context_tokens lower for new runs)")  # fmt: skip
    return True
