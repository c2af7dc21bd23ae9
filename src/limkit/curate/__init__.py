"""Curation pipelines: pick a few high-impact problems (and chains) out of a large pool, LIMO and s1 style.

    from limkit.curate import Pipeline, LocalExecutor, Load, Dedup, Decontaminate
    pipeline = Pipeline([Load(path="pool.json", fields={"problem": "prompt"}),
                         Dedup(threshold=0.8),
                         Decontaminate(benchmarks=["math500"], ngram=13)])
    result = LocalExecutor(workers=2).run(pipeline, "runs/curated")

Or from a recipe: `limkit curate recipes/limo.yaml --out DIR key=value ...` (see `load_recipe`).

Every step follows one contract, `run(records, rank, world_size) -> records`; every dropped record keeps
the step and the evidence (`reason`); every input record ends in exactly one of `kept.jsonl` and
`dropped.jsonl`; a killed run resumes where it stopped, and LLM samples come from the request cache.

ReAlign (`classify_task`, `retrieve_evidence`, `realign`, `realign_filter`, `realign_write`, see
`recipes/realign.yaml`) rewrites instruction data into per-task formats; nothing is dropped.

Reasoning trees (`read_trees`) yield shortcut and journey SFT samples (`write_trajectories`, O1 Journey).
"""

from limkit.curate._decontam import Decontaminate, load_benchmark_texts
from limkit.curate._dedup import Dedup
from limkit.curate._difficulty import Difficulty
from limkit.curate._distill import Distill
from limkit.curate._executor import CurateResult, Executor, LocalExecutor, RayExecutor, run_pipeline
from limkit.curate._filter import Filter, Predicate
from limkit.curate._journey import (
    RewriteCheck,
    Segment,
    Trajectory,
    check_rewrite,
    correct_path_ids,
    derive,
    journey,
    length_stats,
    shortcut,
    write_trajectories,
)
from limkit.curate._llm import ModelSpec
from limkit.curate._load import Load
from limkit.curate._options import OptionError
from limkit.curate._pairs import dpo_pairs
from limkit.curate._pipeline import Pipeline
from limkit.curate._realign._classifier import TaskClassifier, train_classifier
from limkit.curate._realign._classify import ClassifyTask
from limkit.curate._realign._evidence import RetrieveEvidence, clean_snippets
from limkit.curate._realign._filter import RealignFilter
from limkit.curate._realign._rewrite import Realign
from limkit.curate._realign._taxonomy import load_formats, taxonomy
from limkit.curate._realign._write import RealignWrite
from limkit.curate._recipe import Recipe, apply_overrides, load_recipe, run_recipe
from limkit.curate._record import REASON, Record, drop, is_dropped, normalize_text
from limkit.curate._reformat import REFORMAT_PROMPT, Reformat
from limkit.curate._rewrite import REWRITE_PROMPT, rewrite_journeys
from limkit.curate._score import ScoreChains, score_chain
from limkit.curate._scorers import ScorerSpec, StepItem, StepScore
from limkit.curate._select import Select
from limkit.curate._step import STEPS, Step, StepContext, register_step
from limkit.curate._tree import Node, Tree, read_trees
from limkit.curate._treesearch import GrowTrees, cost_bounds, write_tree_file
from limkit.curate._write import Write

__all__ = [
    "REASON",
    "REFORMAT_PROMPT",
    "REWRITE_PROMPT",
    "STEPS",
    "ClassifyTask",
    "CurateResult",
    "Decontaminate",
    "Dedup",
    "Difficulty",
    "Distill",
    "Executor",
    "Filter",
    "GrowTrees",
    "Load",
    "LocalExecutor",
    "ModelSpec",
    "Node",
    "OptionError",
    "Pipeline",
    "Predicate",
    "RayExecutor",
    "Realign",
    "RealignFilter",
    "RealignWrite",
    "Recipe",
    "Record",
    "Reformat",
    "RetrieveEvidence",
    "RewriteCheck",
    "ScoreChains",
    "ScorerSpec",
    "Segment",
    "Select",
    "Step",
    "StepContext",
    "StepItem",
    "StepScore",
    "TaskClassifier",
    "Trajectory",
    "Tree",
    "Write",
    "apply_overrides",
    "check_rewrite",
    "clean_snippets",
    "correct_path_ids",
    "cost_bounds",
    "derive",
    "dpo_pairs",
    "drop",
    "is_dropped",
    "journey",
    "length_stats",
    "load_benchmark_texts",
    "load_formats",
    "load_recipe",
    "normalize_text",
    "read_trees",
    "register_step",
    "rewrite_journeys",
    "run_pipeline",
    "run_recipe",
    "score_chain",
    "shortcut",
    "taxonomy",
    "train_classifier",
    "write_trajectories",
    "write_tree_file",
]
