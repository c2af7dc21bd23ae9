"""DIVE's data selection: an Isolation Forest outlier filter, then greedy forward selection for diversity.

Greedy forward selection (DIVE Sec. 3.2): seed the chosen set S with one response drawn at random, then
repeatedly add the candidate that maximises diversity(S + {c}) until |S| = P or the pool is empty.

For embedding diversity (1 - mean pairwise cosine) with |S| fixed at each step, the best candidate is the
one with the smallest summed cosine to S, so one running sum per candidate (one matrix-vector product
per step) replaces recomputing the objective: O(N * P * d) per pool instead of O(N * P^3 * d)
(`naive_greedy` keeps the recomputing version, for the tests and `benchmarks/bench_dive_select.py`).
Ties go to the lowest index, so a fixed seed gives a fixed selection.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from limkit.eval import cosine_diversity, distinct_n

if TYPE_CHECKING:
    import numpy as np

MIN_FILTER_POINTS = 4
"""Fewer responses than this are kept as they are: an Isolation Forest on 3 points flags noise."""


def stable_rng(*parts: object) -> random.Random:
    """A random stream fixed by its parts (seed, question, pool, iteration), whatever the process."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def outlier_mask(vectors: np.ndarray, contamination: float | str, seed: int) -> np.ndarray:
    """True for the points scikit-learn's IsolationForest (Liu et al. 2008) keeps as inliers."""
    import numpy as np
    from sklearn.ensemble import IsolationForest

    if len(vectors) < MIN_FILTER_POINTS:
        return np.ones(len(vectors), dtype=bool)
    forest = IsolationForest(contamination=contamination, random_state=seed, n_estimators=100)
    return np.asarray(forest.fit_predict(np.asarray(vectors, dtype=np.float64)) == 1)


def greedy_embedding(vectors: np.ndarray, size: int, first: int) -> list[int]:
    """Indices chosen by greedy max-sum dispersion on cosine, starting from `first` (incremental sums)."""
    import numpy as np

    unit = _unit(vectors)
    chosen = [first]
    summed = unit @ unit[first]
    available = np.ones(len(unit), dtype=bool)
    available[first] = False
    while len(chosen) < min(size, len(unit)):
        scores = np.where(available, summed, np.inf)
        best = int(np.argmin(scores))
        chosen.append(best)
        available[best] = False
        summed += unit @ unit[best]
    return chosen


def naive_greedy(vectors: np.ndarray, size: int, first: int) -> list[int]:
    """The same selection, recomputing 1 - mean pairwise cosine of S + {c} for every candidate c."""
    return _greedy(len(vectors), size, first, lambda trial: cosine_diversity(vectors[trial]))


def greedy_texts(texts: Sequence[str], size: int, first: int, vectors: np.ndarray | None = None) -> list[int]:
    """Greedy forward selection on distinct-n of the chosen texts, plus embedding diversity when given.

    Distinct-n has no incremental shortcut, so each step scores every candidate set (pools are tens of
    responses; this is milliseconds).
    """

    def score(trial: list[int]) -> float:
        value = distinct_n([texts[i] for i in trial])
        return value + cosine_diversity(vectors[trial]) if vectors is not None else value

    return _greedy(len(texts), size, first, score)


def _greedy(count: int, size: int, first: int, score: Callable[[list[int]], float]) -> list[int]:
    """Adds, while |S| < size, the candidate whose S + {c} scores highest (ties: lowest index)."""
    chosen = [first]
    while len(chosen) < min(size, count):
        best, best_value = -1, -float("inf")
        for candidate in range(count):
            if candidate in chosen:
                continue
            value = score([*chosen, candidate])
            if value > best_value + 1e-12:
                best, best_value = candidate, value
        chosen.append(best)
    return chosen


def select_diverse(
    texts: Sequence[str],
    vectors: np.ndarray | None,
    size: int,
    objective: str,
    rng: random.Random,
) -> list[int]:
    """P diverse indices of one pool under `objective` (embedding, distinct_n, both); first pick by rng."""
    if not texts:
        return []
    first = rng.randrange(len(texts))
    if objective == "embedding":
        assert vectors is not None
        return greedy_embedding(vectors, size, first)
    return greedy_texts(texts, size, first, vectors if objective == "both" else None)


def random_subset(count: int, size: int, rng: random.Random) -> list[int]:
    """Vanilla ISI's choice: up to `size` indices drawn uniformly without replacement."""
    return rng.sample(range(count), min(size, count))


def _unit(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
