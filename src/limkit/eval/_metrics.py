"""Metrics over graded samples: avg@n with an interval, unbiased pass@k, maj@k, failure shares, lengths.

Conventions (also stated in reports):
- avg@n is the mean over problems of the fraction of a problem's n samples graded correct. Its standard
  error is the sample standard deviation of the per-problem fractions over sqrt(#problems); its 95%
  interval is the Wilson score interval with the number of problems as the sample size. That interval
  stays valid at 0/N and N/N (a bootstrap or normal interval collapses to [0, 0] there); with n = 1 it
  is the textbook interval, and with n > 1 it is conservative, since the n samples of one problem are
  correlated and so carry at least one problem's worth of information.
- Paired differences between two runs on the same problems use a percentile bootstrap over problems
  (2,000 resamples, fixed seed 0, so it is repeatable): `bootstrap_interval`.
- pass@k is the unbiased estimator 1 - C(n-c, k) / C(n, k) per problem (Chen et al. 2021), computed as a
  product of ratios so it never forms huge binomials, then averaged over problems.
- maj@k votes over the first k samples (by sample index) among those with an extracted answer; answers
  are grouped by the grader's normalised form. A tie goes to the answer that appeared first. A problem
  whose first k samples hold no answer at all counts as wrong.
- Lengths: mean tokens per sample, and tokens per problem (all n samples of a problem summed, averaged
  over problems), which is what maj@n costs.
- Shares of no-answer, timeout, over-limit, unparseable-gold and truncated (finish_reason "length")
  samples are always reported, zero included, and so is the share graded from a fallback answer (the
  grader found no box, answer cue or bold answer and took the last number or math span).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from limkit.eval._diversity import sample_rows_diversity

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
Z95 = 1.959963984540054
FAILURE_STATUSES = ("no_answer", "timeout", "over_limit", "unparseable_gold")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with n samples of which c are correct.

    1 - C(n-c, k)/C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i), which stays exact in floating point for any n.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def majority_answer(votes: Sequence[str | None]) -> int | None:
    """Index (into `votes`) of the winning answer's first occurrence; None when no sample has an answer.

    Ties between equally frequent answers go to the one that appeared first.
    """
    counts = Counter(vote for vote in votes if vote is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(index for index, vote in enumerate(votes) if vote is not None and counts[vote] == best)


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, statistics.stdev(values) / math.sqrt(len(values))


def bootstrap_interval(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """Percentile 95% interval of the mean, resampling problems with a fixed seed."""
    if not values:
        return 0.0, 0.0
    import numpy as np

    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    means = data[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def wilson_interval(proportion: float, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion observed over `trials` trials (95% by default).

    Unlike the normal or bootstrap interval it is not degenerate at 0 or 1: 0/10 gives [0, 0.278].
    """
    if trials < 1:
        return 0.0, 1.0
    p = min(max(proportion, 0.0), 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    low = 0.0 if p == 0.0 else max(0.0, centre - half)
    high = 1.0 if p == 1.0 else min(1.0, centre + half)
    return low, high


def group_by_problem(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of one task grouped by problem id, each group sorted by sample index."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row["id"])].append(row)
    return {key: sorted(group, key=lambda row: int(row["sample"])) for key, group in groups.items()}


def vote_key(row: dict[str, Any]) -> str | None:
    """What a sample votes for in maj@k: the grader's normalised answer, else the extracted text."""
    if row.get("extracted") is None:
        return None
    normalized = row.get("normalized")
    return str(normalized if normalized not in (None, "") else row["extracted"]).strip()


def task_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """All metrics of one task from its graded sample rows (any order)."""
    groups = group_by_problem(rows)
    if not groups:
        return {"problems": 0, "samples": 0}
    n = min(len(group) for group in groups.values())
    scores = [sum(bool(row["correct"]) for row in group) / len(group) for group in groups.values()]
    avg, stderr = mean_and_stderr(scores)
    low, high = wilson_interval(avg, len(groups))
    return {
        "problems": len(groups),
        "samples": len(rows),
        "n": n,
        "avg": avg,
        "stderr": stderr,
        "ci95": [low, high],
        "ci95_method": "wilson",
        "pass_at_k": _pass_curve(groups, n),
        "maj_at_k": _maj_curve(groups, n),
        "shares": _shares(rows),
        "lengths": {**length_stats(rows), "completion_tokens_per_problem": _tokens_per_problem(groups)},
        **({"diversity": sample_rows_diversity(rows)} if n > 1 else {}),
    }


def _tokens_per_problem(groups: dict[str, list[dict[str, Any]]]) -> float:
    """Output tokens spent on a problem, all its samples summed, averaged over problems: the budget
    that buys maj@n (O1 Journey part 2's "average output tokens" cost, summed over the k samples)."""
    return _mean(
        [float(sum(int(row.get("completion_tokens") or 0) for row in group)) for group in groups.values()]
    )


def _pass_curve(groups: dict[str, list[dict[str, Any]]], n: int) -> dict[str, dict[str, float]]:
    curve = {}
    for k in range(1, n + 1):
        values = [pass_at_k(len(g), sum(bool(r["correct"]) for r in g), k) for g in groups.values()]
        mean, stderr = mean_and_stderr(values)
        curve[str(k)] = {"value": mean, "stderr": stderr}
    return curve


def _maj_curve(groups: dict[str, list[dict[str, Any]]], n: int) -> dict[str, dict[str, float]]:
    curve = {}
    for k in range(1, n + 1):
        values = []
        for group in groups.values():
            first = group[:k]
            winner = majority_answer([vote_key(row) for row in first])
            values.append(1.0 if winner is not None and first[winner]["correct"] else 0.0)
        mean, stderr = mean_and_stderr(values)
        curve[str(k)] = {"value": mean, "stderr": stderr}
    return curve


def _shares(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    total = len(rows)
    statuses = Counter(str(row.get("status")) for row in rows)
    counts = {status: statuses.get(status, 0) for status in FAILURE_STATUSES}
    counts["truncated"] = sum(1 for row in rows if row.get("finish_reason") == "length")
    counts["judged"] = sum(1 for row in rows if row.get("judged"))
    counts["fallback"] = sum(1 for row in rows if row.get("answer_source") == "fallback")
    return {
        name: {"count": count, "share": count / total if total else 0.0} for name, count in counts.items()
    }


def length_stats(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Completion token and character statistics (tokens as the backend reported them)."""
    tokens = [int(row.get("completion_tokens") or 0) for row in rows]
    chars = [len(row.get("completion") or "") for row in rows]
    prompt = [int(row.get("prompt_tokens") or 0) for row in rows]
    correct = [t for t, row in zip(tokens, rows, strict=True) if row["correct"]]
    wrong = [t for t, row in zip(tokens, rows, strict=True) if not row["correct"]]
    return {
        "completion_tokens_mean": _mean(tokens),
        "completion_tokens_median": float(statistics.median(tokens)) if tokens else 0.0,
        "completion_tokens_max": float(max(tokens, default=0)),
        "completion_chars_mean": _mean(chars),
        "prompt_tokens_mean": _mean(prompt),
        "completion_tokens_mean_correct": _mean(correct),
        "completion_tokens_mean_incorrect": _mean(wrong),
    }


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def sweep_point(budget: int, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One point of an accuracy-versus-budget curve; thinking and answer tokens are counted apart."""
    metrics = task_metrics(rows)
    return {
        "budget": budget,
        "problems": metrics["problems"],
        "avg": metrics.get("avg", 0.0),
        "stderr": metrics.get("stderr", 0.0),
        "ci95": metrics.get("ci95", [0.0, 1.0]),
        "completion_tokens_mean": _mean([int(row.get("completion_tokens") or 0) for row in rows]),
        "thinking_tokens_mean": _mean([int(row.get("thinking_tokens") or 0) for row in rows]),
        "answer_tokens_mean": _mean([int(row.get("answer_tokens") or 0) for row in rows]),
        "waits_mean": _mean([int(row.get("waits") or 0) for row in rows]),
        "truncated_share": metrics["shares"]["truncated"]["share"] if rows else 0.0,
        "samples": len(rows),
    }
