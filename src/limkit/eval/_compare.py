"""Which runs may be compared, and how they differ: protocol groups and paired differences.

Two runs are comparable on a task when everything that decides the task's numbers, apart from the model,
is the same: the problems (data digest), sampling, prompt, grader policy, budget forcing and judge.
`limkit report` ranks only comparable runs against each other; runs made with different protocols land
in separate groups, and the settings that differ are named. Where two comparable runs scored the same
problems, their per-task difference is computed problem by problem with a paired bootstrap interval.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from limkit.eval._metrics import bootstrap_interval

TASK_SETTINGS_IGNORED = ("source", "revision")
"""Where the rows were read from: the data digest already says whether two runs saw the same problems."""
RUN_SETTINGS = ("budget", "budgets", "grader", "judge")
"""Run-wide settings that decide every task's numbers (sampling and prompts are recorded per task)."""


def task_protocol(results: dict[str, Any], task: str) -> dict[str, Any]:
    """What decides a run's numbers on `task`, except the model: compared across runs."""
    described = results["protocol"]["tasks"].get(task, {})
    config = results["protocol"]["config"]
    settings = {key: value for key, value in described.items() if key not in TASK_SETTINGS_IGNORED}
    settings.update({key: config.get(key) for key in RUN_SETTINGS})
    return settings


def protocol_groups(results: Sequence[dict[str, Any]], tasks: Sequence[str]) -> list[list[int]]:
    """Indices of the runs grouped by their protocol on `tasks`, groups and members in input order."""
    groups: dict[str, list[int]] = {}
    for index, result in enumerate(results):
        key = json.dumps({task: task_protocol(result, task) for task in tasks}, sort_keys=True)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def protocol_differences(
    results: Sequence[dict[str, Any]], tasks: Sequence[str]
) -> list[tuple[str, list[Any]]]:
    """Each dotted setting (e.g. `aime24.params.n`) whose value is not the same in every run, with the
    value of each run in order."""
    flat = [_flatten({task: task_protocol(result, task) for task in tasks}) for result in results]
    names = sorted(set().union(*flat))
    return [
        (name, [values.get(name) for values in flat])
        for name in names
        if len({json.dumps(values.get(name), sort_keys=True) for values in flat}) > 1
    ]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@dataclass(frozen=True)
class PairedDifference:
    """Run A minus run B on one task, over the problems both scored."""

    task: str
    left: float
    right: float
    mean: float
    low: float
    high: float
    problems: int


def problem_scores(rows: Iterable[dict[str, Any]], task: str, budget: int | None) -> dict[str, float]:
    """Per problem of `task`, the share of its samples graded correct (at one thinking budget, if any)."""
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        if row["task"] == task and row.get("budget") == budget:
            outcomes[str(row["id"])].append(bool(row["correct"]))
    return {key: sum(values) / len(values) for key, values in outcomes.items()}


def paired_difference(task: str, left: dict[str, float], right: dict[str, float]) -> PairedDifference | None:
    """A − B over the problems both runs scored, with a percentile bootstrap over those problems."""
    shared = sorted(set(left) & set(right))
    if not shared:
        return None
    deltas = [left[key] - right[key] for key in shared]
    low, high = bootstrap_interval(deltas)
    return PairedDifference(
        task,
        sum(left[key] for key in shared) / len(shared),
        sum(right[key] for key in shared) / len(shared),
        sum(deltas) / len(deltas),
        low,
        high,
        len(shared),
    )
