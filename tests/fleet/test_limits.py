"""Runs that share an API key share its limits: real `anthropic:` runs in two worker processes against the fake
Messages API, whose requests are timed and counted in flight at the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from animus.config import RunConfig, load_config
from animus.fleet.limits import key_groups
from tests.agent.remote import PRICES, Backend, assert_no_key
from tests.conftest import CLASSIC
from tests.fakes.messages_server import FakeMessagesServer
from tests.fleet.helpers import fleet, record, status, write_plan
from tests.helpers import committed_steps

KEY = "sk-ant-FLEET-SENTINEL-41b7"
MODEL = "claude-fake-1"


@pytest.fixture
def server() -> Iterator[FakeMessagesServer]:
    pytest.importorskip("anthropic")
    with FakeMessagesServer(api_key=KEY) as fake:
        yield fake


def plan_text(url: str, steps: int, limits: str) -> str:
    prices = ", ".join(f"{k} = {v}" for k, v in PRICES.items())
    return f"""
        steps = {steps}
        seeds = [1, 2]
        [config]
        rom = "{CLASSIC}"
        "model.base_url" = "{url}"
        "model.retry_base_seconds" = 0.01
        pricing = {{ "{MODEL}" = {{ {prices} }} }}
        [limits]
        {limits}
        [[run]]
        label = "claude"
        model = "anthropic:{MODEL}"
    """


def play(server: FakeMessagesServer, tmp_path: Path, name: str, steps: int, limits: str) -> Path:
    api = Backend(f"anthropic:{MODEL}", server.url, "ANTHROPIC_API_KEY", KEY)
    plan = write_plan(tmp_path / f"{name}.toml", plan_text(server.url, steps, limits))
    runs = tmp_path / name
    out = fleet(str(plan), "--runs-dir", str(runs), "--workers", "2", env=api.env())
    assert out.returncode == 0, out.stderr
    assert server.violations == []
    for seed in (1, 2):
        assert status(runs / f"claude-s{seed}")[0] == "done"
        assert committed_steps(runs / f"claude-s{seed}" / "run.db") == steps
    assert [r["limit_group"] for r in record(runs)["runs"]] == ["anthropic-1", "anthropic-1"]
    assert_no_key(KEY, runs, out.stdout, out.stderr)
    return runs


def test_a_concurrency_cap_of_one_call_per_key_never_overlaps_requests(
    server: FakeMessagesServer, tmp_path: Path
) -> None:
    server.delay = 0.1  # each request is held 0.1 s at the server: two runs without a cap overlap
    play(server, tmp_path, "free", 15, "")
    assert server.max_in_flight == 2, "the control fleet should overlap its runs' requests"
    free_requests = len(server.arrivals)

    server.max_in_flight = 0
    play(server, tmp_path, "capped", 15, "max_concurrent_calls = 1")
    assert len(server.arrivals) - free_requests >= 30
    assert server.max_in_flight == 1


def test_a_rate_limit_spaces_the_requests_of_the_runs_sharing_a_key(server: FakeMessagesServer, tmp_path: Path) -> None:
    play(server, tmp_path, "paced", 6, "requests_per_minute = 150")  # one request every 0.4 s across both runs
    arrivals = sorted(server.arrivals)
    assert len(arrivals) >= 12
    # The limiter spaces the calls' starts; a request reaches the server after the client built and sent it, which
    # on a loaded machine takes up to a few tenths of a second, so allow 0.3 s of jitter: any k+1 requests span at
    # least 0.4 k - 0.3 s. Unpaced, the same 12 requests arrive within about a second (worst about -4 s).
    worst = min(
        arrivals[j] - arrivals[i] - 0.4 * (j - i) for i in range(len(arrivals)) for j in range(i + 1, len(arrivals))
    )
    assert worst > -0.3, arrivals
    assert arrivals[-1] - arrivals[0] >= 0.4 * (len(arrivals) - 1) - 0.3


def test_runs_are_grouped_by_backend_key_and_endpoint_and_the_ids_say_nothing_of_the_key() -> None:
    def config(model: str, url: str | None = None) -> RunConfig:
        return load_config(overrides={"model": model, "model.base_url": url})

    configs = [
        config("anthropic:a"),
        config("anthropic:b"),  # same key, same endpoint: the same group, whatever the model
        config("anthropic:a", "http://127.0.0.1:9/"),  # another endpoint
        config("openai:x"),
        config("mock"),
    ]
    env = {"ANTHROPIC_API_KEY": "k1", "OPENAI_API_KEY": "k1"}
    assert key_groups(configs, env) == ["anthropic-1", "anthropic-1", "anthropic-2", "openai-1", None]
    assert key_groups(configs[:1], {"ANTHROPIC_API_KEY": "k2"}) == ["anthropic-1"]
