"""BM25 index build and query latency: limkit.retrieve (bm25s) vs a plain-Python BM25, same run, same formula.

    python benchmarks/bench_retrieve.py [--docs 100000] [--queries 300] [--k 10]
                                        [--pool ../shared/data/pools/math8k.json]

The corpus is the 8,523-problem pool repeated with seeded variations until it has `--docs` documents
(each copy after the first shifts every number by its copy index and drops one word at random), so
repeated problems are near-duplicates, not exact ones. Queries are the first 12-30 words of problems
drawn from the pool (seeded), so each has a near-duplicate family in the corpus.

Both sides use limkit's tokenizer and the same scoring (bm25s "lucene": idf = ln(1 + (N - df + 0.5) /
(df + 0.5)), term weight tf / (tf + k1 (1 - b + b dl / avgdl)), k1 = 1.5, b = 0.75), and the same tie rule
(score, then position). The baseline is an inverted index of per-document term counts, scored term by
term in Python dicts, top-k by heapq. Printed: build seconds, single-query latency p50/p99, batched
queries per second, top-k agreement (share of identical top-k lists, mean overlap), save/load seconds,
and, to justify exact search for embeddings, numpy exact cosine latency over `--docs` 384-d vectors.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT.parent / "shared" / "data" / "pools" / "math8k.json"
NUMBER = re.compile(r"\d+")
K1, B = 1.5, 0.75


def make_corpus(pool: Path, count: int) -> list[str]:
    problems = [row["prompt"] for row in json.loads(pool.read_text(encoding="utf-8"))]
    corpus = []
    for position in range(count):
        copy, text = divmod(position, len(problems))
        text = problems[text]
        if copy:
            text = NUMBER.sub(lambda match, shift=copy: str(int(match.group()) + shift), text)
            words = text.split(" ")
            if len(words) > 3:
                del words[random.Random(position).randrange(len(words))]
            text = " ".join(words)
        corpus.append(text)
    return corpus


def make_queries(pool: Path, count: int) -> list[str]:
    problems = [row["prompt"] for row in json.loads(pool.read_text(encoding="utf-8"))]
    rng = random.Random(0)
    return [" ".join(rng.choice(problems).split()[: rng.randint(12, 30)]) for _ in range(count)]


class PlainBm25:
    """The baseline: an inverted index of term counts in dicts; scoring and top-k in pure Python."""

    def __init__(self, corpus: list[str], tokenize) -> None:  # type: ignore[no-untyped-def]
        self.tokenize = tokenize
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = []
        for position, text in enumerate(corpus):
            counts = Counter(tokenize(text))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings[term].append((position, tf))
        average = sum(lengths) / len(lengths)
        count = len(corpus)
        self.norms = [K1 * ((1 - B) + B * length / average) for length in lengths]
        self.idf = {
            term: math.log(1 + (count - len(p) + 0.5) / (len(p) + 0.5)) for term, p in postings.items()
        }
        self.postings = dict(postings)

    def search(self, query: str, k: int) -> list[int]:
        scores: dict[int, float] = defaultdict(float)
        for term in self.tokenize(query):
            if term not in self.postings:
                continue
            idf, norms = self.idf[term], self.norms
            for position, tf in self.postings[term]:
                scores[position] += idf * tf / (norms[position] + tf)
        best = heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))
        return [position for position, score in best if score > 0]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed_queries(search, queries: list[str]) -> tuple[list[list[int]], list[float]]:  # type: ignore[no-untyped-def]
    results, latencies = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(search(query))
        latencies.append(time.perf_counter() - started)
    return results, latencies


def limkit_side(corpus: list[str], queries: list[str], k: int) -> dict[str, object]:
    import bm25s  # noqa: F401  (its import, ~1-3 s with numpy, is paid once per process: not index building)

    from limkit.retrieve import ChunkRule, build_index, load_index

    started = time.perf_counter()
    # One chunk per document, so both sides rank the same units.
    index = build_index(corpus, "bm25", rule=ChunkRule(max_words=1_000_000, overlap=0))
    build = time.perf_counter() - started
    assert len(index) == len(corpus)
    positions = {chunk.chunk_id: number for number, chunk in enumerate(index.chunks)}

    def search(query: str) -> list[int]:
        return [positions[hit.chunk_id] for hit in index.search(query, k)]

    results, latencies = timed_queries(search, queries)
    started = time.perf_counter()
    index.search_many(queries, k)
    batch = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        index.save(Path(folder) / "idx")
        save = time.perf_counter() - started
        started = time.perf_counter()
        load_index(Path(folder) / "idx")
        load = time.perf_counter() - started
    return {
        "build": build,
        "results": results,
        "latencies": latencies,
        "qps": len(queries) / batch,
        "save": save,
        "load": load,
    }


def baseline_side(corpus: list[str], queries: list[str], k: int) -> dict[str, object]:
    from limkit.retrieve import tokenize

    started = time.perf_counter()
    index = PlainBm25(corpus, tokenize)
    build = time.perf_counter() - started
    results, latencies = timed_queries(lambda query: index.search(query, k), queries)
    return {"build": build, "results": results, "latencies": latencies, "qps": len(queries) / sum(latencies)}


def exact_cosine_latency(count: int, queries: int = 50, dimension: int = 384) -> float:
    """p50 seconds of one exact top-10 cosine search over `count` random unit vectors (numpy)."""
    import numpy as np

    from limkit.retrieve._rank import top_k

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    latencies = []
    for query in vectors[:queries]:
        started = time.perf_counter()
        top_k(vectors @ query, 10)
        latencies.append(time.perf_counter() - started)
    return statistics.median(latencies)


def agreement(ours: list[list[int]], theirs: list[list[int]], k: int) -> tuple[float, float]:
    identical = sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(ours)
    overlap = statistics.mean(len(set(a) & set(b)) / k for a, b in zip(ours, theirs, strict=True))
    return identical, overlap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--pool", type=Path, default=POOL)
    args = parser.parse_args()
    if not args.pool.is_file():
        sys.exit(f"pool not found: {args.pool}")
    corpus, queries = make_corpus(args.pool, args.docs), make_queries(args.pool, args.queries)
    words = sum(len(text.split()) for text in corpus)
    print(f"corpus: {len(corpus):,} documents, {words:,} words; {len(queries)} queries, k = {args.k}")
    ours = limkit_side(corpus, queries, args.k)
    theirs = baseline_side(corpus, queries, args.k)
    identical, overlap = agreement(ours["results"], theirs["results"], args.k)  # type: ignore[arg-type]
    rows = [
        ("build (s)", ours["build"], theirs["build"]),
        (
            "query p50 (ms)",
            1e3 * statistics.median(ours["latencies"]),
            1e3 * statistics.median(theirs["latencies"]),
        ),  # type: ignore[arg-type]
        (
            "query p99 (ms)",
            1e3 * percentile(ours["latencies"], 0.99),
            1e3 * percentile(theirs["latencies"], 0.99),
        ),  # type: ignore[arg-type]
        ("queries/s", ours["qps"], theirs["qps"]),
    ]
    print(f"{'':<16}{'limkit (bm25s)':>16}{'plain Python':>16}{'ratio':>10}")
    for name, mine, base in rows:
        ratio = mine / base if name == "queries/s" else base / mine  # type: ignore[operator]
        print(f"{name:<16}{mine:>16.3f}{base:>16.3f}{ratio:>9.1f}x")
    print(f"top-{args.k} agreement: {identical:.1%} of lists identical, mean overlap {overlap:.1%}")
    print(f"limkit index save {ours['save']:.2f} s, load (checksums verified) {ours['load']:.2f} s")
    cosine = 1e3 * exact_cosine_latency(len(corpus))
    print(f"exact cosine top-10 over {len(corpus):,} x 384 float32 (numpy): p50 {cosine:.2f} ms")


if __name__ == "__main__":
    main()
