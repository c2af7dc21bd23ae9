"""An assessment run directory: what was run, the durable transcript, and what is derived from it.

RUN/config.json        the benchmark (by checksum), the three models, the policy and the budget; a resumed
                       run must match it
RUN/transcript.jsonl   one row per finished turn, appended durably (the resume point)
RUN/cache.sqlite       every model answer (unless another cache is named)
RUN/scores.json        `summarize` of the transcript
RUN/summary.json       the examiner's model-written summary
RUN/report.html        the report (also rebuilt by `limkit testagent report RUN`)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from limkit.agents.testagent._exam import Counts, ExamConfig, Examination, Roles
from limkit.agents.testagent._policy import Policy, QPolicy
from limkit.agents.testagent._report import render_report, write_summary
from limkit.agents.testagent._schema import read_bench
from limkit.agents.testagent._scores import summarize

TRANSCRIPT = "transcript.jsonl"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_run(run_dir: Path, config: dict[str, Any]) -> None:
    """Creates the run directory, or checks that an existing one holds the same run (so it can resume)."""
    from limkit.data import start_run_dir

    start_run_dir(run_dir, config, what="assessment")


def read_transcript(run_dir: Path) -> list[dict[str, Any]]:
    from limkit.data import read_appended

    path = run_dir / TRANSCRIPT
    if not path.exists():
        return []
    return [row for _, row in read_appended(path, "transcript")]


def assess(
    bench: Path,
    run_dir: Path,
    roles: Roles,
    models: dict[str, str],
    policy: Policy,
    exam: ExamConfig,
    policy_file: Path | None = None,
    train_out: Path | None = None,
    on_turn: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], Counts, int]:
    """Runs or resumes an assessment; returns (all rows, problem counts, turns asked in this process).

    With `train_out`, `policy` is a learning `QPolicy` that is saved there when the run ends.
    """
    from limkit.data import AppendWriter

    items = read_bench(bench)
    config = {
        "benchmark": str(bench),
        "benchmark_sha256": file_digest(bench),
        "models": models,
        "policy": policy.name,
        "policy_sha256": file_digest(policy_file) if policy_file and not train_out else None,
        "training": str(train_out) if train_out else None,
        "exam": asdict(exam),
    }
    start_run(run_dir, config)
    done = read_transcript(run_dir)
    examination = Examination(items, roles, policy, exam, lambda row: None)
    with AppendWriter(run_dir / TRANSCRIPT) as writer:
        examination.log = writer.write
        rows = examination.run(done, on_turn)
    if train_out is not None and isinstance(policy, QPolicy):
        policy.trained = {"on": "real", "run": str(run_dir), "episodes": exam.episodes, "budget": exam.budget}
        policy.epsilon = 0.0
        policy.save(train_out)
    return rows, examination.counts, examination.asked


def finish_run(run_dir: Path, examiner: Any | None, examiner_model: str) -> dict[str, Any]:
    """scores.json, the model-written summary (when an examiner is given) and report.html."""
    from limkit.data import atomic_write_text

    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    items = read_bench(Path(config["benchmark"]))
    summary = summarize(items, read_transcript(run_dir))
    atomic_write_text(run_dir / "scores.json", json.dumps(summary, indent=2) + "\n")
    written = None
    if examiner is not None:
        written = write_summary(examiner, summary, examiner_model)
        atomic_write_text(run_dir / "summary.json", json.dumps(written, indent=2) + "\n")
    elif (run_dir / "summary.json").exists():
        written = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    title = f"TestAgent assessment: {config['models'].get('target', '?')} ({config['policy']} policy)"
    atomic_write_text(run_dir / "report.html", render_report(title, summary, written))
    return summary
