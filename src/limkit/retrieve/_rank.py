"""What every ranker shares: the tokenizer, deterministic top-k, and the ranker interface."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

TOKEN = re.compile(r"\w+")
TOKENIZER = "casefold-words-v1"

# (chunk position, score) pairs, best first.
Ranking = list[tuple[int, float]]
Progress = Callable[[int], None]


class Ticker:
    """Forwards item counts to a progress bar every `step` items: an update costs more than a short item."""

    def __init__(self, advance: Progress, total: int, step: int = 1024) -> None:
        self.advance, self.total, self.step = advance, total, step
        self.done = self.shown = 0

    def tick(self) -> None:
        self.done += 1
        if self.done - self.shown >= self.step or self.done == self.total:
            self.advance(self.done - self.shown)
            self.shown = self.done


def tokenize(text: str) -> list[str]:
    """Case-folded runs of word characters (letters, digits, underscore); no stemming, no stopwords.

    Both the BM25 index and the plain-Python baseline in `benchmarks/bench_retrieve.py` use this, so
    their rankings can be compared token for token.
    """
    return TOKEN.findall(text.casefold())


def top_k(scores: np.ndarray, k: int, positive_only: bool = False) -> Ranking:
    """The `k` best positions, by score then by position, so equal scores always come out in one order."""
    import numpy as np

    count = len(scores)
    if count == 0 or k <= 0:
        return []
    if k < count:
        threshold = np.partition(scores, count - k)[count - k]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(count)
    if positive_only:
        candidates = candidates[scores[candidates] > 0]
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    return [(int(candidates[i]), float(scores[candidates[i]])) for i in order]


class Ranker(Protocol):
    """One way to rank an index's chunks for a query; saved to and loaded from its own files."""

    kind: str

    def rank_many(self, queries: Sequence[str], depth: int) -> list[Ranking]:
        """The best `depth` chunk positions for each query."""
        ...

    def save(self, directory: Path) -> dict[str, Any]:
        """Writes this ranker's files into `directory`; returns its manifest section."""
        ...
