"""The ReAlign part of the curation report: per task, how many records were rewritten or kept, and why."""

from __future__ import annotations

from typing import Any

from limkit import html


def realign_counts(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Per-task tag counts and reason counts from the `realign_filter` step's counters, if it ran."""
    step = next((s for s in steps if s.get("step") == "realign_filter"), None)
    if step is None:
        return None
    tasks: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    for key, value in step["counters"].items():
        if key.startswith("task."):
            task, _, tag = key[len("task.") :].rpartition(".")
            tasks.setdefault(task, {"rewrite": 0, "original": 0})[tag] = int(value)
        elif key.startswith("reason."):
            reasons[key[len("reason.") :]] = int(value)
    return {
        "tasks": dict(sorted(tasks.items())),
        "reasons": dict(sorted(reasons.items(), key=lambda r: -r[1])),
    }


def realign_sections(steps: list[dict[str, Any]]) -> list[str]:
    counts = realign_counts(steps)
    if counts is None:
        return []
    rows = [
        (task, c["rewrite"], c["original"], c["rewrite"] + c["original"])
        for task, c in counts["tasks"].items()
    ]
    total_rewrite = sum(row[1] for row in rows)
    total_original = sum(row[2] for row in rows)
    rows.append(("all tasks", total_rewrite, total_original, total_rewrite + total_original))
    return [
        html.section(
            "ReAlign: rewritten or kept, per task",
            html.table(["task", "rewrite", "original", "records"], rows),
            html.table(["reason", "records"], list(counts["reasons"].items())),
        )
    ]
