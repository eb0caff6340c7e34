"""Contract checkers for plugins: `check_model(factory)` and `check_scorer(scorer)`, in the spirit of Gymnasium's
`check_env`. Run them in a plugin's tests; they raise `animus.errors.ContractError`, whose message starts with the
rule broken (`rule 7 (no hidden state): ...`), or return a `Checked` report.

`check_model` replays the requests of a real run on the bundled classic Animus Quest (`recorded_requests()`: 40 act
requests, 6 summarize, 1 reflect; see `animus.checks.requests` for why they are recorded at check time rather
than shipped). A first fresh instance answers them in order; a second fresh instance answers request 0, then the
rest in reverse order; the first answers them all again, shuffled. The rules:

1. name: `name` is a non-empty str, the same for every instance the factory builds.
2. sends_images: `sends_images` is a bool, the same for every instance.
3. reply: `respond` returns a `Reply` whose fields have their documented types (tuples of `ToolCall` and
   `ThinkingBlock`, a `Usage` of whole numbers). It may raise `StopRun` (the run ends: a script that ran out) or
   `ContextOverflow`, as the loop expects; any other exception breaks this rule.
4. JSON round-trip: `Reply.from_json(json.loads(json.dumps(reply.to_json())))` equals the reply: the store keeps
   that JSON, and a resumed run acts on what it reads back (a list where a tuple was, a non-str key, an object
   JSON cannot hold all break it).
5. request untouched: `respond` changes nothing in the request (tool schemas and earlier replies are shared).
6. deterministic: two fresh instances give the same reply to the same first request. A model's randomness must
   come from the request's `seed` and `step`, never from the clock, the global `random` or the instance.
7. no hidden state: the reply depends on the request alone, not on what the instance (or another) answered
   before: every request gets the same reply in all three passes.

`check_model(..., deterministic=False)` checks rules 1 to 5 only, with one pass: for remote backends, whose
replies come from a server. Animus's own are checked that way against the fake APIs in the tests.

`check_scorer` ranks a fixed fork of eight outcomes (`animus.checks.scorer.OUTCOMES`), and every prefix of it:

1. one key per outcome: `rank` returns a list with one key per outcome given.
2. keys are tuples of numbers: each key is a tuple of finite ints or floats (the highest key wins).
3. outcomes untouched: `rank` changes nothing in the list it is given.
4. deterministic: two fresh instances rank the same outcomes the same.
5. independent of order: ranking a permutation of the outcomes gives the same keys, permuted.
6. no hidden state: an instance that ranked other lists first ranks the same outcomes the same.
7. any number of outcomes: `rank` works on 1 to N outcomes (a fork may have any number of branches).
"""

from __future__ import annotations

from animus.checks.model import check_model
from animus.checks.requests import recorded_requests
from animus.checks.rules import MODEL_RULES, SCORER_RULES, Checked
from animus.checks.scorer import check_scorer
from animus.errors import ContractError

__all__ = [
    "MODEL_RULES",
    "SCORER_RULES",
    "Checked",
    "ContractError",
    "check_model",
    "check_scorer",
    "recorded_requests",
]
