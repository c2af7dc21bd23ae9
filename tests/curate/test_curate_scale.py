"""Curation at pool scale: the sharded engine gives today's bytes, resumes part by part, stays in budget.

The reference outputs were produced by the implementation at commit d325764 (one process deciding
dedup with datasketch, decontamination scanning the pool in `prepare`) on the same inputs; their
SHA-256 digests are in `data/reference_d325764.json`. Decontamination runs with the rule of that time
(`min_spans: 1`, `boilerplate_from: input`), since today's defaults are stricter on purpose.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from curate_helpers import kill_when, run_steps
from curate_synthetic import peak_tree_rss, write_synthetic_pool

from limkit.curate import Decontaminate, Dedup, Load, RayExecutor
from limkit.curate._minhash import permutations, shingle_hashes, signatures
from limkit.curate._record import normalize_text

REFERENCE = json.loads((Path(__file__).parent / "data" / "reference_d325764.json").read_text())
LEGACY_DECONTAM = {"boilerplate_from": "input", "min_spans": 1}


def _digests(out: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in ("kept.jsonl", "dropped.jsonl")
    }


def _steps(pool: Path, benchmarks_dir: Path, problem: str = "problem", **dedup: Any) -> list[Any]:
    return [
        Load(path=str(pool), fields={"problem": problem}),
        Dedup(**dedup),
        Decontaminate(data_dir=str(benchmarks_dir), **LEGACY_DECONTAM),
    ]


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synthetic")


def test_signatures_are_bit_identical_to_datasketch(pool_rows: list[dict[str, Any]]) -> None:
    from datasketch import MinHash

    texts = [normalize_text(row["prompt"]) for row in pool_rows[:400]] + ["", "one", "two words"]
    hashes = [shingle_hashes(text, 3) for text in texts]
    ours = signatures(hashes, permutations(128, 7))
    reference = MinHash(num_perm=128, seed=7).permutations
    for row, values in zip(ours, hashes, strict=True):
        expected = MinHash(num_perm=128, seed=7, hashfunc=int, permutations=reference, scheme="affine32")
        expected.update_batch(values)
        assert np.array_equal(row, expected.hashvalues)


def test_the_real_pool_gives_the_bytes_of_d325764(
    pool_path: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    """8,523 problems, 2 workers and 3 shards (d325764 ran in one process): identical kept/dropped files."""
    result = run_steps(_steps(pool_path, benchmarks_dir, "prompt"), tmp_path, workers=2, tasks=3)
    assert _digests(tmp_path) == REFERENCE["math8k"]["digests"]
    assert [step["reasons"] for step in result.stats["steps"]] == REFERENCE["math8k"]["reasons"]


@pytest.mark.slow
def test_a_100k_synthetic_pool_gives_the_bytes_of_d325764(
    pool_path: Path, benchmarks_dir: Path, synthetic_dir: Path, tmp_path: Path
) -> None:
    pool = write_synthetic_pool(pool_path, 100_000, synthetic_dir / "100k.jsonl")
    result = run_steps(_steps(pool, benchmarks_dir, memory_mb=8), tmp_path, workers=2, tasks=4)
    assert _digests(tmp_path) == REFERENCE["synthetic100k"]["digests"]
    assert [step["reasons"] for step in result.stats["steps"]] == REFERENCE["synthetic100k"]["reasons"]


def test_ray_and_local_processes_give_the_same_bytes(
    uninterrupted: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Every dedup phase as Ray tasks (3 shards, several bucket partitions) vs. one local process."""
    import ray

    pool, local = uninterrupted
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        on_ray = RayExecutor(tasks=3).run(
            _pipeline([Load(path=str(pool)), Dedup(memory_mb=1)]), tmp_path / "ray"
        )
    finally:
        ray.shutdown()
    assert _digests(tmp_path / "ray") == local
    assert on_ray.stats["steps"][1]["dropped"] > 500
    buckets = sorted((tmp_path / "ray" / "work" / "01_dedup" / "buckets").glob("done-*.json"))
    assert len(buckets) > 1, "the bucket phase really ran in several parts"


def _pipeline(steps: list[Any]) -> Any:
    from limkit.curate import Pipeline

    return Pipeline(steps)


_KILLABLE = """
import sys
from pathlib import Path
from limkit.curate import Dedup, Load, LocalExecutor, Pipeline
if __name__ == "__main__":
    pool, out = sys.argv[1], sys.argv[2]
    steps = [Load(path=pool), Dedup(memory_mb=1)]
    LocalExecutor(workers=1, tasks=6).run(Pipeline(steps), out)
"""


def _finished_parts(phase_dir: Path) -> dict[str, tuple[float, int]]:
    """Per marker and data file of the phase: (marker's `finished` or 0, mtime in ns)."""
    out = {}
    for path in sorted(phase_dir.iterdir()):
        if path.name.startswith("done-"):
            out[path.name] = (json.loads(path.read_text())["finished"], path.stat().st_mtime_ns)
    for path in sorted(phase_dir.glob("*.bin")):
        part = path.name.split("-")[1].split(".")[0]
        if (phase_dir / f"done-{part}.json").is_file():
            out[path.name] = (0.0, path.stat().st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def uninterrupted(pool_path: Path, synthetic_dir: Path) -> tuple[Path, dict[str, str]]:
    """The 12k synthetic pool and the digests of one uninterrupted dedup run over it."""
    pool = write_synthetic_pool(pool_path, 12_000, synthetic_dir / "12k.jsonl")
    run_steps([Load(path=str(pool)), Dedup()], synthetic_dir / "fresh")
    return pool, _digests(synthetic_dir / "fresh")


@pytest.mark.parametrize("phase", ["signatures", "buckets"])
def test_a_kill_during_a_dedup_phase_redoes_only_unfinished_parts(
    phase: str, uninterrupted: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    pool, expected = uninterrupted
    script = tmp_path / "killable.py"
    script.write_text(_KILLABLE)
    out = tmp_path / "out"
    phase_dir = out / "work" / "01_dedup" / phase
    kill_when([sys.executable, str(script), str(pool), str(out)], (phase_dir / "done-00000.json").is_file)
    parts = {"signatures": 6}.get(phase) or len(
        list((out / "work" / "01_dedup" / "signatures").glob("keys-00000-*"))
    )
    before = _finished_parts(phase_dir)
    done = [name for name in before if name.startswith("done-")]
    assert 1 <= len(done) < parts, f"killed with {len(done)} of {parts} {phase} parts done"
    assert not (out / "work" / "01_dedup" / "prepare.json").exists()
    result = run_steps([Load(path=str(pool)), Dedup(memory_mb=1)], out, workers=1, tasks=6)
    after = _finished_parts(phase_dir)
    assert {name: after[name] for name in before} == before, "a finished part was computed again"
    assert len([name for name in after if name.startswith("done-")]) == parts
    assert _digests(out) == expected
    assert result.stats["steps"][1]["dropped"] > 500


_MEASURED = """
import sys
from limkit.curate import Dedup, Load, LocalExecutor, Pipeline
if __name__ == "__main__":
    pool, out, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
    LocalExecutor(workers=2).run(Pipeline([Load(path=pool), Dedup(memory_mb=budget)]), out)
"""


@pytest.mark.slow
def test_dedup_of_a_200k_pool_stays_within_a_small_memory_budget(
    pool_path: Path, synthetic_dir: Path, tmp_path: Path
) -> None:
    """The tree's growth over the same run on 1,000 problems stays near 2 workers x the budget.

    The old engine held every signature as a Python object in one process: about 1.2 GB at 200k.
    """
    script = tmp_path / "measured.py"
    script.write_text(_MEASURED)
    small = write_synthetic_pool(pool_path, 1_000, synthetic_dir / "1k.jsonl")
    large = write_synthetic_pool(pool_path, 200_000, synthetic_dir / "200k.jsonl")
    budget_mb = 24
    baseline, _ = peak_tree_rss(
        [sys.executable, str(script), str(small), str(tmp_path / "small"), str(budget_mb)]
    )
    peak, seconds = peak_tree_rss(
        [sys.executable, str(script), str(large), str(tmp_path / "large"), str(budget_mb)]
    )
    growth_mb = (peak - baseline) / 2**20
    stats = json.loads((tmp_path / "large" / "stats.json").read_text())
    assert stats["input"] == 200_000 and stats["steps"][1]["dropped"] > 10_000
    partitions = len(list((tmp_path / "large" / "work" / "01_dedup" / "buckets").glob("done-*.json")))
    assert partitions > 4, "a small budget splits the bucket sort into many partitions"
    # 2 workers x budget, plus what is proportional to the pool outside dedup's arrays: the ids a
    # shard remembers (load refuses duplicates; ~100 bytes each) and the union-find (8 bytes each).
    allowance_mb = 2 * budget_mb * 2 + 200_000 * 120 / 2**20
    print(f"200k dedup: peak tree {peak / 2**20:.0f} MB, baseline {baseline / 2**20:.0f} MB, {seconds:.0f} s")
    assert growth_mb < allowance_mb, f"grew {growth_mb:.0f} MB over baseline ({seconds:.0f} s)"
