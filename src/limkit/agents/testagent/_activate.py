"""Activating a static benchmark: each QA item becomes a Benchmark+ item whose key points come from the gold
answer and the explanation (TestAgent's second use case; the conversion rules here are limkit's own).

- Source chunks: the gold answer (`ID#gold`) and, when the sample has one, its explanation
  (`ID#explanation`).
- Key points: "the answer is GOLD" (weight 1/2, dimension correctness), then up to `max_points - 1`
  explanation sentences of 6 to 60 words in source order (sharing the other half, dimension reasoning).
- Each point is checked as supported by the chunk it cites: at least 90% of its content words occur in
  that chunk (points are source sentences, so this catches only extraction slips); failing points drop.
- Difficulty 3 and seed type "reasoning" for every item: a static benchmark carries no difficulty label.
"""

from __future__ import annotations

import re
from typing import Any

from limkit.agents.testagent._build import new_item, normalise_weights
from limkit.retrieve import tokenize
from limkit.tasks import Task, TaskSample

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
ACTIVATION_DIMENSIONS = [
    {"name": "correctness", "description": "Reaches the gold answer."},
    {"name": "reasoning", "description": "Gives the reasons the benchmark's explanation gives."},
]
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "for",
        "with",
        "as",
        "at",
        "that",
        "this",
        "it",
    ]
)


def gold_text(sample: TaskSample) -> str:
    """The gold answer as words: a multiple-choice letter becomes its option's text."""
    choices = sample.metadata.get("choices")
    if isinstance(choices, list) and len(sample.answer) == 1 and sample.answer.isalpha():
        number = ord(sample.answer.upper()) - ord("A")
        if 0 <= number < len(choices):
            return str(choices[number])
    return sample.answer


def seed_question(sample: TaskSample) -> str:
    options = sample.metadata.get("options")
    if isinstance(options, dict) and options:
        return sample.problem + "\n" + "\n".join(f"{key}. {value}" for key, value in sorted(options.items()))
    choices = sample.metadata.get("choices")
    if isinstance(choices, list) and choices:
        return sample.problem + "\n" + "\n".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices))
    return sample.problem


def supported_lexically(point: str, source: str) -> bool:
    words = [word for word in tokenize(point) if word not in STOPWORDS]
    present = set(tokenize(source))
    return bool(words) and sum(word in present for word in words) >= 0.9 * len(words)


def _explanation_points(explanation: str, limit: int) -> list[str]:
    sentences = [s.strip() for s in SENTENCE_END.split(explanation.replace("\n", " ")) if s.strip()]
    return [s for s in sentences if 6 <= len(s.split()) <= 60][:limit]


def activate_sample(
    sample: TaskSample, task: Task, domain: str, max_points: int = 4
) -> dict[str, Any] | None:
    """The Benchmark+ item of one sample, or None when none of its key points is supported."""
    gold = gold_text(sample)
    chunks = [
        {
            "chunk_id": f"{sample.id}#gold",
            "doc_id": sample.id,
            "source": task.source,
            "text": f"Correct answer: {gold}",
        }
    ]
    points: list[dict[str, Any]] = [
        {"point": f"The answer is {gold}", "weight": 0.5, "dimension": "correctness", "chunk": chunks[0]}
    ]
    explanation = sample.metadata.get("explanation")
    if isinstance(explanation, str) and explanation.strip():
        chunks.append(
            {
                "chunk_id": f"{sample.id}#explanation",
                "doc_id": sample.id,
                "source": task.source,
                "text": explanation.strip(),
            }
        )
        sentences = _explanation_points(explanation, max_points - 1)
        for sentence in sentences:
            points.append(
                {
                    "point": sentence,
                    "weight": 0.5 / len(sentences),
                    "dimension": "reasoning",
                    "chunk": chunks[1],
                }
            )
    kept = [
        {
            "id": f"kp{number}",
            "point": p["point"],
            "weight": p["weight"],
            "dimension": p["dimension"],
            "chunk_ids": [p["chunk"]["chunk_id"]],
            "supported": True,
            "checked_by": "lexical",
        }
        for number, p in enumerate(points, start=1)
        if supported_lexically(p["point"], p["chunk"]["text"])
    ]
    if not kept:
        return None
    question = {
        "question": seed_question(sample),
        "reference_answer": gold,
        "question_type": "reasoning",
        "difficulty": 3,
    }
    metadata = {
        "generator_model": f"activation:{task.name}",
        "origin": "task",
        "task": task.name,
        "task_source": task.source,
    }
    return new_item(
        f"{task.name}-{sample.id}",
        domain,
        chunks,
        question,
        ACTIVATION_DIMENSIONS,
        normalise_weights(kept),
        metadata,
    )


def activate_task(task: Task, domain: str, max_points: int = 4) -> tuple[list[dict[str, Any]], list[str]]:
    """(items, ids of samples dropped because no key point survived)."""
    items, dropped = [], []
    for sample in task.samples:
        item = activate_sample(sample, task, domain, max_points)
        if item is None:
            dropped.append(sample.id)
        else:
            items.append(item)
    return items, dropped


def load_task_for_activation(name: str, data_dir: str | None, limit: int | None) -> Task:
    """A registered task (from `data_dir` when given), or `DATA_DIR/NAME.jsonl` / a file read as a local task
    with its explanation and options kept as metadata."""
    from pathlib import Path

    from limkit.tasks import TASKS, data_file, load_task

    if name in TASKS:
        return load_task(name, data_dir=data_dir, limit=limit)
    path = Path(name) if Path(name).suffix else data_file(name, data_dir or ".")
    return load_task(path, limit=limit, fields={"metadata": ["explanation", "options"]})
