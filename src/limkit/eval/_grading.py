"""Grading completions into sample rows: the one grader (`limkit.grade`) in a bounded worker pool, and an
optional LLM judge for answers the symbolic grader cannot decide.

The judge is consulted only for samples whose answer type is OT (free-form), or whose gold the grader
could not read (`unparseable_gold`), when the completion did contain an answer and the rules did not
already accept it (as `LLMJudge` does with `rules_first`). It sees the gold and the
extracted answer only. Its decision becomes the row's `correct` and `status`, with `comparator: judge`
and `judged: true`; an unclear reply leaves the grader's verdict in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from limkit.tasks import Task, TaskSample, choice_letters

if TYPE_CHECKING:
    from limkit.grade import GradeItem, Verdict

JUDGED_STATUSES = frozenset({"unparseable_gold"})
JUDGED_TYPES = frozenset({"OT", "free_form"})


@dataclass(frozen=True)
class Graded:
    """A completion waiting to be graded, with everything its row needs."""

    task: Task
    sample: TaskSample
    index: int
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    budget: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


JudgeFn = Callable[[list[tuple[str, str]]], list[bool | None]]
"""(gold, extracted answer) pairs in, True/False (or None: no clear verdict) out."""


def grade_item(pending: Graded, require_box: bool | None) -> GradeItem:
    from limkit.grade import GradeItem

    box = pending.task.spec.require_box if require_box is None else require_box
    sample = pending.sample
    return GradeItem(pending.text, sample.answer, sample.answer_type, box, choice_letters(sample))


def needs_judge(verdict: Verdict) -> bool:
    """Free-form or unreadable-gold answers that the rules did not already accept."""
    if verdict.extracted is None or verdict.correct:
        return False
    return verdict.answer_type in JUDGED_TYPES or verdict.status in JUDGED_STATUSES


def build_rows(
    batch: Sequence[Graded], verdicts: Sequence[Verdict], judge: JudgeFn | None = None
) -> list[dict[str, Any]]:
    """Sample rows for a graded batch, consulting the judge where the grader cannot decide."""
    judged = judge_decisions([item.sample.answer for item in batch], verdicts, judge)
    return [
        _row(item, verdict, judged.get(i))
        for i, (item, verdict) in enumerate(zip(batch, verdicts, strict=True))
    ]


def judge_decisions(
    golds: Sequence[str], verdicts: Sequence[Verdict], judge: JudgeFn | None
) -> dict[int, bool]:
    """The judge's decisions, by position, for the verdicts that need one."""
    if judge is None:
        return {}
    wanted = [i for i, verdict in enumerate(verdicts) if needs_judge(verdict)]
    if not wanted:
        return {}
    decisions = judge([(golds[i], verdicts[i].extracted or "") for i in wanted])
    return {i: decision for i, decision in zip(wanted, decisions, strict=True) if decision is not None}


def _row(item: Graded, verdict: Verdict, judged: bool | None) -> dict[str, Any]:
    row: dict[str, Any] = {"task": item.task.name, "id": item.sample.id, "sample": item.index}
    if item.budget is not None:
        row["budget"] = item.budget
    row.update(
        prompt=item.task.messages(item.sample),
        completion=item.text,
        gold=item.sample.answer,
        task_answer_type=item.sample.answer_type,
    )
    letters = choice_letters(item.sample)
    if letters:
        row["choice_letters"] = letters  # so a rescore reads an `E` of a five-option question
    row.update(grading_fields(verdict, judged))
    row.update(
        finish_reason=item.finish_reason,
        prompt_tokens=item.prompt_tokens,
        completion_tokens=item.completion_tokens,
    )
    row.update(item.extra)
    return row


def grading_fields(verdict: Verdict, judged: bool | None) -> dict[str, Any]:
    """The row fields a grade decides (all that a rescore may change)."""
    fields: dict[str, Any] = {
        "extracted": verdict.extracted,
        "normalized": verdict.pred_normalized,
        "correct": verdict.correct,
        "status": verdict.status,
        "answer_type": verdict.answer_type,
        "comparator": verdict.comparator,
        "answer_source": verdict.source,
        "judged": judged is not None,
    }
    if judged is not None:
        fields.update(correct=judged, status="correct" if judged else "incorrect", comparator="judge")
    return fields


def regrade_row(row: dict[str, Any], verdict: Verdict, judged: bool | None) -> dict[str, Any]:
    """A stored row with its grading fields replaced (everything generated is kept as it was)."""
    return {**row, **grading_fields(verdict, judged)}
