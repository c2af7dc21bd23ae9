"""Corpora for the retrieval tests: the real benchmark files, and a few hundred problems for embeddings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from limkit.retrieve import Document, Index, build_index, read_corpus

TEXT_FIELDS = ("problem", "question")
SMALL_FILES = {"aime24.jsonl": None, "amc23.jsonl": None, "math500.jsonl": 50}


@pytest.fixture(scope="session")
def benchmark_docs(benchmarks_dir: Path) -> list[Document]:
    """Every problem of every benchmark file, as one document each."""
    return read_corpus(benchmarks_dir, fields=TEXT_FIELDS)


@pytest.fixture(scope="session")
def bm25_index(benchmark_docs: list[Document]) -> Index:
    return build_index(benchmark_docs, "bm25")


@pytest.fixture(scope="session")
def small_corpus(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 real problems (AIME 2024, AMC 2023, the first 50 of MATH-500): small enough to embed on CPU."""
    folder = tmp_path_factory.mktemp("small-corpus")
    for name, limit in SMALL_FILES.items():
        with (benchmarks_dir / name).open(encoding="utf-8") as source:
            lines = list(itertools.islice(source, limit))
        (folder / name).write_text("".join(lines), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_docs(small_corpus: Path) -> list[Document]:
    return read_corpus(small_corpus, fields=TEXT_FIELDS)


@pytest.fixture(scope="session")
def hybrid_index(small_docs: list[Document]) -> Index:
    return build_index(small_docs, "hybrid")


@pytest.fixture(scope="session")
def aime_docs(small_docs: list[Document]) -> list[Document]:
    return [doc for doc in small_docs if doc.source == "aime24.jsonl"]


@pytest.fixture(scope="session")
def embedding_index(aime_docs: list[Document]) -> Index:
    """Encoding is CPU-bound (about 1-10 problems a second here), so this one holds AIME 2024 only."""
    return build_index(aime_docs, "embedding")
