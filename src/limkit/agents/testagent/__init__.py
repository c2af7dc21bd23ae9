"""TestAgent (Wang, Ma, Liu, Chen et al., arXiv 2410.11507): Benchmark+ items built from documents or
activated from a static task, and Assessment+, an adaptive multi-turn examination with a learned choice of
the next question type. No code was released; every rule here is limkit's own and documented where it lives
(fact sheet: notes/papers/conflict_testagent_genes.md, part B).

    result = build_from_documents(read_corpus("docs/"), BuildConfig(domain="medical"), Asker(gen), "qwen")
    write_bench("bench.jsonl", result.items)
    items, _ = activate_task(load_task_for_activation("medbullets_op4", "data/", None), "medical")
    policy = train_simulated(episodes=5000)          # or QPolicy.load("policy.json")
    assess(Path("bench.jsonl"), Path("run/"), Roles(examiner, target, judge), models, policy, ExamConfig())
    finish_run(Path("run/"), examiner, "qwen")       # scores.json, summary.json, report.html
"""

from limkit.agents.testagent._activate import activate_task, load_task_for_activation
from limkit.agents.testagent._asking import Asker
from limkit.agents.testagent._assess import assess, finish_run, read_transcript
from limkit.agents.testagent._build import BuildConfig, BuildResult, build_from_documents, dedup_questions
from limkit.agents.testagent._exam import ExamConfig, Examination, Roles, score_verdicts
from limkit.agents.testagent._policy import (
    POLICIES,
    ExamState,
    QPolicy,
    RulePolicy,
    SimulatedTarget,
    UniformPolicy,
    make_policy,
    simulate_episode,
    train_simulated,
)
from limkit.agents.testagent._report import render_report
from limkit.agents.testagent._schema import (
    ACTIONS,
    SCHEMA_VERSION,
    benchmark_schema,
    read_bench,
    validate_item,
    write_bench,
)
from limkit.agents.testagent._scores import summarize

__all__ = [
    "ACTIONS",
    "POLICIES",
    "SCHEMA_VERSION",
    "Asker",
    "BuildConfig",
    "BuildResult",
    "ExamConfig",
    "ExamState",
    "Examination",
    "QPolicy",
    "Roles",
    "RulePolicy",
    "SimulatedTarget",
    "UniformPolicy",
    "activate_task",
    "assess",
    "benchmark_schema",
    "build_from_documents",
    "dedup_questions",
    "finish_run",
    "load_task_for_activation",
    "make_policy",
    "read_bench",
    "read_transcript",
    "render_report",
    "score_verdicts",
    "simulate_episode",
    "summarize",
    "train_simulated",
    "validate_item",
    "write_bench",
]
