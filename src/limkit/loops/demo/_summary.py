"""The demo's numbers, read back from its own run files: per-seed accuracy, pooled means, paired differences.

Everything here is computed from `eval/NAME/results.json` and `eval/NAME/samples.jsonl` of each seed's
directory, so the terminal table, the HTML report and `summary.json` can never disagree with the runs.
Intervals over several seeds resample seeds first and problems within each drawn seed (a two-level
bootstrap), so they carry both the seed-to-seed and the problem-to-problem variation.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from limkit.data import atomic_write_text, read_jsonl
from limkit.loops.demo._pool import SINGLE_STEP

MODELS = ("base", "curated", "random", "full")
LABELS = {
    "base": "foundation model (no SFT)",
    "curated": "SFT on the curated set",
    "random": "SFT on a random set of the same size",
    "full": "SFT on the whole clean pool",
}
COMPARISONS = (("curated", "random"), ("curated", "full"), ("curated", "base"))
BOOTSTRAP_DRAWS = 2000
# The foundation model "holds the knowledge" when it solves at least this share of one-step problems.
KNOWS_THRESHOLD = 0.5


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% bootstrap interval over `count` (seed, problem) pairs."""

    mean: float
    low: float
    high: float
    count: int

    def interval(self) -> str:
        return f"[{self.low:+.3f}, {self.high:+.3f}]"


@dataclass(frozen=True)
class DemoSummary:
    """Per-seed accuracy of each model, pooled accuracy, paired differences and the conclusion."""

    seeds: list[int]
    n: int
    per_seed: dict[str, dict[str, float]]  # model -> str(seed) -> avg@n as its results.json gives it
    pooled: dict[str, Estimate]
    differences: dict[str, Estimate]  # "curated-random" -> paired difference
    by_family: dict[str, dict[str, float]]  # model -> family -> accuracy over all seeds
    premise: str
    conclusion: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def per_problem(samples: Path) -> dict[str, float]:
    """Each problem's share of correct samples in one evaluation run."""
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for _, row in read_jsonl(samples):
        outcomes[str(row["id"])].append(bool(row["correct"]))
    return {key: sum(values) / len(values) for key, values in outcomes.items()}


def nested_bootstrap(groups: list[list[float]], seed: int = 0) -> Estimate:
    """Mean over all values, and a 95% interval resampling groups (seeds), then values within each."""
    flat = [value for group in groups for value in group]
    mean = sum(flat) / len(flat)
    rng = random.Random(seed)
    draws = []
    for _ in range(BOOTSTRAP_DRAWS):
        total, count = 0.0, 0
        for group in (rng.choice(groups) for _ in groups):
            total += sum(rng.choice(group) for _ in group)
            count += len(group)
        draws.append(total / count)
    draws.sort()
    low = draws[int(0.025 * (BOOTSTRAP_DRAWS - 1))]
    high = draws[int(0.975 * (BOOTSTRAP_DRAWS - 1))]
    return Estimate(mean, low, high, len(flat))


def summarize(seed_dirs: dict[int, Path]) -> DemoSummary:
    """Reads every seed's evaluation runs and computes the whole comparison from them."""
    per_seed: dict[str, dict[str, float]] = {name: {} for name in MODELS}
    scores: dict[str, dict[int, dict[str, float]]] = {name: {} for name in MODELS}
    families: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in MODELS}
    n = 0
    for seed, root in seed_dirs.items():
        family_of = {
            str(row["id"]): str(row["domain"]) for _, row in read_jsonl(root / "data" / "eval.jsonl")
        }
        for name in MODELS:
            results = json.loads((root / "eval" / name / "results.json").read_text(encoding="utf-8"))
            (metrics,) = results["metrics"].values()
            per_seed[name][str(seed)] = float(metrics["avg"])
            n = int(metrics["n"])
            scores[name][seed] = per_problem(root / "eval" / name / "samples.jsonl")
            for problem, score in scores[name][seed].items():
                families[name][family_of[problem]].append(score)
    seeds = sorted(seed_dirs)
    pooled = {name: nested_bootstrap([list(scores[name][s].values()) for s in seeds]) for name in MODELS}
    differences = {}
    for left, right in COMPARISONS:
        groups = []
        for s in seeds:
            ids = sorted(set(scores[left][s]) & set(scores[right][s]))
            groups.append([scores[left][s][i] - scores[right][s][i] for i in ids])
        differences[f"{left}-{right}"] = nested_bootstrap(groups)
    by_family = {
        name: {family: sum(values) / len(values) for family, values in sorted(families[name].items())}
        for name in MODELS
    }
    return DemoSummary(
        seeds,
        n,
        per_seed,
        pooled,
        differences,
        by_family,
        premise(families["base"]),
        conclusion(seeds, n, pooled, differences),
    )


def premise(base_families: dict[str, list[float]]) -> str:
    """Whether the foundation model holds the knowledge (one-step problems) and lacks the chaining.

    LIMO's hypothesis only applies when the first part is true, so the report says it before the
    comparison, from the foundation model's own evaluation.
    """
    one_step = [score for family in SINGLE_STEP for score in base_families.get(family, [])]
    chained = [
        score for family, scores in base_families.items() if family not in SINGLE_STEP for score in scores
    ]
    knows, chains = sum(one_step) / max(len(one_step), 1), sum(chained) / max(len(chained), 1)
    numbers = (
        f"Premise check: the foundation model solves {knows:.3f} of the one-step problems (the knowledge it "
        f"was given) and {chains:.3f} of the chained ones (the reasoning it was never shown)."
    )
    if knows >= KNOWS_THRESHOLD:
        return f"{numbers} The knowledge is there, so the comparison below is a fair test of the hypothesis."
    return (
        f"{numbers} It does not reliably hold the knowledge (below {KNOWS_THRESHOLD}), so the premise of the "
        f"hypothesis does not hold here: read the comparison with that in mind."
    )


def _verdict(estimate: Estimate) -> str:
    if estimate.low > 0:
        return "better"
    if estimate.high < 0:
        return "worse"
    return "unclear"


def conclusion(
    seeds: list[int], n: int, pooled: dict[str, Estimate], differences: dict[str, Estimate]
) -> str:
    """The sentence the numbers support, and no more: an interval that covers zero shows nothing."""
    vs_random, vs_full = differences["curated-random"], differences["curated-full"]
    numbers = (
        f"avg@{n} over {len(seeds)} seed{'s' if len(seeds) > 1 else ''}: curated "
        f"{pooled['curated'].mean:.3f}, random {pooled['random'].mean:.3f}, "
        f"full pool {pooled['full'].mean:.3f}; "
        f"curated - random {vs_random.mean:+.3f} (95% CI {vs_random.interval()}), "
        f"curated - full {vs_full.mean:+.3f} (95% CI {vs_full.interval()})."
    )
    verdicts = {"random set": _verdict(vs_random), "whole pool": _verdict(vs_full)}
    better = [name for name, verdict in verdicts.items() if verdict == "better"]
    worse = [name for name, verdict in verdicts.items() if verdict == "worse"]
    if len(better) == 2:
        claim = "Curation beat both baselines, as LIMO's hypothesis predicts."
    elif worse:
        against = " and the ".join(worse)
        claim = f"The curated set did worse than the {against}: this run contradicts the hypothesis."
    elif better:
        other = next(name for name in verdicts if name not in better)
        claim = f"Curation beat the {better[0]}; against the {other} this run shows no difference."
    else:
        claim = "This run shows no difference between curation and either baseline."
    return f"{numbers} {claim}"


def write_summary(path: Path, summary: DemoSummary) -> None:
    atomic_write_text(path, summary.to_json())
