"""From step verdicts to process scores (OlympicArena B.5, limkit's formula).

For a solution with judged step labels y_1..y_m (1 correct, 0 incorrect) the process score is
P = (1/m) sum y_i and its first error is min{i : y_i = 0} (None when no step is wrong). Unjudged steps
(the judge's reply never validated) are left out of m and counted. A problem's score is the mean P of its
samples; a task's process score is the mean over problems, with a 95% percentile-bootstrap interval over
problems. The per-position error rate at k is the share of incorrect verdicts among solutions whose step
k was judged. Agreement with the answer-level grader is a 2x2 table over solutions: answer correct or
not, against process flawless (every judged step correct) or not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from limkit.eval._metrics import bootstrap_interval
from limkit.eval._runfiles import row_key

SolutionKey = tuple[str, str, int, int | None]


def solution_record(
    row: dict[str, Any], shape: dict[str, Any], verdicts: Mapping[tuple[Any, ...], dict[str, Any]]
) -> dict[str, Any]:
    """One solution's labels, process score and first-error position."""
    key = row_key(row)
    labels = [verdicts.get((*key, step), {}).get("verdict") for step in range(1, shape["steps"] + 1)]
    judged = [label == "correct" for label in labels if label is not None]
    first_error = next((i for i, label in enumerate(labels, 1) if label == "incorrect"), None)
    return {
        "task": key[0],
        "id": key[1],
        "sample": key[2],
        "budget": key[3],
        "steps": shape["steps"],
        "method": shape["method"],
        "labels": labels,
        "unjudged": sum(label is None for label in labels),
        "score": sum(judged) / len(judged) if judged else None,
        "first_error": first_error,
        "answer_correct": bool(row["correct"]),
    }


def process_summary(
    rows: Sequence[dict[str, Any]],
    shapes: Mapping[SolutionKey, dict[str, Any]],
    verdicts: Mapping[tuple[Any, ...], dict[str, Any]],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The process results of a run: per task and over all tasks, plus every solution's record."""
    solutions = [solution_record(row, shapes[row_key(row)], verdicts) for row in rows]
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in solutions:
        by_task[record["task"]].append(record)
    tasks = {name: task_process_metrics(records) for name, records in by_task.items()}
    return {
        "format": "limkit-process/1",
        "settings": settings,
        "tasks": tasks,
        "all": task_process_metrics(solutions),
        "solutions": solutions,
    }


def task_process_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    scored = [record for record in records if record["score"] is not None]
    by_problem: dict[str, list[float]] = defaultdict(list)
    for record in scored:
        by_problem[f"{record['task']}/{record['id']}"].append(float(record["score"]))
    problem_scores = [sum(values) / len(values) for values in by_problem.values()]
    low, high = bootstrap_interval(problem_scores)
    labels = [label for record in records for label in record["labels"]]
    first_errors: dict[str, int] = defaultdict(int)
    for record in scored:
        first_errors[str(record["first_error"] or "none")] += 1
    return {
        "problems": len(problem_scores),
        "solutions": len(records),
        "scored_solutions": len(scored),
        "no_steps": sum(record["steps"] == 0 for record in records),
        "steps": len(labels),
        "unjudged_steps": sum(label is None for label in labels),
        "step_accuracy": _share(
            sum(label == "correct" for label in labels), sum(x is not None for x in labels)
        ),
        "process_score": sum(problem_scores) / len(problem_scores) if problem_scores else None,
        "ci95": [low, high],
        "first_error": dict(sorted(first_errors.items(), key=lambda item: _position_order(item[0]))),
        "position_error_rates": position_error_rates(scored),
        "agreement": agreement(scored),
    }


def position_error_rates(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """At each step position: how many solutions had that step judged, and the share judged incorrect."""
    longest = max((len(record["labels"]) for record in records), default=0)
    rates = []
    for position in range(longest):
        labels = [
            record["labels"][position]
            for record in records
            if position < len(record["labels"]) and record["labels"][position] is not None
        ]
        wrong = sum(label == "incorrect" for label in labels)
        rates.append(
            {"position": position + 1, "judged": len(labels), "error_rate": _share(wrong, len(labels))}
        )
    return rates


def agreement(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The 2x2 table of answer-level correctness against a flawless process, and its agreement rate."""
    table = {"answer_correct": {"flawless": 0, "flawed": 0}, "answer_wrong": {"flawless": 0, "flawed": 0}}
    for record in records:
        answer = "answer_correct" if record["answer_correct"] else "answer_wrong"
        table[answer]["flawless" if record["first_error"] is None else "flawed"] += 1
    agreeing = table["answer_correct"]["flawless"] + table["answer_wrong"]["flawed"]
    total = len(records)
    answer_accuracy = _share(sum(record["answer_correct"] for record in records), total)
    return {"table": table, "agreement": _share(agreeing, total), "answer_accuracy": answer_accuracy}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _position_order(key: str) -> tuple[int, int]:
    return (1, 0) if key == "none" else (0, int(key))


def process_lines(summary: dict[str, Any]) -> list[str]:
    """A terminal table: per task, process score with its interval, step accuracy, agreement."""
    lines = [
        f"{'task':<16} {'problems':>8} {'steps':>6} {'process':>8} {'95% CI':>15} {'step acc':>8} "
        f"{'answer':>7} {'agree':>6} {'unjudged':>8}"
    ]
    for name, metrics in [*summary["tasks"].items(), ("(all)", summary["all"])]:
        if metrics["process_score"] is None:
            lines.append(f"{name:<16} (no judged steps)")
            continue
        low, high = metrics["ci95"]
        agree = metrics["agreement"]
        lines.append(
            f"{name:<16} {metrics['problems']:>8} {metrics['steps']:>6} {metrics['process_score']:>8.3f} "
            f"{f'[{low:.3f}, {high:.3f}]':>15} {_fmt(metrics['step_accuracy']):>8} "
            f"{_fmt(agree['answer_accuracy']):>7} {_fmt(agree['agreement']):>6} "
            f"{metrics['unjudged_steps']:>8}"
        )
    table = summary["all"]["agreement"]["table"]
    right, wrong = table["answer_correct"], table["answer_wrong"]
    lines.append(
        f"answer x process (all): correct&flawless {right['flawless']}, correct&flawed {right['flawed']}, "
        f"wrong&flawless {wrong['flawless']}, wrong&flawed {wrong['flawed']}"
    )
    rates = summary["all"]["position_error_rates"]
    if rates:
        lines.append(
            "error rate by step: "
            + ", ".join(f"{rate['position']}: {_fmt(rate['error_rate'])}" for rate in rates[:12])
        )
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
