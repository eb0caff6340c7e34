"""The default token estimator: its heuristic, and its calibration from the usage real backends report."""

from __future__ import annotations

from animus.agent.types import AssistantTurn, Memory, Reply, ToolCall, ToolResult, UserTurn
from animus.memory.tokens import IMAGE_PIXELS, HeuristicEstimator


def test_heuristic_counts_text_at_three_and_a_half_chars_and_images_by_area() -> None:
    est = HeuristicEstimator()
    assert est.fixed("x" * 350, (), Memory(), 0) == 100
    assert est.fixed("", (), Memory(), 1) == IMAGE_PIXELS / 750
    user = UserTurn(1, "y" * 70, (ToolResult("c", "z" * 54),))
    assert est.turn(user) == (70 + 54 + 16) / 3.5
    reply = Reply(text="abc", tool_calls=(ToolCall("c", "wait", {"frames": 9}),))
    assert est.turn(AssistantTurn(1, reply)) == (3 + len("wait") + len('{"frames": 9}') + 16) / 3.5
    assert est.fixed("", (), Memory(summary="s" * 7, notes=(("k", "v" * 2),)), 0) == (7 + 1 + 2 + 4) / 3.5


def test_calibration_follows_reported_usage() -> None:
    est = HeuristicEstimator()
    est.calibrate(1000, 0)
    assert est.scale == 1.0, "a model that reports no usage leaves the estimate alone"
    est.calibrate(1000, 1300)
    assert est.scale == 1.3, "the first report sets the factor"
    for _ in range(200):
        est.calibrate(round(1000 * est.scale), 1500)  # estimates already scaled, as the loop passes them
    assert abs(est.scale - 1.5) < 0.01, "it converges to reported / raw estimate"
