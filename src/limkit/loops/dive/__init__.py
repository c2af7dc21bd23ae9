"""`limkit dive`: diversity-aware iterative self-improvement (DIVE, Qin, Liu, Liu 2025) and vanilla ISI.

    from limkit.loops.dive import load_dive_recipe, run_dive
    summary = run_dive(load_dive_recipe("recipes/dive/gsm8k_paper.yaml"), "runs/dive")

Variants: vanilla (iterative DPO + NLL on self-generated pairs), global (pairs from the union of every
iteration's samples), selection (Isolation Forest filter + greedy diversity selection), dive (both).
"""

from limkit.loops.dive._config import VARIANTS, DiveConfig, load_dive_recipe
from limkit.loops.dive._embed import Embedder, hashed_vectors
from limkit.loops.dive._pairs import Pairing, build_pairs
from limkit.loops.dive._questions import Question, hash_answer, load_questions
from limkit.loops.dive._run import check_inputs, run_dive
from limkit.loops.dive._select import (
    greedy_embedding,
    greedy_texts,
    naive_greedy,
    outlier_mask,
    random_subset,
    select_diverse,
    stable_rng,
)

__all__ = [
    "VARIANTS",
    "DiveConfig",
    "Embedder",
    "Pairing",
    "Question",
    "build_pairs",
    "check_inputs",
    "greedy_embedding",
    "greedy_texts",
    "hash_answer",
    "hashed_vectors",
    "load_dive_recipe",
    "load_questions",
    "naive_greedy",
    "outlier_mask",
    "random_subset",
    "run_dive",
    "select_diverse",
    "stable_rng",
]
