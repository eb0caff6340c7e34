"""A best-of-N fork's token and cost budgets count every branch's calls as they are made (issue 14, point 8).

The real CLI plays 4 branches at once against the fake OpenAI API, with a budget that runs out in the middle of the
second fork. Each branch alone stays under the budget (so checking only its own counters, as the branches once did,
would have let the whole fork play out: by up to N - 1 branches' spending over it); the run must instead stop in
that fork with the budget's status, having spent at most one call per branch past the budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.remote import Backend, meta, query
from tests.fakes.chat_server import FakeChatServer

pytest.importorskip("openai")

KEY = "sk-proj-BUDGET-7d1f0a"
BRANCHES, HORIZON = 4, 10
TOKENS = "input_tokens + output_tokens + cache_write_tokens + cache_read_tokens"  # a call's tokens, as budgets count


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer(api_key=KEY)
    fake.delay = 0.05  # the branches' calls overlap
    with fake:
        yield fake


def spent(db: Path, amount: str) -> tuple[float, float, list[float], list[float]]:
    """From the rows only: the run's total (every call of the committed line and of every branch), what was spent
    before the last fork, and for each branch of the last fork its own spending and its last call's."""
    committed = query(db, f"SELECT id, step, {amount} FROM model_calls ORDER BY id")
    per_call = f"SELECT branch_id, id, {amount} AS amount FROM branch_calls"
    branch_calls = query(db, f"SELECT b.fork_step, b.branch, c.id, c.amount FROM ({per_call}) c "
                             "JOIN branches b ON b.id = c.branch_id ORDER BY b.id, c.id")  # fmt: skip
    branches = query(db, "SELECT fork_step, branch, chosen FROM branches ORDER BY branch")
    fork = max(f for f, _, _ in branches)
    before = sum(a for _, step, a in committed if step <= fork) + sum(a for f, _, _, a in branch_calls if f < fork)
    own: list[float] = []
    last: list[float] = []
    for _, branch, chosen in [b for b in branches if b[0] == fork]:
        if chosen:  # the chosen branch's calls are the committed line's after the fork
            calls = [a for _, step, a in committed if step > fork]
        else:
            calls = [a for f, b, _, a in branch_calls if (f, b) == (fork, branch)]
        own.append(sum(calls))
        last.append(calls[-1] if calls else 0)
    total = sum(a for *_, a in committed) + sum(a for *_, a in branch_calls)
    return total, before, own, last


@pytest.mark.parametrize(
    ("budget", "limit", "amount"),
    [("cost", 0.10, "cost"), ("tokens", 100_000, TOKENS)],  # the first fork spends about $0.07 and 61,000 tokens
)
def test_a_budget_running_out_mid_fork_is_overshot_by_at_most_one_call_per_branch(
    server: FakeChatServer, tmp_path: Path, budget: str, limit: float, amount: str
) -> None:
    api = Backend("openai:gpt-fake-1", server.url, "OPENAI_API_KEY", KEY)
    out = api.run(tmp_path, "b", "--steps", "200", "--set", f"branching.branches={BRANCHES}",
                  "--set", f"branching.horizon={HORIZON}", "--set", f"budget.max_{budget}={limit}")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert server.violations == [] and server.max_in_flight > 1
    db = tmp_path / "b" / "run.db"
    m = meta(db)
    assert (m["status"], m["budget"], m["finished"]) == ("done", budget, False)

    forks = query(db, "SELECT fork_step, branch, actions, status, reason FROM branches ORDER BY fork_step, branch")
    fork = forks[-1][0]
    assert fork == HORIZON, "the budget ran out in the second fork"
    for _, _, actions, status, reason in [f for f in forks if f[0] == fork]:
        # every branch stopped mid-fork, on the budget, as the run's own line would have
        assert actions < HORIZON and status == "done" and reason.startswith(f"{budget.rstrip('s')} budget reached")

    total, before, own, last = spent(db, amount)
    # No branch alone reached the budget: its own counters never would have stopped it.
    assert all(before + mine < limit for mine in own), (before, own)
    # Together they did, and went past it by no more than one call each.
    assert total == pytest.approx(before + sum(own))
    assert limit <= total <= limit + sum(last) + 1e-9, (total, limit, last)
