"""Selection on synthetic embeddings with planted clusters and outliers (no model needed)."""

from __future__ import annotations

import numpy as np

from limkit.eval import cosine_diversity
from limkit.loops.dive import greedy_embedding, greedy_texts, naive_greedy, outlier_mask, stable_rng


def _clusters(seed: int = 0, per: int = 12, k: int = 5, dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim)) * 3
    points = np.concatenate([centre + rng.normal(scale=0.1, size=(per, dim)) for centre in centres])
    return points, np.repeat(np.arange(k), per)


def test_greedy_picks_one_point_per_cluster_and_beats_random() -> None:
    points, labels = _clusters()
    chosen = greedy_embedding(points, 5, first=0)
    assert sorted(labels[chosen]) == [0, 1, 2, 3, 4]
    rng = np.random.default_rng(1)
    random_values = [cosine_diversity(points[rng.choice(len(points), 5, replace=False)]) for _ in range(100)]
    assert cosine_diversity(points[chosen]) > np.mean(random_values)
    assert cosine_diversity(points[chosen]) >= max(random_values) - 1e-9


def test_incremental_greedy_equals_naive_recomputation() -> None:
    for seed in range(5):
        points, _ = _clusters(seed, per=8, k=3)
        first = stable_rng(seed).randrange(len(points))
        assert greedy_embedding(points, 6, first) == naive_greedy(points, 6, first)


def test_distinct_n_greedy_prefers_new_words() -> None:
    texts = ["a b c", "a b c", "a b d", "x y z"]
    assert greedy_texts(texts, 2, first=0) == [0, 3]


def test_filter_removes_planted_outliers_that_selection_alone_would_pick() -> None:
    rng = np.random.default_rng(0)
    blob = 4.0 + rng.normal(size=(60, 8))  # responses that all point one way
    outliers = -4.0 + rng.normal(size=(3, 8))  # three that point the other way
    points = np.concatenate([blob, outliers])
    planted = {60, 61, 62}
    keep = outlier_mask(points, 0.05, seed=0)
    assert not keep[list(planted)].any()
    assert keep[:60].mean() >= 0.9
    unfiltered = set(greedy_embedding(points, 5, first=0))
    assert unfiltered & planted  # diversity alone reaches for the outliers (the paper's motivation)
    inliers = np.flatnonzero(keep)
    filtered = {int(inliers[i]) for i in greedy_embedding(points[inliers], 5, first=0)}
    assert not filtered & planted
