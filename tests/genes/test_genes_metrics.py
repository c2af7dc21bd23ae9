"""Metrics checked by hand: hit@k, MRR, Wilson intervals, position bias, order sensitivity, popularity."""

from __future__ import annotations

from typing import Any

import pytest

from limkit.studies.genes import (
    bootstrap_mean,
    order_sensitivity,
    popularity_bias,
    position_bias,
    rank_metrics,
    spearman,
    wilson,
)


def test_hit_at_k_and_mrr_on_hand_made_ranks() -> None:
    metrics = rank_metrics([1, 2, 4, 11])
    assert [metrics[f"hit@{k}"] for k in (1, 3, 5, 10)] == [0.25, 0.5, 0.75, 0.75]
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 1 / 11) / 4)
    low, high = metrics["mrr_ci"]
    assert 1 / 11 <= low < metrics["mrr"] < high <= 1


def test_wilson_intervals_match_published_values() -> None:
    assert wilson(1, 4) == pytest.approx((0.0456, 0.6994), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert bootstrap_mean([0.5] * 7) == (0.5, 0.5)


def row(n: int, causal: str, ranking: list[str], views: list[tuple[int, int, str]]) -> dict[str, Any]:
    return {
        "n": n,
        "causal": causal,
        "candidates": sorted(ranking),
        "ranking": ranking,
        "rank": ranking.index(causal) + 1,
        "agents": [{"slot": s, "rank": r, "top1": t} for s, r, t in views],
    }


def test_position_bias_and_order_sensitivity_by_hand() -> None:
    rows = [
        row(3, "A", ["A", "B", "C"], [(0, 1, "A"), (2, 3, "B")]),
        row(3, "B", ["A", "B", "C"], [(0, 2, "A"), (0, 1, "B")]),
        row(5, "C", ["C", "A", "B", "D", "E"], [(1, 1, "C")]),
    ]
    assert position_bias(rows) == {
        3: [{"slot": 0, "top1": 2 / 3, "shown": 3}, {"slot": 2, "top1": 0.0, "shown": 1}],
        5: [{"slot": 1, "top1": 1.0, "shown": 1}],
    }
    # Variances of the causal rank over agents: (1, 3) -> 2.0, (2, 1) -> 0.5; single agents don't count.
    assert order_sensitivity(rows) == {3: pytest.approx(1.25)}


def test_popularity_bias_divides_by_appearances_and_correlates() -> None:
    rows = [
        row(2, "A", ["A", "B"], []),
        row(2, "B", ["A", "B"], []),
        row(2, "C", ["C", "A"], []),
    ]
    found = popularity_bias(rows, {"A": 10, "B": 1, "C": 3})
    rates = {g["gene"]: g["top1_rate"] for g in found["genes"]}
    assert rates == {"A": pytest.approx(2 / 3), "B": 0.0, "C": 1.0}
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
