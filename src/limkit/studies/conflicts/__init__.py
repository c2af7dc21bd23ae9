"""Evidence conflicts: generate validated conflicting evidence, detect conflicts, study how models resolve
them (after Cheng et al., "On the Detection and Resolution of Evidence Conflicts", EMNLP 2024).

    questions = sample_questions(load_questions("nq_open"), 500, 2023)
    nli = make_nli("hf:microsoft/deberta-v2-xxlarge-mnli")
    built = build_answer_conflicts(questions, BuildConfig(), generator, Validator(generator, nli, scores, 3))
    rows, _ = run_detection(built.pairs, [parse_detector("nli:microsoft/deberta-v2-xxlarge-mnli")], path)
    summarize(built.pairs, rows)
"""

from limkit.studies.conflicts._answers import (
    LENGTHS,
    PAIR_GROUPS,
    BuildConfig,
    Built,
    Validator,
    answer_pool,
    build_answer_conflicts,
    sample_questions,
    triple_pairs,
)
from limkit.studies.conflicts._detect import (
    MODES,
    ORDERS,
    Detector,
    judge_prompt,
    loose_verdict,
    parse_detector,
    run_detection,
)
from limkit.studies.conflicts._factoid import build_factoid_conflicts, conflict_mixes, corroboration_mixes
from limkit.studies.conflicts._metrics import detector_table, precision_recall_f1, summarize
from limkit.studies.conflicts._nli import (
    DEFAULT_NLI_MODEL,
    LABELS,
    RULES,
    HfNli,
    LlmNli,
    ScoreCache,
    build_tiny_nli,
    conflict,
    label_map,
    make_nli,
    top_label,
)
from limkit.studies.conflicts._report import render_report
from limkit.studies.conflicts._resolve import category, resolution_summary, resolve
from limkit.studies.conflicts._rundir import read_pairs, start_run
from limkit.studies.conflicts._sources import (
    SOURCES,
    Decomposed,
    Question,
    load_decomposed,
    load_questions,
    normalize_answer,
)

__all__ = [
    "DEFAULT_NLI_MODEL",
    "LABELS",
    "LENGTHS",
    "MODES",
    "ORDERS",
    "PAIR_GROUPS",
    "RULES",
    "SOURCES",
    "BuildConfig",
    "Built",
    "Decomposed",
    "Detector",
    "HfNli",
    "LlmNli",
    "Question",
    "ScoreCache",
    "Validator",
    "answer_pool",
    "build_answer_conflicts",
    "build_factoid_conflicts",
    "build_tiny_nli",
    "category",
    "conflict",
    "conflict_mixes",
    "corroboration_mixes",
    "detector_table",
    "judge_prompt",
    "label_map",
    "load_decomposed",
    "load_questions",
    "loose_verdict",
    "make_nli",
    "normalize_answer",
    "parse_detector",
    "precision_recall_f1",
    "read_pairs",
    "render_report",
    "resolution_summary",
    "resolve",
    "run_detection",
    "sample_questions",
    "start_run",
    "summarize",
    "top_label",
    "triple_pairs",
]
