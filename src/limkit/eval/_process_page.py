"""The process-level section of `limkit report`: shown for every run judged with `limkit eval process`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from limkit.eval._process import load_process

NOTE = (
    "Process score: mean over a solution's judged steps of the step judge's verdict (1 correct, 0 "
    "incorrect), averaged over a problem's samples, then over problems; 95% percentile bootstrap over "
    "problems. First error: the first step judged incorrect. Error rate at step k: share of incorrect "
    "verdicts among solutions whose step k was judged. Agreement: answer-level grade against a flawless "
    "process (no step judged incorrect). Unjudged steps (no valid verdict) are left out and counted."
)


def process_sections(runs: Sequence[tuple[str, Path]]) -> list[str]:
    """One section per judged run (label, run directory); runs never judged contribute nothing."""
    from limkit import html

    sections = []
    for label, path in runs:
        summary = load_process(path)
        if summary is None:
            continue
        settings = summary.get("settings", {})
        rows = [
            _task_row(name, metrics)
            for name, metrics in [*summary["tasks"].items(), ("(all)", summary["all"])]
        ]
        agreement = summary["all"]["agreement"]["table"]
        rates = summary["all"]["position_error_rates"]
        sections.append(
            html.section(
                f"Process-level evaluation: {label}",
                html.paragraph(
                    f"judge {settings.get('judge_backend')}:{settings.get('judge_model')}; reference field "
                    f"{settings.get('reference') or '(none)'}",
                    "note",
                ),
                html.table(
                    [
                        "task",
                        "problems",
                        "steps",
                        "process score",
                        "95% CI",
                        "step accuracy",
                        "answer acc.",
                        "agreement",
                        "unjudged",
                    ],
                    rows,
                ),
                html.table(
                    ["answer \\ process", "flawless", "flawed"],
                    [
                        [
                            "answer correct",
                            agreement["answer_correct"]["flawless"],
                            agreement["answer_correct"]["flawed"],
                        ],
                        [
                            "answer wrong",
                            agreement["answer_wrong"]["flawless"],
                            agreement["answer_wrong"]["flawed"],
                        ],
                    ],
                    caption="agreement with the answer-level grader (solutions)",
                ),
                html.table(
                    ["step", "judged", "error rate"],
                    [[rate["position"], rate["judged"], rate["error_rate"]] for rate in rates],
                    caption="error rate by step position",
                ),
                html.paragraph(NOTE, "note"),
            )
        )
    return sections


def _task_row(name: str, metrics: dict[str, Any]) -> list[Any]:
    low, high = metrics["ci95"]
    agreement = metrics["agreement"]
    return [
        name,
        metrics["problems"],
        metrics["steps"],
        metrics["process_score"],
        f"[{low:.3f}, {high:.3f}]",
        metrics["step_accuracy"],
        agreement["answer_accuracy"],
        agreement["agreement"],
        metrics["unjudged_steps"],
    ]
