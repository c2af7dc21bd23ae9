"""`run_eval`: generate, grade and record a run so that it can be killed at any moment and resumed.

Two things make a resumed run do nothing twice: every completion goes to the request cache the moment it
arrives (so it is never generated again), and every graded sample is appended to `samples.jsonl` at once
(so it is never graded again). A run directory remembers its protocol in `results.json`; resuming it with
a different protocol is refused, naming the setting that differs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError
from limkit.eval._backend import open_generator
from limkit.eval._checks import greedy_warnings, repeated_sample_warnings
from limkit.eval._config import EvalConfig, RuntimeOptions, config_differences
from limkit.eval._grading import Graded, JudgeFn, build_rows, grade_item
from limkit.eval._judge import make_judge
from limkit.eval._runfiles import (
    RESULTS_FORMAT,
    SAMPLES,
    read_results,
    read_samples,
    row_key,
    run_lock,
    versions,
    write_results,
)
from limkit.eval._summary import summarize
from limkit.tasks import PromptTemplate, Task, TaskSample, check_user_template, load_task, resolve_spec

if TYPE_CHECKING:
    from limkit.data import AppendWriter
    from limkit.llm import Completion, Generator, SamplingParams

SlotKey = tuple[str, str, int, int | None]
GRADE_FLUSH = 32
"""Completions graded together; a batch is also flushed after FLUSH_SECONDS so a kill loses little."""
FLUSH_SECONDS = 2.0

Log = Callable[[str], None]


def _stderr_log(message: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(message, highlight=False, markup=False, soft_wrap=True)


def load_tasks(config: EvalConfig) -> list[Task]:
    """Loads every task of the config with its prompt overrides applied."""
    fields = dict(config.fields) or None
    for name in config.tasks:  # every name is checked before any data is read
        resolve_spec(name, fields=fields)
    tasks = []
    for name in config.tasks:
        task = load_task(
            name,
            data_dir=config.data_dir,
            limit=config.limit,
            seed=config.sampling.seed,
            fields=fields,
            shuffle_options=config.shuffle_options,
            option_free=bool(config.option_free),
        )
        task = task.with_prompt(_prompt(task.prompt, config))
        if config.user_template is not None:
            check_user_template(task, field="user_template")
        tasks.append(task)
    names = [task.name for task in tasks]
    if len(set(names)) != len(names):
        raise LimkitError(
            f"two tasks share a name ({', '.join(names)}); rename one of the files", field="tasks"
        )
    return tasks


def _prompt(prompt: PromptTemplate, config: EvalConfig) -> PromptTemplate:
    if config.output_format is not None:
        from limkit.tasks import output_format

        prompt = output_format(config.output_format).prompt(prompt, bool(config.option_free))
    system = prompt.system if config.system_prompt is None else (config.system_prompt or None)
    return PromptTemplate(system=system, user=config.user_template or prompt.user)


def task_params(task: Task, config: EvalConfig) -> SamplingParams:
    """The task's preset with the command-line overrides applied."""
    from limkit.llm import SamplingParams

    preset, given = task.spec.preset, config.sampling
    try:
        return SamplingParams(
            n=given.n if given.n is not None else preset.n,
            temperature=given.temperature if given.temperature is not None else preset.temperature,
            top_p=given.top_p if given.top_p is not None else preset.top_p,
            max_tokens=given.max_tokens if given.max_tokens is not None else preset.max_tokens,
            seed=given.seed,
        )
    except ValueError as error:
        raise LimkitError(str(error), field="sampling") from None


def protocol(config: EvalConfig, tasks: list[Task]) -> dict[str, Any]:
    """Everything that decides the numbers: the config plus, per task, data digest, params and prompt."""
    described = {}
    for task in tasks:
        data = json.dumps([sample.as_dict() for sample in task.samples], sort_keys=True, ensure_ascii=False)
        params = asdict(task_params(task, config))
        params["stop"] = list(params["stop"])
        require_box = (
            task.spec.require_box if config.grader.require_box is None else config.grader.require_box
        )
        described[task.name] = {
            "source": task.source,
            "revision": task.revision,
            "samples": len(task.samples),
            "data_sha256": hashlib.sha256(data.encode("utf-8")).hexdigest(),
            "params": params,
            "prompt": {"system": task.prompt.system, "user": task.prompt.user},
            "answer_type": task.spec.answer_type,
            "require_box": require_box,
        }
    return {"config": config.as_dict(), "tasks": described}


@dataclass
class RunState:
    """What a run directory already holds and what is left to do."""

    run_dir: Path
    results: dict[str, Any]
    done: set[SlotKey] = field(default_factory=set)
    missing: list[tuple[Task, int, int, int | None]] = field(default_factory=list)


def prepare_run(run_dir: Path, config: EvalConfig, tasks: list[Task]) -> RunState:
    """Checks the run dir against the protocol (refusing a mismatch) and lists the samples left to do."""
    wanted = protocol(config, tasks)
    stored = read_results(run_dir)
    if stored is None and (run_dir / SAMPLES).exists():
        raise LimkitError("samples.jsonl without results.json: not a limkit run directory", path=run_dir)
    if stored is not None:
        differences = config_differences(stored["protocol"], wanted)
        if differences:
            raise LimkitError(
                "this run directory was made with a different protocol; refusing to mix results. Differs: "
                + "; ".join(differences[:5])
                + " (use another --out)",
                path=run_dir / "results.json",
                field=differences[0].split(":")[0],
            )
    rows = read_samples(run_dir)
    expected = _expected_slots(config, tasks)
    stray = [row_key(row) for row in rows if row_key(row) not in expected]
    if stray:
        raise LimkitError(
            f"samples.jsonl holds a sample this protocol does not produce: {stray[0]}", path=run_dir / SAMPLES
        )
    results = stored or {"format": RESULTS_FORMAT, "status": "running", "protocol": wanted, "sessions": []}
    state = RunState(run_dir, results, {row_key(row) for row in rows})
    state.missing = [slot for key, slot in expected.items() if key not in state.done]
    return state


def _expected_slots(
    config: EvalConfig, tasks: list[Task]
) -> dict[SlotKey, tuple[Task, int, int, int | None]]:
    budgets: tuple[int | None, ...] = config.sweep or (None,)
    slots = {}
    for task in tasks:
        n = task_params(task, config).n
        for position, sample in enumerate(task.samples):
            for index in range(n):
                for budget in budgets:
                    slots[(task.name, sample.id, index, budget)] = (task, position, index, budget)
    return slots


def run_eval(
    config: EvalConfig,
    run_dir: str | Path,
    runtime: RuntimeOptions | None = None,
    *,
    generator: Generator | None = None,
    judge: JudgeFn | None = None,
    log: Log = _stderr_log,
) -> dict[str, Any]:
    """Runs (or resumes) an evaluation into `run_dir`; returns the final results.

    Args:
        config: The protocol.
        run_dir: Where `results.json` and `samples.jsonl` live.
        runtime: Execution options (server, concurrency, cache); never change the numbers.
        generator: A ready generator to use instead of building one from the config (it must serve the
            same model; tests and benchmarks pass one to load a model once).
        judge: A ready judge function instead of the one built from `config.judge`.
        log: Where progress messages go.
    """
    runtime = runtime or RuntimeOptions()
    run_dir = Path(run_dir)
    tasks = load_tasks(config)
    state = prepare_run(run_dir, config, tasks)
    if not state.missing and state.results.get("status") == "complete":
        log(f"run in {run_dir} is complete ({len(state.done)} samples graded): nothing to generate")
        return state.results
    owned = generator is None
    if state.missing:  # built before anything is written: a bad backend or model leaves no run behind
        generator = generator or open_generator(
            config.backend, config.model, runtime, runtime.base_url, config.revision
        )
        judge = judge or (make_judge(config.judge, runtime) if config.judge else None)
    for warning in greedy_warnings({task.name: task_params(task, config) for task in tasks}):
        log(f"warning: {warning['message']}")
    with run_lock(run_dir):
        return _session(
            config, runtime, prepare_run(run_dir, config, tasks), tasks, generator, judge, owned, log
        )


def _session(
    config: EvalConfig,
    runtime: RuntimeOptions,
    state: RunState,
    tasks: list[Task],
    generator: Generator | None,
    judge: JudgeFn | None,
    owned: bool,
    log: Log,
) -> dict[str, Any]:
    """One session on a locked run dir: mark it running, do what is missing, write the results.

    A session that stops with an error is recorded as `failed` (`interrupted` for Ctrl-C) with the error
    and the metrics of what it graded, never left marked `running`; rerunning the command resumes it.
    """
    state.results["status"] = "running"
    write_results(state.run_dir, state.results)
    started = time.time()
    session: dict[str, Any] = {"started": started, "to_do": len(state.missing), "generated": 0, "cached": 0}
    try:
        if state.missing and generator is not None:
            log(f"{len(state.done)} samples already graded, {len(state.missing)} to do")
            _execute(config, runtime, state, session, generator, judge, owned)
        else:
            log(f"all {len(state.done)} samples were graded before; writing the results")
    except BaseException as error:
        session["seconds"] = round(time.time() - started, 3)
        session["error"] = f"{type(error).__name__}: {error}"[:500]
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        finalize(state.run_dir, state.results, session, tasks, config, status)
        raise
    session["seconds"] = round(time.time() - started, 3)
    results = finalize(state.run_dir, state.results, session, tasks, config)
    for warning in results["warnings"]:
        if warning["kind"] != "greedy":  # greedy sampling was already warned about before generating
            log(f"warning: {warning['message']}")
    return results


def finalize(
    run_dir: Path,
    results: dict[str, Any],
    session: dict[str, Any],
    tasks: list[Task],
    config: EvalConfig,
    status: str = "complete",
) -> dict[str, Any]:
    """Recomputes metrics from every stored row and writes results.json atomically."""
    rows = read_samples(run_dir)
    results = dict(results)
    results["status"] = status
    results["versions"] = versions()
    results["sessions"] = [*results.get("sessions", []), session]
    results.update(summarize(rows, [task.name for task in tasks], config.sweep))
    params = {task.name: task_params(task, config) for task in tasks}
    results["warnings"] = greedy_warnings(params) + repeated_sample_warnings(rows, params)
    write_results(run_dir, results)
    return results


def _execute(
    config: EvalConfig,
    runtime: RuntimeOptions,
    state: RunState,
    session: dict[str, Any],
    generator: Generator,
    judge: JudgeFn | None,
    owned: bool,
) -> None:
    from limkit.data import AppendWriter
    from limkit.grade import Grader

    before = (generator.stats.generated, generator.stats.cached)
    with (
        Grader(workers=runtime.grader_workers, timeout=config.grader.timeout) as grader,
        AppendWriter(state.run_dir / SAMPLES) as writer,
    ):
        stage = _Stage(grader, writer, config.grader.require_box, judge)
        work = (
            _plain(config, state, generator, stage)
            if config.budget is None
            else _forced(config, runtime, state, generator, stage)
        )
        asyncio.run(_closing(work, generator if owned else None))
    session["generated"] = generator.stats.generated - before[0]
    session["cached"] = generator.stats.cached - before[1]
    session["graded"] = stage.graded
    session["model_identity"] = generator.identity


async def _closing(work: Any, generator: Generator | None) -> None:
    try:
        await work
    finally:
        if generator is not None:
            await generator.aclose()


class _Stage:
    """Grades completions in batches and appends their rows durably."""

    def __init__(
        self, grader: Any, writer: AppendWriter, require_box: bool | None, judge: JudgeFn | None
    ) -> None:
        self.grader, self.writer, self.require_box, self.judge = grader, writer, require_box, judge
        self.graded = 0

    def flush(self, batch: list[Graded]) -> None:
        if not batch:
            return
        verdicts = self.grader.grade_many([grade_item(item, self.require_box) for item in batch])
        for row in build_rows(batch, verdicts, self.judge):
            self.writer.write(row)
        self.graded += len(batch)


async def _plain(config: EvalConfig, state: RunState, generator: Generator, stage: _Stage) -> None:
    from limkit.llm import Request
    from limkit.progress import progress_bar

    todo: dict[tuple[str, int], Task] = {}
    for task, position, _index, _budget in state.missing:
        todo[(task.name, position)] = task
    requests, lookup = [], {}
    for (name, position), task in todo.items():
        request_id = f"{name}/{position}"
        sample = task.samples[position]
        requests.append(
            Request(id=request_id, messages=tuple(task.messages(sample)), params=task_params(task, config))
        )
        lookup[request_id] = (task, sample)
    total = sum(request.params.n for request in requests)
    buffer: list[Graded] = []
    last_flush = time.monotonic()
    with progress_bar(total, "eval") as advance:
        async for completion in generator.generate(requests):
            advance(1)
            task, sample = lookup[completion.request_id]
            if (task.name, sample.id, completion.sample, None) in state.done:
                continue
            buffer.append(_graded(task, sample, completion))
            if len(buffer) >= GRADE_FLUSH or time.monotonic() - last_flush > FLUSH_SECONDS:
                await asyncio.to_thread(stage.flush, buffer)
                buffer, last_flush = [], time.monotonic()
        await asyncio.to_thread(stage.flush, buffer)


def _graded(task: Task, sample: TaskSample, completion: Completion) -> Graded:
    return Graded(
        task,
        sample,
        completion.sample,
        completion.text,
        completion.finish_reason,
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )


async def _forced(
    config: EvalConfig, runtime: RuntimeOptions, state: RunState, generator: Generator, stage: _Stage
) -> None:
    from limkit.eval._budget import ChatRenderer, ForcingSlot, Renderer, TemplateRenderer, force_budget
    from limkit.progress import progress_bar

    assert config.budget is not None
    renderer: Renderer = TemplateRenderer(config.tokenizer) if config.tokenizer else ChatRenderer()
    slots = []
    for task, position, index, budget in state.missing:
        sample = task.samples[position]
        params = task_params(task, config)
        key = f"{task.name}/{position}/s{index}/b{budget}"
        seeded = replace(params, n=1, seed=None if params.seed is None else params.seed + index)
        slots.append(
            (ForcingSlot(key, tuple(task.messages(sample)), seeded, int(budget or 0)), task, sample, index)
        )
    size = max(1, runtime.chunk_size)
    with progress_bar(len(slots), "eval (budget forcing)") as advance:
        for start in range(0, len(slots), size):
            chunk = slots[start : start + size]
            forced = await force_budget(generator, renderer, [slot for slot, *_ in chunk], config.budget)
            batch = []
            for slot, task, sample, index in chunk:
                result = forced[slot.key]
                batch.append(
                    Graded(
                        task,
                        sample,
                        index,
                        result.text,
                        result.finish_reason,
                        result.prompt_tokens,
                        result.completion_tokens,
                        budget=slot.budget,
                        extra=result.as_fields(),
                    )
                )
            await asyncio.to_thread(stage.flush, batch)
            advance(len(chunk))
