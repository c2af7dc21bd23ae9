"""`limkit generate` and `limkit tiny-model`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from limkit.errors import LimkitError, UsageError

Backend = Annotated[
    str,
    typer.Option(
        "--backend",
        help="hf (transformers in-process), openai (any "
        "OpenAI-compatible server), vllm (in-process, own environment) or scripted (a test double: "
        "--model module:function or rules.jsonl).",
    ),
]
Model = Annotated[
    str, typer.Option("--model", help="Local model directory, hub id, or the served model name.")
]
BaseUrls = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url",
        help="Server URL for --backend openai, e.g. http://localhost:8000/v1; repeat it for replicas of "
        "one model (requests spread over the healthy ones).",
    ),
]
Fingerprint = Annotated[
    str | None,
    typer.Option(
        help="Your name for the exact model behind the served name (e.g. a checkpoint hash); joins the "
        "cache identity, which holds no URL, so another port or replica reuses the cache."
    ),
]
CachePath = Annotated[
    Path | None,
    typer.Option(
        "--cache", help="SQLite request cache (default: $LIMKIT_CACHE or ~/.cache/limkit/completions.sqlite)."
    ),
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Send every request; store nothing.")]
Concurrency = Annotated[int, typer.Option(help="Requests in flight at once (openai backend).")]
Revision = Annotated[str | None, typer.Option(help="Hub revision (commit) to pin for hub models.")]
ApiKeyEnv = Annotated[str, typer.Option(help="Environment variable that holds the API key (never logged).")]


def generate_command(
    input: Annotated[Path, typer.Option("--input", help="JSONL rows {id, prompt} or {id, messages}.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL, one row per sample.")],
    model: Model,
    backend: Backend = "hf",
    base_url: BaseUrls = None,
    model_fingerprint: Fingerprint = None,
    n: Annotated[int, typer.Option("--n", help="Samples per prompt.")] = 1,
    temperature: Annotated[float, typer.Option(help="0 means greedy.")] = 0.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass.")] = 1.0,
    max_tokens: Annotated[int, typer.Option(help="Cap on generated tokens per sample.")] = 512,
    seed: Annotated[int, typer.Option(help="Sample i of a prompt uses seed + i.")] = 0,
    concurrency: Concurrency = 8,
    batch_size: Annotated[int, typer.Option(help="Prompts per generate call (hf backend).")] = 8,
    revision: Revision = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
    no_cache: NoCache = False,
    choice: Annotated[
        list[str] | None,
        typer.Option("--choice", help="Structured: the answer must be one of these (repeat)."),
    ] = None,
    json_schema: Annotated[
        Path | None,
        typer.Option(help="Structured: the answer must be JSON valid under this JSON Schema file."),
    ] = None,
    attempts: Annotated[
        int, typer.Option(help="Structured: asks in all before a reply counts as invalid.")
    ] = 3,
    guided: Annotated[
        str,
        typer.Option(
            help="How openai servers constrain structured replies: response_format (OpenAI, vLLM, "
            "SGLang), vllm (structured_outputs), sglang (regex), none (check and re-ask only)."
        ),
    ] = "response_format",
) -> None:
    """Generate completions for a file of prompts; resumable through the request cache.

    With --choice or --json-schema every row also gets `value`, `attempts` and `failure`.
    """
    from limkit.llm import BackendOptions, SamplingParams, open_cache
    from limkit.llm._runner import read_requests, read_structured, run_generation
    from limkit.progress import stderr_console

    if no_cache and cache is not None:
        raise UsageError("choose either --cache PATH or --no-cache, not both", field="cache")
    try:
        params = SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    except ValueError as error:
        raise UsageError(str(error)) from None
    structured = read_structured(choice, json_schema, attempts)
    requests, original_ids = read_requests(input, params, structured)
    options = BackendOptions(
        base_url=tuple(base_url) if base_url else None,
        model_fingerprint=model_fingerprint,
        guided=guided,
        api_key_env=api_key_env,
        concurrency=concurrency,
        revision=revision,
        batch_size=batch_size,
    )
    stats = run_generation(backend, model, options, open_cache(cache, no_cache), requests, original_ids, out)
    stderr_console.print(
        f"{sum(request.params.n for request in requests)} completions written to {out}: "
        f"{stats.generated} generated, {stats.cached} from the cache "
        f"({stats.prompt_tokens} prompt + {stats.completion_tokens} completion tokens generated)"
        + (f"; {stats.reasked} re-asked, {stats.invalid} never valid" if structured else ""),
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


def tiny_model_command(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the model and tokenizer to.")],
    seed: Annotated[int, typer.Option(help="Seed for weights and tokenizer training.")] = 0,
    arch: Annotated[str, typer.Option(help="llama or qwen3.")] = "llama",
    hidden_size: Annotated[int, typer.Option(help="Hidden width.")] = 64,
    layers: Annotated[int, typer.Option(help="Transformer layers.")] = 2,
    vocab_size: Annotated[int, typer.Option(help="BPE vocabulary size.")] = 512,
) -> None:
    """Build a tiny random causal LM with a BPE tokenizer and ChatML template, fully offline."""
    from limkit.llm.tiny import TinyModelSpec, build_tiny_model

    spec: dict[str, Any] = dict(
        arch=arch,
        hidden_size=hidden_size,
        num_layers=layers,
        vocab_size=vocab_size,
        intermediate_size=hidden_size * 2,
    )
    try:
        path = build_tiny_model(out_dir, seed=seed, spec=TinyModelSpec(**spec))
    except ValueError as error:
        raise LimkitError(str(error)) from None
    typer.echo(f"tiny model written to {path}")
