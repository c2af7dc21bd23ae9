"""Reading gold answers in every form they come in, and inferring the answer type from them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from limkit.grade._extract import _CUE, extract_answer, is_sentence, last_box_group, letter_in, read_bool
from limkit.grade._nodes import LIMITS, SCALAR_KINDS, Node, OverLimit, ParseError, free_symbols, has_kind
from limkit.grade._parse import assigned_value, label_of, parse_answer
from limkit.grade._text import canonical_string, clean_answer, collapse_doubled_backslashes
from limkit.grade._types import canonical_type

_MC_GOLD = re.compile(r"^\(?([A-Z])\)?(?:[.)]\s*.*|\s+[A-Z][a-z].*|\s*)$", re.DOTALL)
_MC_TEXT = re.compile(r"^\\(?:text|textbf|mathrm|mbox)\s*\{\s*\(?([A-Z])\)?\s*\}$")
_ONE_DIGIT_AFTER_COMMA = re.compile(r",\s*\d\s*\$?\s*$")
_BOOL_WORDS = frozenset({"true", "false", "yes", "no"})
LONG_GOLD = 200


@dataclass(frozen=True)
class Gold:
    """A gold answer ready for comparison.

    Attributes:
        answer: the gold answer text after unwrapping boxes, lists and delimiters.
        node: its parse tree (None when it could not be read).
        error: why it could not be read (`unparseable` or `over_limit`), else None.
        answer_type: the canonical answer type (explicit, or inferred from the gold).
        requested: the canonical type the caller asked for (None = inferred).
        letters: the choice letters for multiple-choice golds.
        canon: canonical string of the answer for the string fast path.
        multipart: the gold has several parts (a list, an assignment group, a set or tuple, a `\\pm`),
            so several boxes in a prediction may together answer it.
    """

    answer: str
    node: Node | None
    error: str | None
    answer_type: str
    requested: str | None
    letters: str | None
    canon: str
    multipart: bool = False


def python_list(text: str) -> list[str] | None:
    """Reads a Python list of string literals such as `"['2']"` or `"['$1$', '$2$']"` without eval."""
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")) or len(stripped) < 4:
        return None
    inner = stripped[1:-1].strip()
    items: list[str] = []
    index = 0
    while index < len(inner):
        quote = inner[index]
        if quote not in "'\"":
            return None
        end = index + 1
        chunk: list[str] = []
        while end < len(inner) and inner[end] != quote:
            if inner[end] == "\\" and end + 1 < len(inner) and inner[end + 1] in (quote, "\\"):
                end += 1
            chunk.append(inner[end])
            end += 1
        if end >= len(inner):
            return None
        items.append("".join(chunk))
        rest = inner[end + 1 :].lstrip()
        if rest and not rest.startswith(","):
            return None
        index = len(inner) - len(rest[1:].lstrip()) if rest else len(inner)
    return items or None


def unwrap_gold(gold: str) -> str:
    r"""The answer inside a gold string: the last box group, the stated answer of a solution, or itself."""
    text = collapse_doubled_backslashes(gold).strip()
    if "\\boxed" in text or "\\fbox" in text:
        box = last_box_group(text)
        if box is not None:
            return box.content
    if _CUE.search(text) or (len(text) > LONG_GOLD and is_sentence(text)):
        found = extract_answer(text)
        if found:
            return found
    return text


def _join_list(items: Sequence[str]) -> str:
    answers = [unwrap_gold(item) for item in items if str(item).strip()]
    return (
        answers[0] if len(answers) == 1 else " , ".join(f"{{{clean_answer(answer)}}}" for answer in answers)
    )


def _letters_up_to(letter: str) -> str:
    return "".join(chr(code) for code in range(ord("A"), max(ord(letter), ord("D")) + 1))


def _choice_letter(answer: str) -> str | None:
    cleaned = answer.replace("$", "").strip()
    match = _MC_TEXT.match(cleaned) or _MC_GOLD.match(cleaned)
    return match.group(1) if match else None


def infer_type(node: Node) -> str:
    """The answer type a parsed gold implies (`integer`, `fraction`, `tuple`, `equation`, ...)."""
    kind = node.kind
    if kind == "neg":
        return infer_type(node.args[0])
    if kind == "num":
        if node.meta is not None and node.value.denominator != 1:
            return "decimal"
        return "integer" if node.value.denominator == 1 else "fraction"
    if kind == "div" and all(arg.kind == "num" for arg in node.args):
        return "fraction"
    simple = {
        "pct": "percentage",
        "deg": "number_with_unit",
        "unit": "number_with_unit",
        "tuple": "tuple",
        "interval": "interval",
        "union": "interval",
        "empty": "set",
        "set": "set",
        "list": "multiple_answers",
        "assign": "multiple_answers",
        "pm": "multiple_answers",
        "matrix": "matrix",
        "text": "text",
        "letter": "multiple_choice",
        "bool": "true_false",
        "basenum": "integer",
        "ratio": "numeric_expression",
        "clock": "number_with_unit",
    }
    if kind in simple:
        return simple[kind]
    if kind == "alt":
        return infer_type(node.args[-1])
    if kind == "rel":
        return "equation" if all(op == "=" for op in node.value) else "inequality"
    return "expression" if free_symbols(node) else "numeric_expression"


def _special(answer: str, requested: str | None) -> tuple[Node | None, str | None, str | None]:
    """Golds that are letters or booleans: (node, inferred type, letters)."""
    letter = _choice_letter(answer) if requested in (None, "multiple_choice") else None
    if letter is None and requested == "multiple_choice":
        letter = letter_in(answer, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if letter is not None:
        return Node("letter", (), letter), "multiple_choice", _letters_up_to(letter)
    if requested == "multiple_select":
        letters = "".join(sorted(set(re.findall(r"[A-Z]", answer.replace("\\text", "")))))
        return (Node("text", (), letters), "multiple_select", None) if letters else (None, None, None)
    flag = read_bool(answer)
    if flag is not None and (requested == "true_false" or answer.strip().strip(".").lower() in _BOOL_WORDS):
        return Node("bool", (), flag), "true_false", None
    return None, None, None


def _parse_gold(answer: str, requested: str | None) -> tuple[Node | None, str | None]:
    try:
        node = parse_answer(answer, LIMITS)
    except OverLimit:
        return None, "over_limit"
    except ParseError:
        if requested in ("text", "free_form"):
            return Node("text", (), clean_answer(answer)), None
        return None, "unparseable"
    if node.kind == "alt" and node.meta == "decimal_comma" and _ONE_DIGIT_AFTER_COMMA.search(answer):
        node = node.args[0]  # a gold `-2,1` is the list of roots: `-2.1` never answers it
    if requested == "interval" and node.kind == "tuple" and node.meta == "paren2":
        node = Node("interval", node.args, (False, False))
    return node, None


@lru_cache(maxsize=50_000)
def prepare_gold(gold: str | tuple[str, ...], answer_type: str | None) -> Gold:
    """Unwraps, classifies and parses a gold answer (cached: benchmarks repeat golds across samples).

    Raises:
        ValueError: `answer_type` is not a known answer type.
    """
    requested = canonical_type(answer_type)
    if isinstance(gold, tuple):
        answer = _join_list(gold)
    else:
        items = python_list(gold)
        answer = _join_list(items) if items is not None else unwrap_gold(gold)
    canon = canonical_string(answer)
    node, inferred, letters = _special(answer, requested)
    error = None
    if node is None:
        node, error = _parse_gold(answer, requested)
        inferred = infer_type(node) if node is not None else "unknown"
    answer_type = requested or inferred or "unknown"
    several = answer_type in MULTIPART_TYPES or (node is not None and has_parts(node))
    return Gold(answer, node, error, answer_type, requested, letters, canon, several)


#: Answer types whose answers have several parts, whatever the gold looks like.
MULTIPART_TYPES = frozenset({"multiple_answers", "ordered_answers", "multiple_select", "set", "tuple"})


def has_parts(node: Node) -> bool:
    """Whether a gold is several answers: `1, -2`, `x = 1, y = 2`, `\\{1, 2\\}`, `(3, 4)`, `\\pm 5`."""
    if node.kind in ("list", "assign", "tuple", "pm"):
        return True
    if node.kind == "rel" and label_of(node) is not None:
        return has_parts(assigned_value(node))  # `x \\in \\{1, 2\\}`
    if node.kind in ("set", "alt"):
        return len(node.args) > 1 if node.kind == "set" else any(has_parts(arg) for arg in node.args)
    return node.kind in SCALAR_KINDS and has_kind(node, frozenset({"pm"}))
