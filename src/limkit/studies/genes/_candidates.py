"""Candidate gene sets: the causal gene plus n - 1 decoys drawn from the store's own causal genes.

Three decoy strategies, each seeded per (case, n) so a set never changes between runs:

- `random`: uniformly from the store's genes.
- `phenotype`: the genes whose HPO annotations overlap the patient's terms (with ancestors) most, the
  hard setting an upstream prioritizer hands on; ties broken at random.
- `popularity`: genes with the closest number of cases in the store, so a ranker cannot win by
  preferring (or avoiding) well-studied genes.

The returned order is itself a seeded shuffle, so the causal gene's slot is uniform.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from limkit.errors import LimkitError
from limkit.studies.genes._cases import Case
from limkit.studies.genes._hpo import Hpo

STRATEGIES = ("random", "phenotype", "popularity")
DEFAULT_SWEEP = (5, 10, 25, 50, 100)


def rng_for(*parts: object) -> random.Random:
    """A generator seeded by a stable hash of `parts` (Python's hash() changes between processes)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class GenePool:
    """The store's causal genes with their case counts (the popularity the report measures)."""

    case_counts: dict[str, int]

    @classmethod
    def from_cases(cls, cases: Sequence[Case]) -> GenePool:
        return cls(dict(sorted(Counter(case.gene_symbol for case in cases).items())))

    @property
    def genes(self) -> list[str]:
        return list(self.case_counts)


def candidate_set(
    case: Case, n: int, pool: GenePool, strategy: str = "random", seed: int = 0, hpo: Hpo | None = None
) -> list[str]:
    """The causal gene and n - 1 distinct decoys, in a seeded random order."""
    others = [gene for gene in pool.genes if gene != case.gene_symbol]
    if n < 1:
        raise LimkitError(f"a candidate set needs n >= 1, got {n}", field="n")
    if n - 1 > len(others):
        raise LimkitError(
            f"n = {n} needs {n - 1} decoys but the store has only {len(others)} other genes", field="n"
        )
    rng = rng_for(seed, strategy, case.id, n)
    if strategy == "random":
        decoys = rng.sample(others, n - 1)
    elif strategy == "phenotype":
        decoys = _phenotype_decoys(case, others, n - 1, rng, hpo)
    elif strategy == "popularity":
        decoys = _popularity_decoys(case, others, n - 1, rng, pool)
    else:
        raise LimkitError(
            f"unknown decoy strategy {strategy!r}; choose one of {STRATEGIES}", field="strategy"
        )
    genes = [case.gene_symbol, *decoys]
    rng.shuffle(genes)
    return genes


def _phenotype_decoys(
    case: Case, others: list[str], k: int, rng: random.Random, hpo: Hpo | None
) -> list[str]:
    if hpo is None:
        raise LimkitError("the phenotype strategy needs the HPO ontology", field="strategy")
    patient = hpo.closure(term.id for term in case.observed)
    scored = [(-len(hpo.gene_terms(gene) & patient), rng.random(), gene) for gene in others]
    return [gene for _, _, gene in sorted(scored)[:k]]


def _popularity_decoys(
    case: Case, others: list[str], k: int, rng: random.Random, pool: GenePool
) -> list[str]:
    target = math.log1p(pool.case_counts.get(case.gene_symbol, 1))
    scored = [(abs(math.log1p(pool.case_counts[gene]) - target), rng.random(), gene) for gene in others]
    return [gene for _, _, gene in sorted(scored)[:k]]
