"""`limkit conflicts build|detect|resolve`: evidence conflicts (Cheng et al., EMNLP 2024)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from limkit.cli._generate import ApiKeyEnv, BaseUrls, CachePath, Concurrency, Fingerprint
from limkit.errors import UsageError

if TYPE_CHECKING:
    from limkit.llm import Generator

conflicts_app = typer.Typer(
    help="Evidence conflicts: generate validated conflicting evidence, detect conflicts, study resolution.",
    no_args_is_help=True,
)

Out = Annotated[Path, typer.Option("--out", help="Run directory (re-run the same command to resume).")]
Backend = Annotated[str, typer.Option(help="LLM backend: openai, hf, vllm or scripted.")]
OptionalModel = Annotated[
    str | None, typer.Option(help="LLM model (scripted: module:function or rules.jsonl).")
]
Attempts = Annotated[
    int, typer.Option(help="Asks per structured reply before it counts as unparsable (1..20).")
]
Verbose = Annotated[bool, typer.Option("--verbose", help="Show the libraries' own logs and bars.")]


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _generator(
    backend: str,
    model: str | None,
    base_url: list[str] | None,
    fingerprint: str | None,
    api_key_env: str,
    concurrency: int,
    cache: Path,
) -> Generator:
    from limkit.llm import BackendOptions, make_generator, open_cache

    if model is None:
        raise UsageError("--model is required here", field="model")
    options = BackendOptions(
        base_url=tuple(base_url) if base_url else None,
        model_fingerprint=fingerprint,
        api_key_env=api_key_env,
        concurrency=concurrency,
    )
    return make_generator(backend, model, options, open_cache(cache))


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    from limkit.data import write_jsonl

    write_jsonl(path, rows)


@conflicts_app.command("build")
def build_command(
    input: Annotated[
        str, typer.Option("--input", help="nq_open / strategyqa (hub, pinned) or a local JSONL.")
    ],
    out: Out,
    model: OptionalModel = None,
    kind: Annotated[
        str, typer.Option(help="answer (open-domain QA) or factoid (StrategyQA facts).")
    ] = "answer",
    backend: Backend = "openai",
    base_url: BaseUrls = None,
    model_fingerprint: Fingerprint = None,
    nli: Annotated[
        str, typer.Option(help="Validator: hf:MODEL[@REV] (an MNLI head) or llm (the generator).")
    ] = ("hf:microsoft/deberta-v2-xxlarge-mnli"),
    length: Annotated[
        str, typer.Option(help="Evidence length: short (a sentence) or long (a paragraph).")
    ] = "short",
    limit: Annotated[int | None, typer.Option(help="A seeded sample of this many questions.")] = None,
    seed: Annotated[int, typer.Option(help="Seeds sampling, the choice of E3, fact mixes.")] = 2023,
    candidates: Annotated[int, typer.Option(help="Candidate answers asked per question.")] = 3,
    retries: Annotated[
        int, typer.Option(help="Extra rounds for evidence or pollution that failed validation.")
    ] = 2,
    temperature: Annotated[float, typer.Option(help="Sampling temperature of the generator.")] = 0.7,
    attempts: Attempts = 3,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
    verbose: Verbose = False,
) -> None:
    """Generate and validate conflicting evidence: OUT/pairs.jsonl, and every rejection with its reason."""
    from limkit.progress import library_output
    from limkit.studies.conflicts import (
        BuildConfig,
        ScoreCache,
        Validator,
        build_answer_conflicts,
        build_factoid_conflicts,
        load_decomposed,
        load_questions,
        make_nli,
        sample_questions,
        start_run,
    )

    started = time.perf_counter()
    if kind not in ("answer", "factoid"):
        raise UsageError(f"unknown kind {kind!r}; choose answer or factoid", field="kind")
    config = BuildConfig(
        Path(input).stem if Path(input).is_file() else input,
        length,
        limit,
        seed,
        candidates,
        attempts,
        retries,
        temperature,
    )
    config.check()
    with library_output(verbose):
        generator = _generator(
            backend,
            model,
            base_url,
            model_fingerprint,
            api_key_env,
            concurrency,
            cache or out / "cache.sqlite",
        )
        validator_nli = make_nli(nli, generator)
        items: Any = load_questions(input) if kind == "answer" else load_decomposed(input)
        items = sample_questions(items, limit, seed)
        start_run(
            out,
            {
                "kind": kind,
                "build": config.as_dict(),
                "input": input,
                "identity": generator.identity,
                "nli": validator_nli.identity,
                "items": [q.id for q in items],
            },
        )
        _write_jsonl(out / "questions.jsonl", [q.as_dict() for q in items])
        scores = ScoreCache(out / "nli_scores.jsonl")
        try:
            if kind == "answer":
                built = build_answer_conflicts(
                    items, config, generator, Validator(generator, validator_nli, scores, attempts), _say
                )
                evidence, pairs, rejections = built.evidence, built.pairs, built.rejections
                _write_jsonl(out / "triples.jsonl", built.triples)
            else:
                evidence, pairs, rejections = build_factoid_conflicts(
                    items,
                    generator,
                    validator_nli,
                    scores,
                    seed=seed,
                    attempts=attempts,
                    temperature=temperature,
                    on_stage=_say,
                )
        finally:
            scores.close()
    _write_jsonl(out / "evidence.jsonl", evidence)
    _write_jsonl(out / "rejections.jsonl", rejections)
    _write_jsonl(out / "pairs.jsonl", pairs)
    stats = generator.stats
    _say(
        f"{len(pairs)} pairs from {len(items)} questions written to {out}/pairs.jsonl in "
        f"{time.perf_counter() - started:.1f} s; {sum(1 for e in evidence if e['valid'])}/{len(evidence)} "
        f"evidences valid, {len(rejections)} rejections kept; {stats.generated} asks generated, "
        f"{stats.cached} from the cache, {scores.computed} NLI scores computed"
    )


@conflicts_app.command("detect")
def detect_command(
    builds: Annotated[list[Path], typer.Argument(help="Build directories (or pairs JSONL files).")],
    out: Out,
    detector: Annotated[
        list[str] | None, typer.Option("--detector", help="nli:MODEL, fc:MODEL or llm; repeat (default nli).")
    ] = None,
    backend: Backend = "openai",
    model: OptionalModel = None,
    base_url: BaseUrls = None,
    model_fingerprint: Fingerprint = None,
    batch_size: Annotated[int, typer.Option(help="NLI pairs per forward pass.")] = 16,
    threads: Annotated[int, typer.Option(help="Torch CPU threads for NLI (0 = torch's default).")] = 0,
    attempts: Attempts = 3,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
    verbose: Verbose = False,
) -> None:
    """Score every pair in both orders, with and without the question; metrics and OUT/report.html."""
    from limkit.data import atomic_write_text
    from limkit.progress import library_output
    from limkit.studies.conflicts import (
        DEFAULT_NLI_MODEL,
        detector_table,
        parse_detector,
        read_pairs,
        render_report,
        run_detection,
        start_run,
        summarize,
    )

    started = time.perf_counter()
    detectors = [parse_detector(spec) for spec in (detector or [f"nli:{DEFAULT_NLI_MODEL}"])]
    pairs = [pair for build in builds for pair in read_pairs(build)]
    if len({p["id"] for p in pairs}) != len(pairs):
        raise UsageError(
            "two inputs hold pairs with the same id; detect them in separate runs", field="builds"
        )
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    with library_output(verbose):
        generator = None
        if any(d.kind == "llm" for d in detectors):
            generator = _generator(
                backend,
                model,
                base_url,
                model_fingerprint,
                api_key_env,
                concurrency,
                cache or out / "cache.sqlite",
            )
        start_run(
            out,
            {
                "builds": [str(b) for b in builds],
                "detectors": [d.name for d in detectors],
                "identity": generator.identity if generator else None,
                "pairs": len(pairs),
            },
        )
        rows, fresh = run_detection(
            pairs,
            detectors,
            out / "scores.jsonl",
            generator=generator,
            batch_size=batch_size,
            attempts=attempts,
        )
    summary = summarize(pairs, rows)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    atomic_write_text(out / "report.html", render_report(summary))
    for row in detector_table(summary):
        _say(
            f"  {row[0]} [{row[1]}] {row[2]} {row[3]}: n {row[4]} "
            f"P {row[5]:.3f} R {row[6]:.3f} F1 {row[7]:.3f}"
        )
    unparsable = sum(sum(b["unparsable"].values()) for b in summary["blocks"])
    _say(
        f"{len(rows)} scorings of {len(pairs)} pairs ({fresh} scored now, {len(rows) - fresh} from earlier, "
        f"{unparsable} unparsable) in {time.perf_counter() - started:.1f} s; report: {out}/report.html"
    )


@conflicts_app.command("resolve")
def resolve_command(
    build: Annotated[
        Path, typer.Argument(help="A build directory (or a pairs JSONL with x_answer, y_answer).")
    ],
    out: Out,
    model: OptionalModel = None,
    backend: Backend = "openai",
    base_url: BaseUrls = None,
    model_fingerprint: Fingerprint = None,
    groups: Annotated[
        list[str] | None, typer.Option("--group", help="Conflict groups to use (default E1-E3).")
    ] = None,
    attempts: Attempts = 3,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
    verbose: Verbose = False,
) -> None:
    """Closed-book belief and the answer given both evidences; which side the model follows."""
    from limkit.data import atomic_write_text
    from limkit.errors import LimkitError
    from limkit.progress import library_output
    from limkit.studies.conflicts import read_pairs, resolution_summary, resolve, start_run

    wanted = set(groups or ["E1-E3"])
    pairs = [p for p in read_pairs(build) if p["group"] in wanted and p["label"] == 1 and "x_answer" in p]
    if not pairs:
        raise LimkitError(f"no conflicting answer pairs in groups {sorted(wanted)}", path=build)
    with library_output(verbose):
        generator = _generator(
            backend,
            model,
            base_url,
            model_fingerprint,
            api_key_env,
            concurrency,
            cache or out / "cache.sqlite",
        )
        start_run(out, {"build": str(build), "groups": sorted(wanted), "identity": generator.identity})
        rows = resolve(pairs, generator, attempts)
    _write_jsonl(out / "resolution.jsonl", rows)
    summary = resolution_summary(rows)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    for variant in ("explained", "answer_only"):
        _say(
            f"  {variant}: {summary[variant]['categories']}, "
            f"agrees with belief {summary[variant]['agrees_with_belief']}"
        )
    _say(f"{len(rows)} pairs resolved; {out}/resolution.jsonl")
