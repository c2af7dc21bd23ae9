"""BM25, embedding and hybrid retrieval over a corpus of chunked documents, saved to disk and reloaded.

A pillar of its own: it imports only `limkit.data` (plus `limkit.errors` and `limkit.progress`), so
evidence retrieval, benchmark building from documents and judges can all use it. bm25s and
sentence-transformers load only when an index is built or opened.

    from limkit.retrieve import ChunkRule, build_index, load_index, read_corpus

    docs = read_corpus("benchmarks/", fields=("problem", "question"))   # JSONL/JSON/Parquet/.md/.txt
    index = build_index(docs, kind="hybrid", rule=ChunkRule(max_words=200, overlap=30))
    index.save("idx/")                                # atomic; manifest.json with checksums
    index = load_index("idx/")                        # checks every file first
    for hit in index.search("How many positive divisors does 6! have?", k=5):
        print(hit.score, hit.doc_id, hit.chunk_id, hit.source, hit.start, hit.end, hit.text[:60])
    batches = index.search_many(["first query", "second query"], k=3)   # list[list[Hit]]

API:
- `read_corpus(paths, *, fields=("text",), id_field="id") -> list[Document]`
- `chunk_document(document, rule=None) -> list[Chunk]`; `ChunkRule(max_words=200, overlap=30)`
- `build_index(documents, kind="bm25"|"embedding"|"hybrid", *, rule=None, model="all-MiniLM-L6-v2",
  k1=1.5, b=0.75) -> Index`
- `load_index(path, *, verify=True) -> Index`
- `Index.search(query, k=5) -> list[Hit]`, `Index.search_many(queries, k=5) -> list[list[Hit]]`,
  `Index.save(path)`, `len(index)` (chunks)
- `Hit(doc_id, chunk_id, text, score, source, start, end)`: `text == document.text[start:end]`
- `tokenize(text)`: the BM25 tokenizer (case-folded word runs)

Rules: chunking in `limkit.retrieve._chunk`, document ids in `limkit.retrieve._corpus`, hybrid fusion
(reciprocal rank, k = 60) in `limkit.retrieve._fusion`, the on-disk format in `limkit.retrieve._store`.
"""

from limkit.retrieve._chunk import Chunk, ChunkRule, chunk_document
from limkit.retrieve._corpus import Document, read_corpus
from limkit.retrieve._dense import PACKAGED_MODEL
from limkit.retrieve._dense import encode as encode_texts
from limkit.retrieve._index import KINDS, Hit, Index, build_index, load_index
from limkit.retrieve._rank import tokenize

__all__ = [
    "KINDS",
    "PACKAGED_MODEL",
    "Chunk",
    "ChunkRule",
    "Document",
    "Hit",
    "Index",
    "build_index",
    "chunk_document",
    "encode_texts",
    "load_index",
    "read_corpus",
    "tokenize",
]
