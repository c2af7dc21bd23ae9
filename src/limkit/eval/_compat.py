"""`compare_judges`: a run graded by limkit's grader next to the upstream OlympicArena judger's behaviour.

The stored verdicts are limkit's. The compat verdict (`limkit.grade.olympicarena_compat`) is computed
from the same stored completions, with each problem's raw answer list and `type_sequence` re-read from the
task source the run recorded (tasks without them use the stored gold as a one-element list). Nothing is
regenerated and the run's own results are untouched: the comparison goes to `RUN_DIR/judges/<judge>.json`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError, UsageError
from limkit.eval._judging import read_run

COMPAT_JUDGES = ("olympicarena-compat",)


def compare_judges(
    run_dir: str | Path, judge: str = "olympicarena-compat", *, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Both graders' accuracy per task and every sample on which they disagree (also written to disk)."""
    from limkit.data import atomic_write_text
    from limkit.grade import olympicarena_compat

    if judge not in COMPAT_JUDGES:
        raise UsageError(f"--judge {judge!r}: expected one of {', '.join(COMPAT_JUDGES)}", field="judge")
    results, rows = read_run(Path(run_dir))
    sources = _sources(results, log)
    per_task: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    disagreements = []
    for row in rows:
        sample = sources.get((str(row["task"]), str(row["id"])))
        gold, types = _gold_of(row, sample.metadata if sample else {})
        compat = olympicarena_compat(str(row["completion"]), gold, types)
        counts = per_task[str(row["task"])]
        counts["samples"] += 1
        counts["limkit"] += bool(row["correct"])
        counts["compat"] += compat
        if compat != bool(row["correct"]):
            counts["limkit_only" if row["correct"] else "compat_only"] += 1
            disagreements.append(_disagreement(row, gold, types, compat))
    summary = {
        "judge": judge,
        "tasks": {name: _accuracies(counts) for name, counts in per_task.items()},
        "disagreements": disagreements,
    }
    atomic_write_text(Path(run_dir) / "judges" / f"{judge}.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _sources(results: dict[str, Any], log: Callable[[str], None] | None) -> dict[tuple[str, str], Any]:
    from limkit.eval._sources import source_samples

    try:
        return source_samples(results, ("answer", "type_sequence"))
    except LimkitError as error:
        if log is not None:
            log(f"note: task sources not readable ({error.render()}); using the stored gold strings")
        return {}


def _gold_of(row: dict[str, Any], metadata: dict[str, Any]) -> tuple[list[str], list[str] | None]:
    raw = metadata.get("answer")
    gold = [str(item) for item in raw] if isinstance(raw, list) and raw else [str(row["gold"])]
    types = metadata.get("type_sequence")
    return gold, [str(kind) for kind in types] if isinstance(types, list) and types else None


def _disagreement(
    row: dict[str, Any], gold: list[str], types: list[str] | None, compat: bool
) -> dict[str, Any]:
    from limkit.grade._olympic_compat import compat_extract, compat_normalize

    return {
        "task": row["task"],
        "id": row["id"],
        "sample": row["sample"],
        "gold": gold,
        "type_sequence": types,
        "limkit": bool(row["correct"]),
        "limkit_answer": row.get("extracted"),
        "limkit_status": row.get("status"),
        "compat": compat,
        "compat_answer": compat_normalize(compat_extract(str(row["completion"])))[:200],
    }


def _accuracies(counts: dict[str, int]) -> dict[str, Any]:
    total = counts["samples"]
    return {
        "samples": total,
        "limkit_accuracy": counts["limkit"] / total,
        "compat_accuracy": counts["compat"] / total,
        "limkit_only": counts["limkit_only"],
        "compat_only": counts["compat_only"],
    }


def compare_lines(summary: dict[str, Any]) -> list[str]:
    """Accuracies per task, then one line per disagreement."""
    lines = [
        f"{'task':<22} {'samples':>7} {'limkit':>7} {'compat':>7} {'limkit only':>11} {'compat only':>11}"
    ]
    for name, task in summary["tasks"].items():
        lines.append(
            f"{name:<22} {task['samples']:>7} {task['limkit_accuracy']:>7.3f} "
            f"{task['compat_accuracy']:>7.3f} {task['limkit_only']:>11} {task['compat_only']:>11}"
        )
    lines.append(f"{len(summary['disagreements'])} disagreements:")
    for item in summary["disagreements"]:
        lines.append(
            f"  {item['task']}/{item['id']}#{item['sample']}: limkit {_word(item['limkit'])} "
            f"({item['limkit_answer']!r}, {item['limkit_status']}), compat {_word(item['compat'])} "
            f"({item['compat_answer']!r}); gold {item['gold']}"
            + (f" types {item['type_sequence']}" if item["type_sequence"] else "")
        )
    return lines


def _word(correct: bool) -> str:
    return "correct" if correct else "wrong"
