"""Process-level evaluation (OlympicArena, B.5): a judge model marks every step of every stored solution.

`judge_process(run_dir, ...)` reads a finished or partial run's samples (it never generates solutions),
splits each completion into steps (`_steps`), and asks a judge for a structured verdict per step
(`{"verdict": "correct" | "incorrect", "reason": "..."}`) given the problem, the previous steps and, with
`reference`, a reference solution from the task's source rows. Files, all under `RUN_DIR/process/`:

- `config.json`: the judge, the reference field, the step cap. Resuming with other settings is refused.
- `steps.jsonl`: one durable line per judged step, appended as verdicts arrive. A killed judging resumes
  from it and asks nothing twice (a torn last line is dropped and asked again).
- `results.json`: the summary (written atomically at the end; see `process_summary`).

A reply that never validates (after the structured retries) is stored as unjudged (`verdict: null`,
with the reason), counted, and left out of the scores; it is not asked again on resume.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError
from limkit.eval._config import RuntimeOptions
from limkit.eval._judging import open_judge, pin_settings, read_run, stream_verdicts
from limkit.eval._process_summary import process_summary
from limkit.eval._runfiles import row_key, run_lock
from limkit.eval._steps import MAX_STEPS, split_steps

if TYPE_CHECKING:
    from limkit.llm import Completion, Generator, Request

PROCESS_DIR = "process"
STEP_VERDICTS = "steps.jsonl"
PROCESS_RESULTS = "results.json"
PROCESS_CONFIG = "config.json"
MAX_CONTEXT_CHARS = 6000
"""Problem, reference and previous steps are each cut to this many characters in the judge prompt."""

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["correct", "incorrect"]},
        "reason": {"type": "string", "minLength": 1, "maxLength": 400},
    },
    "required": ["verdict", "reason"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = (
    "You check one step of a student's solution to a problem. Judge only the step marked CURRENT STEP: "
    "is its reasoning and arithmetic correct, given the problem and the steps before it? A step that "
    "repeats an earlier mistake, computes wrongly, or asserts something false is incorrect. Do not judge "
    "later steps. Reply with JSON only: "
    '{"verdict": "correct" or "incorrect", "reason": "one short sentence"}.'
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class ProcessSettings:
    """What decides the verdicts (recorded in `process/config.json`, checked on resume)."""

    judge_backend: str
    judge_model: str
    reference: str | None = None
    max_steps: int = MAX_STEPS
    max_tokens: int = 256

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise LimkitError(f"--max-steps must be >= 1, got {self.max_steps}", field="max_steps")


@dataclass(frozen=True)
class StepJob:
    """One step of one stored solution, waiting for its verdict."""

    key: tuple[str, str, int, int | None]
    step: int
    steps: tuple[str, ...]
    problem: str
    reference: str | None

    @property
    def request_id(self) -> str:
        task, problem_id, sample, budget = self.key
        return f"process/{task}/{problem_id}/s{sample}/b{budget}/step{self.step}"


def judge_process(
    run_dir: str | Path,
    settings: ProcessSettings,
    runtime: RuntimeOptions | None = None,
    *,
    generator: Generator | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """Judges every step of every stored sample of `run_dir` (resuming) and writes the summary.

    Args:
        run_dir: A run directory written by `limkit eval`.
        settings: Judge, reference field and step cap.
        runtime: Server URL (`base_url` is the judge's), concurrency, cache.
        generator: A ready judge generator instead of one built from the settings.
        log: Where progress messages go.
    """
    run_dir = Path(run_dir)
    results, rows = read_run(run_dir)
    with run_lock(run_dir):
        folder = run_dir / PROCESS_DIR
        pin_settings(folder, settings_dict(settings), "step verdicts")
        references = reference_texts(results, settings.reference) if settings.reference else {}
        jobs, solutions = plan_jobs(rows, references, settings)
        done = read_verdicts(folder / STEP_VERDICTS)
        todo = [job for job in jobs if (*job.key, job.step) not in done]
        if log is not None:
            log(f"{len(jobs) - len(todo)} steps judged before, {len(todo)} to judge")
        if todo:
            judge = generator or open_judge(settings.judge_backend, settings.judge_model, runtime)
            by_id = {job.request_id: job for job in todo}
            asyncio.run(
                stream_verdicts(
                    judge,
                    [step_request(job, settings) for job in todo],
                    lambda completion: verdict_row(by_id[completion.request_id], completion),
                    folder / STEP_VERDICTS,
                    "judging steps",
                    owned=generator is None,
                )
            )
        verdicts = read_verdicts(folder / STEP_VERDICTS)
        summary = process_summary(rows, solutions, verdicts, settings_dict(settings))
        from limkit.data import atomic_write_text

        atomic_write_text(folder / PROCESS_RESULTS, json.dumps(summary, indent=2) + "\n")
        return summary


def settings_dict(settings: ProcessSettings) -> dict[str, Any]:
    return asdict(settings)


def problem_text(row: dict[str, Any]) -> str:
    """The problem as the model saw it: the last user turn of the stored prompt."""
    for message in reversed(row.get("prompt") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def plan_jobs(
    rows: Sequence[dict[str, Any]], references: dict[tuple[str, str], str], settings: ProcessSettings
) -> tuple[list[StepJob], dict[tuple[str, str, int, int | None], dict[str, Any]]]:
    """Every step to judge, and per solution its step count and split method."""
    jobs: list[StepJob] = []
    solutions: dict[tuple[str, str, int, int | None], dict[str, Any]] = {}
    for row in rows:
        key = row_key(row)
        split = split_steps(str(row["completion"]), settings.max_steps)
        reference = references.get((key[0], key[1]))
        solutions[key] = {"steps": len(split.steps), "method": split.method}
        problem = problem_text(row)
        for index in range(len(split.steps)):
            jobs.append(StepJob(key, index + 1, split.steps, problem, reference))
    return jobs, solutions


def step_messages(job: StepJob) -> list[dict[str, str]]:
    """The judge's chat for one step: problem, reference (if any), earlier steps, the step itself."""
    parts = [f"PROBLEM:\n{_cut(job.problem)}"]
    if job.reference:
        parts.append(f"REFERENCE SOLUTION:\n{_cut(job.reference)}")
    earlier = "\n\n".join(f"Step {i}: {text}" for i, text in enumerate(job.steps[: job.step - 1], 1))
    parts.append(f"PREVIOUS STEPS:\n{_cut(earlier, tail=True) if earlier else '(none)'}")
    parts.append(f"CURRENT STEP (step {job.step} of {len(job.steps)}):\n{_cut(job.steps[job.step - 1])}")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def _cut(text: str, tail: bool = False) -> str:
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    return "..." + text[-MAX_CONTEXT_CHARS:] if tail else text[:MAX_CONTEXT_CHARS] + "..."


def step_request(job: StepJob, settings: ProcessSettings) -> Request:
    from limkit.llm import JsonSchema, Request, SamplingParams

    return Request(
        id=job.request_id,
        messages=tuple(step_messages(job)),
        params=SamplingParams(n=1, temperature=0.0, max_tokens=settings.max_tokens, seed=0),
        structured=JsonSchema(VERDICT_SCHEMA, name="step_verdict"),
    )


def verdict_row(job: StepJob, completion: Completion) -> dict[str, Any]:
    """The stored verdict of one step; an unparseable reply is kept as unjudged with its reason."""
    task, problem_id, sample, budget = job.key
    value = completion.value if completion.ok else None
    row: dict[str, Any] = {"task": task, "id": problem_id, "sample": sample, "budget": budget}
    row.update(step=job.step, of=len(job.steps), attempts=completion.attempts)
    if isinstance(value, dict):
        row.update(verdict=value["verdict"], reason=str(value["reason"]).strip().splitlines()[0][:400])
    else:
        failure = completion.failure.reason if completion.failure else "no structured value"
        row.update(verdict=None, reason=None, failure=str(failure)[:400])
    return row


VerdictKey = tuple[str, str, int, int | None, int]


def read_verdicts(path: Path) -> dict[VerdictKey, dict[str, Any]]:
    """Stored step verdicts by (task, id, sample, budget, step); a torn last line is ignored."""
    from limkit.data import read_appended

    if not path.exists():
        return {}
    found: dict[VerdictKey, dict[str, Any]] = {}
    for line, row in read_appended(path, "step verdicts"):
        try:
            budget = row["budget"]
            key = (
                str(row["task"]),
                str(row["id"]),
                int(row["sample"]),
                None if budget is None else int(budget),
            )
            step = int(row["step"])
        except (KeyError, TypeError, ValueError):
            raise LimkitError(
                "corrupt step verdict: expected task, id, sample, step", path=path, line=line
            ) from None
        if row.get("verdict") not in ("correct", "incorrect", None):
            raise LimkitError("corrupt step verdict", path=path, line=line, field="verdict")
        found[(*key, step)] = row
    return found


def reference_texts(results: dict[str, Any], field: str) -> dict[tuple[str, str], str]:
    """Reference solutions by (task, problem id), read from each task's source rows as the run read them.

    Raises:
        LimkitError: When no row of any task has the field.
    """
    from limkit.eval._sources import source_samples

    found = {
        key: value
        for key, sample in source_samples(results, (field,)).items()
        if isinstance(value := sample.metadata.get(field), str) and value.strip()
    }
    if not found:
        raise LimkitError(f"no task row has a reference field {field!r}", field="reference")
    return found


def load_process(run_dir: str | Path) -> dict[str, Any] | None:
    """The process summary of a run, if it was judged (for reports)."""
    path = Path(run_dir) / PROCESS_DIR / PROCESS_RESULTS
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LimkitError(f"not valid JSON ({error.msg})", path=path, line=error.lineno) from None
    return data
