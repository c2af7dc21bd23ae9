"""Differential-diagnosis analysis of option-free runs: is the gold in the model's differential?

Part 3 (arXiv 2501.06458, Figs. 6-8) shows its LongMonolog model, with the options removed, listing
candidate conditions and narrowing them down (hypothetico-deductive reasoning). This reads the
candidate list out of each stored completion with a parser (no model call) and reports how often the
gold is among the candidates, at which rank, and whether the final answer is the top candidate.

Parser: the list that follows a line naming a differential ("differential", "possible diagnoses",
"candidates", "could be", "consider"), else the first list in the completion; list items are lines
starting with "1." / "1)" / "-" / "*" / a bullet, and an item keeps its text up to the first ":", " - ",
"(" or ",". Matching a candidate (or the final answer) to the gold: after lower-casing and dropping
punctuation and filler words ("acute", "the", "of", ...), the two are equal, one contains the other,
or their word sets overlap by at least half (Jaccard >= 0.5). Rules, not a judge: paraphrases with no
shared words are missed, so "in differential" is a lower bound.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_HEADING = re.compile(
    r"differential|possible (?:diagnos[ie]s|causes|explanations|conditions)|candidates?|could be|consider",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+(?P<text>\S.*)$")
_CUT = re.compile(r"\s*(?::|\s-\s|\s\u2013\s|\(|,|;|\*\*$)")
_WORD = re.compile(r"[a-z0-9]+")
_FILLER = frozenset(
    {"the", "a", "an", "of", "with", "and", "or", "due", "to", "in", "acute", "chronic", "likely"}
)
JACCARD_MATCH = 0.5


def candidate_list(completion: str) -> list[str]:
    """The candidates of the completion's differential, in the order written (empty when none)."""
    lines = completion.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if _HEADING.search(line) and not _ITEM.match(line)]
    for start in [*starts, 0]:
        items = _list_from(lines, start)
        if items:
            return items
    return []


def _list_from(lines: Sequence[str], start: int) -> list[str]:
    """The first run of list items at or after `start` (blank lines inside the run are allowed)."""
    items: list[str] = []
    for line in lines[start:]:
        match = _ITEM.match(line)
        if match:
            name = _CUT.split(match.group("text").strip().strip("*").strip(), maxsplit=1)[0].strip(" .*")
            if name:
                items.append(name)
        elif items and line.strip():
            break
    return items


def words(text: str) -> frozenset[str]:
    return frozenset(word for word in _WORD.findall(text.lower()) if word not in _FILLER)


def same_condition(candidate: str, gold: str) -> bool:
    """Whether a candidate names the gold (see the module docstring for the rule)."""
    left, right = words(candidate), words(gold)
    if not left or not right:
        return False
    joined_left, joined_right = " ".join(sorted(left)), " ".join(sorted(right))
    if joined_left == joined_right or left <= right or right <= left:
        return True
    return len(left & right) / len(left | right) >= JACCARD_MATCH


def gold_rank(candidates: Sequence[str], gold: str) -> int | None:
    """1-based rank of the first candidate naming the gold, or None."""
    return next(
        (i for i, candidate in enumerate(candidates, start=1) if same_condition(candidate, gold)), None
    )


def differential_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per task: share of samples with a differential, gold in it, its rank, final answer = top candidate."""
    with_list, in_list, final_top, final_top_correct = 0, 0, 0, 0
    ranks: list[int] = []
    for row in rows:
        candidates = candidate_list(str(row.get("completion") or ""))
        if not candidates:
            continue
        with_list += 1
        rank = gold_rank(candidates, str(row.get("gold") or ""))
        if rank is not None:
            in_list += 1
            ranks.append(rank)
        final = row.get("extracted")
        if final and same_condition(candidates[0], str(final)):
            final_top += 1
            final_top_correct += bool(row.get("correct"))
    total = len(rows)
    histogram = {str(rank): ranks.count(rank) for rank in sorted(set(ranks))}
    return {
        "samples": total,
        "with_differential": with_list,
        "with_differential_share": with_list / total if total else 0.0,
        "gold_in_differential": in_list,
        "gold_in_differential_share": in_list / with_list if with_list else 0.0,
        "gold_rank_mean": sum(ranks) / len(ranks) if ranks else None,
        "gold_rank_counts": histogram,
        "final_is_top": final_top,
        "final_is_top_share": final_top / with_list if with_list else 0.0,
        "accuracy_when_final_is_top": final_top_correct / final_top if final_top else None,
        "accuracy": sum(bool(row.get("correct")) for row in rows) / total if total else 0.0,
    }


def is_option_free(rows: Sequence[dict[str, Any]]) -> bool:
    """Rows of an option-free (or any free-form) task: the gold is text graded as OT."""
    return bool(rows) and all(row.get("task_answer_type") == "OT" for row in rows)
