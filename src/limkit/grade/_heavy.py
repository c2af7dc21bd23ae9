"""The worker-side backend: numeric evaluation at 50 digits with mpmath, confirmed by sympy where it can.

Imported only inside worker processes, after the trees passed the safety limits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import mpmath

from limkit.grade import _sympy
from limkit.grade._compare import (
    APPROXIMATION_DIGITS,
    FLOAT_PRINT_ERROR,
    Ctx,
    decimal_literal,
    measured,
    significant_digits,
)
from limkit.grade._exact import NotExact, exact_value, opaque_value
from limkit.grade._nodes import Node, count_nodes, free_symbols

Value = Any  # mpmath.mpf | mpmath.mpc


class Undefined(ValueError):
    """The expression has no finite value at this point."""


def _finite(value: Value) -> Value:
    if not mpmath.isfinite(value):
        raise Undefined("not finite")
    return value


def _root(value: Value, degree: Value) -> Value:
    degree_int = int(mpmath.nint(mpmath.re(degree)))
    if mpmath.im(value) == 0 and mpmath.re(value) < 0 and degree_int % 2 == 1:
        return -mpmath.root(-mpmath.re(value), degree_int)
    return mpmath.root(value, degree_int)


def _log_base(value: Value, base: Value) -> Value:
    return mpmath.log(value) / mpmath.log(base)


def _real(value: Value) -> Value:
    if abs(mpmath.im(value)) > mpmath.mpf(10) ** (-mpmath.mp.dps // 2) * max(1, abs(value)):
        raise Undefined("a real number was expected")
    return mpmath.re(value)


_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "cot": mpmath.cot,
    "sec": mpmath.sec,
    "csc": mpmath.csc,
    "arcsin": mpmath.asin,
    "arccos": mpmath.acos,
    "arctan": mpmath.atan,
    "arccot": mpmath.acot,
    "arcsec": mpmath.asec,
    "arccsc": mpmath.acsc,
    "sinh": mpmath.sinh,
    "cosh": mpmath.cosh,
    "tanh": mpmath.tanh,
    "coth": mpmath.coth,
    "sech": mpmath.sech,
    "csch": mpmath.csch,
    "arsinh": mpmath.asinh,
    "arcosh": mpmath.acosh,
    "artanh": mpmath.atanh,
    "ln": mpmath.log,
    "log": mpmath.log,
    "log10": mpmath.log10,
    "exp": mpmath.exp,
    "sqrt": mpmath.sqrt,
    "abs": mpmath.fabs,
    "root": _root,
    "log_base": _log_base,
    "gamma": mpmath.gamma,
    "factorial": lambda x: mpmath.gamma(x + 1),
    "binom": mpmath.binomial,
    "floor": lambda x: mpmath.floor(_real(x)),
    "ceil": lambda x: mpmath.ceil(_real(x)),
    "sign": lambda x: mpmath.sign(_real(x)),
    "arg": mpmath.arg,
    "Re": mpmath.re,
    "Im": mpmath.im,
    "max": lambda *xs: max(_real(x) for x in xs),
    "min": lambda *xs: min(_real(x) for x in xs),
}


def _odd_root_exponent(node: Node) -> int | None:
    """For an exact exponent p/q with q odd, the numerator p (a real root of a negative base exists)."""
    try:
        value = exact_value(node)
    except (NotExact, ValueError):
        return None
    if value.im != 0 or value.re.denominator % 2 == 0 or value.re.denominator == 1:
        return None
    return value.re.numerator


class MpEvaluator:
    """Evaluates a scalar AST at the current mpmath precision; `env` gives symbol values."""

    def __init__(self, env: Mapping[str, Value] | None = None) -> None:
        self.env = env or {}

    def value(self, node: Node) -> Value:
        handler = getattr(self, f"_{node.kind}", None)
        if handler is None:
            raise Undefined(f"{node.kind} is not a scalar")
        try:
            return _finite(handler(node))
        except (ZeroDivisionError, OverflowError, ValueError) as error:
            raise Undefined(str(error)) from None

    def _num(self, node: Node) -> Value:
        return mpmath.mpf(node.value.numerator) / node.value.denominator

    def _const(self, node: Node) -> Value:
        table = {"pi": mpmath.pi, "e": mpmath.e, "i": mpmath.mpc(0, 1), "inf": mpmath.inf}
        return +table[str(node.value)]

    def _sym(self, node: Node) -> Value:
        if node.value not in self.env:
            raise Undefined(f"free symbol {node.value}")
        return self.env[node.value]

    def _apply(self, node: Node) -> Value:
        value = opaque_value(node.value, [mpmath.nstr(self.value(arg), 25) for arg in node.args])
        return mpmath.mpf(value.numerator) / value.denominator

    def _add(self, node: Node) -> Value:
        return mpmath.fsum(self.value(arg) for arg in node.args)

    def _mul(self, node: Node) -> Value:
        total = mpmath.mpf(1)
        for arg in node.args:
            total *= self.value(arg)
        return total

    def _neg(self, node: Node) -> Value:
        return -self.value(node.args[0])

    def _div(self, node: Node) -> Value:
        bottom = self.value(node.args[1])
        if bottom == 0:
            raise Undefined("division by zero")
        return self.value(node.args[0]) / bottom

    def _pow(self, node: Node) -> Value:
        base, exponent = self.value(node.args[0]), self.value(node.args[1])
        if base == 0 and mpmath.re(exponent) < 0:
            raise Undefined("zero to a negative power")
        if mpmath.im(base) == 0 and mpmath.re(base) < 0:
            odd_root = _odd_root_exponent(node.args[1])
            if odd_root is not None:
                magnitude = mpmath.power(-mpmath.re(base), mpmath.re(exponent))
                return -magnitude if odd_root % 2 else magnitude
        return mpmath.power(base, exponent)

    def _func(self, node: Node) -> Value:
        function = _FUNCTIONS.get(str(node.value))
        if function is None:
            raise Undefined(f"unknown function {node.value}")
        return function(*(self.value(arg) for arg in node.args))

    def _pct(self, node: Node) -> Value:
        return self.value(node.args[0]) / 100

    def _deg(self, node: Node) -> Value:
        return self.value(node.args[0]) * mpmath.pi / 180

    def _unit(self, node: Node) -> Value:
        return self.value(node.args[0])


# -- the backend ------------------------------------------------------------------------------------
DIGITS = 50
RELATIVE_TOLERANCE = mpmath.mpf(10) ** -35
TINY = mpmath.mpf(10) ** -30
POINTS = 3


class Backend:
    """Numeric evaluation at 50 digits (random points for symbols), confirmed by sympy where it can."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def _remaining(self, share: float = 0.5) -> float:
        return max(0.0, (self.deadline - time.monotonic()) * share)

    def _points(self, names: list[str], ctx: Ctx, sign: int = 1) -> list[dict[str, Any]]:
        rng: random.Random = ctx.rng(f"numeric{sign}")
        return [
            {
                name: sign * (mpmath.mpf(rng.randint(10**20, 10**21)) / 10**21 * 2 + mpmath.mpf("0.5"))
                for name in names
            }
            for _ in range(POINTS)
        ]

    def _names(self, *nodes: Node) -> list[str]:
        return sorted(name for node in nodes for name in free_symbols(node) if not name.endswith("()"))

    def values_equal(self, gold: Node, pred: Node, ctx: Ctx) -> bool:
        """Equal at random positive points; at negative points, two real values must agree too (so `|x|` is
        not `x`), while a side that is undefined or complex there only marks a domain restriction
        (`2 \\ln x` still equals `\\ln x^2`)."""
        names = self._names(gold, pred)
        with mpmath.workdps(DIGITS):
            if not names:
                return self._constants_equal(gold, pred, ctx)
            agreed, tiny = self._sample(gold, pred, self._points(names, ctx), strict=True)
            if agreed:
                agreed, _ = self._sample(gold, pred, self._points(names, ctx, -1), strict=False)
            if not agreed:
                ctx.note("numeric")
                return False
        return self._confirm(gold, pred, ctx, required=tiny)

    def _sample(
        self, gold: Node, pred: Node, points: list[dict[str, Any]], strict: bool
    ) -> tuple[bool, bool]:
        """(no point refutes equality, some compared values were tiny); `strict` needs a valid point."""
        valid, tiny = 0, False
        for env in points:
            try:
                a, b = MpEvaluator(env).value(gold), MpEvaluator(env).value(pred)
            except Undefined:
                continue
            if not strict and (abs(mpmath.im(a)) > TINY or abs(mpmath.im(b)) > TINY):
                continue
            valid += 1
            close, small = _close(a, b)
            if not close:
                return False, tiny
            tiny = tiny or small
        return (valid > 0 or not strict), tiny

    def _constants_equal(self, gold: Node, pred: Node, ctx: Ctx) -> bool:
        try:
            a, b = MpEvaluator().value(gold), MpEvaluator().value(pred)
        except Undefined:
            ctx.note("numeric")
            return False
        decided = _decimal_policy(gold, a, pred, b)
        if decided is not None:
            ctx.note("decimal")
            return decided
        close, tiny = _close(a, b)
        if not close:
            ctx.note("numeric")
            return False
        return self._confirm(gold, pred, ctx, required=tiny)

    def _confirm(self, gold: Node, pred: Node, ctx: Ctx, *, required: bool) -> bool:
        """Numerically equal values: sympy's proof either way decides; without one, the numbers stand
        unless they are so small that only a proof may accept them."""
        if count_nodes(gold) + count_nodes(pred) <= 80:
            proved = _sympy.equal_exactly(gold, pred, min(2.0, self._remaining()))
            if proved is not None:
                ctx.note("symbolic")
                return proved
        ctx.note("numeric")
        return not required

    def proportional(self, first: Node, second: Node, positive: bool, ctx: Ctx) -> bool:
        names = self._names(first, second)
        ratio = None
        with mpmath.workdps(DIGITS):
            for env in self._points(names, ctx) if names else [{}]:
                try:
                    a, b = MpEvaluator(env).value(first), MpEvaluator(env).value(second)
                except Undefined:
                    continue
                if b == 0:
                    if a != 0:
                        return False
                    continue
                current = a / b
                if ratio is not None and not _close(current, ratio)[0]:
                    ctx.note("numeric")
                    return False
                ratio = current
        ctx.note("numeric")
        if ratio is None or abs(ratio) < TINY:
            return False
        return not positive or (abs(mpmath.im(ratio)) < TINY and mpmath.re(ratio) > 0)

    def relation_set(self, relation: Node, ctx: Ctx) -> object | None:
        return _sympy.to_real_set(relation, min(3.0, self._remaining(0.4)))

    def sets_equal(self, first: object, second: object, ctx: Ctx) -> bool:
        ctx.note("symbolic")
        return _sympy.sets_equal(first, second, min(2.0, self._remaining()))


def _close(a: Any, b: Any) -> tuple[bool, bool]:
    """(numerically equal, the values are so small that equality needs an exact proof)."""
    scale = max(abs(a), abs(b))
    if scale == 0:
        return True, False
    return abs(a - b) <= scale * RELATIVE_TOLERANCE, scale < TINY


def _decimal_policy(gold: Node, a: Any, pred: Node, b: Any) -> bool | None:
    """Decimal literals (see `_compare.numbers_match`): a measured gold allows half its last place; a
    decimal answering an exact non-integer gold needs APPROXIMATION_DIGITS digits, rounded or truncated."""
    if mpmath.im(a) != 0 or mpmath.im(b) != 0:
        return None
    gold_literal, pred_literal = decimal_literal(gold), decimal_literal(pred)
    if gold_literal is not None and measured(*gold_literal):
        value, ulp = gold_literal
        if abs(b - a) <= _mp(ulp) / 2:
            return True
        return significant_digits(value, ulp) >= 15 and bool(abs(b - a) <= abs(a) * _mp(FLOAT_PRINT_ERROR))
    if pred_literal is not None and not mpmath.isint(a):
        if _close(a, b)[0]:
            return True  # `0.5` for sin 30 degrees: equal, however few its digits
        value, ulp = pred_literal
        error = abs(b - a)
        if significant_digits(value, ulp) < APPROXIMATION_DIGITS:
            return False
        return bool(error < _mp(ulp) or error <= abs(a) * _mp(FLOAT_PRINT_ERROR))
    return None


def _mp(value: Fraction) -> Any:
    return mpmath.mpf(value.numerator) / value.denominator
