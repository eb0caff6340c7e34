"""`check_model`: does a model keep the `Model` contract? (See `animus.checks` for the rules.)"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from animus.agent.types import Reply, Request, ThinkingBlock, ToolCall, Usage
from animus.checks import requests as recorded
from animus.checks.rules import MODEL_RULES, Checked, broken, difference, short
from animus.errors import ContextOverflow, ModelError, StopRun

if TYPE_CHECKING:
    from animus.agent.models import Model
    from animus.config import RunConfig

SHUFFLE_SEED = 7  # the third pass's order: fixed, so a failing check fails the same way every time


@dataclass(frozen=True)
class Ended:
    """A request the model answered by raising `StopRun` or `ContextOverflow`, which the loop handles."""

    error: str
    message: str


Outcome = Reply | Ended


def check_model(
    factory: Callable[[str | None, RunConfig], Model] | str,
    *,
    argument: str | None = None,
    config: RunConfig | None = None,
    requests: Sequence[Request] | None = None,
    deterministic: bool = True,
) -> Checked:
    """Check that the models `factory` builds keep the `Model` contract; raise `ContractError` naming the rule
    broken, or return what was checked.

    `factory` is called as `factory(argument, config)`, exactly as Animus calls a model class or factory that an
    `animus.models` entry point names, so a plugin passes its class as it is: `check_model(MyModel)`. A string
    is a model spec (`"mock"`, `"scripted:PATH"`, an entry point's name) built by `create_model`, which checks
    the registration too. `config` defaults to the recording run's (`animus.checks.requests.RECORDING`).
    `requests` defaults to the recorded ones (`recorded_requests()`); each instance is given them without
    images unless its `sends_images` is true.

    `deterministic=False` is for models whose replies come from elsewhere (a remote API): one instance answers
    every request once, only rules 1 to 5 are checked, and the thinking of the (mock's) replies in the requests'
    history is left out, since an API refuses thinking blocks it did not sign (`requests.without_thinking` in
    this package).

    The report's `ended` counts the requests answered with `StopRun` or `ContextOverflow` (in the first pass):
    all of them for a remote backend means it refused every request (a missing key, a bad endpoint).
    """
    cfg = config if config is not None else _recording_config()
    if isinstance(factory, str):
        if argument is not None:
            raise ModelError(f"check_model({factory!r}) takes its argument in the spec: 'NAME:ARGUMENT'.")
        spec = factory
        make: Callable[[], Model] = lambda: _create(spec, cfg)  # noqa: E731
    else:
        build = factory
        make = lambda: build(argument, cfg)  # noqa: E731
    first = make()
    name, sends_images = _attributes(first)
    given = recorded.recorded_requests() if requests is None else tuple(requests)
    if not given:
        raise ModelError("check_model needs at least one request to replay.")
    asked = recorded.for_model(given if deterministic else recorded.without_thinking(given), sends_images)
    subject = f"model {name!r}"
    forward = [_ask(first, subject, i, r) for i, r in enumerate(asked)]
    ended = sum(isinstance(o, Ended) for o in forward)
    if not deterministic:
        return Checked(name, len(asked), (1, 2, 3, 4, 5), ended)

    # A second fresh instance answers request 0 first, as the first one did: any difference is not history's.
    second = make()
    again = _attributes(second)
    if again != (name, sends_images):
        rule = 1 if again[0] != name else 2
        raise broken(MODEL_RULES, rule, f"{subject}: a second instance from the same factory has {again[rule - 1]!r}.")
    how = "two fresh instances answered it, their first request, differently"
    hint = " (state shared between instances, or randomness not drawn from the request's seed and step)"
    _compare(6, subject, 0, asked[0], forward[0], _ask(second, subject, 0, asked[0]), how, hint)
    # Then the rest in reverse order, and the first instance everything again, shuffled.
    for done, i in enumerate(range(len(asked) - 1, 0, -1), 1):
        how = f"the first instance (after answering {i} other requests) and a second (after answering {done})"
        _compare(
            7, subject, i, asked[i], forward[i], _ask(second, subject, i, asked[i]), f"{how} answered it differently"
        )
    order = list(range(len(asked)))
    random.Random(SHUFFLE_SEED).shuffle(order)
    for done, i in enumerate(order, len(asked)):
        how = f"the first instance, asked again in a shuffled order after answering {done} requests, answered it"
        _compare(
            7,
            subject,
            i,
            asked[i],
            forward[i],
            _ask(first, subject, i, asked[i]),
            f"{how} differently from the first time",
        )
    return Checked(name, 3 * len(asked), tuple(MODEL_RULES), ended)


def _create(spec: str, config: RunConfig) -> Model:
    from animus.agent.models import create_model

    return create_model(spec, config)


def _recording_config() -> RunConfig:
    from animus.config import load_config

    return load_config(overrides=recorded.RECORDING)


def _attributes(model: Any) -> tuple[str, bool]:
    """The model's `name` and `sends_images` (rules 1 and 2), and that it has a `respond` method (rule 3)."""
    what = type(model).__name__
    name = getattr(model, "name", None)
    if not isinstance(name, str) or not name.strip():
        got = "no `name`" if not hasattr(model, "name") else f"name {name!r}"
        raise broken(MODEL_RULES, 1, f"model class {what} has {got}: set `name` to a non-empty str (it labels runs).")
    images = getattr(model, "sends_images", None)
    if not isinstance(images, bool):
        got = "no `sends_images`" if not hasattr(model, "sends_images") else f"sends_images {images!r}"
        raise broken(MODEL_RULES, 2, f"model {name!r} has {got}: set it to True or False (whether it takes frames).")
    if not callable(getattr(model, "respond", None)):
        raise broken(MODEL_RULES, 3, f"model {name!r} has no respond(request) method.")
    return name, images


def _ask(model: Model, subject: str, index: int, request: Request) -> Outcome:
    """The model's answer to `request`, checked against rules 3, 4 and 5."""
    where = recorded.describe(index, request)
    before = recorded.snapshot(request)
    outcome: Outcome
    try:
        outcome = model.respond(request)
    except (StopRun, ContextOverflow) as exc:  # answers the loop knows: the run ends, or it summarizes
        outcome = Ended(type(exc).__name__, str(exc))
    except Exception as exc:
        raise broken(MODEL_RULES, 3, f"{subject} raised {type(exc).__name__}: {exc} for {where}.") from exc
    if recorded.snapshot(request) != before:
        raise broken(MODEL_RULES, 5, f"{subject} changed {where} while answering it; requests are shared.")
    if isinstance(outcome, Reply):
        problem = _reply_problem(outcome)
        if problem:
            raise broken(MODEL_RULES, 3, f"{subject} answered {where} with {problem}.")
        _round_trip(outcome, subject, where)
    elif not isinstance(outcome, Ended):
        raise broken(MODEL_RULES, 3, f"{subject} answered {where} with a {type(outcome).__name__}, not a Reply.")
    return outcome


def _reply_problem(reply: Reply) -> str | None:
    """What in the reply is not of its documented type, or None."""
    for field in ("text", "stop_reason", "model"):
        if not isinstance(getattr(reply, field), str):
            return f"a reply whose {field} is {short(getattr(reply, field))}, not a str"
    if not isinstance(reply.tool_calls, tuple) or not all(isinstance(c, ToolCall) for c in reply.tool_calls):
        return f"tool_calls {short(reply.tool_calls)}: not a tuple of ToolCall"
    for call in reply.tool_calls:
        if not (isinstance(call.id, str) and isinstance(call.name, str) and isinstance(call.input, dict)):
            return f"the tool call {short(call)}: id and name must be str, input a dict"
    if not isinstance(reply.thinking, tuple) or not all(isinstance(t, ThinkingBlock) for t in reply.thinking):
        return f"thinking {short(reply.thinking)}: not a tuple of ThinkingBlock"
    u = reply.usage
    if not isinstance(u, Usage):
        return f"usage {short(u)}: not a Usage"
    counts = (u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens)
    if not all(type(n) is int and n >= 0 for n in counts):
        return f"usage {short(u)}: token counts must be whole numbers >= 0"
    return None


def _round_trip(reply: Reply, subject: str, where: str) -> None:
    """Rule 4: the run store keeps `json.dumps(reply.to_json())`, and resume reads it back with `from_json`."""
    try:
        back = Reply.from_json(json.loads(json.dumps(reply.to_json())))
    except (TypeError, ValueError) as exc:
        raise broken(MODEL_RULES, 4, f"{subject}: the reply to {where} is not JSON: {exc}.") from exc
    if back != reply:
        detail = difference(reply, back)
        raise broken(MODEL_RULES, 4, f"{subject}: the reply to {where} reads back from JSON as another: {detail}.")


def _compare(
    rule: int, subject: str, index: int, request: Request, want: Outcome, got: Outcome, how: str, hint: str = ""
) -> None:
    if got != want:
        where = recorded.describe(index, request)
        raise broken(MODEL_RULES, rule, f"{subject}: {where}: {how}: {difference(want, got)}{hint}.")
