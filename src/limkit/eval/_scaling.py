"""Inference-time scaling and length-by-difficulty analyses of existing runs (no regeneration).

O1 Replication Journey part 3 (arXiv 2501.06458) plots accuracy against the total output tokens spent
per problem, on a log axis, for majority voting over k samples: its MedQA figure has Qwen2.5-72B direct
answers at 74.31% (about 20 tokens) rising only to 74.63% (about 600 tokens) with voting, while the
LongMonolog model goes from 86.48% (about 873 tokens) to 87.98% (about 3.5e4 tokens). Part 2 defines the
cost: the average output tokens per problem, with all k samples' tokens counted.

Conventions:
- maj@k for k = 1, 2, 4, ..., n (and n itself) votes over a problem's first k samples (by sample index)
  that hold an extracted answer, grouped by the grader's normalised answer; a problem whose k samples
  hold no answer counts as wrong.
- Tie-break (seeded, unlike results.json's maj@k, which takes the earliest answer): among the equally
  frequent answers, sorted, one is drawn with `random.Random("limkit-vote:SEED:TASK:PROBLEM:K")`. The
  draw depends only on the seed and the problem, never on row order or `--limit`, so a rerun picks the
  same winner; averaged over problems it does not favour the first sample the way first-seen does.
- Tokens of a point: a problem's first k samples' completion tokens summed, averaged over problems.
- Difficulty of a problem = 1 - its pass rate over the run's samples. Reasoning length = mean
  completion tokens of its samples. The rank correlation is Spearman's rho (average ranks for ties) of
  difficulty against length over problems, with a percentile bootstrap 95% interval over problems
  (2,000 resamples, seed 0). No per-problem tier is stored in run rows, so the dataset (task) is the
  tier: lengths are also reported per task, where part 3 expects JAMA > Medbullets > MedQA.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.eval._metrics import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    group_by_problem,
    vote_key,
    wilson_interval,
)

DIFFICULTY_BUCKETS = (
    ("0 (all right)", 0.0, 0.0),
    ("(0, 0.25]", 1e-12, 0.25),
    ("(0.25, 0.5]", 0.25 + 1e-12, 0.5),
    ("(0.5, 0.75]", 0.5 + 1e-12, 0.75),
    ("(0.75, 1)", 0.75 + 1e-12, 1 - 1e-12),
    ("1 (all wrong)", 1.0, 1.0),
)


@dataclass(frozen=True)
class RunRows:
    """One run directory's graded rows, labelled for curves: directory name, model, output format."""

    path: Path
    label: str
    rows: list[dict[str, Any]]


def read_runs(run_dirs: Sequence[str | Path]) -> list[RunRows]:
    """Reads each run (as `limkit report` does) and labels it with its model, format and option mode."""
    from limkit.eval._report import load_runs

    runs = []
    for info in load_runs(run_dirs):
        if not info.rows:
            raise LimkitError("the run has no graded samples yet", path=info.path / "samples.jsonl")
        config = info.config
        extras = [config.get("output_format"), "option-free" if config.get("option_free") else None]
        label = f"{info.label[:-1]}{''.join(f', {extra}' for extra in extras if extra)})"
        runs.append(RunRows(info.path, label, info.rows))
    labels = [run.label for run in runs]
    if len(set(labels)) != len(labels):
        runs = [RunRows(run.path, f"{run.label} [{run.path}]", run.rows) for run in runs]
    return runs


def by_task(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("budget") is None:  # budget-forcing sweeps have their own accuracy-vs-budget curve
            tasks[str(row["task"])].append(row)
    return dict(tasks)


def vote_ks(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    ks = []
    k = 1
    while k <= n:
        ks.append(k)
        k *= 2
    if ks and ks[-1] != n:
        ks.append(n)
    return ks


def seeded_vote(votes: Sequence[str | None], key: str) -> int | None:
    """Index of the winning answer's first occurrence; ties drawn with a generator seeded by `key`."""
    counts = Counter(vote for vote in votes if vote is not None)
    if not counts:
        return None
    best = max(counts.values())
    tied = sorted(vote for vote, count in counts.items() if count == best)
    winner = tied[0] if len(tied) == 1 else random.Random(key).choice(tied)
    return votes.index(winner)


def problem_vote(group: Sequence[dict[str, Any]], k: int, key: str) -> tuple[bool, int]:
    """(correct, tokens) of maj@k on one problem: the vote over its first k samples and their tokens."""
    first = list(group[:k])
    winner = seeded_vote([vote_key(row) for row in first], key)
    tokens = sum(int(row.get("completion_tokens") or 0) for row in first)
    return winner is not None and bool(first[winner]["correct"]), tokens


def scaling_curve(task: str, rows: Sequence[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """maj@k accuracy against mean total output tokens per problem, for k = 1, 2, 4, ..., n."""
    groups = group_by_problem(rows)
    if not groups:
        return []
    n = min(len(group) for group in groups.values())
    points = []
    for k in vote_ks(n):
        outcomes = [
            problem_vote(group, k, f"limkit-vote:{seed}:{task}:{problem}:{k}")
            for problem, group in groups.items()
        ]
        accuracy = sum(correct for correct, _ in outcomes) / len(outcomes)
        low, high = wilson_interval(accuracy, len(outcomes))
        points.append(
            {
                "k": k,
                "accuracy": accuracy,
                "ci95": [low, high],
                "tokens_per_problem": sum(tokens for _, tokens in outcomes) / len(outcomes),
                "problems": len(outcomes),
            }
        )
    return points


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho with average ranks for ties; None when either side is constant or too short."""
    if len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman_interval(
    xs: Sequence[float], ys: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float] | None:
    """Percentile bootstrap 95% interval of rho over problems (fixed seed); None when rho is undefined."""
    import numpy as np

    if spearman(xs, ys) is None:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(xs), size=(resamples, len(xs)))
    values = [spearman([xs[i] for i in pick], [ys[i] for i in pick]) for pick in picks]
    kept = [value for value in values if value is not None]
    if not kept:
        return None
    low, high = np.percentile(kept, [2.5, 97.5])
    return float(low), float(high)


def difficulty_lengths(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-problem difficulty and reasoning length, their buckets, and their rank correlation."""
    groups = group_by_problem(rows)
    difficulty, length = [], []
    for group in groups.values():
        difficulty.append(1.0 - sum(bool(row["correct"]) for row in group) / len(group))
        length.append(sum(int(row.get("completion_tokens") or 0) for row in group) / len(group))
    buckets = []
    for name, low, high in DIFFICULTY_BUCKETS:
        members = [tokens for d, tokens in zip(difficulty, length, strict=True) if low <= d <= high]
        if members:
            buckets.append(
                {"bucket": name, "problems": len(members), "mean_tokens": sum(members) / len(members)}
            )
    rho = spearman(difficulty, length)
    interval = spearman_interval(difficulty, length) if rho is not None else None
    return {
        "problems": len(groups),
        "mean_tokens": sum(length) / len(length) if length else 0.0,
        "mean_difficulty": sum(difficulty) / len(difficulty) if difficulty else 0.0,
        "buckets": buckets,
        "spearman": rho,
        "spearman_ci95": list(interval) if interval else None,
        "points": list(zip(difficulty, length, strict=True)),
    }
