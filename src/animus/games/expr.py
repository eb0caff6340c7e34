"""The profile expression language: a whitelisted subset of Python expressions over integer fields.

`compile_expr` parses the text once with `ast` (mode "eval"), checks every node against the whitelist and turns the
tree into nested closures. Nothing is ever passed to `eval`, `compile` or `exec`, so the only things an expression
can do are the integer operations listed in docs/profiles.md. Evaluation takes a mapping of names to ints.
"""

from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable, Collection, Mapping

Env = Mapping[str, object]  # a field that is not a number (text, records) reads as 0
Evaluator = Callable[[Env], int]

MAX_LENGTH = 500
MAX_DEPTH = 32
MAX_SHIFT = 64
# Literals are bounded so that a shared profile cannot make a step slow with huge integers.
MAX_LITERAL = 1 << 64

FUNCTIONS = {"bit": 2, "popcount": 1}

_COMPARE: dict[type[ast.cmpop], Callable[[int, int], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_BINARY: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_UNARY: dict[type[ast.unaryop], Callable[[int], int]] = {
    ast.Invert: operator.invert,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: lambda v: int(not v),
}


class ExprError(ValueError):
    """Why an expression was rejected; `part` is the offending piece of source text."""

    def __init__(self, reason: str, part: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part


def compile_expr(text: str, names: Collection[str]) -> Evaluator:
    """Check `text` against the whitelist and return a function of an environment that gives its int value.

    `names` are the names the expression may use; the environment passed at evaluation must hold each of them as
    an int. Raises `ExprError` (reason and offending part) for anything outside the language.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty", str(text))
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is {len(text)} characters long, the limit is {MAX_LENGTH}", text[:40] + "…")
    # Parentheses leave no node in the tree, but CPython's parser recurses on them: bound them before parsing.
    depth = 0
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if depth > MAX_DEPTH:
            raise ExprError(f"parentheses nest deeper than {MAX_DEPTH}", text[:40] + "…")
    try:
        with warnings.catch_warnings():  # "1if x" parses with a SyntaxWarning on stderr: the check below says it all
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise ExprError(
            f"it is not a valid expression ({exc.msg if isinstance(exc, SyntaxError) else exc})", text
        ) from None
    return _Compiler(text.strip(), frozenset(names)).build(tree.body, 1)


class _Compiler:
    def __init__(self, source: str, names: frozenset[str]) -> None:
        self.source = source
        self.names = names

    def fail(self, reason: str, node: ast.AST) -> ExprError:
        part = ast.get_source_segment(self.source, node) or self.source
        return ExprError(reason, part)

    def build(self, node: ast.expr, depth: int) -> Evaluator:
        if depth > MAX_DEPTH:
            raise self.fail(f"the expression nests deeper than {MAX_DEPTH} levels", node)
        down = depth + 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BoolOp):
            parts = [self.build(v, down) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda env: int(all(p(env) for p in parts))
            return lambda env: int(any(p(env) for p in parts))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            unary = _UNARY[type(node.op)]
            inner = self.build(node.operand, down)
            return lambda env: unary(inner(env))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.binary(node, down)
        if isinstance(node, ast.Compare):
            return self.compare(node, down)
        if isinstance(node, ast.Call):
            return self.call(node, down)
        raise self.fail(f"{_describe(node)} is not allowed", node)

    def constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if isinstance(value, bool):
            number = int(value)
            return lambda env: number
        if isinstance(value, int):
            if abs(value) >= MAX_LITERAL:
                raise self.fail("integer literals must be below 2**64", node)
            return lambda env: value
        raise self.fail(f"{type(value).__name__} literals are not allowed (integers only)", node)

    def name(self, node: ast.Name) -> Evaluator:
        key = node.id
        if key not in self.names:
            known = ", ".join(sorted(self.names)) or "none"
            raise self.fail(f"unknown name {key!r} (known: {known})", node)

        def load(env: Env) -> int:
            value = env[key]
            return value if isinstance(value, int) else 0

        return load

    def binary(self, node: ast.BinOp, depth: int) -> Evaluator:
        op = _BINARY[type(node.op)]
        left = self.build(node.left, depth)
        if isinstance(node.op, ast.LShift | ast.RShift):
            amount = self.small_literal(node.right, "the right side of a shift")
            return lambda env: op(left(env), amount)
        right = self.build(node.right, depth)
        return lambda env: op(left(env), right(env))

    def compare(self, node: ast.Compare, depth: int) -> Evaluator:
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise self.fail(f"the comparison {type(op).__name__} is not allowed", node)
        ops = [_COMPARE[type(op)] for op in node.ops]
        terms = [self.build(node.left, depth)] + [self.build(c, depth) for c in node.comparators]

        def chain(env: Env) -> int:
            left = terms[0](env)
            for op, term in zip(ops, terms[1:], strict=True):
                right = term(env)
                if not op(left, right):
                    return 0
                left = right
            return 1

        return chain

    def call(self, node: ast.Call, depth: int) -> Evaluator:
        func = node.func.id if isinstance(node.func, ast.Name) else None
        if func not in FUNCTIONS:
            raise self.fail("only the calls bit(x, n) and popcount(x) are allowed", node)
        arity = FUNCTIONS[func]
        if node.keywords or len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{func}() takes exactly {arity} positional argument{'s' * (arity > 1)}", node)
        value = self.build(node.args[0], depth)
        if func == "popcount":
            return lambda env: value(env).bit_count()
        index = self.small_literal(node.args[1], "the bit number of bit()")
        return lambda env: (value(env) >> index) & 1

    def small_literal(self, node: ast.expr, what: str) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= MAX_SHIFT:
            return node.value
        raise self.fail(f"{what} must be an integer literal from 0 to {MAX_SHIFT}", node)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripting",
        ast.Lambda: "lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.IfExp: "a conditional expression",
        ast.NamedExpr: "assignment",
    }
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    return f"{type(node).__name__}"
