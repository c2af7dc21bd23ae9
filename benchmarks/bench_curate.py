"""Dedup + decontamination of large synthetic pools: the sharded engine vs. the engine of commit d325764.

    python benchmarks/bench_curate.py [--sizes 1000000 5000000] [--current-max 1000000] [--workers 2]
                                      [--work /tmp/limkit-bench-curate] [--data-dir ../shared/data/benchmarks]

Each pool is made by perturbing the shared 8.5k pool (numbers changed, words inserted; see
tests/curate/curate_synthetic.py) and written once as JSONL under --work. For each size the same
pipeline (load; dedup MinHash, threshold 0.8; 13-gram decontamination against every registered benchmark
with a file in --data-dir, with the evidence rule of d325764 so both engines do the same work) runs in a
fresh process with the local executor and --workers worker processes:
  - limkit: this checkout;
  - current: `git archive d325764 src` extracted next to the pools (only up to --current-max problems).
Prints wall seconds, the peak resident memory of the whole process tree (sampled every 20 ms), whether
the two engines wrote byte-identical kept/dropped files, and the ratios current / limkit.
Targets on a 2-core machine: 1M problems in under 3 minutes and 1.5 GB; 5M under 4 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
REFERENCE_COMMIT = "d325764"
sys.path.insert(0, str(ROOT / "tests" / "curate"))

from curate_synthetic import peak_tree_rss, write_synthetic_pool  # noqa: E402


def run_part(pool: Path, out: Path, data_dir: Path, workers: int, engine: str) -> None:
    """The measured work, in its own process (spawned workers need this module's main guard)."""
    from limkit.curate import Decontaminate, Dedup, Load, LocalExecutor, Pipeline

    decontaminate: dict[str, Any] = {"benchmarks": ["all"], "data_dir": str(data_dir), "ngram": 13}
    if engine == "limkit":
        decontaminate.update(boilerplate_from="input", min_spans=1)  # the rule d325764 applied
    steps = [Load(path=str(pool)), Dedup(threshold=0.8), Decontaminate(**decontaminate)]
    LocalExecutor(workers=workers, tasks=max(workers, 2)).run(Pipeline(steps), out)


def reference_tree(work: Path) -> Path:
    """The d325764 source tree, extracted once with git archive."""
    target = work / f"limkit-{REFERENCE_COMMIT}"
    if not (target / "src" / "limkit").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", REFERENCE_COMMIT, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def measure(engine: str, pool: Path, data_dir: Path, workers: int, work: Path) -> dict[str, Any]:
    src = reference_tree(work) if engine == "current" else ROOT / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory(dir=work) as folder:
        out = Path(folder) / "out"
        command = [sys.executable, __file__, "--part", engine, "--pool", str(pool), "--out", str(out)]
        command += ["--data-dir", str(data_dir), "--workers", str(workers)]
        peak, seconds = peak_tree_rss(command, env)
        stats = json.loads((out / "stats.json").read_text())
        digest = hashlib.sha256()
        for name in ("kept.jsonl", "dropped.jsonl"):
            digest.update((out / name).read_bytes())
    reasons: dict[str, int] = {}
    for step in stats["steps"]:
        for code, count in step["reasons"].items():
            reasons[code] = reasons.get(code, 0) + count
    return {
        "seconds": seconds,
        "peak_mb": peak / 2**20,
        "digest": digest.hexdigest()[:16],
        "reasons": reasons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--current-max", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "limkit-bench-curate")
    parser.add_argument("--base", type=Path, default=SHARED / "pools" / "math8k.json")
    parser.add_argument("--data-dir", type=Path, default=SHARED / "benchmarks")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        run_part(args.pool, args.out, args.data_dir, args.workers, args.part)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    print(
        f"dedup (exact + MinHash LSH, Jaccard >= 0.8) + 13-gram decontamination against every benchmark "
        f"in {args.data_dir}; local executor, {args.workers} workers; peak = whole process tree"
    )
    print(f"{'problems':>10} {'engine':<8}{'seconds':>9}{'peak MB':>9}  {'output digest':<17} dropped")
    for size in args.sizes:
        pool = write_synthetic_pool(args.base, size, args.work / f"pool-{size}.jsonl")
        engines = ["limkit", "current"] if size <= args.current_max else ["limkit"]
        results = {
            engine: measure(engine, pool, args.data_dir, args.workers, args.work) for engine in engines
        }
        for engine, result in results.items():
            print(
                f"{size:>10} {engine:<8}{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}  "
                f"{result['digest']:<17} {result['reasons']}"
            )
        if "current" in results:
            new, old = results["limkit"], results["current"]
            same = "identical" if new["digest"] == old["digest"] else "DIFFERENT"
            print(
                f"{size:>10} current / limkit: {old['seconds'] / new['seconds']:.2f}x time, "
                f"{old['peak_mb'] / new['peak_mb']:.2f}x peak memory; outputs {same}"
            )


if __name__ == "__main__":
    main()
