"""DIVE selection time: incremental greedy (running summed cosine) vs naive recomputation, same run.

For Q questions of N candidate embeddings each (default 5,000 x 50, dimension 384 like MiniLM), pick P = 5
per question by greedy forward selection on embedding diversity. The naive baseline rescores
1 - mean pairwise cosine of S + {c} from scratch for every candidate at every step (O(P * N * P^2 * d) per
question); the incremental version keeps one summed cosine per candidate (O(P * N * d)). Both must pick the
same indices; the script checks that on every question it times.

    python benchmarks/bench_dive_select.py                       # full size
    python benchmarks/bench_dive_select.py --questions 200      # reduced
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from limkit.loops.dive import greedy_embedding, naive_greedy, outlier_mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--naive-questions", type=int, default=None, help="Time the naive one on fewer.")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    pools = rng.normal(size=(args.questions, args.candidates, args.dim)).astype(np.float32)
    firsts = rng.integers(0, args.candidates, size=args.questions)

    started = time.perf_counter()
    fast = [greedy_embedding(pools[q], args.pairs, int(firsts[q])) for q in range(args.questions)]
    fast_seconds = time.perf_counter() - started

    naive_count = args.naive_questions or args.questions
    started = time.perf_counter()
    slow = [naive_greedy(pools[q], args.pairs, int(firsts[q])) for q in range(naive_count)]
    naive_seconds = (time.perf_counter() - started) * args.questions / naive_count
    assert slow == fast[:naive_count], "the incremental greedy must pick what the naive one picks"

    started = time.perf_counter()
    for q in range(min(args.questions, 50)):
        outlier_mask(pools[q], "auto", seed=0)
    filter_seconds = (time.perf_counter() - started) * args.questions / min(args.questions, 50)

    print(f"questions {args.questions}, candidates {args.candidates}, dim {args.dim}, P {args.pairs}")
    print(f"incremental greedy: {fast_seconds:.2f} s ({fast_seconds / args.questions * 1e3:.3f} ms/question)")
    scaled = " (extrapolated)" if naive_count < args.questions else ""
    print(f"naive greedy:       {naive_seconds:.2f} s{scaled} (timed on {naive_count} questions)")
    print(f"speed-up: {naive_seconds / fast_seconds:.1f}x")
    print(f"isolation forest filter: {filter_seconds:.1f} s for all questions (timed on up to 50)")


if __name__ == "__main__":
    main()
