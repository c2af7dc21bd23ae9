"""Metrics of a ranking run: hit@k and MRR with intervals, and the bias and stratification measures.

Intervals: Wilson score (95%) for proportions, a seeded percentile bootstrap for MRR.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from limkit.studies.genes._cases import Case
from limkit.studies.genes._hpo import Hpo
from limkit.studies.genes._prompt import RepairCounts

HIT_KS = (1, 3, 5, 10)
Z95 = 1.959963984540054


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    if total == 0:
        return (math.nan, math.nan)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(values: Sequence[float], resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    if not values:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples))
    return (means[int(0.025 * resamples)], means[min(resamples - 1, int(0.975 * resamples))])


def rank_metrics(ranks: Sequence[int]) -> dict[str, Any]:
    """hit@1/3/5/10 (with Wilson intervals) and MRR (with a bootstrap interval) of 1-based ranks."""
    out: dict[str, Any] = {"cases": len(ranks)}
    for k in HIT_KS:
        hits = sum(1 for rank in ranks if rank <= k)
        out[f"hit@{k}"] = hits / len(ranks) if ranks else math.nan
        out[f"hit@{k}_ci"] = list(wilson(hits, len(ranks)))
    reciprocal = [1.0 / rank for rank in ranks]
    out["mrr"] = sum(reciprocal) / len(reciprocal) if reciprocal else math.nan
    out["mrr_ci"] = list(bootstrap_mean(reciprocal))
    return out


def _grouped(rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(int(row["rank"]))
    return dict(sorted(groups.items(), key=lambda item: str(item[0])))


def position_bias(rows: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Per n: the top-1 rate of each agent's own ranking against the slot the causal gene was shown in."""
    tally: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        for view in row["agents"]:
            cell = tally[row["n"]][view["slot"]]
            cell[0] += int(view["top1"] == row["causal"])
            cell[1] += 1
    return {
        n: [{"slot": slot, "top1": hit / seen, "shown": seen} for slot, (hit, seen) in sorted(slots.items())]
        for n, slots in sorted(tally.items())
    }


def order_sensitivity(rows: Sequence[dict[str, Any]]) -> dict[int, float]:
    """Per n: the mean over cases of the variance of the causal gene's rank across the shuffled agents."""
    per_n: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        ranks = [view["rank"] for view in row["agents"]]
        if len(ranks) > 1:
            mean = sum(ranks) / len(ranks)
            per_n[row["n"]].append(sum((r - mean) ** 2 for r in ranks) / (len(ranks) - 1))
    return {n: sum(v) / len(v) for n, v in sorted(per_n.items())}


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        start = 0
        while start < len(order):
            end = start
            while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
                end += 1
            for i in order[start : end + 1]:
                out[i] = (start + end) / 2
            start = end + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    sy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (sx * sy) if sx and sy else math.nan


def popularity_bias(rows: Sequence[dict[str, Any]], case_counts: dict[str, int]) -> dict[str, Any]:
    """How often each gene is predicted top-1 against how many cases it has in the store, per candidate
    appearance (a gene shown often is picked often by chance: the rate divides by appearances)."""
    picked: Counter[str] = Counter(row["ranking"][0] for row in rows)
    shown: Counter[str] = Counter(gene for row in rows for gene in row["candidates"])
    genes = sorted(shown)
    rates = [picked[g] / shown[g] for g in genes]
    counts = [float(case_counts.get(g, 0)) for g in genes]
    return {
        "genes": [
            {"gene": g, "case_count": c, "top1_rate": r} for g, c, r in zip(genes, counts, rates, strict=True)
        ],
        "spearman": spearman(counts, rates) if len(genes) > 2 else math.nan,
    }


def specificity(case: Case, hpo: Hpo) -> tuple[float, float]:
    """(mean, max) information content of the case's observed terms (unknown terms count 0)."""
    values = [hpo.information_content(term.id) or 0.0 for term in case.observed]
    return (sum(values) / len(values), max(values)) if values else (0.0, 0.0)


def tertile_labels(values: dict[str, float]) -> dict[str, str]:
    """low / mid / high by the thirds of the sorted values."""
    order = sorted(values, key=lambda key: (values[key], key))
    names = ("low", "mid", "high")
    return {key: names[min(2, 3 * index // max(1, len(order)))] for index, key in enumerate(order)}


def summarize(
    rows: Sequence[dict[str, Any]], cases: dict[str, Case], case_counts: dict[str, int], hpo: Hpo | None
) -> dict[str, Any]:
    """Everything the report shows, as JSON."""
    summary: dict[str, Any] = {
        "overall": rank_metrics([int(row["rank"]) for row in rows]),
        "by_n": {str(n): rank_metrics(r) for n, r in _grouped(rows, lambda row: row["n"]).items()},
        "position_bias": {str(n): v for n, v in position_bias(rows).items()},
        "order_sensitivity": {str(n): v for n, v in order_sensitivity(rows).items()},
        "popularity": popularity_bias(rows, case_counts),
        "repairs": {name: sum(row["repairs"][name] for row in rows) for name in RepairCounts().as_dict()},
    }
    with_class = [row for row in rows if row.get("confidence")]
    if with_class:
        summary["by_confidence"] = {
            str(k): rank_metrics(v) for k, v in _grouped(with_class, lambda row: row["confidence"]).items()
        }
    if hpo is not None:
        summary.update(_stratified(rows, cases, hpo))
    return summary


def _stratified(rows: Sequence[dict[str, Any]], cases: dict[str, Case], hpo: Hpo) -> dict[str, Any]:
    known = {
        cid: hpo.known_association(case.gene_symbol, [t.id for t in case.observed])
        for cid, case in cases.items()
    }
    ic = {cid: specificity(case, hpo) for cid, case in cases.items()}
    mean_bin = tertile_labels({cid: v[0] for cid, v in ic.items()})
    max_bin = tertile_labels({cid: v[1] for cid, v in ic.items()})
    return {
        "by_known_association": {
            str(k): rank_metrics(v) for k, v in _grouped(rows, lambda row: known[row["case_id"]]).items()
        },
        "by_mean_ic": {
            k: rank_metrics(v) for k, v in _grouped(rows, lambda row: mean_bin[row["case_id"]]).items()
        },
        "by_max_ic": {
            k: rank_metrics(v) for k, v in _grouped(rows, lambda row: max_bin[row["case_id"]]).items()
        },
    }
