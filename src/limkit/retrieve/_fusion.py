"""Hybrid ranking by reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009).

Each ranker contributes its best `depth` chunks; a chunk's fused score is the sum over rankers of
1 / (RRF_K + rank), rank counting from 1, and a chunk a ranker did not return adds nothing. Fusing
ranks rather than scores needs no calibration between BM25 scores (unbounded) and cosines ([-1, 1]).
Equal fused scores are ordered by the chunk's position in the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from limkit.retrieve._rank import Ranking

RRF_K = 60


def candidate_depth(k: int) -> int:
    """How deep each ranker looks before fusion: enough that a chunk ranked well by one side survives."""
    return max(4 * k, 50)


def reciprocal_rank_fusion(rankings: Sequence[Ranking], k: int, rrf_k: int = RRF_K) -> Ranking:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (position, _) in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (rrf_k + rank)
    order = sorted(fused, key=lambda position: (-fused[position], position))
    return [(position, fused[position]) for position in order[:k]]
