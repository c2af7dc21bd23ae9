"""`limkit eval scaling`: one HTML page (and a JSON file) of scaling, difficulty and differential analyses.

Sections: accuracy against total output tokens per problem for maj@k (log axis, one curve per run and
task); reasoning length by difficulty (buckets, Spearman's rho with its interval, per-task means); and,
for option-free runs, the differential-diagnosis analysis. Conventions are in `_scaling` and
`_differential` and are printed on the page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from limkit.eval._differential import differential_summary, is_option_free
from limkit.eval._scaling import by_task, difficulty_lengths, read_runs, scaling_curve

NOTES = (
    "maj@k votes over a problem's first k samples (normalised answers; no answer counts as wrong); ties "
    "between equally frequent answers are broken by a draw seeded with (seed, task, problem, k), so reruns "
    "agree. Tokens per problem: the k samples' completion tokens summed, averaged over problems (log "
    "axis). Difficulty = 1 - a problem's pass rate over its samples; length = its samples' mean "
    "completion tokens; rho is Spearman's rank correlation over problems with a percentile bootstrap 95% "
    "interval (2,000 resamples, seed 0)."
)


def scaling_report(run_dirs: Sequence[str | Path], seed: int = 0) -> dict[str, Any]:
    """Every analysis of the runs as plain data (what the JSON file holds and the page shows)."""
    runs = read_runs(run_dirs)
    report: dict[str, Any] = {"seed": seed, "runs": []}
    for run in runs:
        entry: dict[str, Any] = {"run": str(run.path), "label": run.label, "tasks": {}}
        for task, rows in by_task(run.rows).items():
            analysis: dict[str, Any] = {
                "scaling": scaling_curve(task, rows, seed),
                "difficulty": difficulty_lengths(rows),
            }
            if is_option_free(rows):
                analysis["differential"] = differential_summary(rows)
            entry["tasks"][task] = analysis
        report["runs"].append(entry)
    return report


def write_scaling_report(
    run_dirs: Sequence[str | Path], out: str | Path, seed: int = 0, json_out: str | Path | None = None
) -> dict[str, Any]:
    """Writes the page (and the JSON, if asked) atomically; returns the report data."""
    from limkit import html
    from limkit.data import atomic_write_text

    report = scaling_report(run_dirs, seed)
    sections = [
        html.section("Inference-time scaling (maj@k)", _scaling_table(report), _scaling_figure(report)),
        html.section("Reasoning length by difficulty", *_difficulty_parts(report)),
    ]
    differential = _differential_table(report)
    if differential:
        sections.append(html.section("Differential diagnosis (option-free runs)", differential))
    sections.append(html.section("Conventions", html.paragraph(NOTES)))
    atomic_write_text(out, html.page("limkit scaling report", sections))
    if json_out is not None:
        data = json.loads(json.dumps(report))
        for entry in data["runs"]:
            for analysis in entry["tasks"].values():
                analysis["difficulty"].pop("points", None)
        atomic_write_text(json_out, json.dumps(data, indent=2) + "\n")
    return report


def _tasks(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (entry["label"], task, analysis)
        for entry in report["runs"]
        for task, analysis in entry["tasks"].items()
    ]


def _scaling_table(report: dict[str, Any]) -> str:
    from limkit import html

    rows = [
        [
            label,
            task,
            point["k"],
            point["accuracy"],
            "[{:.3f}, {:.3f}]".format(*point["ci95"]),
            point["tokens_per_problem"],
            point["problems"],
        ]
        for label, task, analysis in _tasks(report)
        for point in analysis["scaling"]
    ]
    columns = ["run", "task", "k", "maj@k", "95% CI", "tokens per problem", "problems"]
    return html.table(columns, rows, caption="maj@k against total output tokens per problem")


def _scaling_figure(report: dict[str, Any]) -> str:
    from limkit import html

    fig, axes = html.new_figure()
    for label, task, analysis in _tasks(report):
        points = analysis["scaling"]
        xs = [max(point["tokens_per_problem"], 1e-9) for point in points]
        axes.plot(xs, [point["accuracy"] for point in points], marker="o", label=f"{label} {task}")
        for x, point in zip(xs, points, strict=True):
            axes.annotate(
                f"k={point['k']}",
                (x, point["accuracy"]),
                textcoords="offset points",
                xytext=(3, 4),
                fontsize="x-small",
            )
    axes.set_xscale("log")
    axes.set_xlabel("total output tokens per problem (log scale)")
    axes.set_ylabel("maj@k accuracy")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title("accuracy against inference-time compute")
    axes.legend(fontsize="x-small")
    return html.figure(fig, "maj@k accuracy against total output tokens per problem")


def _difficulty_parts(report: dict[str, Any]) -> list[str]:
    from limkit import html

    summary: list[list[Any]] = []
    buckets: list[list[Any]] = []
    for label, task, analysis in _tasks(report):
        d = analysis["difficulty"]
        interval = "[{:.3f}, {:.3f}]".format(*d["spearman_ci95"]) if d["spearman_ci95"] else "undefined"
        summary.append(
            [
                label,
                task,
                d["problems"],
                d["mean_difficulty"],
                d["mean_tokens"],
                d["spearman"] if d["spearman"] is not None else "undefined",
                interval,
            ]
        )
        buckets.extend([label, task, b["bucket"], b["problems"], b["mean_tokens"]] for b in d["buckets"])
    return [
        html.table(
            ["run", "task", "problems", "mean difficulty", "mean tokens", "Spearman rho", "95% CI"],
            summary,
            caption="per task (dataset): mean reasoning length and its rank correlation with difficulty",
        ),
        html.table(
            ["run", "task", "difficulty", "problems", "mean tokens"],
            buckets,
            caption="length by difficulty bucket",
        ),
        _difficulty_figure(report),
    ]


def _difficulty_figure(report: dict[str, Any]) -> str:
    from limkit import html

    fig, axes = html.new_figure()
    for label, task, analysis in _tasks(report):
        points = analysis["difficulty"]["points"]
        line = axes.scatter([p[0] for p in points], [p[1] for p in points], s=10, alpha=0.4)
        buckets = analysis["difficulty"]["buckets"]
        centres = [_bucket_centre(b["bucket"]) for b in buckets]
        axes.plot(
            centres,
            [b["mean_tokens"] for b in buckets],
            marker="s",
            color=line.get_facecolor()[0],
            label=f"{label} {task}",
        )
    axes.set_xlabel("difficulty (1 - pass rate)")
    axes.set_ylabel("mean completion tokens")
    axes.set_title("reasoning length by difficulty (dots: problems; line: bucket means)")
    axes.legend(fontsize="x-small")
    return html.figure(fig, "reasoning length against difficulty")


def _bucket_centre(name: str) -> float:
    from limkit.eval._scaling import DIFFICULTY_BUCKETS

    low, high = next((low, high) for bucket, low, high in DIFFICULTY_BUCKETS if bucket == name)
    return (low + high) / 2


def _differential_table(report: dict[str, Any]) -> str:
    from limkit import html

    rows = []
    for label, task, analysis in _tasks(report):
        d = analysis.get("differential")
        if not d:
            continue
        rows.append(
            [
                label,
                task,
                d["samples"],
                d["accuracy"],
                d["with_differential_share"],
                d["gold_in_differential_share"],
                d["gold_rank_mean"] if d["gold_rank_mean"] is not None else "",
                ", ".join(f"{rank}: {count}" for rank, count in d["gold_rank_counts"].items()),
                d["final_is_top_share"],
            ]
        )
    if not rows:
        return ""
    columns = [
        "run",
        "task",
        "samples",
        "accuracy (judge)",
        "with a differential",
        "gold in differential",
        "mean gold rank",
        "gold ranks",
        "final = top candidate",
    ]
    return html.table(
        columns,
        rows,
        caption="shares of samples; gold and final-answer shares are of samples with a differential",
    )
