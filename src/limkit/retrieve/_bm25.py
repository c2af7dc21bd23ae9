"""BM25 ranking on bm25s (sparse precomputed scores), with our tokenizer and tie rule.

Scoring is bm25s's "lucene" variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5)) and a term's weight
tf / (tf + k1 * (1 - b + b * dl / avgdl)); Okapi k1 = 1.5, b = 0.75 by default. bm25s precomputes
every (chunk, term) weight at build time, so a query costs one sparse column sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.progress import progress_bar
from limkit.retrieve._rank import TOKENIZER, Ranking, Ticker, tokenize, top_k

FOLDER = "bm25"


class Bm25Ranker:
    """BM25 over the chunks' tokens; `rank_many` drops chunks that share no term with the query."""

    kind = "bm25"

    def __init__(self, retriever: Any, k1: float, b: float) -> None:
        self._retriever = retriever
        self.k1 = k1
        self.b = b

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.5, b: float = 0.75) -> Bm25Ranker:
        import bm25s

        # Token ids in first-seen order: a vocabulary that does not depend on hash seeds, built in one pass.
        vocabulary: dict[str, int] = {}
        token_ids = []
        with progress_bar(len(texts), "BM25: tokenizing") as advance:
            ticker = Ticker(advance, len(texts))
            for text in texts:
                token_ids.append([vocabulary.setdefault(token, len(vocabulary)) for token in tokenize(text)])
                ticker.tick()
        with progress_bar(1, "BM25: term weights") as advance:
            retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
            retriever.index((token_ids, vocabulary), show_progress=False)
            advance(1)
        return cls(retriever, k1, b)

    def rank_many(self, queries: Sequence[str], depth: int) -> list[Ranking]:
        rankings: list[Ranking] = []
        for query in queries:
            tokens = [token for token in tokenize(query) if token in self._retriever.vocab_dict]
            if not tokens:
                rankings.append([])
                continue
            scores = self._retriever.get_scores(tokens)
            rankings.append(top_k(scores, depth, positive_only=True))
        return rankings

    def save(self, directory: Path) -> dict[str, Any]:
        import bm25s

        self._retriever.save(str(directory / FOLDER), show_progress=False)
        return {
            "library": f"bm25s=={bm25s.__version__}",
            "variant": "lucene",
            "k1": self.k1,
            "b": self.b,
            "tokenizer": TOKENIZER,
        }

    @classmethod
    def load(cls, directory: Path, section: dict[str, Any]) -> Bm25Ranker:
        import bm25s

        if section.get("tokenizer") != TOKENIZER:
            raise LimkitError(
                f"index built with tokenizer {section.get('tokenizer')!r}, this limkit has {TOKENIZER!r}; "
                "rebuild the index",
                path=directory / "manifest.json",
                field="bm25.tokenizer",
            )
        try:
            retriever = bm25s.BM25.load(str(directory / FOLDER), load_corpus=False, show_progress=False)
        except (OSError, ValueError, KeyError) as error:
            raise LimkitError(f"corrupt BM25 index files ({error})", path=directory / FOLDER) from None
        return cls(retriever, float(section["k1"]), float(section["b"]))
