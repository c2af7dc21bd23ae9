"""`limkit genes cases|rank|eval`: LLM gene prioritization on phenopacket cases."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._generate import ApiKeyEnv, Backend, BaseUrls, CachePath, Concurrency, Fingerprint, Model
from limkit.errors import LimkitError

genes_app = typer.Typer(
    help="Gene prioritization: rank the causal gene among decoys in phenopacket cases (Neeley et al. 2025).",
    no_args_is_help=True,
)

Input = Annotated[
    Path,
    typer.Option(
        "--input",
        help="Phenopackets: a phenopacket-store directory or release ZIP, one JSON file, a JSONL of "
        "phenopackets (or {path, phenopacket} rows), or cases written by `limkit genes cases`.",
    ),
]


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


@genes_app.command("cases")
def cases_command(
    input: Input,
    out: Annotated[Path, typer.Option("--out", help="Cases JSONL to write.")],
) -> None:
    """Read phenopackets into cases (observed and excluded terms, causal gene); report what was skipped."""
    from limkit.data import write_jsonl
    from limkit.studies.genes import load_cases

    found = load_cases(input)
    write_jsonl(out, (case.as_dict() for case in found.cases))
    with_excluded = sum(1 for case in found.cases if case.excluded)
    genes = len({case.gene_symbol for case in found.cases})
    _say(
        f"{len(found.cases)} cases ({genes} causal genes, {with_excluded} with excluded terms) written to "
        f"{out}; {len(found.skipped)} skipped"
    )
    for where, reason in found.skipped[:20]:
        _say(f"  skipped {where}: {reason}")


def _sizes(values: list[int] | None) -> tuple[int, ...]:
    from limkit.studies.genes import DEFAULT_SWEEP

    return tuple(sorted(set(values))) if values else DEFAULT_SWEEP


@genes_app.command("rank")
def rank_command(
    input: Input,
    out: Annotated[Path, typer.Option("--out", help="Run directory (re-run the same command to resume).")],
    model: Model,
    backend: Backend = "openai",
    base_url: BaseUrls = None,
    model_fingerprint: Fingerprint = None,
    ranker: Annotated[
        str, typer.Option(help="whole (one list) or dc (knockout divide-and-conquer).")
    ] = "whole",
    n: Annotated[
        list[int] | None, typer.Option("--n", help="Candidate-set size; repeat (default 5 10 25 50 100).")
    ] = None,
    strategy: Annotated[
        str, typer.Option(help="Decoys: random, phenotype (HPO overlap) or popularity.")
    ] = "random",
    agents: Annotated[int, typer.Option(help="Order-shuffled agents merged by Borda count (1 = plain).")] = 1,
    chunk_size: Annotated[int, typer.Option("--chunk-size", "-s", help="dc: genes per chunk.")] = 10,
    advance: Annotated[int, typer.Option("--advance", "-m", help="dc: genes advancing per chunk.")] = 3,
    seed: Annotated[int, typer.Option(help="Seeds decoys, shuffles and the case sample.")] = 0,
    limit: Annotated[int | None, typer.Option(help="Rank a seeded sample of this many cases.")] = None,
    state_absent: Annotated[bool, typer.Option(help="List excluded terms as absent in the prompt.")] = False,
    max_terms: Annotated[int, typer.Option(help="Most specific observed terms kept per prompt.")] = 40,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
) -> None:
    """Rank every case's candidate set at every n; results in OUT/results.jsonl, answers cached in OUT."""
    from limkit.data import write_jsonl
    from limkit.llm import BackendOptions, make_generator, open_cache
    from limkit.studies.genes import (
        Asker,
        GenePool,
        PromptOptions,
        StudyConfig,
        load_cases,
        load_hpo,
        rng_for,
        run_study,
        start_run,
    )

    started = time.perf_counter()
    study = StudyConfig(
        sizes=_sizes(n),
        strategy=strategy,
        method=ranker,
        agents=agents,
        chunk_size=chunk_size,
        advance=advance,
        seed=seed,
        prompt=PromptOptions(state_absent=state_absent, max_terms=max_terms),
    )
    study.check()
    if max_terms < 1:
        raise LimkitError("--max-terms must be >= 1", field="max_terms")
    found = load_cases(input)
    if not found.cases:
        raise LimkitError("no usable cases", path=input)
    pool = GenePool.from_cases(found.cases)
    cases = found.cases
    if limit is not None and limit < len(cases):
        keep = set(rng_for(seed, "limit").sample(range(len(cases)), limit))
        cases = [case for index, case in enumerate(cases) if index in keep]
    options = BackendOptions(
        base_url=tuple(base_url) if base_url else None,
        model_fingerprint=model_fingerprint,
        api_key_env=api_key_env,
        concurrency=concurrency,
    )
    generator = make_generator(backend, model, options, open_cache(cache or out / "cache.sqlite"))
    config = {
        "study": study.as_dict(),
        "model": model,
        "identity": generator.identity,
        "input": str(input),
        "cases": [case.id for case in cases],
        "pool": pool.case_counts,
    }
    start_run(out, config, cases)
    hpo = load_hpo() if strategy == "phenotype" or any(len(c.observed) > max_terms for c in cases) else None
    rows = run_study(cases, pool, study, Asker(generator, study.prompt, hpo), hpo, on_stage=_say)
    write_jsonl(out / "results.jsonl", rows)
    stats = generator.stats
    top1 = sum(1 for row in rows if row["rank"] == 1)
    _say(
        f"{len(rows)} rankings ({len(cases)} cases x {len(study.sizes)} sizes) written to "
        f"{out}/results.jsonl in {time.perf_counter() - started:.1f} s: top-1 {top1}/{len(rows)}; "
        f"{stats.generated} asks generated, "
        f"{stats.cached} from the cache, {sum(row['repairs']['repaired'] for row in rows)} answers repaired"
    )


@genes_app.command("eval")
def eval_command(
    runs: Annotated[
        list[Path], typer.Argument(help="Run directories from `limkit genes rank` (compare several).")
    ],
    report: Annotated[Path | None, typer.Option(help="HTML report (default: FIRST_RUN/report.html).")] = None,
    no_hpo: Annotated[
        bool, typer.Option("--no-hpo", help="Skip the HPO stratification (no ontology load).")
    ] = False,
) -> None:
    """Metrics with intervals, bias figures, HPO strata; summary.json per run and one HTML report."""
    from limkit.data import atomic_write_text
    from limkit.studies.genes import load_hpo, read_run, render_report, run_label, summarize

    hpo = None if no_hpo else load_hpo()
    summaries = []
    for run in runs:
        config, cases, rows = read_run(run)
        summary = summarize(rows, {case.id: case for case in cases}, config["pool"], hpo)
        atomic_write_text(run / "summary.json", json.dumps(summary, indent=2) + "\n")
        summaries.append((run_label(config), summary))
        overall = summary["overall"]
        _say(
            f"{run}: {run_label(config)}: hit@1 {overall['hit@1']:.3f} hit@10 {overall['hit@10']:.3f} "
            f"MRR {overall['mrr']:.3f} over {overall['cases']} rankings"
        )
    target = report or runs[0] / "report.html"
    atomic_write_text(target, render_report(summaries))
    _say(f"report written to {target}")
