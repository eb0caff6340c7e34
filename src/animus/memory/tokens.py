"""Token estimates for a request, before it is sent: the context budget is kept with these.

The default `HeuristicEstimator` counts about 3.5 characters per token of text and about w*h/750 tokens per image,
at the size the image is sent (`model.image_scale`), and the thinking of earlier turns only for backends that send
it back (`for_config`). It then scales by a calibration factor learnt from the `usage` real backends return
(input tokens reported vs estimated). Models that report no usage (the mock) leave the factor at 1, so their
estimates are deterministic.
An estimator prices turns one at a time (the context caches each turn's size) plus the fixed part of a request.

A server that cuts prompts without an error (Ollama at its `num_ctx`) reports far fewer input tokens than were sent.
Calibrating on such calls would teach the estimator that prompts are tiny, and the context would then grow until
every request is cut. So a call that `may_be_cut` is not calibrated on, and `cut_calls` counts the calls in a row
that `looks_cut` (the caller warns; `calls.CUT_CALLS_TO_WARN`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from animus.agent.types import AssistantTurn, Memory, ToolSpec, Turn, UserTurn

if TYPE_CHECKING:
    from animus.config import RunConfig

SCREEN = (160, 144)
IMAGE_PIXELS = SCREEN[0] * SCREEN[1]
SMALLEST_CUT = 2048  # the smallest context size (a power of two) a server is taken to cut prompts at
NEAR_CUT = 0.85  # a cut prompt is reported this close under it (the messages dropped to fit are small beside it)
CUT_RATIO = 0.5  # a cut call is counted when its report is also under this share of its estimate


def round_context(reported: int) -> int:
    """The smallest power of two at or above `reported`: the context size a cut prompt is at or under."""
    return 1 << max(0, reported - 1).bit_length()


def may_be_cut(estimated: int, reported: int) -> bool:
    """Whether a prompt estimated at `estimated` tokens and reported as `reported` may have been cut at a round
    context size: the report is just under (`NEAR_CUT`) a power of two of at least `SMALLEST_CUT` (Ollama's defaults
    are 2048 and 4096) that the estimate exceeds. A prompt that really is near such a size is then left out of
    calibration for a few calls, which costs little; a cut one would have dragged every estimate down with it."""
    size = round_context(reported)
    return size >= SMALLEST_CUT and reported >= NEAR_CUT * size and estimated > size


def looks_cut(estimated: int, reported: int) -> bool:
    """Whether the call `may_be_cut` and its report is far below its estimate (under `CUT_RATIO` of it)."""
    return may_be_cut(estimated, reported) and reported < CUT_RATIO * estimated


class TokenEstimator(Protocol):
    scale: float
    cut_calls: int  # calls in a row that `looks_cut` (not calibrated on)

    def turn(self, turn: Turn) -> float:
        """Uncalibrated tokens of one turn."""
        ...

    def fixed(self, system: str, tools: tuple[ToolSpec, ...], memory: Memory, images: int) -> float:
        """Uncalibrated tokens of everything in a request but its turns."""
        ...

    def calibrate(self, estimated: int, reported_input: int) -> None: ...


class HeuristicEstimator:
    """chars/3.5 for text, w*h/750 per image, times a calibration factor (an average of reported/estimated)."""

    def __init__(
        self,
        chars_per_token: float = 3.5,
        pixels_per_token: float = 750.0,
        image_pixels: int = IMAGE_PIXELS,
        resends_thinking: bool = True,
    ) -> None:
        self.chars_per_token = chars_per_token
        self.pixels_per_token = pixels_per_token
        self.image_pixels = image_pixels  # of one image as it is sent
        self.resends_thinking = resends_thinking  # whether a request carries the thinking of earlier turns
        self.scale = 1.0
        self.cut_calls = 0
        self._samples = 0
        self._tools: tuple[ToolSpec, ...] | None = None  # the specs last priced, and their size
        self._tool_chars = 0

    @classmethod
    def for_config(cls, config: RunConfig) -> HeuristicEstimator:
        """The estimator of a run with `config`: its images priced at `model.image_scale` (as `prepare_png` sends
        them), the thinking of earlier turns counted unless the backend drops it (`models.DROPS_THINKING`)."""
        from animus.agent.models import DROPS_THINKING, split_spec

        scale = config.model.image_scale
        pixels = round(SCREEN[0] * scale) * round(SCREEN[1] * scale)
        return cls(image_pixels=pixels, resends_thinking=split_spec(config.model.name)[0] not in DROPS_THINKING)

    def turn(self, turn: Turn) -> float:
        return turn_chars(turn, self.resends_thinking) / self.chars_per_token

    def fixed(self, system: str, tools: tuple[ToolSpec, ...], memory: Memory, images: int) -> float:
        if tools is not self._tools:  # a run sends the same specs every call: price them once
            self._tools = tools
            self._tool_chars = sum(len(t.name) + len(t.description) + len(json.dumps(t.input_schema)) for t in tools)
        chars = len(system) + len(memory.summary) + sum(len(k) + len(v) + 4 for k, v in memory.notes)
        chars += self._tool_chars
        return chars / self.chars_per_token + images * self.image_pixels / self.pixels_per_token

    def calibrate(self, estimated: int, reported_input: int) -> None:
        """Fold one call's reported input tokens into the factor (ignored when either side is 0, and for a call
        that `may_be_cut`); count the calls in a row that `looks_cut` in `cut_calls`."""
        if estimated <= 0 or reported_input <= 0:
            return
        self.cut_calls = self.cut_calls + 1 if looks_cut(estimated, reported_input) else 0
        if may_be_cut(estimated, reported_input):
            return
        ratio = reported_input * self.scale / estimated
        self._samples += 1
        # A running mean over the first calls, then an exponential average that follows slow drift.
        weight = max(1 / self._samples, 0.05)
        self.scale += weight * (ratio - self.scale)


def turn_chars(turn: Turn, thinking: bool = True) -> int:
    """Characters a turn adds to a request (text, tool results and calls, and its thinking when `thinking`)."""
    if isinstance(turn, UserTurn):
        return len(turn.text) + sum(len(r.content) + 16 for r in turn.tool_results)
    assert isinstance(turn, AssistantTurn)
    reply = turn.reply
    return (
        len(reply.text)
        + (sum(len(t.text) for t in reply.thinking) if thinking else 0)
        + sum(len(c.name) + len(json.dumps(c.input)) + 16 for c in reply.tool_calls)
    )
