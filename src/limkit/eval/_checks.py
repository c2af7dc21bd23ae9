"""Warnings about sampling that makes pass@k and maj@k meaningless: n > 1 samples that cannot differ.

Two ways to get n copies of one answer: asking for n > 1 samples at temperature 0 (greedy decoding), and a
server that ignores the temperature it is sent. The first is known before anything runs; the second shows
only in the completions, so it is checked on the stored rows: when the n samples of most problems are all
the same text, the run says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from limkit.llm import SamplingParams

REPEATED_SHARE = 0.5
"""Warn when more than this share of a task's problems got n identical samples."""


def greedy_warnings(params: Mapping[str, SamplingParams]) -> list[dict[str, Any]]:
    """One warning per task that asks for n > 1 samples with greedy decoding (temperature 0)."""
    return [
        {
            "kind": "greedy",
            "task": task,
            "message": f"{task}: n={p.n} samples at temperature 0 (greedy decoding) are identical, so "
            "pass@k and maj@k equal avg@1; pass --temperature > 0 (e.g. 0.6) or --n 1",
        }
        for task, p in params.items()
        if p.n > 1 and p.temperature == 0
    ]


def repeated_sample_warnings(
    rows: Sequence[dict[str, Any]], params: Mapping[str, SamplingParams]
) -> list[dict[str, Any]]:
    """One warning per sampled task (n > 1, temperature > 0) whose problems mostly got n identical samples."""
    completions: dict[str, dict[tuple[str, Any], set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        completions[str(row["task"])][(str(row["id"]), row.get("budget"))].add(str(row["completion"]))
    warnings = []
    for task, p in params.items():
        groups = completions.get(task, {})
        if p.n < 2 or p.temperature == 0 or not groups:
            continue
        repeated = sum(1 for texts in groups.values() if len(texts) == 1)
        if repeated / len(groups) > REPEATED_SHARE:
            warnings.append(
                {
                    "kind": "repeated",
                    "task": task,
                    "message": f"{task}: all {p.n} samples are the same text for {repeated} of {len(groups)} "
                    f"problems at temperature {p.temperature}; the backend may be ignoring the temperature, "
                    "so pass@k and maj@k say little beyond avg@1",
                }
            )
    return warnings
