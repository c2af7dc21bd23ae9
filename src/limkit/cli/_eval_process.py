"""`limkit eval process RUN_DIR`: a judge model marks every step of a run's stored solutions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from limkit.cli._verbose import Verbose

if TYPE_CHECKING:
    from limkit.eval._config import RuntimeOptions

Opt = typer.Option


def process_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `limkit eval`.")],
    judge_model: Annotated[str, Opt("--judge-model", help="The step judge: served name or model dir.")],
    judge_backend: Annotated[str, Opt("--judge-backend", help="openai, hf, vllm or scripted.")] = "openai",
    judge_base_url: Annotated[
        str | None, Opt("--judge-base-url", help="Server of an openai-backend judge.")
    ] = None,
    reference: Annotated[
        str | None, Opt("--reference", help="Source field holding a reference solution (e.g. solution).")
    ] = None,
    max_steps: Annotated[int, Opt(help="Steps kept per solution; the rest joins the last one.")] = 40,
    max_tokens: Annotated[int, Opt(help="Cap on each verdict reply.")] = 256,
    concurrency: Annotated[int, Opt(help="Judge requests in flight (openai backend).")] = 8,
    api_key_env: Annotated[
        str, Opt(help="Environment variable holding the judge's API key (never stored).")
    ] = "OPENAI_API_KEY",
    cache: Annotated[Path | None, Opt("--cache", help="Request cache file.")] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="Send every request; store nothing.")] = False,
    verbose: Verbose = False,
) -> None:
    """Judge each step of each stored solution (never regenerating them): process score per problem and
    task with an interval, first-error positions, per-position error rates, and the 2x2 agreement with the
    answer-level grader. Results go to RUN_DIR/process/; rerunning resumes without re-judging."""
    from limkit.eval._process import ProcessSettings, judge_process
    from limkit.eval._process_summary import process_lines
    from limkit.progress import library_output, stderr_console

    settings = ProcessSettings(judge_backend, judge_model, reference, max_steps, max_tokens)
    runtime = judge_runtime(judge_base_url, api_key_env, concurrency, cache, no_cache)
    with library_output(verbose):
        summary = judge_process(
            run_dir, settings, runtime, log=lambda m: stderr_console.print(m, highlight=False, markup=False)
        )
    typer.echo("\n".join(process_lines(summary)))
    typer.echo(f"process results: {run_dir / 'process' / 'results.json'}")


def judge_runtime(
    base_url: str | None, api_key_env: str, concurrency: int, cache: Path | None, no_cache: bool
) -> RuntimeOptions:
    """How a post-hoc judge runs: its server, key variable, concurrency and request cache."""
    from limkit.eval._config import RuntimeOptions

    return RuntimeOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        cache_path=str(cache) if cache else None,
        no_cache=no_cache,
    )
