"""Benchmark: input tokens and cost per action of Animus's memory against two history schemes without memory.

Results: bench/RESULTS.md, "tokens".

One run of `anthropic:MODEL` plays Animus Quest for N steps (5,000 by default) against the fake Messages API
(tests/fakes), in this process, on 127.0.0.1. The fake counts tokens with a fixed heuristic (chars / 3.5, images
w*h/750) and simulates prompt caching at the breakpoints Animus marks. Its replies are seeded: a short thinking
block, then 1-3 moves or A/B presses, and a note now and then. The same turns (observations and replies, read
back from the run) are then priced under two baselines. Both send the screenshot with every turn and keep it in
the history, as the public Claude-plays-Pokemon starter does, and neither caches:

- "starter": the full history, summarized into one message once it reaches 30 messages;
- "no summary": the full history, oldest turns dropped only at the context limit (200,000 tokens).

Prices come from the config file (`bench/tokens.toml`, one named model); cache reads cost 0.1x input and cache
writes 1.25x. Usage:

    python bench/tokens.py [--steps 5000] [--config bench/tokens.toml] [--model claude-sonnet-4-5]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the fakes live in tests/

from tests.fakes.messages_rules import _tokens, image_tokens
from tests.fakes.messages_server import FakeMessagesServer, Text, ToolUse

import animus
from animus.agent import prompts, tools
from animus.agent.models import anthropic_wire as wire
from animus.agent.models.remote import prepare_png
from animus.agent.types import Reply, ToolResult, UserTurn
from animus.config import Price, load_config
from animus.runs.runner import start_run

HERE = Path(__file__).resolve().parent
ROM = "animus-quest-classic"  # the cartridge every recorded result played
STARTER_MAX_MESSAGES = 30
CONTEXT_LIMIT = 200_000
MOVES = ["up", "down", "left", "right", "a", "b"]
WORDS = ("the", "path", "north", "door", "person", "key", "well", "gate", "sign", "east", "blocked", "open", "again")


def scripted_reply(seed: int) -> Any:
    """The fake's replies: seeded thinking of a realistic length, moves, and a note every ~20 steps."""
    rng = random.Random(seed)

    def reply(body: dict[str, Any]) -> ToolUse | Text:
        last = body["messages"][-1]["content"]
        if "are leaving its context" in json.dumps(last):  # a summary: five sections of a few lines
            return Text("\n".join(f"{h}\n- " + " ".join(rng.choice(WORDS) for _ in range(40))
                                  for h in prompts.SUMMARY_SECTIONS))  # fmt: skip
        thinking = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120)))
        if rng.random() < 0.05:
            key = f"place {rng.randint(1, 40)}"
            return ToolUse(name="note", input={"key": key, "text": thinking[:160]}, thinking=thinking)
        buttons = [rng.choice(MOVES) for _ in range(rng.randint(1, 3))]
        return ToolUse(input={"buttons": buttons}, thinking=thinking)

    return reply


@dataclass
class Scheme:
    """Token and dollar totals of one way of building requests."""

    name: str
    input: int = 0  # uncached input tokens
    cache_write: int = 0
    cache_read: int = 0
    output: int = 0
    requests: int = 0

    def cost(self, p: Price) -> float:
        return (self.input * p.input + self.cache_write * p.cache_write + self.cache_read * p.cache_read
                + self.output * p.output) / 1e6  # fmt: skip

    @property
    def all_input(self) -> int:
        return self.input + self.cache_write + self.cache_read


def play(steps: int, config_path: Path, model: str, seed: int) -> tuple[Path, tempfile.TemporaryDirectory[str]]:
    tmp = tempfile.TemporaryDirectory()
    with FakeMessagesServer(default=scripted_reply(seed)) as server:
        os.environ["ANTHROPIC_API_KEY"] = "bench-key-not-secret"
        config = load_config(
            config_path,
            overrides={"rom": ROM, "model": f"anthropic:{model}", "model.base_url": server.url,
                       "budget.steps": steps, "seed": seed, "stop_on_finish": False},
        )  # fmt: skip
        start_run(config, Path(tmp.name), "tokens")
        if server.violations:
            raise SystemExit(f"the fake refused requests: {server.violations[:3]}")
    return Path(tmp.name) / "tokens", tmp


def baselines(run_dir: Path, screen: int) -> tuple[Scheme, Scheme, int]:
    """Price the run's own turns under the two baselines; also return the run's action count."""
    starter, unlimited = Scheme("starter: history cut at 30 messages, summarized"), Scheme("no summary")
    with animus.open_run(run_dir) as run:
        calls = run.model_calls()
        actions = run.totals().actions
        summary_out = [c.output_tokens for c in calls if c.purpose == "summarize"] or [300]
    spec_tools = [{"name": t.name, "description": t.description, "input_schema": t.input_schema}
                  for t in tools.tool_specs(load_config().tools)]  # fmt: skip
    fixed = _tokens([*spec_tools, {"type": "text", "text": prompts.system_prompt("Animus Quest")}])
    summary_task = _tokens(prompts.SUMMARY_PROMPT.format(game="Animus Quest", through=0))
    summary_tokens = round(sum(summary_out) / len(summary_out))
    starter_history: list[int] = []
    full_history: list[int] = []
    asked: list[str] = []
    for call in calls:
        if call.purpose != "act":
            continue
        (turn,) = [UserTurn(t["step"], t["text"], tuple(ToolResult.from_json(r) for r in t["tool_results"]))
                   for t in json.loads(call.request_delta)]  # fmt: skip
        reply = Reply.from_json(json.loads(call.reply))
        user = _tokens({"content": wire.user_blocks(turn, asked, None)}) + screen
        assistant = _tokens({"content": wire.assistant_blocks(reply)})
        asked = [c.id for c in reply.tool_calls]
        for scheme, history in ((starter, starter_history), (unlimited, full_history)):
            history.append(user)
            while scheme is unlimited and fixed + sum(history) > CONTEXT_LIMIT:
                del history[:2]
            scheme.input += fixed + sum(history)
            scheme.output += call.output_tokens
            scheme.requests += 1
            history.append(assistant)
        if len(starter_history) >= STARTER_MAX_MESSAGES:
            starter.input += fixed + sum(starter_history) + summary_task
            starter.output += summary_tokens
            starter.requests += 1
            starter_history[:] = [summary_tokens + screen + 60]  # the summary, a screenshot, a few words
    return starter, unlimited, actions


def screen_tokens(scale: float) -> int:
    """What the fake charges for one screenshot as sent (a 160x144 screen scaled by `scale`)."""
    buf = io.BytesIO()
    Image.new("RGB", (160, 144)).save(buf, format="PNG")
    png = prepare_png(buf.getvalue(), scale, False)
    return image_tokens({"source": {"data": base64.b64encode(png).decode()}})


def measured(run_dir: Path) -> Scheme:
    scheme = Scheme("Animus: memory + prompt caching")
    with animus.open_run(run_dir) as run:
        for c in run.model_calls():
            scheme.input += c.input_tokens
            scheme.cache_write += c.cache_write_tokens
            scheme.cache_read += c.cache_read_tokens
            scheme.output += c.output_tokens
            scheme.requests += 1
    return scheme


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--config", type=Path, default=HERE / "tokens.toml")
    parser.add_argument("--model", default="claude-sonnet-4-5")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = load_config(args.config)
    price = config.pricing[args.model]
    t0 = time.perf_counter()
    run_dir, tmp = play(args.steps, args.config, args.model, args.seed)
    seconds = time.perf_counter() - t0
    with tmp:
        ours = measured(run_dir)
        starter, unlimited, actions = baselines(run_dir, screen_tokens(config.model.image_scale))
    p = price
    print(f"{args.steps} steps, {actions} actions, {seconds:.0f} s; prices of {args.model} ($/M): {p.input:g} in, "
          f"{p.output:g} out, {p.cache_write:g} cache write, {p.cache_read:g} cache read")  # fmt: skip
    print(f"{'scheme':<50} {'requests':>8} {'input tok/action':>17} {'cached share':>13} {'$ / 1k actions':>15}"
          f" {'vs starter':>11}")  # fmt: skip
    base = starter.cost(price)
    for s in (ours, starter, unlimited):
        share = s.cache_read / s.all_input if s.all_input else 0.0
        print(f"{s.name:<50} {s.requests:>8} {s.all_input / actions:>17,.0f} {share:>13.0%}"
              f" {s.cost(price) / actions * 1000:>15.2f} {s.cost(price) / base:>11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
