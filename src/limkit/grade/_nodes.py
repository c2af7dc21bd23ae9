"""The small AST answers are parsed into, its printer, and the safety limits checked on it.

Nodes are immutable and made of plain Python values, so they pickle, hash and compare cheaply. The
limits are checked on the tree before any arithmetic runs: a power tower or a huge factorial is
rejected by looking at its shape, never by trying to compute it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


class ParseError(ValueError):
    """The text is not in the answer language the grader reads."""


class OverLimit(ValueError):
    """An input exceeds a safety limit (length, digits, magnitude, nesting, node count)."""


@dataclass(frozen=True)
class Limits:
    """Safety limits checked before any algebra runs. Defaults are generous for real answers."""

    max_text_chars: int = 2_000_000
    max_answer_chars: int = 3_000
    max_tokens: int = 1_500
    max_nodes: int = 1_500
    max_depth: int = 80
    max_literal_digits: int = 400
    max_magnitude_digits: float = 3_000.0
    max_factorial: int = 1_000
    max_elements: int = 64


LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Node:
    """One node of an answer's AST.

    `kind` says what it is (`num`, `sym`, `const`, `add`, `mul`, `neg`, `div`, `pow`, `func`, `apply`,
    `pct`, `deg`, `unit`, `pm`, `rel`, `tuple`, `interval`, `set`, `list`, `union`, `matrix`, `row`,
    `text`, `letter`, `bool`, `basenum`, `ratio`, `empty`, `assign`, `alt`, `clock`); `args` are children;
    `value` and `meta` carry the payload (a number, a name, relation operators, bracket types).
    """

    kind: str
    args: tuple[Node, ...] = ()
    value: Any = None
    meta: Any = None


def num(value: Fraction | int, ulp: Fraction | None = None) -> Node:
    """A number; `ulp` is the unit in the last place of a decimal literal (None for exact literals)."""
    return Node("num", (), Fraction(value), ulp)


ZERO = num(0)
ONE = num(1)
INF = Node("const", (), "inf")

SCALAR_KINDS = frozenset(
    {"num", "sym", "const", "add", "mul", "neg", "div", "pow", "func", "apply", "pct", "deg", "unit", "pm"}
)


def _fmt_fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _fmt_num(node: Node) -> str:
    value: Fraction = node.value
    if node.meta is None or value.denominator == 1:
        return _fmt_fraction(value)
    ulp: Fraction = node.meta
    places = 0
    while ulp < 1 and places < 60:
        ulp *= 10
        places += 1
    scaled = value * 10**places
    if scaled.denominator == 1:
        sign = "-" if scaled < 0 else ""
        digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
        return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else sign + digits
    return _fmt_fraction(value)


def _join(nodes: tuple[Node, ...], sep: str = ", ") -> str:
    return sep.join(render(arg) for arg in nodes)


_INFIX = {"add": " + ", "mul": "*", "union": " U "}


def render(node: Node) -> str:
    """A canonical, readable rendering used for normalized forms, memo keys and structural equality."""
    kind, args = node.kind, node.args
    if kind == "num":
        return _fmt_num(node)
    if kind in ("sym", "const", "letter"):
        return str(node.value)
    if kind in _INFIX:
        return "(" + _INFIX[kind].join(render(arg) for arg in args) + ")"
    simple = _render_simple(node)
    if simple is not None:
        return simple
    return _render_compound(node)


def _render_simple(node: Node) -> str | None:
    kind, args = node.kind, node.args
    table = {
        "neg": lambda: f"-{render(args[0])}",
        "div": lambda: f"({render(args[0])})/({render(args[1])})",
        "pow": lambda: f"({render(args[0])})^({render(args[1])})",
        "pct": lambda: f"{render(args[0])}%",
        "deg": lambda: f"{render(args[0])}°",
        "unit": lambda: f"{render(args[0])} [{node.value}]",
        "pm": lambda: f"({render(args[0])} ± {render(args[1])})",
        "func": lambda: f"{node.value}({_join(args)})",
        "apply": lambda: f"{node.value}({_join(args)})",
        "ratio": lambda: f"{render(args[0])}:{render(args[1])}",
        "text": lambda: f'"{node.value}"',
        "bool": lambda: "true" if node.value else "false",
        "basenum": lambda: f"{node.value[0]}_{node.value[1]}",
        "empty": lambda: "{}",
        "clock": lambda: f"{node.value // 3600:02d}:{node.value // 60 % 60:02d}:{node.value % 60:02d}",
    }
    maker = table.get(kind)
    return maker() if maker else None


def _render_compound(node: Node) -> str:
    kind, args = node.kind, node.args
    if kind == "rel":
        out = render(args[0])
        for op, arg in zip(node.value, args[1:], strict=True):
            out += f" {op} {render(arg)}"
        return out
    if kind == "tuple":
        return f"({_join(args)})"
    if kind == "interval":
        left, right = node.value
        return f"{'[' if left else '('}{_join(args)}{']' if right else ')'}"
    if kind == "set":
        return "{" + _join(args) + "}"
    if kind in ("list", "alt"):
        return _join(args, " ; " if kind == "list" else " | ")
    if kind == "matrix":
        return "[" + "; ".join(_join(row.args) for row in args) + "]"
    if kind == "row":
        return _join(args)
    if kind == "assign":
        return ", ".join(f"{label} = {render(arg)}" for label, arg in zip(node.value, args, strict=True))
    return f"{kind}({_join(args)})"


def count_nodes(node: Node) -> int:
    """Number of nodes in the tree (iterative, so deep trees cannot overflow the stack)."""
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += 1
        stack.extend(current.args)
    return total


def free_symbols(node: Node) -> frozenset[str]:
    """Names of the free symbols (and unknown function applications) in a tree."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == "sym":
            names.add(str(current.value))
        elif current.kind == "apply":
            names.add(f"{current.value}()")
        stack.extend(current.args)
    return frozenset(names)


def has_kind(node: Node, kinds: frozenset[str]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind in kinds:
            return True
        stack.extend(current.args)
    return False


def _num_digits(value: Fraction) -> float:
    """|log10| bound of a rational: the larger of log10 |numerator| and log10 denominator."""

    def log10(number: int) -> float:
        bits = number.bit_length()
        return math.log10(number) if bits < 1000 else bits * math.log10(2)

    top = log10(abs(value.numerator)) if value.numerator else 0.0
    return max(top, log10(value.denominator))


def magnitude(node: Node, limits: Limits = LIMITS) -> float:
    """An upper bound on the number of decimal digits any value in the tree can need.

    Symbols count as small numbers (they are sampled from a small range). Powers multiply the base's
    size by 10**(size of the exponent), so towers explode here, on paper, instead of in a computation.
    Returns math.inf when the bound is beyond any limit.
    """
    kind, args = node.kind, node.args
    if kind == "num":
        return _num_digits(node.value)
    if kind in ("sym", "const", "letter", "text", "bool", "empty", "basenum", "clock"):
        return 0.5
    sizes = [magnitude(arg, limits) for arg in args]
    if any(math.isinf(size) for size in sizes):
        return math.inf
    if kind in ("mul", "div", "ratio"):
        return sum(sizes)
    if kind == "pow":
        return _pow_size(node, sizes)
    if kind in ("func", "apply"):
        return _func_size(str(node.value), node, sizes)
    bump = (
        math.log10(len(sizes)) if kind in ("add", "pm") and sizes else 2.0 if kind in ("pct", "deg") else 0.0
    )
    return (max(sizes) if sizes else 0.0) + bump


def _pow_size(node: Node, sizes: list[float]) -> float:
    base_size, exp_size = sizes
    base = node.args[0]
    if base.kind == "num" and base.value in (0, 1):
        return 1.0
    if exp_size > 12:
        return math.inf
    return max(base_size, 0.5) * 10.0**exp_size + 1.0


def _func_size(name: str, node: Node, sizes: list[float]) -> float:
    top = max(sizes) if sizes else 1.0
    if name in ("exp", "sinh", "cosh", "tanh"):
        return math.inf if top > 12 else 10.0**top
    if name in ("factorial", "gamma", "binom", "subfactorial"):
        if top > 8:
            return math.inf
        count = 10.0**top
        return count * max(math.log10(count), 1.0)
    if name in ("log", "ln", "lg", "log_base"):
        return max(math.log10(max(top, 1.0)) + 2.0, sum(sizes) if name == "log_base" else 0.0)
    if name in ("sqrt", "root"):
        return top
    return top + 1.0


def check_limits(node: Node, limits: Limits = LIMITS) -> None:
    """Raises OverLimit when the tree is too big or could hold a value beyond the magnitude limit."""
    nodes = count_nodes(node)
    if nodes > limits.max_nodes:
        raise OverLimit(f"{nodes} nodes (limit {limits.max_nodes})")
    size = magnitude(node, limits)
    if size > limits.max_magnitude_digits:
        raise OverLimit(f"a value may need about {size:.3g} digits (limit {limits.max_magnitude_digits:g})")
