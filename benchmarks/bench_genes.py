"""Gene prioritization run time with the scripted oracle: divide-and-conquer against whole-list ranking.

    PYTHONPATH=src python benchmarks/bench_genes.py [--n 50] [--limit 483] [-s 10] [-m 3]
        [--phenopackets ../shared/data/phenopackets/phenopackets.jsonl]

Both rankers rank the same cases at the same n through the real `Generator` interface and SQLite request
cache (the scripted backend answers instantly, so this measures limkit's own overhead: prompts, requests,
cache writes, repair, merging). Prints seconds, asks and asks per second for each, and the ratio
divide-and-conquer / whole-list (the baseline), then the same again answered from the cache (a resume).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "genes"))


def timed(
    cases: list, pool: Any, method: str, n: int, s: int, m: int, cache_path: Path
) -> tuple[float, int, int]:
    from limkit.llm import CompletionCache, make_generator
    from limkit.studies.genes import Asker, PromptOptions, StudyConfig, run_study

    generator = make_generator("scripted", "gene_scripts:oracle", cache=CompletionCache(cache_path))
    config = StudyConfig(sizes=(n,), method=method, chunk_size=s, advance=m)
    started = time.perf_counter()
    rows = run_study(cases, pool, config, Asker(generator, PromptOptions()))
    seconds = time.perf_counter() - started
    stats = generator.stats
    assert all(row["rank"] == 1 for row in rows), "the oracle must rank the causal gene first"
    return seconds, stats.generated + stats.cached, stats.cached


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--phenopackets", type=Path, default=ROOT.parent / "shared/data/phenopackets/phenopackets.jsonl"
    )
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--limit", type=int, default=483)
    parser.add_argument("-s", type=int, default=10)
    parser.add_argument("-m", type=int, default=3)
    args = parser.parse_args()
    from limkit.studies.genes import GenePool, load_cases

    every = load_cases(args.phenopackets).cases
    pool = GenePool.from_cases(every)  # decoys come from the whole store, whatever --limit
    cases = every[: args.limit]
    with tempfile.TemporaryDirectory() as work:
        results = {}
        for method in ("whole", "dc"):
            cache = Path(work) / f"{method}.sqlite"
            results[method] = (timed(cases, pool, method, args.n, args.s, args.m, cache),
                               timed(cases, pool, method, args.n, args.s, args.m, cache))  # fmt: skip
    print(f"{len(cases)} cases, n = {args.n}, s = {args.s}, m = {args.m}")
    for method, ((fresh, asks, _), (resumed, _, cached)) in results.items():
        print(
            f"{method:>5}: {fresh:7.2f} s, {asks} asks ({asks / fresh:7.1f}/s); "
            f"resumed {resumed:6.2f} s ({cached} cached)"
        )
    ratio = results["dc"][0][0] / results["whole"][0][0]
    print(f"divide-and-conquer / whole-list (baseline) time: {ratio:.2f}x")


if __name__ == "__main__":
    main()
