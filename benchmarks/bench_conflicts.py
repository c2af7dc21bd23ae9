"""Conflict detection run time: an NLI detector over N pairs (both orders, with and without the question,
so 4 N scorings) with the tiny MNLI-headed classifier, against raw forward passes of the same model.

    PYTHONPATH=src python benchmarks/bench_conflicts.py [--pairs 1000] [--batch-size 16] [--threads 1]

The baseline is `HfNli.logits` over exactly the same 4 N (premise, hypothesis) inputs with no run
directory; the detector adds unit bookkeeping, decisions by both rules and the durable score file.
Prints seconds, scorings per second, the ratio detector / baseline, and the resume time (all scored).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any


def synthetic_pairs(count: int) -> list[dict[str, Any]]:
    """Pairs shaped like a build's, with evidence of sentence length and varied lengths."""
    pairs = []
    for i in range(count):
        a, b = f"answer {i % 97}", f"answer {(i * 7 + 3) % 101}"
        pairs.append(
            {
                "id": f"p{i}",
                "kind": "answer",
                "group": "E1-E3",
                "label": 1,
                "setting": "direct",
                "length": "short",
                "question": f"who won the cup in year {1900 + i % 120}",
                "x": f"Records from the archive show that the {a} is right" + " indeed" * (i % 9) + ".",
                "y": f"Several newspapers of the time agree that it was {b}.",
            }
        )
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    from limkit.studies.conflicts import HfNli, build_tiny_nli, parse_detector, run_detection
    from limkit.studies.conflicts._detect import units_for

    torch.set_num_threads(args.threads)
    pairs = synthetic_pairs(args.pairs)
    with tempfile.TemporaryDirectory() as work:
        model = build_tiny_nli(Path(work) / "nli")
        detector = parse_detector(f"nli:{model}")
        inputs = [unit.texts() for unit in units_for(pairs, detector)]
        baseline_nli = HfNli(str(model), batch_size=args.batch_size)
        baseline_nli.logits(inputs[:4])  # load and warm up outside the timing
        started = time.perf_counter()
        baseline_nli.logits(inputs)
        baseline = time.perf_counter() - started
        scores = Path(work) / "scores.jsonl"
        started = time.perf_counter()
        rows, fresh = run_detection(pairs, [detector], scores, batch_size=args.batch_size)
        detected = time.perf_counter() - started
        started = time.perf_counter()
        _, again = run_detection(pairs, [detector], scores, batch_size=args.batch_size)
        resumed = time.perf_counter() - started
    assert fresh == len(rows) == 4 * args.pairs and again == 0
    print(
        f"pairs: {args.pairs} ({len(inputs)} scorings: 2 orders x 2 modes), batch {args.batch_size}, "
        f"{args.threads} torch thread(s)"
    )
    print(f"baseline, raw HfNli.logits:  {baseline:7.2f} s  {len(inputs) / baseline:8.1f} scorings/s")
    print(
        f"limkit detect (nli, 2 rules): {detected:7.2f} s  {len(inputs) / detected:8.1f} scorings/s "
        f"(includes loading the model)"
    )
    print(f"ratio detect / baseline:      {detected / baseline:7.2f}")
    print(f"resume with all scored:       {resumed:7.2f} s")


if __name__ == "__main__":
    main()
