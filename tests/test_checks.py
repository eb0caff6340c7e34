"""`animus.check_model`: every built-in model passes, and a model breaking a rule fails naming it (scorers:
test_check_scorer.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import animus
from animus.agent.models.mock import MockModel
from animus.agent.models.random import RandomModel
from animus.agent.models.scripted import ScriptedModel
from animus.agent.types import Reply, Request, ToolCall
from animus.checks import MODEL_RULES, ContractError, check_model, check_scorer, recorded_requests
from animus.checks.requests import for_model
from animus.config import RunConfig, load_config
from animus.errors import AnimusError
from tests.conftest import WALKTHROUGH

PNG = b"\x89PNG\r\n\x1a\n"
N = 50  # requests in the recording


def test_the_recording_is_a_real_run_with_every_purpose_and_its_frames() -> None:
    requests = recorded_requests()
    assert Counter(r.purpose for r in requests) == {"act": 40, "summarize": 9, "reflect": 1}
    acts = [r for r in requests if r.purpose == "act"]
    assert [r.step for r in acts] == list(range(1, 41))
    assert all(r.image_png is not None and r.image_png.startswith(PNG) for r in acts)
    assert len({r.image_png for r in acts}) > 20  # the frames of a moving game, not one picture
    assert all(r.image_png is None for r in requests if r.purpose != "act")
    blind = for_model(requests, sends_images=False)
    assert all(r.image_png is None and all(getattr(t, "image", None) is None for t in r.messages) for r in blind)
    assert recorded_requests() == requests and recorded_requests() is not requests  # a fresh copy every time


@pytest.mark.parametrize(
    "spec", ["mock", "random", f"scripted:{WALKTHROUGH}"], ids=["mock", "random", "scripted-walkthrough"]
)
def test_every_builtin_offline_model_passes(spec: str) -> None:
    checked = animus.check_model(spec)
    assert checked.calls == 3 * N and checked.rules == tuple(MODEL_RULES) and checked.ended == 0
    assert checked.subject == spec


def test_a_model_class_is_checked_as_its_entry_point_would_build_it() -> None:
    assert check_model(MockModel).subject == "mock"
    assert check_model(RandomModel, config=load_config(overrides={"seed": 99})).calls == 3 * N
    assert check_model(ScriptedModel, argument=str(WALKTHROUGH)).subject == f"scripted:{WALKTHROUGH}"


def test_a_script_that_runs_out_ends_the_run_the_same_way_every_time(tmp_path: Path) -> None:
    script = tmp_path / "three.jsonl"
    script.write_text("\n".join('{"text": "go", "tool_calls": [{"name": "wait", "input": {}}]}' for _ in range(3)))
    checked = check_model(f"scripted:{script}")
    assert checked.calls == 3 * N and checked.ended == N - 3 - 10  # all but 3 act requests (10 are no act)


# -- toy models, each breaking one rule ------------------------------------------------------------------------


class Toy:
    """Presses A, naming the step: a model that keeps the contract, for the toys below to break it."""

    name = "toy"
    sends_images = False

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        pass

    def answer(self, request: Request, text: str = "") -> Reply:
        call = ToolCall(f"call_{request.step}_0", "press_buttons", {"buttons": ["a"]})
        return Reply(text=text or f"step {request.step}", tool_calls=(call,), model=self.name)

    def respond(self, request: Request) -> Reply:
        return self.answer(request)


class Counting(Toy):
    name = "counting"

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        self.calls = 0

    def respond(self, request: Request) -> Reply:
        self.calls += 1
        return self.answer(request, f"reply number {self.calls}")


class SharedCounter(Toy):
    name = "shared"
    calls = 0

    def respond(self, request: Request) -> Reply:
        SharedCounter.calls += 1
        return self.answer(request, f"reply number {SharedCounter.calls}")


class Unseeded(Toy):
    name = "unseeded"

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        self.rng = random.Random()

    def respond(self, request: Request) -> Reply:
        return self.answer(request, f"{self.rng.random()}")


class TupleInput(Toy):
    def respond(self, request: Request) -> Reply:
        return replace(self.answer(request), tool_calls=(ToolCall("c", "press_buttons", {"buttons": ("a",)}),))


class SetInput(Toy):
    def respond(self, request: Request) -> Reply:
        return replace(self.answer(request), tool_calls=(ToolCall("c", "press_buttons", {"buttons": {"a"}}),))


class ListOfCalls(Toy):
    def respond(self, request: Request) -> Reply:
        return replace(self.answer(request), tool_calls=list(self.answer(request).tool_calls))  # type: ignore[arg-type]


class DictReply(Toy):
    def respond(self, request: Request) -> Reply:
        return self.answer(request).to_json()  # type: ignore[return-value]


class Crashing(Toy):
    def respond(self, request: Request) -> Reply:
        if request.purpose == "summarize":
            raise KeyError("summary")
        return self.answer(request)


class Editing(Toy):
    def respond(self, request: Request) -> Reply:
        request.tools[0].input_schema["x-seen"] = True
        return self.answer(request)


class NoImagesAttribute:
    name = "blind"

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        pass

    def respond(self, request: Request) -> Reply:
        return Reply()


class ImagesAsText(Toy):
    sends_images = "yes"  # type: ignore[assignment]


class Nameless(Toy):
    name = ""


FAILURES: list[tuple[type[Any], int, list[str]]] = [
    (Counting, 7, ["rule 7 (no hidden state): model 'counting': request 49 (step 40, act):",
                   "the first instance (after answering 49 other requests) and a second (after answering 1)",
                   "text 'reply number 50' vs 'reply number 2'"]),
    (SharedCounter, 6, ["rule 6 (deterministic): model 'shared': request 0 (step 1, act): two fresh instances",
                        "text 'reply number 1' vs 'reply number 51'", "state shared between instances"]),
    (Unseeded, 6, ["rule 6 (deterministic): model 'unseeded': request 0 (step 1, act)"]),
    (TupleInput, 4, ["rule 4 (JSON round-trip): model 'toy': the reply to request 0 (step 1, act) reads back",
                     "tool_calls (ToolCall(id='c', name='press_buttons', input={'buttons': ('a',)}),)"]),
    (SetInput, 4, ["rule 4 (JSON round-trip): model 'toy': the reply to request 0 (step 1, act) is not JSON",
                   "set is not JSON serializable"]),
    (ListOfCalls, 3, ["rule 3 (reply): model 'toy' answered request 0 (step 1, act) with tool_calls [",
                      "not a tuple of ToolCall"]),
    (DictReply, 3, ["rule 3 (reply): model 'toy' answered request 0 (step 1, act) with a dict, not a Reply"]),
    (Crashing, 3, ["rule 3 (reply): model 'toy' raised KeyError: 'summary' for request 8 (step 9, summarize)"]),
    (Editing, 5, ["rule 5 (request untouched): model 'toy' changed request 0 (step 1, act)"]),
    (NoImagesAttribute, 2, ["rule 2 (sends_images): model 'blind' has no `sends_images`"]),
    (ImagesAsText, 2, ["rule 2 (sends_images): model 'toy' has sends_images 'yes'"]),
    (Nameless, 1, ["rule 1 (name): model class Nameless has name ''"]),
]  # fmt: skip


@pytest.mark.parametrize(("toy", "rule", "words"), FAILURES, ids=[t.__name__ for t, _, _ in FAILURES])
def test_a_model_breaking_a_rule_fails_naming_it(toy: type[Any], rule: int, words: list[str]) -> None:
    SharedCounter.calls = 0  # a class attribute: shared by every instance, and kept from one test to the next
    with pytest.raises(ContractError) as caught:
        check_model(toy)
    message = str(caught.value)
    assert caught.value.rule == rule and caught.value.title == MODEL_RULES[rule]
    for fragment in words:
        assert fragment in message
    assert "\n" not in message and isinstance(caught.value, AnimusError)


def test_an_edited_request_does_not_spoil_the_next_check() -> None:
    with pytest.raises(ContractError):
        check_model(Editing)
    assert all("x-seen" not in r.tools[0].input_schema for r in recorded_requests())
    check_model("mock")


def test_a_model_that_takes_images_is_given_the_frames() -> None:
    class Seeing(Toy):
        name = "seeing"
        sends_images = True

        def respond(self, request: Request) -> Reply:
            if request.purpose == "act" and request.image_png is None:
                raise AssertionError("no frame")
            return self.answer(request, f"frame of {len(request.image_png or b'')} bytes")

    assert check_model(Seeing).calls == 3 * N
    with pytest.raises(ContractError, match=r"rule 3 \(reply\): model 'seeing' raised AssertionError: no frame"):
        check_model(Seeing, requests=for_model(recorded_requests(), sends_images=False))


# -- remote backends, against the fake APIs -------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["anthropic", "openai"])
def test_the_remote_backends_keep_the_structural_rules(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip(backend)
    if backend == "anthropic":
        from tests.fakes.messages_server import FakeMessagesServer as Server
    else:
        from tests.fakes.chat_server import FakeChatServer as Server  # type: ignore[assignment]
    key_var = "ANTHROPIC_API_KEY" if backend == "anthropic" else "OPENAI_API_KEY"
    monkeypatch.setenv(key_var, "sk-check-key")
    with Server(api_key="sk-check-key") as server:
        overrides = {**recorded_config(), "model.base_url": server.url, "model.max_tokens": 3000}
        checked = check_model(f"{backend}:fake-1", config=load_config(overrides=overrides), deterministic=False)
        assert server.violations == [] and len(server.arrivals) == N
        assert {body["max_tokens"] for body in server.requests} == {3000}, "the checked config's, not the recording's"
    assert checked.rules == (1, 2, 3, 4, 5) and checked.calls == N and checked.ended == 0


def recorded_config() -> dict[str, Any]:
    from animus.checks.requests import RECORDING

    return {k: v for k, v in RECORDING.items() if k != "model.name"}


def test_importing_animus_stays_light_and_exports_the_checkers() -> None:
    code = "import sys, animus; assert 'animus.checks' not in sys.modules; animus.check_model; animus.check_scorer"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    assert animus.check_model is check_model and animus.check_scorer is check_scorer
    assert "check_model" in animus.__all__
