"""The verdict every grading call returns, and the unit of work a batch is made of."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, NamedTuple

Status = Literal["correct", "incorrect", "no_answer", "unparseable_gold", "timeout", "over_limit"]

STATUSES: tuple[str, ...] = ("correct", "incorrect", "no_answer", "unparseable_gold", "timeout", "over_limit")


@dataclass(frozen=True)
class Verdict:
    """The outcome of grading one (prediction, gold) pair, with enough provenance to audit it.

    Attributes:
        correct: True only when `status == "correct"`.
        status: why: `correct`, `incorrect`, `no_answer` (nothing could be extracted), `unparseable_gold`
            (the gold answer could not be read, so the pair says nothing about the model), `timeout`
            (the pair ran out of its wall-clock budget) or `over_limit` (an input exceeded a safety limit
            before any algebra ran).
        extracted: the answer text taken from the prediction (None when nothing was found).
        gold_normalized: the gold answer as the grader understood it.
        pred_normalized: the extracted answer as the grader understood it.
        comparator: which comparison decided (for example `string`, `exact`, `tuple:numeric`).
        answer_type: the answer type used (given explicitly or inferred from the gold).
        seconds: wall-clock time spent on this pair (waiting for a worker to start is not counted).
        source: where the answer was found in the prediction: `box`, `cue` (an answer phrase), `bold`,
            `whole` (the prediction is the answer itself), `fallback` (the last number or math span, or a
            lone letter) or `none` (nothing found).
    """

    correct: bool
    status: str
    extracted: str | None
    gold_normalized: str | None
    pred_normalized: str | None
    comparator: str
    answer_type: str
    seconds: float
    source: str = "none"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with exactly the verdict's fields."""
        return asdict(self)


def verdict(
    status: str,
    extracted: str | None,
    gold_normalized: str | None,
    pred_normalized: str | None,
    comparator: str,
    answer_type: str,
    seconds: float = 0.0,
    source: str = "none",
) -> Verdict:
    """A Verdict whose `correct` follows from its status (timing is added by the Grader)."""
    return Verdict(
        status == "correct",
        status,
        extracted,
        gold_normalized,
        pred_normalized,
        comparator,
        answer_type,
        seconds,
        source,
    )


class GradeItem(NamedTuple):
    """One pair to grade in a batch: a model output (or bare answer) and the gold answer.

    `gold` may be a list of answers (OlympiadBench `final_answer`): every one must be given.
    """

    prediction: str
    gold: str | list[str]
    answer_type: str | None = None
    require_box: bool = False
    letters: str | None = None
    """For a multiple-choice gold: the letters this question offers (`ABCDE` for five options). By
    default the gold implies them: A-D, or up to the gold's own letter when it is later."""
