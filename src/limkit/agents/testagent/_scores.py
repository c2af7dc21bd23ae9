"""Scores of an assessment, from its transcript rows alone (so a report can be rebuilt offline).

Definitions (limkit's; TestAgent names the metrics but its formulas are not public, fact sheet B.3):
- professionalism: the mean turn score (weighted key points met), with a seeded 95% bootstrap interval;
  the same per item, per grading dimension (each judged key point counted once per turn) and per type.
- stability: for each rephrase turn, agreement with the previous scored turn on the same item in the same
  episode, 1 - |s_rephrase - s_before| averaged over the item's key points; its mean over such pairs.
- coverage: the share of the benchmark's key points judged at least once, and of question types used;
  dynamism: the normalised Shannon entropy of the question types asked (0 = one type, 1 = all equally).
- failures: turns scoring below 0.5; distinct failures are distinct (item, type, difficulty).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from limkit.agents.testagent._exam import VERDICT_SCORES
from limkit.agents.testagent._schema import ACTIONS

RESAMPLES = 1000


def mean_interval(values: Sequence[float], seed: int = 0) -> dict[str, Any]:
    """Mean with a 95% percentile-bootstrap interval (seeded, so a report is reproducible)."""
    if not values:
        return {"mean": None, "lo": None, "hi": None, "n": 0}
    mean = sum(values) / len(values)
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(RESAMPLES))
    return {
        "mean": mean,
        "lo": means[int(0.025 * RESAMPLES)],
        "hi": means[int(0.975 * RESAMPLES) - 1],
        "n": len(values),
    }


def _stability(items: dict[str, dict[str, Any]], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    agreements = []
    previous: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["episode"], row["item_id"])
        if row["score"] is None:
            continue
        if row["action"] == "rephrase" and key in previous:
            before = previous[key]["verdicts"]
            ids = [p["id"] for p in items[row["item_id"]]["criteria"]["stage2_key_points"]]
            diffs = [abs(VERDICT_SCORES[row["verdicts"][i]] - VERDICT_SCORES[before[i]]) for i in ids]
            agreements.append(1.0 - sum(diffs) / len(diffs))
        previous[key] = row
    return mean_interval(agreements)


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    if total == 0:
        return 0.0
    entropy = -sum(c / total * math.log(c / total) for c in counts.values() if c)
    return entropy / math.log(len(ACTIONS))


def summarize(
    items: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], lowest: int = 5
) -> dict[str, Any]:
    by_id = {item["id"]: item for item in items}
    scored = [row for row in rows if row["score"] is not None]
    per_item: dict[str, list[float]] = defaultdict(list)
    per_type: dict[str, list[float]] = defaultdict(list)
    per_dimension: dict[str, list[float]] = defaultdict(list)
    judged: set[tuple[str, str]] = set()
    for row in scored:
        per_item[row["item_id"]].append(row["score"])
        per_type[row["action"]].append(row["score"])
        for point in by_id[row["item_id"]]["criteria"]["stage2_key_points"]:
            per_dimension[point["dimension"]].append(VERDICT_SCORES[row["verdicts"][point["id"]]])
            judged.add((row["item_id"], point["id"]))
    all_points = sum(len(item["criteria"]["stage2_key_points"]) for item in items)
    types = Counter(row["action"] for row in rows)
    failures = [row for row in scored if row["failure"]]
    return {
        "turns": len(rows),
        "unscored_turns": len(rows) - len(scored),
        "professionalism": mean_interval([row["score"] for row in scored]),
        "per_item": {key: mean_interval(values) for key, values in sorted(per_item.items())},
        "per_dimension": {key: mean_interval(values) for key, values in sorted(per_dimension.items())},
        "per_type": {key: mean_interval(per_type[key]) for key in ACTIONS if key in per_type},
        "stability": _stability(by_id, rows),
        "coverage": {
            "key_points": len(judged) / all_points if all_points else 0.0,
            "question_types": len(types) / len(ACTIONS),
            "dynamism": _entropy(types),
            "type_counts": dict(types),
            "difficulties": sorted({row["difficulty"] for row in rows}),
        },
        "failures": {
            "turns": len(failures),
            "distinct": len({(r["item_id"], r["action"], r["difficulty"]) for r in failures}),
            "list": [_brief(row) for row in failures],
        },
        "lowest": [
            _exchange(row)
            for row in sorted(scored, key=lambda r: (r["score"], r["episode"], r["turn"]))[:lowest]
        ],
    }


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("episode", "turn", "item_id", "action", "difficulty", "score")}


def _exchange(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **_brief(row),
        "question": row["question"],
        "answer": row["answer"],
        "verdicts": row["verdicts"],
        "note": row["judge_note"],
    }
