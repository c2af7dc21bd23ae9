"""One pair, start to finish, as pure functions shared by the calling process and the workers."""

from __future__ import annotations

import time

from limkit.grade._compare import Ctx, HeavyBackend, NeedsHeavy, seed_for
from limkit.grade._extract import (
    Found,
    has_prose,
    last_number,
    letter_list,
    locate_answer,
    locate_bool,
    locate_choice,
    looks_like_code,
    read_bool,
)
from limkit.grade._gold import Gold
from limkit.grade._match import match
from limkit.grade._nodes import LIMITS, Node, OverLimit, ParseError, render
from limkit.grade._parse import parse_answer
from limkit.grade._text import canonical_string, text_key
from limkit.grade._verdict import Verdict, verdict

_STRUCTURE = {
    "list": "multiple",
    "assign": "multiple",
    "set": "set",
    "rel": "relation",
    "tuple": "tuple",
    "interval": "interval",
    "union": "interval",
    "empty": "interval",
    "matrix": "matrix",
    "text": "text",
    "letter": "choice",
    "bool": "boolean",
    "alt": "scalar",
    "ratio": "ratio",
    "clock": "clock",
}


def locate_for(prediction: str, gold: Gold, require_box: bool) -> Found:
    """The answer to compare and its source, extracted the way the gold needs (letters, booleans, math;
    several boxes join only for a gold of several parts)."""
    if gold.answer_type == "multiple_choice" and gold.letters:
        return locate_choice(prediction, gold.letters, require_box=require_box)
    if gold.answer_type == "true_false":
        return locate_bool(prediction, require_box=require_box)
    return locate_answer(prediction, require_box=require_box, multipart=gold.multipart)


def extract_for(prediction: str, gold: Gold, require_box: bool) -> str | None:
    """The answer to compare (see `locate_for`)."""
    return locate_for(prediction, gold, require_box).answer


def _outcome(gold: Gold, extracted: str, correct: bool, comparator: str, pred: str | None) -> Verdict:
    gold_norm = render(gold.node) if gold.node is not None else gold.answer
    return verdict(
        "correct" if correct else "incorrect", extracted, gold_norm, pred, comparator, gold.answer_type
    )


def _special_types(extracted: str, gold: Gold) -> Verdict | None:
    node = gold.node
    if node is None:
        return None
    if node.kind == "letter":
        return _outcome(gold, extracted, extracted.strip() == node.value, "choice:letter", extracted.strip())
    if node.kind == "bool":
        flag = read_bool(extracted)
        return _outcome(
            gold, extracted, flag is node.value, "boolean:letter", None if flag is None else str(flag)
        )
    if gold.answer_type == "multiple_select":
        chosen = "".join(sorted(set(char for char in extracted if char.isupper() and char.isalpha())))
        return _outcome(gold, extracted, chosen == node.value, "choice:letters", chosen)
    letters = letter_list(gold.answer) if gold.answer_type not in ("text", "free_form") else None
    if letters is not None and len(letters) > 1:
        picked = letter_list(extracted)
        if picked is not None:  # several choice letters (`BD`, `B, D`): `\boxed{[B, D]}` answers them
            return _outcome(gold, extracted, picked == letters, "choice:letters", picked)
    if gold.answer_type in ("text", "free_form") and text_key(extracted) == text_key(gold.answer):
        return _outcome(gold, extracted, True, "text:text", text_key(extracted))
    return None


def _parse_prediction(extracted: str, gold: Gold) -> Node | None:
    """The prediction's tree; an unreadable answer in prose (`just about 1`) falls back to its last number
    when the gold is not text. Unreadable math (`2 3`) and program text get no second reading."""
    try:
        return parse_answer(extracted, LIMITS)
    except ParseError:
        pass
    if gold.node is None or gold.node.kind in ("text", "letter"):
        return None
    if looks_like_code(extracted) or not has_prose(extracted):
        return None
    number = last_number(extracted)
    if number is None:
        return None
    try:
        return parse_answer(number.content, LIMITS)
    except ParseError:
        return None


LIGHT_SECONDS = 0.5


def compare(extracted: str, gold: Gold, heavy: HeavyBackend | None = None) -> Verdict:
    """Compares an extracted answer with a prepared gold.

    Raises:
        NeedsHeavy: (light mode only) the pair needs a worker's numeric/symbolic backend.
    """
    if gold.canon and canonical_string(extracted) == gold.canon:
        return _outcome(gold, extracted, True, "string:string", gold.canon)
    if gold.node is None:
        status = "over_limit" if gold.error == "over_limit" else "unparseable_gold"
        return verdict(status, extracted, gold.answer, None, "none", gold.answer_type)
    special = _special_types(extracted, gold)
    if special is not None:
        return special
    try:
        pred = _parse_prediction(extracted, gold)
    except OverLimit:
        return verdict("over_limit", extracted, render(gold.node), None, "limits", gold.answer_type)
    if pred is None:
        correct = gold.node.kind == "text" and text_key(extracted) == text_key(str(gold.node.value))
        return _outcome(gold, extracted, correct, "text:text" if correct else "parse:none", None)
    ctx = Ctx(
        heavy=heavy, seed=seed_for(gold.answer, extracted), answer_type=gold.requested, pred_text=extracted
    )
    if heavy is None:
        ctx.deadline = time.monotonic() + LIGHT_SECONDS
    try:
        correct = match(gold.node, pred, ctx)
    except OverLimit:
        return verdict("over_limit", extracted, render(gold.node), render(pred), "limits", gold.answer_type)
    structure = _STRUCTURE.get(gold.node.kind, "scalar")
    return _outcome(gold, extracted, correct, f"{structure}:{ctx.decisive()}", render(pred))


def compare_light(extracted: str, gold: Gold) -> Verdict | None:
    """The in-process attempt: a Verdict (without timing), or None when the pair must go to a worker."""
    try:
        return compare(extracted, gold, None)
    except NeedsHeavy:
        return None
