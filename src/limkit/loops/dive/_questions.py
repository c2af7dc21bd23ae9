"""Questions with gold answers, and grading responses against them with `limkit.grade`.

GSM8K-style (`answer_format: gsm8k`, the paper's check): the answer is the text after the last "####"
of a response; the gold is the text after "####" of the gold solution (or the whole gold when it has
none). Commas and a leading "$" are dropped from both, then `limkit.grade` compares them. A response
with no "####" has no answer and is incorrect. `answer_format: boxed` grades the last `\\boxed{}` (MATH).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.data import read_jsonl
from limkit.errors import LimkitError
from limkit.loops.dive._config import DiveConfig

DEFAULT_FIELDS = {"id": "id", "problem": "question", "answer": "answer"}
_HASHES = re.compile(r"####\s*([^\n]*)")


@dataclass(frozen=True)
class Question:
    id: str
    problem: str
    gold: str


def hash_answer(text: str) -> str | None:
    """The text after the last "####", cleaned of commas and a dollar sign; None when there is none."""
    found = _HASHES.findall(text)
    if not found:
        return None
    answer = found[-1].strip().replace(",", "").lstrip("$").strip()
    return answer or None


def load_questions(config: DiveConfig, which: str) -> list[Question]:
    """The `data.train` or `data.eval` questions; one without a gold answer is an error naming its line."""
    path = Path(config.data.train if which == "train" else config.data.eval)
    field_name = f"data.{which}"
    if not path.is_file():
        raise LimkitError("questions file not found", path=path, field=field_name)
    fields = {**DEFAULT_FIELDS, **config.data.fields}
    if "problem" not in config.data.fields:
        fields["problem"] = _problem_column(path)
    questions: list[Question] = []
    seen: set[str] = set()
    for line, row in read_jsonl(path):
        qid = str(row.get(fields["id"], f"line-{line}"))
        problem, gold = row.get(fields["problem"]), row.get(fields["answer"])
        if not isinstance(problem, str) or not problem.strip():
            raise LimkitError("missing or empty question text", path=path, line=line, field=fields["problem"])
        if gold is None or not str(gold).strip():
            raise LimkitError(
                f"question without a gold answer (every {field_name} question needs one to label responses)",
                path=path,
                line=line,
                field=fields["answer"],
            )
        if qid in seen:
            raise LimkitError(f"duplicate question id {qid!r}", path=path, line=line, field=fields["id"])
        seen.add(qid)
        gold_text = str(gold)
        if config.answer_format == "gsm8k":
            gold_text = hash_answer(gold_text) or gold_text.strip()
        questions.append(Question(qid, problem, gold_text))
    limit = config.data.limit if which == "train" else config.data.eval_limit
    questions = questions[:limit] if limit else questions
    if not questions:
        raise LimkitError("no questions", path=path, field=field_name)
    return questions


def _problem_column(path: Path) -> str:
    for _, row in read_jsonl(path):
        return "question" if "question" in row else "problem"
    return "question"


def grade_responses(
    config: DiveConfig, questions: dict[str, Question], completions: Sequence[Any], iteration: int
) -> list[dict[str, Any]]:
    """One graded row per completion: the pair builder's and the metrics' input."""
    from limkit.grade import GradeItem, default_grader

    items, answers = [], []
    for completion in completions:
        gold = questions[completion.request_id].gold
        if config.answer_format == "gsm8k":
            answer = hash_answer(completion.text)
            answers.append(answer)
            items.append(GradeItem(answer or "", gold))
        else:
            answers.append(None)
            items.append(GradeItem(completion.text, gold, None, True))
    verdicts = default_grader().grade_many(items)
    rows = []
    for completion, answer, verdict in zip(completions, answers, verdicts, strict=True):
        no_answer = config.answer_format == "gsm8k" and answer is None
        rows.append(
            {
                "id": completion.request_id,
                "iteration": iteration,
                "sample": completion.sample,
                "completion": completion.text,
                "finish_reason": completion.finish_reason,
                "correct": bool(verdict.correct) and not no_answer,
                "status": "no_answer" if no_answer else verdict.status,
                "extracted": answer if config.answer_format == "gsm8k" else verdict.extracted,
                "normalized": None if no_answer else verdict.pred_normalized,
            }
        )
    return rows
