"""Where the questions come from: a public hub dataset at a pinned revision, or a local JSONL file.

The pins were read in public code that loads the same datasets (never invented):
nq_open `google-research-datasets/nq_open@5dd9790a...` and StrategyQA `ChilleD/StrategyQA@70556263...`.
"""

from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError


@dataclass(frozen=True)
class HubSource:
    hub_id: str
    revision: str
    subset: str | None
    split: str


SOURCES = {
    "nq_open": HubSource(
        "google-research-datasets/nq_open",
        "5dd9790a83002ad084ddeb7c420dc716852c6f28",
        "nq_open",
        "validation",
    ),
    "strategyqa": HubSource("ChilleD/StrategyQA", "705562638fe1d8ca6bb98c66fc8f94d45fda8c83", None, "train"),
}


@dataclass(frozen=True)
class Question:
    """An open-domain question with its acceptable gold answers."""

    id: str
    question: str
    answers: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "answers": list(self.answers)}


@dataclass(frozen=True)
class Decomposed:
    """A yes/no question with the facts that decide it (StrategyQA)."""

    id: str
    question: str
    answer: bool
    facts: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["facts"] = list(self.facts)
        return data


def read_rows(source: str) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """Rows of a local JSON/JSONL/Parquet file, or of a named hub source at its pinned revision."""
    path = Path(source).expanduser()
    if path.is_file():
        from limkit.data import read_records

        return read_records(path), str(path)
    if source not in SOURCES:
        raise LimkitError(
            f"not a file and not a known source (choose a local JSONL or one of {', '.join(SOURCES)})",
            path=source,
            field="input",
        )
    return _hub_rows(SOURCES[source]), f"{SOURCES[source].hub_id}@{SOURCES[source].revision}"


def _hub_rows(hub: HubSource) -> list[tuple[int, dict[str, Any]]]:
    import datasets

    try:
        dataset = datasets.load_dataset(hub.hub_id, name=hub.subset, split=hub.split, revision=hub.revision)
    except Exception as error:  # offline, gated, moved: one clear line
        raise LimkitError(
            f"cannot load it from the hub ({type(error).__name__}); pass a local JSONL with --input",
            path=f"{hub.hub_id}@{hub.revision}",
            field="input",
        ) from None
    return [(index, dict(row)) for index, row in enumerate(dataset, start=1)]


def load_questions(source: str) -> list[Question]:
    """Open-domain QA rows: `question` and `answer` (a list of strings, or one string); `id` optional."""
    rows, where = read_rows(source)
    questions = []
    for line, row in rows:
        text, answers = row.get("question"), row.get("answer", row.get("answers"))
        if isinstance(answers, dict):  # ComplexWebQuestions-style {"answer": [...]}
            answers = answers.get("answer")
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(text, str) or not text.strip():
            raise LimkitError("expected a non-empty string", path=where, line=line, field="question")
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
            raise LimkitError("expected a non-empty list of strings", path=where, line=line, field="answer")
        questions.append(Question(str(row.get("id", f"q{line}")), text.strip(), tuple(answers)))
    return questions


def load_decomposed(source: str, fact_counts: tuple[int, ...] = (3, 4)) -> list[Decomposed]:
    """StrategyQA rows (`qid`, `question`, `answer`, `facts`) whose fact count is in `fact_counts`."""
    rows, where = read_rows(source)
    kept = []
    for line, row in rows:
        facts = row.get("facts")
        if isinstance(facts, str):
            facts = [part.strip() for part in re.split(r"(?<=[.!?])\s+", facts) if part.strip()]
        if not isinstance(facts, list) or not all(isinstance(fact, str) for fact in facts):
            raise LimkitError("expected a list of strings", path=where, line=line, field="facts")
        if not isinstance(row.get("question"), str):
            raise LimkitError("expected a string", path=where, line=line, field="question")
        if not isinstance(row.get("answer"), bool):
            raise LimkitError("expected true or false", path=where, line=line, field="answer")
        if len(facts) in fact_counts:
            kept.append(
                Decomposed(str(row.get("qid", f"s{line}")), row["question"], row["answer"], tuple(facts))
            )
    return kept


def normalize_answer(text: str) -> str:
    """SQuAD-style normalization: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(word for word in text.split() if word not in {"a", "an", "the"})
