"""`limkit eval` (a run, or `eval rescore RUN_DIR`) and `limkit report`.

`eval` is a command group that also runs by itself: `limkit eval --backend hf --model M --tasks math500
--out RUN_DIR` evaluates, `limkit eval rescore RUN_DIR` re-grades. Heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from limkit.cli._eval_diversity import diversity_command
from limkit.cli._eval_scaling import scaling_command
from limkit.cli._verbose import Verbose
from limkit.errors import LimkitError, UsageError

RUN_REQUIRED = ("model", "tasks", "out")
"""Options an evaluation needs; `eval rescore` needs none of them, so Click cannot enforce them itself."""


class _EvalGroup(TyperGroup):
    """Shows --model, --tasks and --out as required in `limkit eval --help`.

    They cannot be required for Click's parser, which also parses them on the way to `eval rescore`;
    the callback enforces them instead (a usage error, exit code 2).
    """

    def format_help(self, ctx: Any, formatter: Any) -> None:
        marked = [param for param in self.params if param.name in RUN_REQUIRED]
        for param in marked:
            param.required = True
        try:
            super().format_help(ctx, formatter)
        finally:
            for param in marked:
                param.required = False


eval_app = typer.Typer(
    name="eval",
    cls=_EvalGroup,
    help="Evaluate a model on reasoning benchmarks (resumable); `limkit eval rescore RUN_DIR` re-grades.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Opt = typer.Option


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    model: Annotated[
        str | None, Opt("--model", help="Local model directory, hub id, or served model name.")
    ] = None,
    tasks: Annotated[
        str | None,
        Opt(
            "--tasks",
            help="Comma-separated task names or .jsonl/.json/.parquet files "
            "(math500, aime24, aime25, amc23, olympiadbench, minerva_math, gpqa_diamond, medqa, "
            "medbullets_op4, medbullets_op5, jama_clinical).",
        ),
    ] = None,
    out: Annotated[
        Path | None, Opt("--out", help="Run directory (results.json, samples.jsonl); rerun to resume.")
    ] = None,
    backend: Annotated[str, Opt("--backend", help="hf, openai or vllm.")] = "hf",
    base_url: Annotated[
        str | None, Opt(help="Server URL for --backend openai, e.g. http://127.0.0.1:8000/v1.")
    ] = None,
    data_dir: Annotated[
        Path | None, Opt(help="Read task T from DATA_DIR/T.jsonl instead of the hub.")
    ] = None,
    limit: Annotated[int | None, Opt(help="Only the first K problems of every task.")] = None,
    n: Annotated[int | None, Opt("--n", help="Samples per problem (default: the task's preset).")] = None,
    temperature: Annotated[
        float | None, Opt(help="Sampling temperature; 0 is greedy (default: preset).")
    ] = None,
    top_p: Annotated[float | None, Opt(help="Nucleus mass (default: preset).")] = None,
    max_tokens: Annotated[
        int | None,
        Opt(
            help="Cap on generated tokens (default: preset); with budget forcing use --thinking-budget and "
            "--max-answer-tokens instead."
        ),
    ] = None,
    seed: Annotated[int, Opt(help="Sample i uses seed + i; also seeds GPQA option shuffling.")] = 0,
    system_prompt: Annotated[
        str | None, Opt(help="Replace every task's system prompt ('' for none; @FILE reads a file).")
    ] = None,
    user_template: Annotated[
        str | None,
        Opt(help="Replace the user template; {problem} and {choices} are filled in (@FILE reads a file)."),
    ] = None,
    fields: Annotated[
        str | None, Opt(help="Column map for local task files, e.g. id=qid,problem=text,answer=gold.")
    ] = None,
    shuffle_options: Annotated[
        int | None,
        Opt(help="Permute multiple-choice options with this seed, gold remapped (position-bias check)."),
    ] = None,
    option_free: Annotated[
        bool,
        Opt(
            "--option-free",
            help="Hide multiple-choice options: open-ended answers graded by --judge-model against the "
            "gold option's text.",
        ),
    ] = False,
    output_format: Annotated[
        str | None,
        Opt("--format", help="Answer format: direct, cot, longstep or longmonolog (its system prompt)."),
    ] = None,
    thinking_budget: Annotated[int | None, Opt(help="Budget forcing: cap on thinking tokens.")] = None,
    min_thinking: Annotated[
        int, Opt(help="Budget forcing: suppress the end of thinking below this many tokens.")
    ] = 0,
    num_waits: Annotated[
        int, Opt(help="Budget forcing: suppress the end of thinking this many times with --wait-text.")
    ] = 0,
    budget_sweep: Annotated[
        str | None, Opt(help="Comma-separated thinking budgets to sweep (enables budget forcing).")
    ] = None,
    think_start: Annotated[str, Opt(help="Opens the thinking phase.")] = "<think>\n",
    think_end: Annotated[
        list[str] | None, Opt(help="Ends the thinking phase (repeatable; default </think>).")
    ] = None,
    wait_text: Annotated[str, Opt(help="Appended instead of the end of thinking.")] = "Wait",
    answer_prompt: Annotated[
        str, Opt(help="Appended after thinking to force the final answer.")
    ] = "\n\nFinal Answer: \\boxed{",
    max_answer_tokens: Annotated[int, Opt(help="Cap on the forced answer.")] = 256,
    tokenizer: Annotated[
        str | None,
        Opt(help="Render chat prompts locally with this tokenizer (budget forcing on --backend openai)."),
    ] = None,
    judge_model: Annotated[
        str | None, Opt(help="LLM judge for free-form answers (answer type OT or unreadable gold).")
    ] = None,
    judge_backend: Annotated[str, Opt(help="Backend of the judge.")] = "openai",
    judge_base_url: Annotated[str | None, Opt(help="Server of an openai-backend judge.")] = None,
    grader_timeout: Annotated[float, Opt(help="Seconds per graded pair.")] = 5.0,
    grader_workers: Annotated[int, Opt(help="Grader worker processes.")] = 2,
    require_box: Annotated[
        bool | None,
        Opt(
            "--require-box/--no-require-box", help="Demand a \\boxed{} answer (default: each task's policy)."
        ),
    ] = None,
    concurrency: Annotated[int, Opt(help="Requests in flight (openai backend).")] = 8,
    batch_size: Annotated[int, Opt(help="Prompts per generate call (hf backend).")] = 8,
    revision: Annotated[str | None, Opt(help="Model revision for hub models.")] = None,
    api_key_env: Annotated[
        str, Opt(help="Environment variable holding the API key (never stored).")
    ] = "OPENAI_API_KEY",
    cache: Annotated[
        Path | None,
        Opt("--cache", help="Request cache (default: $LIMKIT_CACHE or ~/.cache/limkit/completions.sqlite)."),
    ] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="Send every request; store nothing.")] = False,
    verbose: Verbose = False,
) -> None:
    """Evaluate a model; rerunning the same command on the same --out resumes and finally does nothing."""
    if ctx.invoked_subcommand is not None:
        _refuse_options_before(ctx)
        return
    if model is None or tasks is None or out is None:
        missing = [
            name for name, value in (("--model", model), ("--tasks", tasks), ("--out", out)) if value is None
        ]
        raise UsageError(
            f"missing {', '.join(missing)} (see `limkit eval --help`)", field=missing[0].lstrip("-")
        )
    from limkit.eval import (
        BudgetForcing,
        EvalConfig,
        GraderSettings,
        JudgeConfig,
        RuntimeOptions,
        SamplingOverrides,
        run_eval,
        summary_lines,
    )

    sweep = _int_list(budget_sweep, "budget_sweep")
    budget = None
    if thinking_budget is None and not sweep:
        forcing_only = [
            ("--num-waits", num_waits),
            ("--min-thinking", min_thinking),
            ("--tokenizer", tokenizer),
        ]
        given = [name for name, value in forcing_only if value]
        if given:
            raise UsageError(
                f"{given[0]} is a budget-forcing setting: add --thinking-budget or --budget-sweep",
                field=given[0].lstrip("-").replace("-", "_"),
            )
    else:
        if max_tokens is not None:
            raise UsageError(
                "--max-tokens does not apply under budget forcing: --thinking-budget (or --budget-sweep) "
                "caps the thinking and --max-answer-tokens the answer, counted apart",
                field="max_tokens",
            )
        budget = BudgetForcing(
            max_thinking_tokens=thinking_budget or max(sweep),
            min_thinking_tokens=min_thinking,
            num_waits=num_waits,
            think_start=think_start,
            think_end=tuple(think_end or ("</think>",)),
            wait=wait_text,
            answer_prompt=answer_prompt,
            max_answer_tokens=max_answer_tokens,
        )
    if no_cache and cache is not None:
        raise UsageError("choose either --cache PATH or --no-cache, not both", field="cache")
    if option_free and judge_model is None:
        raise UsageError(
            "--option-free answers are free text: add --judge-model (and --judge-base-url) to grade them",
            field="judge_model",
        )
    config = EvalConfig(
        backend=backend,
        model=model,
        tasks=tuple(_str_list(tasks)),
        data_dir=str(data_dir) if data_dir is not None else None,
        limit=limit,
        sampling=SamplingOverrides(
            n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
        ),
        system_prompt=_text_or_file(system_prompt, "system_prompt"),
        user_template=_text_or_file(user_template, "user_template"),
        fields=_field_map(fields),
        budget=budget,
        budgets=tuple(sweep),
        grader=GraderSettings(timeout=grader_timeout, require_box=require_box),
        judge=JudgeConfig(backend=judge_backend, model=judge_model) if judge_model else None,
        revision=revision,
        tokenizer=tokenizer,
        shuffle_options=shuffle_options,
        option_free=option_free,
        output_format=output_format,
    )
    runtime = RuntimeOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        batch_size=batch_size,
        grader_workers=grader_workers,
        cache_path=str(cache) if cache else None,
        no_cache=no_cache,
        judge_base_url=judge_base_url,
    )
    from limkit.progress import library_output

    with library_output(verbose):
        results = run_eval(config, out, runtime)
    typer.echo("\n".join(summary_lines(results)))
    typer.echo(f"results: {out / 'results.json'}  samples: {out / 'samples.jsonl'}")


eval_app.command("scaling")(scaling_command)
eval_app.command("diversity")(diversity_command)


@eval_app.command("rescore")
def rescore_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `limkit eval`.")],
    grader_workers: Annotated[int, Opt(help="Grader worker processes.")] = 2,
    no_judge: Annotated[bool, Opt("--no-judge", help="Skip the run's LLM judge.")] = False,
    judge_base_url: Annotated[str | None, Opt(help="Server of the run's openai-backend judge.")] = None,
) -> None:
    """Re-grade a run's stored completions with the current grader (no generation) and rewrite its results."""
    from limkit.eval import rescore_run, summary_lines
    from limkit.progress import stderr_console

    results = rescore_run(
        run_dir,
        workers=grader_workers,
        use_judge=not no_judge,
        judge_base_url=judge_base_url,
        log=lambda message: stderr_console.print(message, highlight=False, markup=False),
    )
    typer.echo("\n".join(summary_lines(results)))


def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="One or more run directories.")],
    out: Annotated[Path, Opt("--out", help="The HTML page to write.")] = Path("report.html"),
    dimensions: Annotated[
        str | None,
        Opt(help="Comma-separated tasks to rank the leaderboard on (default: the tasks all runs share)."),
    ] = None,
) -> None:
    """Write a self-contained HTML report: per-task tables, plots, leaderboards of comparable runs, paired
    differences, and a failure browser. Unfinished runs are shown as partial."""
    from limkit.eval import write_report
    from limkit.progress import stderr_console

    path = write_report(
        run_dirs,
        out,
        _str_list(dimensions) if dimensions else None,
        log=lambda note: stderr_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True),
    )
    typer.echo(f"report written to {path}")


def _str_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _refuse_options_before(ctx: typer.Context) -> None:
    """`limkit eval --grader-workers 4 rescore RUN` would drop the option: say where it belongs instead."""
    given = [
        f"--{name.replace('_', '-')}"
        for name in ctx.params
        if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP")
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} before `{ctx.invoked_subcommand}` would be ignored: options of "
            f"`limkit eval {ctx.invoked_subcommand}` go after it (see `limkit eval {ctx.invoked_subcommand} "
            "--help`)",
            field=given[0].lstrip("-").replace("-", "_"),
        )


def _int_list(text: str | None, field: str) -> list[int]:
    try:
        return [int(part) for part in _str_list(text)]
    except ValueError:
        raise UsageError(f"expected comma-separated integers, got {text!r}", field=field) from None


def _text_or_file(value: str | None, field: str) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    if not path.is_file():
        raise LimkitError("file not found", path=path, field=field)
    return path.read_text(encoding="utf-8")


def _field_map(text: str | None) -> tuple[tuple[str, str], ...]:
    pairs: list[Any] = []
    for part in _str_list(text):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"expected key=column pairs, got {part!r}", field="fields")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


from limkit.cli._eval_olympic import attach_olympic_commands  # noqa: E402

attach_olympic_commands(eval_app)
