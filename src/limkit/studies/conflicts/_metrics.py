"""Detector metrics (Cheng et al. section 4): accuracy per pair group, P/R/F1 of the conflict class pooled
for the direct setting (E1-E2 negatives, E1/E2-E3 positives) and the polluted one (E1'-E1, E1'-E2
positives, E1'-E3 negatives) per evidence length, and factoid accuracy against k and j; each detector
rule, order and mode apart. Unparsable verdicts are counted, and left out of the rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any


def precision_recall_f1(truth: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Of the positive (conflict) class; 0 where a denominator is 0 (scikit-learn's zero_division=0)."""
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == 1 and p == 1)
    fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == 0 and p == 1)
    fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == 1 and p == 0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n": len(truth)}


GROUP_OF = {"E1-E3": "E1/E2-E3", "E2-E3": "E1/E2-E3"}


def summarize(pairs: Sequence[dict[str, Any]], scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One block per (detector, rule, order, mode)."""
    by_id = {pair["id"]: pair for pair in pairs}
    cells: dict[tuple[str, str, str, str], list[tuple[dict[str, Any], int | None]]] = defaultdict(list)
    for row in scores:
        for rule, decision in row["decisions"].items():
            cells[(row["detector"], rule, row["order"], row["mode"])].append(
                (by_id[row["pair_id"]], decision)
            )
    blocks = [
        {"detector": d, "rule": r, "order": o, "mode": m, **_block(items)}
        for (d, r, o, m), items in sorted(cells.items())
    ]
    return {"pairs": len(pairs), "blocks": blocks}


def _block(items: Sequence[tuple[dict[str, Any], int | None]]) -> dict[str, Any]:
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    pooled: dict[str, list[tuple[int, int]]] = defaultdict(list)
    unparsable: dict[str, int] = defaultdict(int)
    for pair, decision in items:
        group = GROUP_OF.get(pair["group"], pair["group"])
        if decision is None:
            unparsable[group] += 1
            continue
        groups[group].append((pair["label"], decision))
        if pair["kind"] == "answer":
            pooled[f"{pair['setting']}|{pair['length']}"].append((pair["label"], decision))
    return {
        "groups": {
            g: {"accuracy": sum(t == p for t, p in v) / len(v), "n": len(v)}
            for g, v in sorted(groups.items())
        },
        "pooled": {
            k: precision_recall_f1([t for t, _ in v], [p for _, p in v]) for k, v in sorted(pooled.items())
        },
        "unparsable": dict(unparsable),
    }


def detector_table(summary: dict[str, Any], order: str = "xy", mode: str = "question") -> list[list[Any]]:
    """Rows detector/rule, then P/R/F1 direct and polluted per length (the paper's table shape)."""
    rows = []
    for block in summary["blocks"]:
        if block["order"] != order or block["mode"] != mode:
            continue
        for key, m in block["pooled"].items():
            setting, length = key.split("|")
            rows.append(
                [
                    block["detector"],
                    block["rule"],
                    setting,
                    length,
                    m["n"],
                    m["precision"],
                    m["recall"],
                    m["f1"],
                ]
            )
    return rows
