"""Candidate sets: the causal gene plus n - 1 distinct decoys, seeded, by each documented strategy."""

from __future__ import annotations

from collections import Counter

import pytest

from limkit.errors import LimkitError
from limkit.studies.genes import DEFAULT_SWEEP, STRATEGIES, Case, GenePool, Hpo, candidate_set


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_set_holds_the_causal_gene_and_distinct_decoys(
    strategy: str, shipped_cases: list[Case], hpo: Hpo
) -> None:
    pool = GenePool.from_cases(shipped_cases)
    for case in shipped_cases[::20]:
        for n in DEFAULT_SWEEP:
            genes = candidate_set(case, n, pool, strategy, seed=3, hpo=hpo)
            assert len(genes) == n == len(set(genes))
            assert case.gene_symbol in genes and set(genes) <= set(pool.genes)
            assert genes == candidate_set(case, n, pool, strategy, seed=3, hpo=hpo)
    case = shipped_cases[0]
    assert candidate_set(case, 25, pool, strategy, 3, hpo) != candidate_set(case, 25, pool, strategy, 4, hpo)


def test_the_causal_slot_is_uniform(shipped_cases: list[Case]) -> None:
    pool = GenePool.from_cases(shipped_cases)
    slots = Counter(candidate_set(c, 5, pool).index(c.gene_symbol) for c in shipped_cases)
    assert sorted(slots) == [0, 1, 2, 3, 4]
    assert all(60 <= count <= 135 for count in slots.values()), slots  # 482 / 5 = 96 expected each


def test_phenotype_decoys_overlap_more_and_popularity_decoys_match_counts(
    shipped_cases: list[Case], hpo: Hpo
) -> None:
    pool = GenePool.from_cases(shipped_cases)

    def overlap(case: Case, strategy: str) -> float:
        patient = hpo.closure(term.id for term in case.observed)
        decoys = [g for g in candidate_set(case, 10, pool, strategy, hpo=hpo) if g != case.gene_symbol]
        return sum(len(hpo.gene_terms(g) & patient) for g in decoys) / len(decoys)

    sample = shipped_cases[::10]
    assert sum(overlap(c, "phenotype") for c in sample) > 2 * sum(overlap(c, "random") for c in sample)
    counts = GenePool({"A": 1, "B": 1, "C": 1, "D": 4, "E": 4, "F": 40, "G": 40, "H": 30})
    assert set(candidate_set(Case("x", (), (), "A", ""), 3, counts, "popularity")) == {"A", "B", "C"}
    assert set(candidate_set(Case("x", (), (), "F", ""), 3, counts, "popularity")) == {"F", "G", "H"}
    assert set(candidate_set(Case("x", (), (), "D", ""), 2, counts, "popularity")) == {"D", "E"}


def test_impossible_sizes_and_strategies_fail_clearly(shipped_cases: list[Case]) -> None:
    pool = GenePool.from_cases(shipped_cases)
    with pytest.raises(LimkitError, match="needs 150 decoys but the store has only 149"):
        candidate_set(shipped_cases[0], 151, pool)
    with pytest.raises(LimkitError, match="unknown decoy strategy"):
        candidate_set(shipped_cases[0], 5, pool, "nearest")
