"""From graded samples to preference pairs: the pool of a variant, the filter, the selection, the pairing.

Per question: the pool is this iteration's K responses (vanilla, selection) or the union of every
iteration's so far (global, dive), labels fixed by the gold. Exact duplicate texts are merged first
(`selection.dedup`, our addition: the paper does not say). Questions with no correct or no incorrect
response are skipped. With selection, an Isolation Forest drops outliers (per question, or per
correctness pool), then greedy forward selection picks up to P diverse responses from each pool; without
it, up to P are drawn at random. Chosen and rejected are paired in selection order (zip), so a question
gives min(|S+|, |S-|) <= P pairs.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limkit.loops.dive._config import DiveConfig
from limkit.loops.dive._select import outlier_mask, random_subset, select_diverse, stable_rng

if TYPE_CHECKING:
    import numpy as np

Embed = Callable[[Sequence[str]], "np.ndarray"]

USES_SELECTION = {"vanilla": False, "global": False, "selection": True, "dive": True}
USES_GLOBAL_POOL = {"vanilla": False, "global": True, "selection": False, "dive": True}


@dataclass(frozen=True)
class Pairing:
    """One iteration's pairs and its counts (what the report shows per iteration)."""

    pairs: list[dict[str, Any]]
    counts: dict[str, int]


def dedup(responses: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """First occurrence of each exact text (earliest iteration, lowest sample index)."""
    seen: set[str] = set()
    kept = []
    for response in responses:
        if response["completion"] not in seen:
            seen.add(response["completion"])
            kept.append(response)
    return kept


def build_pairs(
    config: DiveConfig,
    variant: str,
    iteration: int,
    pools: dict[str, list[dict[str, Any]]],
    prompts: dict[str, str],
    embed: Embed | None,
) -> Pairing:
    """Pairs for every question; `pools[qid]` holds the graded responses this variant may use."""
    counts: Counter[str] = Counter()
    pairs: list[dict[str, Any]] = []
    for qid in sorted(pools):
        responses = dedup(pools[qid]) if config.selection.dedup else list(pools[qid])
        counts["pool_responses"] += len(pools[qid])
        counts["duplicates_merged"] += len(pools[qid]) - len(responses)
        chosen, rejected = _choose(config, variant, iteration, qid, responses, embed, counts)
        for good, bad in zip(chosen, rejected, strict=False):
            pairs.append(_pair(qid, prompts[qid], good, bad))
        counts["questions"] += 1
    counts["pairs"] = len(pairs)
    counts["questions_paired"] = len({pair["question"] for pair in pairs})
    return Pairing(pairs, dict(counts))


def _choose(
    config: DiveConfig,
    variant: str,
    iteration: int,
    qid: str,
    responses: list[dict[str, Any]],
    embed: Embed | None,
    counts: Counter[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    positives = [r for r in responses if r["correct"]]
    negatives = [r for r in responses if not r["correct"]]
    if not positives or not negatives:
        counts["skipped_no_correct" if not positives else "skipped_no_incorrect"] += 1
        return [], []
    size = config.pairs_per_question
    seed = config.selection.seed
    if not USES_SELECTION[variant]:
        picks = [
            [pool[i] for i in random_subset(len(pool), size, stable_rng(seed, variant, iteration, qid, side))]
            for side, pool in (("pos", positives), ("neg", negatives))
        ]
        return picks[0], picks[1]
    assert embed is not None
    positives, negatives = _filtered(config, positives, negatives, embed, counts)
    if not positives or not negatives:
        counts["skipped_after_filter"] += 1
        return [], []
    chosen = []
    for side, pool in (("pos", positives), ("neg", negatives)):
        texts = [r["completion"] for r in pool]
        vectors = embed(texts) if config.selection.objective != "distinct_n" else None
        rng = stable_rng(seed, variant, iteration, qid, side)
        indices = select_diverse(texts, vectors, size, config.selection.objective, rng)
        chosen.append([pool[i] for i in indices])
    return chosen[0], chosen[1]


def _filtered(
    config: DiveConfig,
    positives: list[dict[str, Any]],
    negatives: list[dict[str, Any]],
    embed: Embed,
    counts: Counter[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Isolation Forest's inliers: fitted on the question's whole pool, or on each pool alone."""
    if not config.selection.filter:
        return positives, negatives
    spec = config.selection
    if spec.filter_scope == "question":
        both = positives + negatives
        keep = outlier_mask(embed([r["completion"] for r in both]), spec.contamination, spec.seed)
        kept_pos = [r for r, k in zip(both[: len(positives)], keep[: len(positives)], strict=True) if k]
        kept_neg = [r for r, k in zip(both[len(positives) :], keep[len(positives) :], strict=True) if k]
    else:
        pos_keep = outlier_mask(embed([r["completion"] for r in positives]), spec.contamination, spec.seed)
        neg_keep = outlier_mask(embed([r["completion"] for r in negatives]), spec.contamination, spec.seed)
        kept_pos = [r for r, k in zip(positives, pos_keep, strict=True) if k]
        kept_neg = [r for r, k in zip(negatives, neg_keep, strict=True) if k]
    counts["filter_dropped_pos"] += len(positives) - len(kept_pos)
    counts["filter_dropped_neg"] += len(negatives) - len(kept_neg)
    return kept_pos, kept_neg


def _pair(qid: str, prompt: str, good: dict[str, Any], bad: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{qid}/{_origin(good)}/{_origin(bad)}",
        "question": qid,
        "prompt": prompt,
        "chosen": good["completion"],
        "rejected": bad["completion"],
        "chosen_origin": _origin(good),
        "rejected_origin": _origin(bad),
    }


def _origin(response: dict[str, Any]) -> str:
    return f"t{response['iteration']}s{response['sample']}"


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
