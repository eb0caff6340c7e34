"""The expression language: what evaluates, and what is refused at load time with a one-line ProfileError."""

from __future__ import annotations

import pytest

from animus.errors import ProfileError
from animus.games.expr import ExprError, compile_expr
from animus.games.loader import parse_profile
from tests.games.fakes import profile_toml

NAMES = {"x", "y", "flags"}


def ev(text: str, **env: int) -> int:
    return compile_expr(text, NAMES)(env)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("bit(flags, 0)", {"flags": 0b01}, 1),
        ("bit(flags, 2)", {"flags": 0b100}, 1),
        ("bit(flags, 2)", {"flags": 0b100000}, 0),
        ("popcount(flags)", {"flags": 0xF0}, 4),
        ("popcount(flags) >= 3", {"flags": 0b111}, 1),
        ("0 < x <= 5", {"x": 5}, 1),
        ("0 < x <= 5", {"x": 6}, 0),
        ("1 < x < y < 10", {"x": 2, "y": 3}, 1),
        ("1 < x < y < 10", {"x": 3, "y": 2}, 0),
        ("x == 1 and y == 2", {"x": 1, "y": 2}, 1),
        ("x == 1 and y == 2", {"x": 1, "y": 3}, 0),
        ("x == 1 or y == 2", {"x": 0, "y": 2}, 1),
        ("not x", {"x": 0}, 1),
        ("not (x == 1)", {"x": 1}, 0),
        ("flags & 0x0F == 0x0F", {"flags": 0x1F}, 1),
        ("(flags >> 4) & 1", {"flags": 0x10}, 1),
        ("(x << 8) | y", {"x": 1, "y": 2}, 0x102),
        ("x ^ y", {"x": 0b1100, "y": 0b1010}, 0b0110),
        ("~x & 0xFF", {"x": 0x0F}, 0xF0),
        ("x + y - 1", {"x": 2, "y": 3}, 4),
        ("-x", {"x": 2}, -2),
        ("True", {}, 1),
        ("x != False", {"x": 1}, 1),
    ],
)
def test_valid_expressions_evaluate(text: str, env: dict[str, int], expected: int) -> None:
    full = {"x": 0, "y": 0, "flags": 0} | env
    assert ev(text, **full) == expected


REJECTED = [
    "__import__('os')",
    "x.__class__",
    "open('f')",
    "(lambda: 1)()",
    "[1][0]",
    "'a'",
    "2 ** 10**10",
    "unknown_field == 1",
    "(" * 100 + "1" + ")" * 100,
    "not " * 50 + "x",
    "x == 1 and " * 54 + "x == 1",
    "bit(x)",
    "bit(x, 1, 2)",
    "popcount()",
    "bit(x, y)",
    "x >> 65",
    "x >> y",
    "1.5 > x",
    "x in y",
    "x * 2",
    "x if y else 1",
    "(y := 1)",
    "[z for z in x]",
    "x.bit_count()",
    "None",
    "b'x'",
    "",
    "x ==",
    "1 << 64 == x or 2 ** 64",
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_expressions_name_profile_milestone_and_text(text: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(profile_toml(when=text), "t.toml")
    message = str(info.value)
    assert "\n" not in message
    assert "test-game" in message and "'m1'" in message
    assert repr(text) in message, message


def test_the_offending_part_is_named() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr("x == 1 and __import__('os')", NAMES)
    assert info.value.part == "__import__('os')"


def test_long_expression_is_refused_before_parsing() -> None:
    text = "x == 1 or " * 59 + "x == 1"
    assert len(text) > 500
    with pytest.raises(ExprError, match="limit is 500"):
        compile_expr(text, NAMES)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ExprError, match="deeper than 32"):
        compile_expr("(" * 100 + "1" + ")" * 100, NAMES)
    with pytest.raises(ExprError, match="deeper than 32"):
        compile_expr("not " * 50 + "x", NAMES)
    assert compile_expr("not " * 20 + "x", NAMES)({"x": 1}) == 1


def test_names_outside_the_profile_are_unknown() -> None:
    with pytest.raises(ExprError, match="unknown name 'screens_seen'"):
        compile_expr("screens_seen > 1", NAMES)
    assert compile_expr("screens_seen > 1", NAMES | {"screens_seen"})({"screens_seen": 2}) == 1


def test_text_fields_cannot_be_used_in_expressions() -> None:
    extra = '[fields.name]\naddress = 0xC010\ntype = "text"\nsize = 4\n'
    with pytest.raises(ProfileError, match="unknown name 'name'"):
        parse_profile(profile_toml(when="name == 1") + extra, "t.toml")
