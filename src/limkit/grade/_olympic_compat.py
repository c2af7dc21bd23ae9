r"""`olympicarena_compat`: the OlympicArena rule judger's documented behaviour, quirks included.

This is *not* limkit's grader. It exists so a user can put a number next to the published OlympicArena
leaderboard, which was graded by the upstream `Judger.auto_judge` (GAIR-NLP/OlympicArena
`code/judge.py`; fact sheet B.3). Reimplemented from that description, not copied:

- The answer is the content of the **first** `\boxed{}` (brace-matched); without a box (or with an empty
  or unclosed one) the **whole output** is judged as if it were the answer.
- Both sides are normalised: `\left`/`\right`, `$`, `%`, `^\circ` dropped; `\approx`, `\simeq`, `\sim`
  become `=`; `\text`, `\mathrm`, `\mathbf`, `\textbf` unwrapped; `\frac12` and `\sqrt2` braced;
  full-width comma and colon made ASCII. A one-element gold list is unwrapped to a string first.
- Without a `type_sequence` every type is tried in turn (SC, MC, TF, NV, SET, IN, EX, EQ, TUP) and any
  success counts; with one, the ordered multi-part judge (MPV) and then the unordered one (MA).
- Numbers match within an **absolute** 1.01e-5; scientific notation `a\times10^{b}` matches on equal
  exponents with |a - a'| <= 0.101.

Quirks kept on purpose (limkit's own grader decides differently): `\boxed{Because}` answers "B" (the
multiple-choice path takes the first capital letter and compares it with the gold string's letters);
MPV answers in swapped order pass (MA ignores order); an expression with symbols passes only when it is
written the same way (`2x+x` is not `3x`: upstream's simplify check always fails on a sympy Boolean);
`\pi` and `e` are plain symbols (`3.141592` is not `\pi`); `50\%` keeps its backslash and matches
nothing; units are not stripped (`5 m/s` is not 5); `true` is not `True`; `101` is not `100`.

Upstream parses LaTeX with sympy's ANTLR parser (which needs antlr4 4.11 exactly; with another version it
raises ImportError, which upstream swallows, silently failing every LaTeX comparison). Here limkit's own
bounded parser stands in for it (`parse_answer`, never `eval`/`sympify` on model text), and sympy only
simplifies the parsed equations of the EQ path, under a 5 s deadline per type as upstream's SIGALRM.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from limkit.grade._nodes import Node, has_kind

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ABS_TOLERANCE = 1e-5 * 1.01
MANTISSA_TOLERANCE = 0.1 * 1.01
AUTO_TYPES = ("SC", "MC", "TF", "NV", "SET", "IN", "EX", "EQ", "TUP")
TYPE_SECONDS = 5.0

_REPLACEMENTS = (
    ("\\left", ""),
    ("\\right", ""),
    ("∶", ":"),
    ("，", ","),
    ("$", ""),
    ("\\approx", "="),
    ("\\simeq", "="),
    ("\\sim", "="),
    ("^\\prime", "'"),
    ("^{\\prime}", "'"),
    ("^\\circ", ""),
    ("%", ""),
)
_NOT_EXPRESSIONS = frozenset(
    {
        "rel",
        "tuple",
        "interval",
        "set",
        "list",
        "union",
        "text",
        "letter",
        "bool",
        "pct",
        "deg",
        "unit",
        "pm",
        "alt",
        "assign",
        "clock",
        "matrix",
        "row",
        "ratio",
        "empty",
        "basenum",
    }
)
_SYMBOLIC = frozenset({"sym", "const"})


class _Fail(Exception):
    """A comparison the upstream code would end in an exception (which it counts as False)."""


def olympicarena_compat(
    output: str, gold: str | Sequence[str], type_sequence: Sequence[str] | None = None
) -> bool:
    """Whether the upstream OlympicArena judger would accept `output` for `gold` (see the module doc).

    Args:
        output: The model's whole output.
        gold: The dataset's `answer` (a list; a one-element list is unwrapped, as upstream does).
        type_sequence: The dataset's `type_sequence` for multi-part answers, else None.
    """
    if not isinstance(gold, str):
        gold = list(gold)
        gold = gold[0] if len(gold) == 1 else gold
    answer = compat_normalize(compat_extract(output))
    if isinstance(gold, str):
        gold = compat_normalize(gold)
    if not answer:
        return False
    import limkit.grade._sympy  # noqa: F401  (sympy loads once, outside the per-type time budget)

    if type_sequence:
        types = list(type_sequence)
        return any(_attempt(_multi, answer, gold, types, ordered) for ordered in (True, False))
    return any(_attempt(JUDGES[kind], answer, gold) for kind in AUTO_TYPES)


def _attempt(judge: Callable[..., bool], *args: Any) -> bool:
    """One type's judgement under upstream's 5 s budget; any exception counts as False, as upstream."""
    from limkit.grade._sympy import SoftTimeout, soft_deadline

    try:
        with soft_deadline(TYPE_SECONDS):
            return bool(judge(*args))
    except (SoftTimeout, Exception):
        return False


def compat_extract(output: str) -> str:
    """The first brace-matched `\\boxed{}` content (normalised), else the whole output."""
    match = re.search(r"\\boxed\{", output)
    if not match:
        return output
    depth, index = 1, match.end()
    while depth and index < len(output):
        depth += {"{": 1, "}": -1}.get(output[index], 0)
        index += 1
    if depth:
        return output
    content = output[match.end() : index - 1]
    return compat_normalize(content) if content else output


def compat_normalize(text: str) -> str:
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = re.sub(r"\\(?:mathrm|mathbf)\{~?([^}]*)\}", r"\1", text)
    text = re.sub(r"\\text\{(.*?)\}", r"\1", text)
    text = re.sub(r"\\textbf\{(.*?)\}", r"\1", text)
    text = re.sub(r"(frac)([^{])(.)", r"frac{\2}{\3}", text)
    text = re.sub(r"(sqrt)([^{])", r"sqrt{\2}", text)
    return text.strip().strip("$").strip()


def split_top_commas(text: str) -> list[str]:
    """Splits on commas outside ( ) and [ ] (upstream `split_by_comma`)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    if start < len(text):
        parts.append(text[start:].strip())
    return [part.strip("$").strip() for part in parts]


def _single_choice(pred: str, gold: Any) -> bool:
    if pred == gold:
        return True
    if pred.startswith("[") and pred.endswith("]"):
        pred = pred.strip("[]")
    return bool(pred) and pred[0] in UPPER and len(pred) > 1 and pred[1] == ":" and pred[0] == gold


def _multi_choice(pred: str, gold: Any) -> bool:
    """A gold *string* compares as the set of its characters, hence `Because` answering "B"."""
    if pred.startswith("[") and pred.endswith("]"):
        pred = pred.strip("[]")
    items = split_top_commas(pred)
    if len(items) != len(gold):
        return False
    if all(item in UPPER for item in items):
        return set(items) == set(gold)
    firsts = [next((char for char in item if char in UPPER), None) for item in items]
    return {letter for letter in firsts if letter} == set(gold)


def _true_false(pred: str, gold: Any) -> bool:
    if gold not in ("True", "False"):
        raise _Fail
    return pred == gold


def _expression(text: str) -> Node:
    """An upstream `parse_latex` stand-in: an expression tree, or _Fail for anything else."""
    from limkit.grade._parse import parse_answer

    node = parse_answer(text)
    if has_kind(node, _NOT_EXPRESSIONS):
        raise _Fail
    return node


def _value(node: Node) -> float:
    if has_kind(node, _SYMBOLIC):
        raise _Fail  # upstream: comparing an expression with symbols to a number raises
    from limkit.grade._sympy import to_sympy

    return float(to_sympy(node).evalf())


def _scientific(node: Node) -> tuple[float, float] | None:
    """(mantissa, exponent) of `a \\times 10^{b}`, else None."""
    if node.kind != "mul" or len(node.args) != 2:
        return None
    power = node.args[1]
    if power.kind != "pow" or power.args[0].kind != "num" or power.args[0].value != 10:
        return None
    return _value(node.args[0]), _value(power.args[1])


def _as_scientific(value: float) -> tuple[float, float]:
    mantissa, exponent = f"{value:.2e}".split("e")
    return float(mantissa), float(int(exponent))


def _numerical(pred: Any, gold: Any) -> bool:
    if pred == gold:
        return True
    try:
        if abs(float(pred) - float(gold)) <= ABS_TOLERANCE:
            return True
    except (TypeError, ValueError):
        pass
    if not isinstance(pred, str) or not isinstance(gold, str):
        raise _Fail
    left, right = _expression(pred), _expression(gold)
    if abs(_value(left) - _value(right)) <= ABS_TOLERANCE:
        return True
    first, second = _scientific(left), _scientific(right)
    if (first is None) != (second is None):
        first = first or _as_scientific(float(pred))
        second = second or _as_scientific(float(gold))
    if first is not None and second is not None:
        return first[1] == second[1] and abs(first[0] - second[0]) <= MANTISSA_TOLERANCE
    return False


def _set(pred: str, gold: Any) -> bool:
    if not isinstance(gold, list):
        raise _Fail
    items = split_top_commas(pred)
    if len(items) != len(gold):
        return False
    for wanted in gold:
        match = next((item for item in items if _quiet(_numerical, item, wanted)), None)
        if match is None:
            return False
        items.remove(match)
    return True


def _quiet(judge: Callable[[Any, Any], bool], pred: Any, gold: Any) -> bool:
    try:
        return judge(pred, gold)
    except Exception:
        return False


def _interval(pred: str, gold: Any) -> bool:
    def parts(text: str) -> list[tuple[list[str], str]]:
        found = []
        for piece in text.split("\\cup"):
            piece = piece.strip()
            kind = ("open" if piece.startswith("(") else "closed") + (
                "open" if piece.endswith(")") else "closed"
            )
            found.append((piece.strip("()[]").split(","), kind))
        return found

    left, right = parts(pred), parts(gold)
    if len(left) != len(right):
        return False
    for bounds, kind in left:
        match = next(
            (
                other
                for other in right
                if other[1] == kind
                and _expression_equal(bounds[0], other[0][0])
                and _expression_equal(bounds[1], other[0][1])
            ),
            None,
        )
        if match is None:
            return False
        right.remove(match)
    return True


def _expression_equal(pred: str, gold: Any) -> bool:
    """Upstream EX: the text after the first "="; structural equality, or numeric when symbol-free."""
    if not isinstance(gold, str):
        raise _Fail
    left = _expression(pred.split("=")[1] if "=" in pred else pred.strip())
    right = _expression(gold.split("=")[1] if "=" in gold else gold.strip())
    if left == right:
        return True
    left_symbolic, right_symbolic = has_kind(left, _SYMBOLIC), has_kind(right, _SYMBOLIC)
    if left_symbolic or right_symbolic:
        return False  # one-sided symbols: False; both: upstream's simplify check can never pass
    return abs(_value(left) - _value(right)) <= ABS_TOLERANCE


def _equation(pred: str, gold: Any) -> bool:
    """Exactly one "=" each; equal when lhs - rhs agree, or one is a non-zero integer multiple.

    Upstream simplifies with sympy's `simplify`; `cancel` settles the polynomial and rational cases first
    (the same verdicts, in milliseconds instead of seconds), and `simplify` is asked only when it cannot.
    """
    import sympy

    from limkit.grade._sympy import to_sympy

    def difference(text: str) -> Any:
        if not isinstance(text, str) or text.count("=") != 1:
            raise _Fail
        lhs, rhs = text.split("=")
        return to_sympy(_expression(lhs)) - to_sympy(_expression(rhs))

    first, second = difference(pred), difference(gold)
    for reduce in (sympy.cancel, sympy.simplify):
        if reduce(first - second) == 0:
            return True
        if any(
            (ratio := reduce(a / b)).is_Integer and ratio != 0 for a, b in ((first, second), (second, first))
        ):
            return True
    return False


def _tuple(pred: str, gold: Any) -> bool:
    if not isinstance(gold, str):
        raise _Fail
    left, right = split_top_commas(pred.strip("()")), split_top_commas(gold.strip("()"))
    return len(left) == len(right) and all(_numerical(a, b) for a, b in zip(left, right, strict=True))


def _multi(pred: str, gold: Any, types: list[str], ordered: bool) -> bool:
    if not isinstance(gold, list):
        raise _Fail
    items = [compat_normalize(item) for item in split_top_commas(pred)]
    golds = [compat_normalize(item) for item in gold]
    if len(items) != len(golds):
        return False
    if ordered:
        return all(JUDGES[types[i]](items[i], golds[i]) for i in range(len(items)))
    used = [False] * len(items)
    for position, wanted in enumerate(golds):
        judge = JUDGES[types[position]]
        match = next((j for j, item in enumerate(items) if not used[j] and _quiet(judge, item, wanted)), None)
        if match is None:
            return False
        used[match] = True
    return True


JUDGES: dict[str, Callable[[str, Any], bool]] = {
    "SC": _single_choice,
    "MC": _multi_choice,
    "TF": _true_false,
    "NV": _numerical,
    "SET": _set,
    "IN": _interval,
    "EX": _expression_equal,
    "EQ": _equation,
    "TUP": _tuple,
}
"""The per-type judges (upstream names); MPV and MA are `_multi` with and without order."""
