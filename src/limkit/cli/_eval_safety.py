"""`limkit eval safety RUN_DIR`: an LLM judge scores a run's safety-task responses (XSTest, Do-Not-Answer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose

Opt = typer.Option


def safety_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory with xstest and/or donotanswer samples.")],
    judge_model: Annotated[str, Opt("--judge-model", help="The safety judge: served name or model dir.")],
    judge_backend: Annotated[str, Opt("--judge-backend", help="openai, hf, vllm or scripted.")] = "openai",
    judge_base_url: Annotated[str | None, Opt("--judge-base-url", help="Server of an openai judge.")] = None,
    unparsed: Annotated[
        str,
        Opt(help="An unparseable verdict: abstain (left out of the mean) or half (0.5, libra-eval compat)."),
    ] = "abstain",
    concurrency: Annotated[int, Opt(help="Judge requests in flight (openai backend).")] = 8,
    api_key_env: Annotated[
        str, Opt(help="Environment variable holding the judge's API key.")
    ] = "OPENAI_API_KEY",
    cache: Annotated[Path | None, Opt("--cache", help="Request cache file.")] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="Send every request; store nothing.")] = False,
    verbose: Verbose = False,
) -> None:
    """Score each safety response with a strict structured verdict (XSTest: compliance/refusal against the
    expected behaviour; Do-Not-Answer: safe/unsafe), resumably, and rewrite the run's safety metrics so
    `limkit leaderboard --dimension safety=xstest,donotanswer` can read them."""
    from limkit.cli._eval_process import judge_runtime
    from limkit.eval._safety import SafetySettings, judge_safety, safety_lines
    from limkit.progress import library_output

    runtime = judge_runtime(judge_base_url, api_key_env, concurrency, cache, no_cache)
    with library_output(verbose):
        results = judge_safety(
            run_dir,
            SafetySettings(judge_backend, judge_model),
            runtime,
            unparsed=unparsed,  # type: ignore[arg-type]
        )
    typer.echo("\n".join(safety_lines(results)))
