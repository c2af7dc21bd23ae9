"""Diversity of a model's several responses to one question (DIVE, Qin et al. 2025, after Kirk et al. 2023).

Every metric is computed over the set of responses to one question, separately over all, correct (`pos`)
and incorrect (`neg`) responses, then averaged over the questions where the set is defined:

- distinct-n: for n = 1..5, unique / total word n-grams pooled over the set, then the mean of the five
  values (a size with no n-grams scores 0). Tokenisation as in Kirk et al.'s reference code: delete "." and
  newlines, then split on spaces (empty tokens from repeated spaces are dropped). Defined for >= 1 response.
- embedding diversity: 1 - mean cosine over unordered pairs of the responses' sentence embeddings.
  Defined for >= 2 responses. The vectors come from the caller (`limkit.retrieve` encodes them).
- distinct answers: the number of different final answers (the grader's normalised form).
- distinct equation chains (GSM8K): the number of different sequences of calculator annotations
  (`<<48/2=24>>`, or `«...»`); responses with no annotation count as the empty chain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

DISTINCT_N_MAX = 5
POOLS = ("all", "pos", "neg")
_ANNOTATION = re.compile(r"<<([^<>]*)>>|«([^«»]*)»")


def words(text: str) -> list[str]:
    """Kirk et al.'s tokenisation: "." and newlines deleted, then split on spaces."""
    return [token for token in text.replace(".", "").replace("\n", "").split(" ") if token]


def distinct_n_values(texts: Sequence[str], n_max: int = DISTINCT_N_MAX) -> list[float]:
    """unique/total n-grams pooled over `texts`, for n = 1..n_max (0.0 where there is none)."""
    tokenized = [words(text) for text in texts]
    values = []
    for n in range(1, n_max + 1):
        grams = [tuple(tokens[i : i + n]) for tokens in tokenized for i in range(len(tokens) - n + 1)]
        values.append(len(set(grams)) / len(grams) if grams else 0.0)
    return values


def distinct_n(texts: Sequence[str], n_max: int = DISTINCT_N_MAX) -> float:
    """The mean of `distinct_n_values`: DIVE's Distinct-N."""
    return math.fsum(distinct_n_values(texts, n_max)) / n_max


def cosine_diversity(vectors: np.ndarray) -> float:
    """1 - mean pairwise cosine over unordered pairs i < j; needs at least two vectors."""
    import numpy as np

    count = len(vectors)
    if count < 2:
        raise ValueError("cosine diversity needs at least two vectors")
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1.0, norms)
    similarity = unit @ unit.T
    pair_sum = (similarity.sum() - np.trace(similarity)) / 2
    return float(1.0 - pair_sum / (count * (count - 1) / 2))


def equation_chain(text: str) -> tuple[str, ...]:
    """The calculator annotations of a response, in order, spaces removed."""
    return tuple((a or b).replace(" ", "") for a, b in _ANNOTATION.findall(text))


def distinct_answers(answers: Sequence[str | None]) -> int:
    """How many different final answers; a response with no answer does not count as one."""
    return len({answer for answer in answers if answer is not None})


def distinct_chains(texts: Sequence[str]) -> int:
    return len({equation_chain(text) for text in texts})


Response = Mapping[str, Any]
"""A response as the metrics read it: `text`, `correct` (bool), `answer` (str or None)."""


def _in_pool(response: Response, pool: str) -> bool:
    return pool == "all" or bool(response["correct"]) == (pool == "pos")


def question_diversity(
    responses: Sequence[Response], vectors: np.ndarray | None = None
) -> dict[str, dict[str, float | None]]:
    """Every metric for one question's responses, per pool; None where the pool is too small.

    `vectors[i]` is the embedding of `responses[i]`, when embedding diversity is wanted.
    """
    out: dict[str, dict[str, float | None]] = {}
    for pool in POOLS:
        members = [i for i, r in enumerate(responses) if _in_pool(r, pool)]
        chosen = [responses[i] for i in members]
        texts = [str(r["text"]) for r in chosen]
        metrics: dict[str, float | None] = {
            "distinct_n": distinct_n(texts) if texts else None,
            "distinct_answers": float(distinct_answers([r.get("answer") for r in chosen])) if texts else None,
            "distinct_chains": float(distinct_chains(texts)) if texts else None,
            "embedding": None,
        }
        if vectors is not None and len(members) >= 2:
            metrics["embedding"] = cosine_diversity(vectors[members])
        out[pool] = metrics
    return out


def diversity_metrics(
    groups: Mapping[str, Sequence[Response]],
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Per-question metrics averaged over questions, per pool, with how many questions each mean covers.

    `embed` (texts -> unit vectors) turns on embedding diversity; the texts of all questions are encoded
    in one call.
    """
    vectors_by_question: dict[str, np.ndarray] = {}
    if embed is not None:
        keys = list(groups)
        texts = [str(r["text"]) for key in keys for r in groups[key]]
        vectors = embed(texts)
        start = 0
        for key in keys:
            vectors_by_question[key] = vectors[start : start + len(groups[key])]
            start += len(groups[key])
    per_question = {
        key: question_diversity(responses, vectors_by_question.get(key)) for key, responses in groups.items()
    }
    summary: dict[str, Any] = {}
    for pool in POOLS:
        summary[pool] = {}
        for metric in ("distinct_n", "embedding", "distinct_answers", "distinct_chains"):
            values = [q[pool][metric] for q in per_question.values() if q[pool][metric] is not None]
            summary[pool][metric] = {
                "value": math.fsum(v for v in values if v is not None) / len(values) if values else None,
                "questions": len(values),
            }
    return summary


def sample_rows_diversity(
    rows: Sequence[Mapping[str, Any]], embed: Callable[[Sequence[str]], np.ndarray] | None = None
) -> dict[str, Any]:
    """`diversity_metrics` over `limkit eval` sample rows (`id`, `completion`, `correct`, `normalized`)."""
    groups: dict[str, list[Response]] = {}
    for row in rows:
        answer = row.get("normalized") or row.get("extracted")
        groups.setdefault(str(row["id"]), []).append(
            {
                "text": row.get("completion") or "",
                "correct": bool(row["correct"]),
                "answer": None if answer in (None, "") else str(answer),
            }
        )
    return diversity_metrics(groups, embed)
