"""Typed comparison of a parsed prediction against a parsed gold answer.

The light mode (in the calling process) decides everything that exact rational arithmetic can decide and
raises NeedsHeavy otherwise; the heavy mode (in a worker process, under a hard deadline) adds
high-precision numeric evaluation and sympy checks through a backend object.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol, TypeVar

from limkit.grade._exact import GQ, DivisionByZero, NotExact, exact_value, g_inv, g_mul
from limkit.grade._nodes import SCALAR_KINDS, Node, OverLimit, free_symbols, has_kind, num
from limkit.grade._units import unit_key

METHOD_RANK = {
    "string": 0,
    "structure": 1,
    "letter": 1,
    "text": 1,
    "exact": 2,
    "decimal": 3,
    "sampling_exact": 4,
    "numeric": 5,
    "symbolic": 5,
}
_MAX_ALTERNATIVES = 16
T = TypeVar("T")


class NeedsHeavy(Exception):
    """The light mode cannot decide this pair exactly; run it in a worker with the heavy backend."""


class HeavyBackend(Protocol):
    """What the worker-only numeric/symbolic backend provides."""

    def values_equal(self, gold: Node, pred: Node, ctx: Ctx) -> bool: ...

    def proportional(self, first: Node, second: Node, positive: bool, ctx: Ctx) -> bool: ...

    def relation_set(self, relation: Node, ctx: Ctx) -> object | None: ...

    def sets_equal(self, first: object, second: object, ctx: Ctx) -> bool: ...


@dataclass
class Ctx:
    """Per-pair comparison state: mode, seed, requested type and the methods that decided."""

    heavy: HeavyBackend | None = None
    seed: int = 0
    answer_type: str | None = None
    pred_text: str = ""
    methods: list[str] = field(default_factory=list)
    deadline: float = math.inf

    def rng(self, salt: str = "") -> random.Random:
        return random.Random(self.seed ^ zlib.crc32(salt.encode()))

    def note(self, method: str) -> None:
        self.methods.append(method)

    def decisive(self) -> str:
        if not self.methods:
            return "structure"
        return max(self.methods, key=lambda method: METHOD_RANK.get(method, 0))


def seed_for(gold: str, pred: str) -> int:
    """A seed derived from the pair, so random sample points are reproducible across runs and processes."""
    return zlib.crc32(f"{gold}\x00{pred}".encode())


# -- generic helpers ---------------------------------------------------------------------------------
def any_true(checks: Sequence[Callable[[], bool]]) -> bool:
    """True if any check is True; NeedsHeavy if none is and one could not decide."""
    pending = False
    for check in checks:
        try:
            if check():
                return True
        except NeedsHeavy:
            pending = True
    if pending:
        raise NeedsHeavy
    return False


def all_true(checks: Sequence[Callable[[], bool]]) -> bool:
    """False if any check is False; NeedsHeavy if none is and one could not decide; else True."""
    pending = False
    for check in checks:
        try:
            if not check():
                return False
        except NeedsHeavy:
            pending = True
    if pending:
        raise NeedsHeavy
    return True


def same_members(golds: Sequence[T], preds: Sequence[T], equal: Callable[[T, T], bool]) -> bool:
    """Every gold member equals some predicted member and every predicted member some gold member."""
    known: dict[tuple[int, int], bool | None] = {}

    def pair(i: int, j: int) -> bool:
        if (i, j) not in known:
            try:
                known[(i, j)] = equal(golds[i], preds[j])
            except NeedsHeavy:
                known[(i, j)] = None
        if known[(i, j)] is None:
            raise NeedsHeavy
        return bool(known[(i, j)])

    rows, columns = range(len(golds)), range(len(preds))
    covered = [functools.partial(any_true, [functools.partial(pair, i, j) for j in columns]) for i in rows]
    claimed = [functools.partial(any_true, [functools.partial(pair, i, j) for i in rows]) for j in columns]
    return all_true(covered + claimed)


def expand_pm(node: Node) -> list[Node]:
    """`1 \\pm \\sqrt 5` -> [1 + sqrt 5, 1 - sqrt 5] (all sign choices, at most 16)."""
    if not has_kind(node, frozenset({"pm"})):
        return [node]
    if node.kind == "pm":
        out = []
        for left, right in itertools.product(expand_pm(node.args[0]), expand_pm(node.args[1])):
            out += [Node("add", (left, right)), Node("add", (left, Node("neg", (right,))))]
        return out[:_MAX_ALTERNATIVES]
    options = [expand_pm(arg) for arg in node.args]
    combos = itertools.islice(itertools.product(*options), _MAX_ALTERNATIVES)
    return [Node(node.kind, tuple(combo), node.value, node.meta) for combo in combos]


# -- matrix arithmetic on the tree (`A + B` compares entrywise) --------------------------------------
def _shape(node: Node) -> tuple[int, int]:
    return len(node.args), len(node.args[0].args)


def _entries(node: Node) -> list[list[Node]]:
    return [list(row.args) for row in node.args]


def _matrix(rows: list[list[Node]]) -> Node:
    return Node("matrix", tuple(Node("row", tuple(row)) for row in rows))


def _matrix_add(left: Node, right: Node) -> Node | None:
    if _shape(left) != _shape(right):
        return None
    rows = [
        [Node("add", (a, b)) for a, b in zip(row_a, row_b, strict=True)]
        for row_a, row_b in zip(_entries(left), _entries(right), strict=True)
    ]
    return _matrix(rows)


def _matrix_multiply(left: Node, right: Node) -> Node | None:
    (rows_a, cols_a), (rows_b, cols_b) = _shape(left), _shape(right)
    if cols_a != rows_b or rows_a * cols_b * cols_a > 400:
        return None
    a, b = _entries(left), _entries(right)
    rows = [
        [Node("add", tuple(Node("mul", (a[i][k], b[k][j])) for k in range(cols_a))) for j in range(cols_b)]
        for i in range(rows_a)
    ]
    return _matrix(rows)


def _scale(factor: Node, matrix: Node) -> Node:
    return _matrix([[Node("mul", (factor, entry)) for entry in row] for row in _entries(matrix)])


def fold_matrices(node: Node) -> Node:
    """Evaluates matrix sums and products structurally; anything else is returned unchanged."""
    if node.kind not in ("add", "mul") or not any(arg.kind == "matrix" for arg in node.args):
        return node
    args = [fold_matrices(arg) for arg in node.args]
    result: Node | None = args[0]
    for arg in args[1:]:
        if result is None:
            return node
        if node.kind == "add":
            result = _matrix_add(result, arg) if result.kind == arg.kind == "matrix" else None
        elif result.kind == "matrix" and arg.kind == "matrix":
            result = _matrix_multiply(result, arg)
        elif arg.kind == "matrix":
            result = _scale(result, arg)
        elif result.kind == "matrix":
            result = _scale(arg, result)
        else:
            result = Node("mul", (result, arg))
    return result if result is not None else node


def prepare(node: Node) -> Node:
    """Expands `\\pm`, folds matrix arithmetic and unwraps one-element lists before comparing."""
    node = fold_matrices(node)
    if node.kind in ("list", "set"):
        items: list[Node] = []
        for arg in node.args:
            if arg.kind == "list" and arg.meta is None:
                items.extend(prepare(inner) for inner in arg.args)
            else:
                items.extend(expand_pm(arg) if arg.kind in SCALAR_KINDS else [prepare(arg)])
        node = Node(node.kind, tuple(items), node.value, node.meta)
    elif node.kind in SCALAR_KINDS and has_kind(node, frozenset({"pm"})):
        node = Node("list", tuple(expand_pm(node)))
    if node.kind == "list" and len(node.args) == 1:
        return node.args[0]
    return node


#: Significant digits a decimal needs to answer an exact gold it cannot write out (an irrational, or a
#: rational whose decimal expansion does not end within the digits given): `3.14159` for pi, not `3.14`.
APPROXIMATION_DIGITS = 6
#: A float printed in full (`1.7320508075688772` for sqrt 3) is off by up to two units of a double's
#: last place, which can exceed one unit of its own last printed digit.
FLOAT_PRINT_ERROR = Fraction(1, 2**51)


def decimal_literal(node: Node) -> tuple[Fraction, Fraction] | None:
    """(value, last-place unit) of a decimal literal: `27.39`, `-0.5`, `4.4e7`, `4.5 \times 10^{-4}`.

    A mantissa written without a decimal point (`3 \times 10^5`, `27`) is exact: None.
    """
    if node.kind == "neg":
        inner = decimal_literal(node.args[0])
        return (-inner[0], inner[1]) if inner else None
    if node.kind == "num":
        return (node.value, node.meta) if node.meta is not None else None
    if node.kind == "mul" and len(node.args) == 2:
        mantissa, power = node.args
        exponent = _power_of_ten(power)
        if mantissa.kind == "num" and mantissa.meta is not None and exponent is not None:
            scale = Fraction(10) ** exponent
            return mantissa.value * scale, mantissa.meta * scale
    return None


def _power_of_ten(node: Node) -> int | None:
    if node.kind != "pow" or node.args[0] != num(10):
        return None
    exponent, sign = node.args[1], 1
    if exponent.kind == "neg":
        exponent, sign = exponent.args[0], -1
    if exponent.kind == "num" and exponent.meta is None and exponent.value.denominator == 1:
        return sign * int(exponent.value) if abs(exponent.value) <= 400 else None
    return None


def literal_ulp(node: Node) -> Fraction | None:
    """The last-place unit of a decimal literal (see `decimal_literal`), else None."""
    found = decimal_literal(node)
    return found[1] if found else None


def significant_digits(value: Fraction, ulp: Fraction) -> int:
    if value == 0:
        return 1
    ratio = abs(value) / ulp
    return len(str(int(ratio))) if ratio >= 1 else 0


def measured(value: Fraction, ulp: Fraction | None) -> bool:
    """A gold decimal is a measurement (tolerance applies) unless it is an integer written as `27.0`."""
    return ulp is not None and (value.denominator != 1 or ulp > 1)


def measurement_ok(gold: Fraction, ulp: Fraction, error: Fraction) -> bool:
    """A prediction `error` away from a decimal gold answers it: within half a unit of the gold's last
    place, or, for a gold that is a float printed in full (15+ digits), within the float's own error."""
    if error <= ulp / 2:
        return True
    return significant_digits(gold, ulp) >= 15 and error <= abs(gold) * FLOAT_PRINT_ERROR


def approximation_ok(pred: Fraction, ulp: Fraction, error: Fraction, scale: Fraction) -> bool:
    """A decimal `pred` (last place `ulp`) answers an exact gold it is `error` away from (gold size `scale`):
    at least APPROXIMATION_DIGITS significant digits, rounded or truncated (off by less than one unit of
    its last place), or a float's full printed form."""
    if significant_digits(pred, ulp) < APPROXIMATION_DIGITS:
        return False
    return error < ulp or error <= scale * FLOAT_PRINT_ERROR


def numbers_match(gold: GQ, gold_node: Node, pred: GQ, pred_node: Node, ctx: Ctx) -> bool:
    """Exact equality, plus the decimal policies (see the package docstring)."""
    if gold == pred:
        ctx.note("exact")
        return True
    if not (gold.is_real and pred.is_real):
        return False
    g_ulp, p_ulp = literal_ulp(gold_node), literal_ulp(pred_node)
    if g_ulp is not None and measured(gold.re, g_ulp):
        ctx.note("decimal")
        return measurement_ok(gold.re, g_ulp, abs(pred.re - gold.re))
    if p_ulp is not None and gold.re.denominator != 1:
        ctx.note("decimal")
        return approximation_ok(pred.re, p_ulp, abs(pred.re - gold.re), abs(gold.re))
    ctx.note("exact")
    return False


# -- scalars -----------------------------------------------------------------------------------------
def _peel(node: Node) -> tuple[Node, str | None]:
    """Strips units and reads a top-level percent or degree mark."""
    while node.kind == "unit":
        node = node.args[0]
    if node.kind in ("pct", "deg"):
        inner, _ = _peel(node.args[0])
        return inner, node.kind
    if node.kind == "neg":
        inner, mark = _peel(node.args[0])
        if mark:
            return Node("neg", (inner,)), mark
    return node, None


def _readings(core: Node, mark: str | None) -> list[Node]:
    if mark == "pct":
        literal = decimal_literal(core)
        if literal is not None:  # `33.3\%` stays a decimal (0.333), with its digits
            return [core, num(literal[0] / 100, literal[1] / 100)]
        return [core, Node("div", (core, num(100)))]
    if mark == "deg":
        return [core, Node("mul", (core, Node("const", (), "pi"), num(Fraction(1, 180))))]
    return [core]


def _unit(node: Node) -> str | None:
    """The known unit an answer carries at its top (`5.4 \\text{ dollars}` -> `dollar`), else None."""
    while node.kind == "neg":
        node = node.args[0]
    return unit_key(str(node.value)) if node.kind == "unit" else None


def scalar_equal(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Two scalars are equal; a percent or degree mark on one side allows its scaled reading. Two
    different known units make different answers (a unit on one side only is ignored)."""
    g_unit, p_unit = _unit(gold), _unit(pred)
    if g_unit is not None and p_unit is not None and g_unit != p_unit:
        ctx.note("structure")
        return False
    g_core, g_mark = _peel(gold)
    p_core, p_mark = _peel(pred)
    if g_mark == p_mark:
        return values_equal(g_core, p_core, ctx)
    checks = [
        (lambda g=g, p=p: values_equal(g, p, ctx))
        for g in _readings(g_core, g_mark)
        for p in _readings(p_core, p_mark)
    ]
    return any_true(checks)


def values_equal(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Exact comparison where possible; random-point identity test for rational functions; else heavy."""
    if gold.kind in ("const",) and pred.kind == "const":
        ctx.note("structure")
        return bool(gold.value == pred.value)
    if ctx.heavy is None and time.monotonic() > ctx.deadline:
        raise NeedsHeavy  # the light pass has spent its share: the worker (with its hard budget) decides
    symbols = free_symbols(gold) | free_symbols(pred)
    try:
        if not symbols:
            return numbers_match(exact_value(gold), gold, exact_value(pred), pred, ctx)
        return _identity_test(gold, pred, sorted(symbols), ctx)
    except NotExact:
        if ctx.heavy is None:
            raise NeedsHeavy from None
        return ctx.heavy.values_equal(gold, pred, ctx)


def random_env(names: Sequence[str], rng: random.Random) -> dict[str, GQ]:
    """Random nonzero rationals of both signs (so `|x|` and `x` differ somewhere)."""
    return {
        name: GQ(Fraction(rng.choice((-1, 1)) * rng.randint(1, 10**6), rng.randint(1, 997))) for name in names
    }


def value_at(node: Node, env: dict[str, GQ]) -> GQ:
    """The exact value at a sample point; a point whose values grow too big for exact arithmetic (`x^{3000}`
    passes the limits, which count a symbol as small) leaves the pair to the worker's numeric backend."""
    try:
        return exact_value(node, env)
    except OverLimit:
        raise NotExact("the exact value at a sample point is too large") from None


def _identity_test(gold: Node, pred: Node, names: list[str], ctx: Ctx) -> bool:
    """Schwartz-Zippel with exact arithmetic: equal at 4 random rational points means identical."""
    rng = ctx.rng("identity")
    agreed, attempts = 0, 0
    while agreed < 4 and attempts < 12:
        attempts += 1
        env = random_env(names, rng)
        try:
            left, right = value_at(gold, env), value_at(pred, env)
        except DivisionByZero:
            continue
        if left != right:
            ctx.note("sampling_exact")
            return False
        agreed += 1
    ctx.note("sampling_exact")
    return agreed >= 2


def proportional(first: Node, second: Node, positive: bool, ctx: Ctx) -> bool:
    """first = k * second for a constant k != 0 (k > 0 when `positive`), tested at random points."""
    names = sorted(free_symbols(first) | free_symbols(second))
    rng = ctx.rng("proportional")
    ratio: GQ | None = None
    try:
        for _ in range(6):
            env = random_env(names, rng)
            a, b = value_at(first, env), value_at(second, env)
            if b == GQ(Fraction(0)):
                if a != b:
                    return False
                continue
            current = g_mul(a, g_inv(b))
            if ratio is not None and current != ratio:
                ctx.note("sampling_exact")
                return False
            ratio = current
    except NotExact:
        if ctx.heavy is None:
            raise NeedsHeavy from None
        return ctx.heavy.proportional(first, second, positive, ctx)
    ctx.note("sampling_exact")
    if ratio is None or ratio == GQ(Fraction(0)):
        return ratio is None
    return not positive or (ratio.is_real and ratio.re > 0)
