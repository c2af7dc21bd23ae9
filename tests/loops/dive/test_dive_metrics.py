"""Diversity metrics by hand on fixed strings and vectors, and as `limkit eval` metrics for n > 1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from limkit.eval import (
    cosine_diversity,
    distinct_n,
    distinct_n_values,
    diversity_metrics,
    equation_chain,
    task_metrics,
)

THREE = ["i am going", "i am going", "lets go i i"]


def test_distinct_n_on_three_short_texts() -> None:
    # unigrams 5/10, bigrams 5/7, trigrams 3/4, 4-grams 1/1, no 5-gram scores 0
    assert distinct_n_values(THREE) == pytest.approx([0.5, 5 / 7, 0.75, 1.0, 0.0])
    assert distinct_n(THREE) == pytest.approx((0.5 + 5 / 7 + 0.75 + 1.0) / 5)
    # "." and newlines are deleted: "a. a" is the words a, a (unigrams 1/2, one bigram 1/1)
    assert distinct_n(["a. a"]) == pytest.approx((0.5 + 1.0) / 5)
    assert distinct_n(["a\nb c"]) == pytest.approx((1.0 + 1.0) / 5)  # "ab", "c"


def test_cosine_diversity_on_fixed_vectors() -> None:
    assert cosine_diversity(np.ones((3, 4))) == pytest.approx(0.0)
    assert cosine_diversity(np.eye(3)) == pytest.approx(1.0)
    # cos(e1, e2) = 0, cos(e1, d) = cos(e2, d) = 1/sqrt(2): 1 - (2 / sqrt(2)) / 3
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert cosine_diversity(vectors) == pytest.approx(1 - math.sqrt(2) / 3)
    assert cosine_diversity(vectors[::-1]) == pytest.approx(cosine_diversity(vectors))
    with pytest.raises(ValueError):
        cosine_diversity(vectors[:1])


def test_per_pool_metrics_average_over_questions() -> None:
    groups = {
        "q1": [
            {"text": "a <<1+1=2>> b", "correct": True, "answer": "2"},
            {"text": "a <<1+1=2>> c", "correct": True, "answer": "2"},
            {"text": "x", "correct": False, "answer": "3"},
        ],
        "q2": [
            {"text": "y y", "correct": False, "answer": None},
            {"text": "z", "correct": False, "answer": "4"},
        ],
    }
    vectors = {
        "a <<1+1=2>> b": [1.0, 0.0],
        "a <<1+1=2>> c": [0.0, 1.0],
        "x": [1, 1],
        "y y": [1, 0],
        "z": [1, 0],
    }
    metrics = diversity_metrics(groups, lambda texts: np.array([vectors[t] for t in texts], dtype=float))
    assert metrics["pos"]["distinct_answers"] == {"value": 1.0, "questions": 1}
    assert metrics["neg"]["distinct_answers"] == {"value": 1.0, "questions": 2}  # q1: {3}; q2: {4}
    assert metrics["pos"]["distinct_chains"]["value"] == 1.0
    assert metrics["pos"]["embedding"] == {"value": pytest.approx(1.0), "questions": 1}
    assert metrics["neg"]["embedding"] == {"value": pytest.approx(0.0), "questions": 1}  # q1 has one negative
    # neg distinct-n: q1 {"x"} -> (1+0+0+0+0)/5; q2 {"y y", "z"} -> unigrams 2/3, bigram 1/1
    assert metrics["neg"]["distinct_n"]["value"] == pytest.approx((0.2 + (2 / 3 + 1.0) / 5) / 2)
    assert equation_chain("<<48/2=24>> then « 24 + 1 = 25 »") == ("48/2=24", "24+1=25")


def test_eval_metrics_carry_diversity_only_with_several_samples() -> None:
    rows = [
        {"id": "p", "sample": s, "correct": s == 0, "completion": text, "extracted": a, "normalized": a}
        for s, (text, a) in enumerate([("one two", "1"), ("one three", "2")])
    ]
    metrics = task_metrics(rows)
    assert metrics["diversity"]["all"]["distinct_n"]["value"] == pytest.approx(
        distinct_n(["one two", "one three"])
    )
    assert metrics["diversity"]["all"]["distinct_answers"]["value"] == 2.0
    assert "diversity" not in task_metrics(rows[:1])
