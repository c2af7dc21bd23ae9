"""Structural comparison: the gold's kind picks a comparator (lists, sets, tuples, matrices, relations).

This is the top of the comparison modules: it builds on the scalar comparison of `_compare` and the
relation and real-set comparison of `_relations`, which never import it back.
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
    same_members,
    scalar_equal,
)
from limkit.grade._forms import clock_readings
from limkit.grade._nodes import SCALAR_KINDS, Node, free_symbols, num, render
from limkit.grade._parse import assigned_value, label_key, label_of
from limkit.grade._relations import equations_equivalent, inequalities_equivalent, set_compare
from limkit.grade._text import text_key


# -- structures --------------------------------------------------------------------------------------
def match(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Does `pred` answer `gold`? The gold's kind picks the comparator."""
    if gold.kind == "alt":
        return any_true([functools.partial(match, option, pred, ctx) for option in gold.args])
    if pred.kind == "alt":
        return any_true([functools.partial(match, gold, option, ctx) for option in pred.args])
    gold, pred = prepare(gold), prepare(pred)
    if render(gold) == render(pred):
        ctx.note("structure")
        return True
    handler = _DISPATCH.get(gold.kind, _match_scalar)
    return handler(gold, pred, ctx)


def real_sets_equal(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Real sets compared as in `_relations`, their points compared by `match` (so `x = 1` is the point 1)."""
    return set_compare(gold, pred, ctx, match)


def _unlabel(pred: Node) -> Node:
    """`x = 2` as a prediction for a bare gold value reads as `2`; `x \\in S` as `S`."""
    if pred.kind == "rel" and label_of(pred) is not None:
        return prepare(assigned_value(pred))
    return pred


def _match_scalar(gold: Node, pred: Node, ctx: Ctx) -> bool:
    pred = _unlabel(pred)
    if pred.kind == "list":
        # Several forms of one value (`15\frac{39}{40}, \frac{639}{40}`) answer a single gold; any other
        # element makes the answer wrong (a list of guesses does not earn credit).
        return unordered_equal([gold], pred.args, ctx)
    if pred.kind not in SCALAR_KINDS:
        return False
    return scalar_equal(gold, pred, ctx)


def elements(node: Node) -> list[Node] | None:
    """The members of a multi-answer prediction (a lone value is a one-member answer)."""
    node = _unlabel(node)
    if node.kind in ("list", "set"):
        return list(node.args)
    if node.kind == "assign":
        return list(node.args)
    if node.kind == "empty":
        return []
    return [node]


def unordered_equal(golds: Sequence[Node], preds: Sequence[Node], ctx: Ctx) -> bool:
    """Set equality: every gold member is matched by some prediction member and vice versa."""
    return same_members(golds, preds, lambda gold, pred: match(gold, pred, ctx))


def ordered_equal(golds: Sequence[Node], preds: Sequence[Node], ctx: Ctx) -> bool:
    if len(golds) != len(preds):
        return False
    return all_true(
        [functools.partial(match, gold, pred, ctx) for gold, pred in zip(golds, preds, strict=True)]
    )


def _match_list(gold: Node, pred: Node, ctx: Ctx) -> bool:
    members = elements(pred)
    if members is None:
        return False
    gold_label, pred_label = gold.meta, pred.meta if pred.kind == "list" else None
    if gold_label and pred_label and label_key(gold_label) != label_key(pred_label):
        return False
    if ctx.answer_type in ("ordered_answers", "tuple"):
        return ordered_equal(gold.args, members, ctx)
    return unordered_equal(gold.args, members, ctx)


def _match_set(gold: Node, pred: Node, ctx: Ctx) -> bool:
    if pred.kind in ("tuple", "interval", "union"):
        return False
    return _match_list(gold, pred, ctx)


def _same_base_labels(labels: Sequence[str]) -> bool:
    bases = {label.split("_")[0] for label in labels}
    return len(bases) == 1 and all("_" in label for label in labels)


def _match_assign(gold: Node, pred: Node, ctx: Ctx) -> bool:
    labels: tuple[str, ...] = gold.value
    if pred.kind == "assign" and set(pred.value) == set(labels):
        mapping = dict(zip(pred.value, pred.args, strict=True))
        return ordered_equal(gold.args, [mapping[label] for label in labels], ctx)
    if pred.kind in ("assign", "list", "tuple"):
        if _same_base_labels(labels) and pred.kind == "list":
            return unordered_equal(gold.args, pred.args, ctx)
        return ordered_equal(gold.args, pred.args, ctx)
    return False


def _match_tuple(gold: Node, pred: Node, ctx: Ctx) -> bool:
    pred = _unlabel(pred)
    interval_ok = gold.meta == "paren2" and ctx.answer_type != "tuple"
    if interval_ok and pred.kind in ("interval", "union", "rel"):
        return real_sets_equal(gold, pred, ctx)
    if pred.kind == "matrix":
        pred = _vector(pred) or pred
    if pred.kind in ("tuple", "list", "assign"):
        return ordered_equal(gold.args, pred.args, ctx)
    return False


def _vector(node: Node) -> Node | None:
    rows = node.args
    if len(rows) == 1:
        return Node("tuple", rows[0].args)
    if all(len(row.args) == 1 for row in rows):
        return Node("tuple", tuple(row.args[0] for row in rows))
    return None


def _match_matrix(gold: Node, pred: Node, ctx: Ctx) -> bool:
    if pred.kind == "matrix":
        if [len(row.args) for row in gold.args] != [len(row.args) for row in pred.args]:
            return False
        return ordered_equal(
            [c for row in gold.args for c in row.args], [c for row in pred.args for c in row.args], ctx
        )
    vector = _vector(gold)
    if vector is not None and (pred.kind == "tuple" or _bracket_list(pred)):
        return ordered_equal(vector.args, pred.args, ctx)
    return False


def _bracket_list(node: Node) -> bool:
    """`[3, 4]`, which reads as a closed interval, is also the list of its two entries (a vector)."""
    return node.kind == "interval" and node.value == (True, True)


def _match_text(gold: Node, pred: Node, ctx: Ctx) -> bool:
    ctx.note("text")
    key = text_key(str(gold.value))
    candidates = {text_key(ctx.pred_text), text_key(render(pred).strip('"'))}
    if pred.kind == "text":
        candidates.add(text_key(str(pred.value)))
    return key in candidates


def _match_letter(gold: Node, pred: Node, ctx: Ctx) -> bool:
    ctx.note("letter")
    if pred.kind in ("letter", "sym", "text"):
        return str(pred.value).strip("() ") == gold.value
    return False


def _match_basenum(gold: Node, pred: Node, ctx: Ctx) -> bool:
    ctx.note("exact")
    digits, _ = gold.value
    if pred.kind == "basenum":
        return bool(pred.value == gold.value)
    if pred.kind == "num" and pred.meta is None and pred.value.denominator == 1:
        return str(pred.value.numerator) == digits
    return False


def _match_clock(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Times of day: equal when some reading of each agrees (`7:15 PM` is `19:15`, `19:15:00`)."""
    ctx.note("exact")
    golds, preds = clock_readings(gold), clock_readings(_unlabel(pred))
    return golds is not None and preds is not None and bool(golds & preds)


def _afternoon(node: Node) -> bool:
    """A bare `H:MM` with an hour from 13 to 23 (`14:30`) can only be a 24-hour time."""
    readings = clock_readings(node)
    return readings is not None and 13 <= int(render(node.args[0])) <= 23


def _match_ratio(gold: Node, pred: Node, ctx: Ctx) -> bool:
    if pred.kind == "clock":
        return _match_clock(gold, pred, ctx)
    if pred.kind == "ratio" and _afternoon(gold) and _match_clock(gold, pred, ctx):
        return True  # `2:30` (12-hour) for `14:30`
    if pred.kind == "ratio":
        if ordered_equal(gold.args, pred.args, ctx):
            return True
        try:
            left = Node("mul", (gold.args[0], pred.args[1]))
            right = Node("mul", (gold.args[1], pred.args[0]))
            nonzero = not scalar_equal(gold.args[1], num(0), ctx) and not scalar_equal(
                pred.args[1], num(0), ctx
            )
            return nonzero and scalar_equal(left, right, ctx)
        except NeedsHeavy:
            raise
    pred = _unlabel(pred)
    if pred.kind in SCALAR_KINDS and not scalar_equal(gold.args[1], num(0), ctx):
        return scalar_equal(Node("div", gold.args), pred, ctx)
    return False


def _match_rel(gold: Node, pred: Node, ctx: Ctx) -> bool:
    return relation_match(gold, pred, ctx)


def _match_setlike(gold: Node, pred: Node, ctx: Ctx) -> bool:
    if _bracket_list(gold) and pred.kind == "matrix":
        vector = _vector(pred)
        return vector is not None and ordered_equal(gold.args, vector.args, ctx)
    return real_sets_equal(
        gold, _unlabel(pred) if pred.kind == "rel" and pred.value == ("in",) else pred, ctx
    )


def _match_bool(gold: Node, pred: Node, ctx: Ctx) -> bool:
    ctx.note("letter")
    return pred.kind == "bool" and pred.value == gold.value


_DISPATCH: dict[str, Callable[[Node, Node, Ctx], bool]] = {
    "list": _match_list,
    "set": _match_set,
    "assign": _match_assign,
    "tuple": _match_tuple,
    "matrix": _match_matrix,
    "text": _match_text,
    "letter": _match_letter,
    "basenum": _match_basenum,
    "ratio": _match_ratio,
    "rel": _match_rel,
    "interval": _match_setlike,
    "union": _match_setlike,
    "empty": _match_setlike,
    "bool": _match_bool,
    "clock": _match_clock,
}


def relation_match(gold: Node, pred: Node, ctx: Ctx) -> bool:
    """Assignments compare their values; equations compare up to scale and side; inequalities as sets."""
    gold_label = label_of(gold)
    if gold_label is not None:
        return _assignment_match(gold, gold_label, pred, ctx)
    ops: tuple[str, ...] = gold.value
    if all(op == "=" for op in ops):
        if pred.kind == "rel" and all(op == "=" for op in pred.value):
            ctx.note("structure")
            return equations_equivalent(gold, pred, ctx)
        return False
    if pred.kind == "rel" and inequalities_equivalent(gold, pred, ctx):
        return True
    if pred.kind in ("rel", "interval", "union", "tuple", "set", "empty"):
        return real_sets_equal(gold, pred, ctx)
    return False


def _assignment_match(gold: Node, gold_label: str, pred: Node, ctx: Ctx) -> bool:
    value = assigned_value(gold)
    if pred.kind == "rel":
        pred_label = label_of(pred)
        same = pred_label is not None and (
            label_key(pred_label) == label_key(gold_label) or _same_function(gold, pred)
        )
        if pred_label is not None and (same or not gold_label or not pred_label):
            return match(value, assigned_value(pred), ctx)
        if gold.value == ("=",) and all(op == "=" for op in pred.value):
            return equations_equivalent(gold, pred, ctx)
        if gold.value == ("in",):
            return real_sets_equal(value, pred, ctx)
        return False
    if ctx.answer_type == "equation":
        return False
    return match(value, pred, ctx)


def _same_function(gold: Node, pred: Node) -> bool:
    """`g(t) = t^2 - 1` and `y = t^2 - 1`: a function label and a dependent-variable name (one that occurs
    on neither right-hand side) give the same function, so their right-hand sides decide."""
    if len(gold.args) != 2 or len(pred.args) != 2:
        return False
    for function, variable in ((gold.args[0], pred.args[0]), (pred.args[0], gold.args[0])):
        if function.kind == "apply" and variable.kind == "sym":
            others = free_symbols(function) | free_symbols(gold.args[1]) | free_symbols(pred.args[1])
            return variable.value not in others
    return False
