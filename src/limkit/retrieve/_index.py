"""The index users hold: chunks plus one or two rankers, searched one query or many at a time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.progress import progress_bar
from limkit.retrieve._bm25 import Bm25Ranker
from limkit.retrieve._chunk import Chunk, ChunkRule, chunk_document
from limkit.retrieve._corpus import Document
from limkit.retrieve._dense import PACKAGED_MODEL, DenseRanker
from limkit.retrieve._fusion import RRF_K, candidate_depth, reciprocal_rank_fusion
from limkit.retrieve._rank import Ranker, Ranking, Ticker
from limkit.retrieve._store import read_manifest, write_index_dir

KINDS = ("bm25", "embedding", "hybrid")
CHUNKS = "chunks.jsonl"


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: what to show (`text`), what to cite (`doc_id`, `chunk_id`, `source`, offsets)."""

    doc_id: str
    chunk_id: str
    text: str
    score: float
    source: str
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise LimkitError(f"unknown index kind {kind!r} (expected one of {', '.join(KINDS)})", field="kind")


class Index:
    """A searchable set of chunks. Build with `build_index`, reopen with `load_index`."""

    def __init__(self, kind: str, chunks: list[Chunk], rankers: list[Ranker], info: dict[str, Any]) -> None:
        self.kind = kind
        self.chunks = chunks
        self.rankers = rankers
        self.info = info

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The `k` best chunks for `query`, best first (BM25 returns only chunks sharing a term)."""
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 5) -> list[list[Hit]]:
        """`search` for each query; batching lets the embedding ranker encode queries together."""
        if k < 1:
            raise LimkitError(f"must be at least 1, got {k}", field="k")
        if len(self.rankers) == 1:
            rankings = self.rankers[0].rank_many(queries, k)
        else:
            depth = candidate_depth(k)
            per_ranker = [ranker.rank_many(queries, depth) for ranker in self.rankers]
            rankings = [reciprocal_rank_fusion(lists, k) for lists in zip(*per_ranker, strict=True)]
        return [self._hits(ranking) for ranking in rankings]

    def _hits(self, ranking: Ranking) -> list[Hit]:
        hits = []
        for position, score in ranking:
            chunk = self.chunks[position]
            hits.append(
                Hit(chunk.doc_id, chunk.chunk_id, chunk.text, score, chunk.source, chunk.start, chunk.end)
            )
        return hits

    def save(self, path: str | Path) -> None:
        """Writes the index to the folder `path` atomically (see `limkit.retrieve._store`)."""

        def write_files(staging: Path) -> dict[str, Any]:
            from limkit.data import write_jsonl

            write_jsonl(staging / CHUNKS, (asdict(chunk) for chunk in self.chunks))
            return {ranker.kind: ranker.save(staging) for ranker in self.rankers}

        write_index_dir(Path(path), {"kind": self.kind, **self.info}, write_files)


def _as_documents(documents: Iterable[Document | str]) -> list[Document]:
    out = []
    for number, document in enumerate(documents):
        out.append(
            document if isinstance(document, Document) else Document(str(number), document, "<memory>")
        )
    return out


def _chunk_all(documents: list[Document], rule: ChunkRule) -> list[Chunk]:
    chunks: list[Chunk] = []
    with progress_bar(len(documents), "chunking") as advance:
        ticker = Ticker(advance, len(documents))
        for document in documents:
            chunks.extend(chunk_document(document, rule))
            ticker.tick()
    return chunks


def build_index(
    documents: Iterable[Document | str],
    kind: str = "bm25",
    *,
    rule: ChunkRule | None = None,
    model: str = PACKAGED_MODEL,
    k1: float = 1.5,
    b: float = 0.75,
) -> Index:
    """Chunks `documents` and builds the rankers of `kind` over the chunks (in memory; `save` to keep it).

    Args:
        documents: `Document`s (from `read_corpus`) or plain strings (ids "0", "1", ...).
        kind: "bm25", "embedding" or "hybrid" (both, fused by reciprocal rank).
        rule: the chunking rule (default: paragraphs packed up to 200 words, 30-word window overlap).
        model: the sentence-transformers model for embeddings: the packaged MiniLM, or a local folder.
        k1, b: BM25 parameters.
    """
    _check_kind(kind)
    rule = rule or ChunkRule()
    docs = _as_documents(documents)
    chunks = _chunk_all(docs, rule)
    if not chunks:
        raise LimkitError("the corpus has no text to index (every document is empty)")
    texts = [chunk.text for chunk in chunks]
    rankers: list[Ranker] = []
    if kind in ("bm25", "hybrid"):
        rankers.append(Bm25Ranker.build(texts, k1=k1, b=b))
    if kind in ("embedding", "hybrid"):
        rankers.append(DenseRanker.build(texts, model))
    info: dict[str, Any] = {"chunking": rule.as_dict(), "doc_count": len(docs), "chunk_count": len(chunks)}
    if kind == "hybrid":
        info["hybrid"] = {"rule": "reciprocal-rank-fusion", "rrf_k": RRF_K, "depth": "max(4k, 50)"}
    return Index(kind, chunks, rankers, info)


def _read_chunks(path: Path, expected: int) -> list[Chunk]:
    from limkit.data import read_jsonl

    chunks = []
    for line, row in read_jsonl(path):
        try:
            chunks.append(Chunk(**row))
        except TypeError:
            raise LimkitError("corrupt chunk record (unexpected fields)", path=path, line=line) from None
    if len(chunks) != expected:
        raise LimkitError(f"has {len(chunks)} chunks, the manifest says {expected}", path=path)
    return chunks


def load_index(path: str | Path, *, verify: bool = True) -> Index:
    """Reopens a saved index after checking its manifest and every file's checksum.

    `verify=False` checks file sizes only, for very large indexes opened often.
    """
    path = Path(path)
    manifest = read_manifest(path, verify=verify)
    kind = manifest.get("kind")
    if kind not in KINDS:
        raise LimkitError(f"unknown index kind {kind!r}", path=path / "manifest.json", field="kind")
    chunk_count = manifest.get("chunk_count")
    if not isinstance(chunk_count, int):
        raise LimkitError("expected an integer", path=path / "manifest.json", field="chunk_count")
    chunks = _read_chunks(path / CHUNKS, chunk_count)
    rankers: list[Ranker] = []
    for section_name in ("bm25", "embedding"):
        if kind not in (section_name, "hybrid"):
            continue
        section = manifest.get(section_name)
        if not isinstance(section, dict):
            raise LimkitError("missing section", path=path / "manifest.json", field=section_name)
        if section_name == "bm25":
            rankers.append(Bm25Ranker.load(path, section))
        else:
            rankers.append(DenseRanker.load(path, section, chunk_count))
    skip = {"format", "format_version", "files", "kind"}
    return Index(kind, chunks, rankers, {key: value for key, value in manifest.items() if key not in skip})
