"""The numbers of a DIVE run, read back from its files: per variant, per iteration (0 = the base model).

Difficulty buckets follow DIVE Sec. 4.2: a question's level comes from the base model's correct ratio R
over its evaluation samples (L5 [0, 0.2), L4 [0.2, 0.4), L3 [0.4, 0.6), L2 [0.6, 0.8), L1 [0.8, 1]); each
iteration's diversity is then averaged within each level.
"""

from __future__ import annotations

import json
from typing import Any

from limkit.data import read_appended, read_jsonl
from limkit.loops.dive._config import DiveConfig
from limkit.loops.dive._stages import RunPaths

LEVELS = (("L5", 0.0, 0.2), ("L4", 0.2, 0.4), ("L3", 0.4, 0.6), ("L2", 0.6, 0.8), ("L1", 0.8, 1.01))
DIVERSITY_COLUMNS = ("distinct_n", "embedding", "distinct_answers", "distinct_chains")


def level(ratio: float) -> str:
    return next(name for name, low, high in LEVELS if low <= ratio < high)


def _read(path: Any) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _bucket_diversity(samples: Any, levels: dict[str, str]) -> dict[str, Any]:
    from limkit.eval import sample_rows_diversity

    rows = [row for _, row in read_jsonl(samples)] if samples.exists() else []
    out: dict[str, Any] = {}
    for name, _, _ in LEVELS:
        chosen = [row for row in rows if levels.get(row["id"]) == name]
        if chosen:
            metrics = sample_rows_diversity(chosen)
            out[name] = {
                "questions": len({row["id"] for row in chosen}),
                "pos_distinct_n": metrics["pos"]["distinct_n"]["value"],
                "neg_distinct_n": metrics["neg"]["distinct_n"]["value"],
            }
    return out


def _row(metrics: dict[str, Any], iteration: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "iteration": iteration,
        "acc@1": metrics.get("acc@1"),
        "avg@n": metrics.get("avg@n"),
        f"pass@{metrics.get('n')}": metrics.get(f"pass@{metrics.get('n')}"),
    }
    for pool in ("pos", "neg", "all"):
        for column in DIVERSITY_COLUMNS:
            row[f"{pool}_{column}"] = metrics.get("diversity", {}).get(pool, {}).get(column, {}).get("value")
    return row


def summarize(config: DiveConfig, paths: RunPaths) -> dict[str, Any]:
    """Per variant: one row per iteration (metrics, pair counts, filter drops, training loss, buckets)."""
    base = _read(paths.base_eval / "metrics.json")
    levels = {qid: level(ratio) for qid, ratio in base.get("correct_ratio", {}).items()}
    base_row = {**_row(base, 0), "buckets": _bucket_diversity(paths.base_eval / "samples.jsonl", levels)}
    summary: dict[str, Any] = {
        "n": config.eval.n,
        "levels": {name: sum(1 for v in levels.values() if v == name) for name, _, _ in LEVELS},
        "variants": {},
    }
    for variant in config.variants:
        rows = [base_row]
        for t in range(1, config.iterations + 1):
            out = paths.iteration(variant, t)
            metrics = _read(out / "eval" / "metrics.json")
            run_info = _read(out / "model" / "limkit_run.json")
            row = {
                **_row(metrics, t),
                "pairs": _read(out / "pairs.json"),
                "train_loss": run_info.get("train_loss"),
                "policy": metrics.get("model"),
                "buckets": _bucket_diversity(out / "eval" / "samples.jsonl", levels),
            }
            rows.append(row)
        summary["variants"][variant] = rows
    summary["sampling"] = _sampling_counts(paths)
    return summary


def _sampling_counts(paths: RunPaths) -> dict[str, int]:
    generated = cached = 0
    if paths.events.exists():
        for _, row in read_appended(paths.events, "events"):
            if row.get("event") == "generate":
                generated += int(row["generated"])
                cached += int(row["cached"])
    return {"generated": generated, "cached": cached}
