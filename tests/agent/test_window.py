"""Fitting a session to a model's context window: what each server's message states, and how the window is shared
between the reply limit and the context budget."""

from __future__ import annotations

import pytest

from animus.agent.models.remote import Sizes, overflow_sizes, triage
from animus.agent.window import fit, reply_floor
from animus.config import load_config

# Each server's words (see tests/fakes/chat_flavors.py and animus/agent/models/remote.py for where they come from).
MESSAGES = [
    ("This model's maximum context length is 8192 tokens. However, you requested 17234 tokens (1234 in the "
     "messages, 16000 in the completion). Please reduce the length of the messages or completion.",
     {"prompt": 1234, "reply": 16000, "window": 8192}),
    ("'max_tokens' or 'max_completion_tokens' is too large: 16000. This model's maximum context length is 8192 "
     "tokens and your request has 1234 input tokens (16000 > 8192 - 1234). None",
     {"prompt": 1234, "reply": 16000, "window": 8192}),
    ("This model's maximum context length is 8192 tokens. However, your request has 9000 input tokens. Please "
     "reduce the length of the input messages.", {"prompt": 9000, "window": 8192}),
    ("This model's maximum context length is 8192 tokens. However, you requested 16000 output tokens and your "
     "prompt contains at least 1234 input tokens, for a total of at least 17234 tokens. Please reduce the length "
     "of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=1234)",
     {"prompt": 1234, "reply": 16000, "window": 8192}),
    ("request (9000 tokens) exceeds the available context size (8192 tokens), try increasing it",
     {"prompt": 9000, "window": 8192}),
    ("This model's maximum context length is 128000 tokens. However, your messages resulted in 130,210 tokens.",
     {"prompt": 130210, "window": 128000}),
    ("input length and `max_tokens` exceed context limit: 197000 + 16000 > 200000, decrease input length or "
     "`max_tokens` and try again", {"prompt": 197000, "reply": 16000, "window": 200000}),
    ("prompt is too long: 210000 tokens > 200000 maximum", {}),
]  # fmt: skip


@pytest.mark.parametrize(("message", "sizes"), MESSAGES)
def test_the_sizes_each_server_states_are_read(message: str, sizes: dict[str, int]) -> None:
    assert overflow_sizes(message) == Sizes(**sizes)
    assert triage(400, message).action == "overflow"


def test_llama_servers_fields_stand_in_for_an_older_message() -> None:
    message = "the request exceeds the available context size, try increasing it"
    failure = triage(400, message, fields={"n_prompt_tokens": 9000, "n_ctx": 8192, "code": 400})
    assert failure.action == "overflow" and failure.sizes == Sizes(prompt=9000, window=8192)
    assert (
        triage(500, "Input is too large to process. Either enable context shift or increase context length.").action
        == "overflow"
    )


def test_the_window_is_shared_and_nothing_grows() -> None:
    assert fit(32768, 16000, 12000) == (16000, 12000), "both fit: unchanged"
    assert fit(8000, 16000, 12000) == (2000, 5400), "a quarter of the window for replies, the rest under a margin"
    assert fit(20000, 16000, 12000) == (8000, 10800), "the reply leaves the context budget its room where it can"
    assert fit(8000, 1000, 12000) == (1000, 6300), "a small reply limit stays; the context budget shrinks"


def test_a_reply_limit_stays_above_the_thinking_budget() -> None:
    config = load_config(sets=["model.max_tokens=64000", "thinking.budget_tokens=60000"])
    floor = reply_floor(config)
    assert floor == 60001 and reply_floor(load_config()) == 1
    reply, context = fit(200_000, 64000, 150_000, floor)
    assert reply == 60001 and reply + context <= 200_000
