"""Equations, inequalities, intervals and their unions: the comparators for relations and real sets.

Built on the scalar comparison of `_compare`; the structural matcher (`_match`) sits above and passes
itself in where a set's members need it, so imports point one way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from limkit.grade._compare import (
    Ctx,
    NeedsHeavy,
    all_true,
    any_true,
    prepare,
    proportional,
    same_members,
    scalar_equal,
)
from limkit.grade._nodes import INF, Node

#: How two members of real sets (points) compare; the structural matcher above this module passes itself.
MemberEqual = Callable[[Node, Node, Ctx], bool]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_INEQUALITIES = frozenset({"<", "<=", ">", ">="})


def _difference(left: Node, right: Node) -> Node:
    return Node("add", (left, Node("neg", (right,))))


def equations_equivalent(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """L1 = R1 and L2 = R2 describe the same relation: L1 - R1 = k (L2 - R2) with a constant k != 0."""
    first = _difference(gold.args[0], gold.args[-1])
    second = _difference(pred.args[0], pred.args[-1])
    return proportional(first, second, False, ctx)


def _normalized(relation: Node) -> list[tuple[Node, str]]:
    """`a < b < c` -> [(b - a, '>'), (c - b, '>')]: every link as `expression op 0` with op in > >= != =."""
    out = []
    for left, op, right in zip(relation.args, relation.value, relation.args[1:], strict=False):
        if op in ("<", "<="):
            out.append((_difference(right, left), _FLIP[op]))
        elif op in (">", ">=", "!=", "="):
            out.append((_difference(left, right), op))
        else:
            return []
    return out


def inequalities_equivalent(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Each normalized link of the gold matches one of the prediction's up to a positive factor."""
    golds, preds = _normalized(gold), _normalized(pred)
    if not golds or len(golds) != len(preds):
        return False
    for expression, op in golds:
        checks = [
            (lambda e=expression, other=other, op=op: proportional(e, other, op in _INEQUALITIES, ctx))
            for other, other_op in preds
            if other_op == op
        ]
        if not checks or not any_true(checks):
            return False
    return True


# -- real sets ----------------------------------------------------------------------------------------
Component = tuple[str, Node, Node, bool, bool]


def _neg_inf() -> Node:
    return Node("neg", (INF,))


def _variable(node: Node) -> bool:
    return node.kind in ("sym", "apply")


def relation_components(relation: Node) -> list[Component] | None:
    """`-2 <= x <= 7` -> [[-2, 7]]; `x > 5` -> [(5, inf)]; `x != 3` -> two rays; `x \\in S` -> S."""
    args, ops = relation.args, relation.value
    if ops == ("in",) and _variable(args[0]):
        return components(args[1])
    if len(args) == 2 and ops[0] in _INEQUALITIES | {"!="}:
        if _variable(args[0]):
            return _ray(ops[0], args[1])
        if _variable(args[1]):
            return _ray(_FLIP[ops[0]], args[0])
        return None
    if len(args) == 3 and _variable(args[1]) and set(ops) <= {"<", "<="}:
        return [("interval", args[0], args[2], ops[0] == "<=", ops[1] == "<=")]
    if len(args) == 3 and _variable(args[1]) and set(ops) <= {">", ">="}:
        return [("interval", args[2], args[0], ops[1] == ">=", ops[0] == ">=")]
    return None


def _ray(op: str, bound: Node) -> list[Component]:
    if op == "!=":
        return [("interval", _neg_inf(), bound, False, False), ("interval", bound, INF, False, False)]
    if op in (">", ">="):
        return [("interval", bound, INF, op == ">=", False)]
    return [("interval", _neg_inf(), bound, False, op == "<=")]


def components(node: Node) -> list[Component] | None:
    """A real set as intervals and points; None when the node is not a set of reals."""
    node = prepare(node) if node.kind != "list" else node
    kind = node.kind
    if kind == "interval":
        left, right = node.value
        return [("interval", node.args[0], node.args[1], left, right)]
    if kind == "tuple" and node.meta == "paren2":
        return [("interval", node.args[0], node.args[1], False, False)]
    if kind == "union":
        out: list[Component] = []
        for arg in node.args:
            part = components(arg)
            if part is None:
                return None
            out += part
        return out
    if kind in ("set", "list"):
        return [("point", arg, arg, True, True) for arg in node.args]
    if kind == "empty":
        return []
    if kind == "rel":
        return relation_components(node)
    return None


def _infinite(node: Node) -> int:
    if node.kind == "const" and node.value == "inf":
        return 1
    if node.kind == "neg" and _infinite(node.args[0]):
        return -_infinite(node.args[0])
    return 0


def endpoint_equal(gold: Node, pred: Node, ctx: Ctx) -> bool:
    g_inf, p_inf = _infinite(gold), _infinite(pred)
    if g_inf or p_inf:
        return g_inf == p_inf
    return scalar_equal(gold, pred, ctx)


def _component_equal(gold: Component, pred: Component, ctx: Ctx, member: MemberEqual) -> bool:
    if gold[0] != pred[0] or gold[3:] != pred[3:]:
        return False
    if gold[0] == "point":
        return member(gold[1], pred[1], ctx)
    return ordered_endpoints(gold, pred, ctx)


def ordered_endpoints(gold: Component, pred: Component, ctx: Ctx) -> bool:
    return all_true(
        [
            functools.partial(endpoint_equal, gold[1], pred[1], ctx),
            functools.partial(endpoint_equal, gold[2], pred[2], ctx),
        ]
    )


def set_compare(gold: Node, pred: Node, ctx: Ctx, member: MemberEqual = scalar_equal) -> bool:
    """Two real sets are equal: the same intervals (bracket types included) and points, in any order."""
    ctx.note("structure")
    golds, preds = components(gold), components(pred)
    if golds is None or preds is None:
        return _heavy_sets(gold, pred, ctx)
    return _components_equal(golds, preds, ctx, member)


def _components_equal(
    golds: Sequence[Component], preds: Sequence[Component], ctx: Ctx, member: MemberEqual
) -> bool:
    if len(golds) != len(preds):
        return False
    return same_members(golds, preds, lambda gold, pred: _component_equal(gold, pred, ctx, member))


def _heavy_sets(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Relations that are not in interval form (`1 <= |z| <= 3/2`) are solved by sympy in a worker."""
    solvable = [node for node in (gold, pred) if node.kind == "rel"]
    if not solvable:
        return False
    if ctx.heavy is None:
        raise NeedsHeavy
    first, second = ctx.heavy.relation_set(gold, ctx), ctx.heavy.relation_set(pred, ctx)
    if first is None or second is None:
        return False
    return ctx.heavy.sets_equal(first, second, ctx)
