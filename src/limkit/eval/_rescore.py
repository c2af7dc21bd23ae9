"""`rescore_run`: re-grade a run's stored completions (after a grader fix) without generating anything.

Only the grading fields of each row change; the completion, prompt and token counts are kept. Both files
are rewritten atomically, samples first, so a kill leaves either the old or the new version of each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limkit.data import write_jsonl
from limkit.errors import LimkitError
from limkit.eval._config import JudgeConfig, RuntimeOptions, check_positive, thinking_budgets
from limkit.eval._grading import JudgeFn, judge_decisions, regrade_row
from limkit.eval._runfiles import SAMPLES, read_results, read_samples, run_lock, versions, write_results
from limkit.eval._summary import summarize


def rescore_run(
    run_dir: str | Path,
    *,
    workers: int = 2,
    judge: JudgeFn | None = None,
    use_judge: bool = True,
    judge_base_url: str | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Re-grades every stored sample of `run_dir` with the current grader and rewrites its results.

    Args:
        run_dir: A run directory written by `run_eval`.
        workers: Grader worker processes.
        judge: A ready judge function (else one is built from the run's judge settings).
        use_judge: False skips the judge even if the run used one.
        judge_base_url: Server of an openai-backend judge.
        log: Callable for progress messages.
    """
    check_positive(workers, "grader_workers")
    run_dir = Path(run_dir)
    if read_results(run_dir) is None:
        raise LimkitError("no results.json: not a limkit run directory", path=run_dir)
    with run_lock(run_dir):
        return _rescore(run_dir, workers, judge, use_judge, judge_base_url, log)


def _rescore(
    run_dir: Path,
    workers: int,
    judge: JudgeFn | None,
    use_judge: bool,
    judge_base_url: str | None,
    log: Callable[[str], None] | None,
) -> dict[str, Any]:
    from limkit.grade import GradeItem, Grader

    results = read_results(run_dir)
    assert results is not None
    rows = read_samples(run_dir)
    if not rows:
        raise LimkitError("no graded samples to rescore", path=run_dir / SAMPLES)
    config = results["protocol"]["config"]
    tasks = results["protocol"]["tasks"]
    missing = sorted({str(row["task"]) for row in rows} - set(tasks))
    if missing:
        raise LimkitError(
            f"samples of task {missing[0]!r} are not in the run's protocol", path=run_dir / SAMPLES
        )
    if use_judge and judge is None and config.get("judge"):
        judge = _judge_from(config["judge"], judge_base_url)
    items = [
        GradeItem(
            row["completion"],
            row["gold"],
            row.get("task_answer_type"),
            bool(tasks[row["task"]]["require_box"]),
            row.get("choice_letters"),
        )
        for row in rows
    ]
    started = time.time()
    with Grader(workers=workers, timeout=float(config["grader"]["timeout"])) as grader:
        verdicts = grader.grade_many(items)
    judged = judge_decisions([row["gold"] for row in rows], verdicts, judge if use_judge else None)
    new_rows = [
        regrade_row(row, verdict, judged.get(i))
        for i, (row, verdict) in enumerate(zip(rows, verdicts, strict=True))
    ]
    changed = sum(1 for old, new in zip(rows, new_rows, strict=True) if old["correct"] != new["correct"])
    write_jsonl(run_dir / SAMPLES, new_rows)
    results = dict(results)
    results.update(summarize(new_rows, list(tasks), thinking_budgets(config)))
    results["versions"] = versions()
    results["rescores"] = [
        *results.get("rescores", []),
        {"at": started, "seconds": round(time.time() - started, 3), "samples": len(rows), "flipped": changed},
    ]
    write_results(run_dir, results)
    if log is not None:
        log(f"rescored {len(rows)} samples in {run_dir}: {changed} changed correctness")
    return results


def _judge_from(settings: dict[str, Any], base_url: str | None) -> JudgeFn:
    from limkit.eval._judge import make_judge

    judge = JudgeConfig(**settings)
    if judge.backend == "openai" and not base_url:
        raise LimkitError(
            "this run used an openai-backend judge: pass --judge-base-url, or --no-judge",
            field="judge_base_url",
        )
    return make_judge(judge, RuntimeOptions(judge_base_url=base_url))
