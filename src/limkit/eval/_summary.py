"""From graded rows to the `metrics` (and `budget_sweep`) sections of results.json."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from limkit.eval._metrics import sweep_point, task_metrics


def summarize(
    rows: Sequence[dict[str, Any]], task_names: Sequence[str], sweep: Sequence[int]
) -> dict[str, Any]:
    """Per-task metrics; with a budget sweep, the headline metrics are those of the largest budget.

    Returns a dict with `metrics` (task -> metrics) and, when budgets were swept, `budget_sweep`
    (task -> list of points ordered by budget: accuracy against tokens used).
    """
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_task[str(row["task"])].append(row)
    summary: dict[str, Any] = {"metrics": {}}
    if not sweep:
        for name in task_names:
            summary["metrics"][name] = task_metrics(by_task.get(name, []))
        return summary
    top = max(sweep)
    summary["budget_sweep"] = {}
    for name in task_names:
        by_budget: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in by_task.get(name, []):
            by_budget[int(row["budget"])].append(row)
        summary["metrics"][name] = task_metrics(by_budget.get(top, []))
        summary["metrics"][name]["budget"] = top
        summary["budget_sweep"][name] = [
            sweep_point(budget, by_budget.get(budget, [])) for budget in sorted(sweep)
        ]
    return summary


def summary_lines(results: dict[str, Any]) -> list[str]:
    """A plain-text table of the headline numbers for the terminal: one line per task, or with budget
    forcing one line per task and thinking budget, with thinking and answer tokens counted apart.
    `tokens` is the mean output tokens of one sample, `tok/prob` the output tokens per problem with all
    n samples summed."""
    if results.get("budget_sweep"):
        return _sweep_lines(results)
    lines = [
        f"{'task':<16} {'n':>3} {'problems':>8} {'avg@n':>7} {'95% CI':>15} {'pass@n':>7} {'maj@n':>7} "
        f"{'no-ans':>7} {'fallbk':>7} {'timeout':>7} {'trunc':>7} {'tokens':>8} {'tok/prob':>9}"
    ]
    for name, metrics in results.get("metrics", {}).items():
        if not metrics.get("problems"):
            lines.append(f"{name:<16} (no samples)")
            continue
        n = str(metrics["n"])
        shares = metrics["shares"]
        low, high = metrics["ci95"]
        lines.append(
            f"{name:<16} {metrics['n']:>3} {metrics['problems']:>8} {metrics['avg']:>7.3f} "
            f"{f'[{low:.3f}, {high:.3f}]':>15} {metrics['pass_at_k'][n]['value']:>7.3f} "
            f"{metrics['maj_at_k'][n]['value']:>7.3f} {shares['no_answer']['share']:>7.3f} "
            f"{shares.get('fallback', {'share': 0.0})['share']:>7.3f} "
            f"{shares['timeout']['share']:>7.3f} {shares['truncated']['share']:>7.3f} "
            f"{metrics['lengths']['completion_tokens_mean']:>8.1f} "
            f"{metrics['lengths'].get('completion_tokens_per_problem', 0.0):>9.1f}"
        )
    return lines


def _sweep_lines(results: dict[str, Any]) -> list[str]:
    lines = [
        f"{'task':<16} {'budget':>7} {'problems':>8} {'avg@n':>7} {'95% CI':>15} {'think tok':>9} "
        f"{'answer tok':>10} {'waits':>6} {'trunc':>6}"
    ]
    for name, points in results["budget_sweep"].items():
        for point in points:
            if not point["samples"]:
                lines.append(f"{name:<16} {point['budget']:>7} (no samples)")
                continue
            low, high = point["ci95"]
            lines.append(
                f"{name:<16} {point['budget']:>7} {point['problems']:>8} {point['avg']:>7.3f} "
                f"{f'[{low:.3f}, {high:.3f}]':>15} {point['thinking_tokens_mean']:>9.1f} "
                f"{point['answer_tokens_mean']:>10.1f} {point['waits_mean']:>6.2f} "
                f"{point['truncated_share']:>6.3f}"
            )
    return lines
