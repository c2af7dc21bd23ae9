"""LLM gene prioritization for rare diseases (after Neeley et al., "Survey and Improvement Strategies for
Gene Prioritization with Large Language Models", Bioinformatics Advances 2025).

Cases come from GA4GH phenopackets (phenopacket-store, the public stand-in for the paper's private
cohorts); a ranker orders the causal gene among n - 1 seeded decoys through `limkit.llm`:

    cases = load_cases("phenopackets.jsonl").cases
    pool = GenePool.from_cases(cases)
    generator = make_generator("openai", "qwen", BackendOptions(base_url=URL), open_cache())
    asker = Asker(generator, PromptOptions())
    rows = run_study(cases, pool, StudyConfig(sizes=(10, 50), method="dc", agents=3), asker)
    summarize(rows, {c.id: c for c in cases}, pool.case_counts, load_hpo())
"""

from limkit.studies.genes._candidates import DEFAULT_SWEEP, STRATEGIES, GenePool, candidate_set, rng_for
from limkit.studies.genes._cases import Case, CaseSet, Term, case_from_phenopacket, load_cases
from limkit.studies.genes._hpo import Hpo, load_hpo
from limkit.studies.genes._metrics import (
    bootstrap_mean,
    order_sensitivity,
    popularity_bias,
    position_bias,
    rank_metrics,
    spearman,
    summarize,
    wilson,
)
from limkit.studies.genes._prompt import RANKING_SCHEMA, PromptOptions, RepairCounts, ranking_messages, repair
from limkit.studies.genes._rankers import (
    METHODS,
    Asker,
    Job,
    Ranking,
    borda,
    chunked,
    rank_knockout,
    rank_whole,
)
from limkit.studies.genes._report import render_report, run_label
from limkit.studies.genes._rundir import read_run, start_run
from limkit.studies.genes._study import StudyConfig, run_study

__all__ = [
    "DEFAULT_SWEEP",
    "METHODS",
    "RANKING_SCHEMA",
    "STRATEGIES",
    "Asker",
    "Case",
    "CaseSet",
    "GenePool",
    "Hpo",
    "Job",
    "PromptOptions",
    "Ranking",
    "RepairCounts",
    "StudyConfig",
    "Term",
    "bootstrap_mean",
    "borda",
    "candidate_set",
    "case_from_phenopacket",
    "chunked",
    "load_cases",
    "load_hpo",
    "order_sensitivity",
    "popularity_bias",
    "position_bias",
    "rank_knockout",
    "rank_metrics",
    "rank_whole",
    "ranking_messages",
    "read_run",
    "render_report",
    "repair",
    "rng_for",
    "run_label",
    "run_study",
    "spearman",
    "start_run",
    "summarize",
    "wilson",
]
