"""Evaluation: resumable, re-scorable runs with pass@k, maj@k, budget forcing, reports and a leaderboard.

    from limkit.eval import EvalConfig, run_eval, rescore_run, write_report
    results = run_eval(EvalConfig(backend="hf", model="path/to/model", tasks=("math500",)), "runs/a")

A run directory holds `results.json` (protocol, versions, metrics) and `samples.jsonl` (one graded sample
per line). Running the same config into it again resumes; `rescore_run` re-grades stored completions.
"""

from limkit.eval._budget import (
    ChatRenderer,
    ForcedCompletion,
    ForcingSlot,
    TemplateRenderer,
    cut_at_markers,
    force_budget,
)
from limkit.eval._config import (
    BudgetForcing,
    EvalConfig,
    GraderSettings,
    JudgeConfig,
    RuntimeOptions,
    SamplingOverrides,
    config_differences,
)
from limkit.eval._differential import candidate_list, differential_summary, gold_rank, same_condition
from limkit.eval._diversity import (
    cosine_diversity,
    distinct_n,
    distinct_n_values,
    diversity_metrics,
    equation_chain,
    sample_rows_diversity,
)
from limkit.eval._libra import (
    Board,
    Dimension,
    balanced_score,
    build_board,
    read_score_table,
)
from limkit.eval._libra_page import scores_from_sources, write_leaderboard
from limkit.eval._metrics import (
    bootstrap_interval,
    majority_answer,
    pass_at_k,
    task_metrics,
    wilson_interval,
)
from limkit.eval._report import build_report, leaderboard, load_runs, write_report
from limkit.eval._rescore import rescore_run
from limkit.eval._runfiles import read_results, read_samples
from limkit.eval._runner import load_tasks, protocol, run_eval, task_params
from limkit.eval._scaling import difficulty_lengths, scaling_curve, seeded_vote, spearman, vote_ks
from limkit.eval._scaling_page import scaling_report, write_scaling_report
from limkit.eval._summary import summarize, summary_lines

__all__ = [
    "Board",
    "BudgetForcing",
    "ChatRenderer",
    "Dimension",
    "EvalConfig",
    "ForcedCompletion",
    "ForcingSlot",
    "GraderSettings",
    "JudgeConfig",
    "RuntimeOptions",
    "SamplingOverrides",
    "TemplateRenderer",
    "balanced_score",
    "bootstrap_interval",
    "build_board",
    "build_report",
    "candidate_list",
    "config_differences",
    "cosine_diversity",
    "cut_at_markers",
    "differential_summary",
    "difficulty_lengths",
    "distinct_n",
    "distinct_n_values",
    "diversity_metrics",
    "equation_chain",
    "force_budget",
    "gold_rank",
    "leaderboard",
    "load_runs",
    "load_tasks",
    "majority_answer",
    "pass_at_k",
    "protocol",
    "read_results",
    "read_samples",
    "read_score_table",
    "rescore_run",
    "run_eval",
    "same_condition",
    "sample_rows_diversity",
    "scaling_curve",
    "scaling_report",
    "scores_from_sources",
    "seeded_vote",
    "spearman",
    "summarize",
    "summary_lines",
    "task_metrics",
    "task_params",
    "vote_ks",
    "wilson_interval",
    "write_leaderboard",
    "write_report",
    "write_scaling_report",
]
