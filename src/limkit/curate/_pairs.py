"""DPO pairs from graded samples (O1 Replication Journey Part 1's DPO stage).

The paper sampled 20 responses per MATH training question (top_p 0.95, T 0.7), labelled them by
final-answer correctness, and randomly picked 5 positives and 5 negatives to make 5 pairs. What it
left unsaid, and limkit's choice: a question with fewer than 5 on a side gives min(positives,
negatives) pairs (none when a side is empty, counted), and the draw is seeded per question.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from limkit.curate._record import Record


def dpo_pairs(
    records: Iterable[Record],
    *,
    positives: int = 5,
    negatives: int = 5,
    seed: int = 0,
    counts: dict[str, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """`{"id", "prompt", "chosen", "rejected"}` rows from records whose `chains` carry `text` and `correct`
    (what the `distill` step keeps with `require_correct: false`)."""
    counts = counts if counts is not None else {}
    for record in records:
        chains = record.get("chains") or []
        right = [c["text"] for c in chains if c.get("correct")]
        wrong = [c["text"] for c in chains if not c.get("correct")]
        rng = random.Random(f"{seed}:{record['id']}")
        chosen = rng.sample(right, min(positives, len(right)))
        rejected = rng.sample(wrong, min(negatives, len(wrong)))
        pairs = list(zip(chosen, rejected, strict=False))
        key = "questions_paired" if pairs else "questions_one_sided"
        counts[key] = counts.get(key, 0) + 1
        counts["pairs"] = counts.get("pairs", 0) + len(pairs)
        for index, (good, bad) in enumerate(pairs):
            yield {
                "id": f"{record['id']}:{index}",
                "prompt": record["problem"],
                "chosen": good,
                "rejected": bad,
            }
