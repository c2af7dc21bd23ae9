"""Metrics from fixed graded rows equal hand-computed values."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from limkit.eval import balanced_score, bootstrap_interval, majority_answer, pass_at_k, task_metrics


def _rows(
    problem: str, answers: list[str | None], correct: list[bool], **extra: object
) -> list[dict[str, object]]:
    return [
        {
            "task": "t",
            "id": problem,
            "sample": index,
            "extracted": answer,
            "normalized": None,
            "correct": ok,
            "status": "correct" if ok else ("no_answer" if answer is None else "incorrect"),
            "finish_reason": "stop",
            "completion": "x" * (10 * (index + 1)),
            "completion_tokens": 10 * (index + 1),
            "prompt_tokens": 5,
            **extra,
        }
        for index, (answer, ok) in enumerate(zip(answers, correct, strict=True))
    ]


@pytest.fixture()
def fixed_rows() -> list[dict[str, object]]:
    rows = _rows("A", ["7", "5", "5", "7"], [False, True, True, False])
    rows += _rows("B", [None, "3", None, "3"], [False, False, False, False])
    rows += _rows("C", ["1", "1", "1", "1"], [True, True, True, True])
    rows[5]["finish_reason"] = "length"
    rows[3]["status"] = "timeout"
    return list(reversed(rows))  # order must not matter


def test_pass_at_k_hand_values() -> None:
    assert pass_at_k(4, 2, 1) == pytest.approx(0.5)
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    assert pass_at_k(4, 2, 3) == 1.0
    assert pass_at_k(4, 0, 4) == 0.0
    assert pass_at_k(10, 1, 1) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_exact_binomials(case: tuple[int, int, int]) -> None:
    n, c, k = case
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


def test_pass_at_k_is_stable_for_large_n() -> None:
    value = pass_at_k(5000, 3, 100)
    exact = 1 - Fraction(math.comb(4997, 100), math.comb(5000, 100))
    assert value == pytest.approx(float(exact), rel=1e-9)


def test_majority_ties_go_to_the_first_answer() -> None:
    assert majority_answer(["7", "5", "5", "7"]) == 0
    assert majority_answer(["7", "5", "5"]) == 1
    assert majority_answer([None, None]) is None
    assert majority_answer([None, "3", "4"]) == 1


def test_task_metrics_from_fixed_rows(fixed_rows: list[dict[str, object]]) -> None:
    metrics = task_metrics(fixed_rows)
    assert (metrics["problems"], metrics["samples"], metrics["n"]) == (3, 12, 4)
    assert metrics["avg"] == pytest.approx(0.5)
    assert metrics["stderr"] == pytest.approx(0.5 / math.sqrt(3))
    passes = {k: v["value"] for k, v in metrics["pass_at_k"].items()}
    assert passes == pytest.approx({"1": 0.5, "2": (5 / 6 + 1) / 3, "3": 2 / 3, "4": 2 / 3})
    majority = {k: v["value"] for k, v in metrics["maj_at_k"].items()}
    assert majority == pytest.approx({"1": 1 / 3, "2": 1 / 3, "3": 2 / 3, "4": 1 / 3})
    shares = metrics["shares"]
    assert shares["no_answer"] == {"count": 2, "share": pytest.approx(2 / 12)}
    assert shares["timeout"]["count"] == 1 and shares["truncated"]["count"] == 1
    assert shares["over_limit"] == {"count": 0, "share": 0.0}
    assert metrics["lengths"]["completion_tokens_mean"] == pytest.approx(25.0)
    low, high = metrics["ci95"]
    assert 0.0 <= low <= 0.5 <= high <= 1.0 and high - low > 0.3


def test_maj_votes_on_normalised_answers() -> None:
    rows = _rows("A", ["1/2", "0.5", "3"], [True, True, False])
    rows[0]["normalized"] = rows[1]["normalized"] = "1/2"
    rows[2]["normalized"] = "3"
    assert task_metrics(rows)["maj_at_k"]["3"]["value"] == 1.0


def test_bootstrap_is_repeatable_and_matches_the_normal_interval() -> None:
    values = [0.0, 1.0, 1.0, 0.5, 0.25]
    assert bootstrap_interval(values) == bootstrap_interval(values)
    low, high = bootstrap_interval([1.0] * 4)
    assert low == high == 1.0
    # 200 problems, half solved: the percentile interval of the mean is close to the normal one,
    # 0.5 +- 1.96 * sqrt(0.25 / 200) = 0.5 +- 0.069, far inside the data's range (0, 1).
    half = [1.0, 0.0] * 100
    margin = 1.96 * math.sqrt(0.5 * 0.5 / len(half))
    low, high = bootstrap_interval(half)
    assert low == pytest.approx(0.5 - margin, abs=0.012) and high == pytest.approx(0.5 + margin, abs=0.012)


def _libra(capability: float, safety: float) -> float:
    """Libra-Leaderboard's overall score, written out from the paper note (realign_olympic_libra.md C.1):
    one minus the distance from (c, s) to the utopia point (1, 1), divided by the largest distance sqrt(2)."""
    return 1 - math.hypot(1 - capability, 1 - safety) / math.sqrt(2)


def test_balanced_score_matches_libra() -> None:
    assert balanced_score([0.9, 0.1]) == pytest.approx(_libra(0.9, 0.1))  # 1 - sqrt(0.41) = 0.3597
    # the worked values of the note (C.1): (0.7, 0.7) 0.700, (0.9, 0.5) 0.639, (1, 0) 0.293, (0.5, 0.5) 0.5
    for pair, worked in (((0.7, 0.7), 0.700), ((0.9, 0.5), 0.639), ((1.0, 0.0), 0.293), ((0.5, 0.5), 0.5)):
        assert balanced_score(list(pair)) == pytest.approx(_libra(*pair)) == pytest.approx(worked, abs=5e-4)
    assert balanced_score([1.0, 1.0, 1.0]) == 1.0
    # the n-dimensional form (limkit's extension, note C.1): 1 - ||1 - x|| / sqrt(n)
    scores = [0.2, 0.6, 0.9]
    expected = 1 - math.sqrt(sum((1 - x) ** 2 for x in scores)) / math.sqrt(len(scores))
    assert balanced_score(scores) == pytest.approx(expected)
    assert balanced_score([0.9, 0.1]) < sum([0.9, 0.1]) / 2
