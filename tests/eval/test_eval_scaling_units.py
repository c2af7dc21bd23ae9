"""The scaling report's pieces: the seeded tie-break, vote ks, Spearman's rho, the differential parser."""

from __future__ import annotations

import random

import pytest

from limkit.eval import candidate_list, gold_rank, same_condition, seeded_vote, spearman, vote_ks


def test_ties_are_drawn_by_the_seed_not_by_order() -> None:
    draws = {}
    for seed in range(40):
        key = f"limkit-vote:{seed}:t:p:2"
        forward, backward = seeded_vote(["B", "A"], key), seeded_vote(["A", "B"], key)
        assert forward is not None and backward is not None
        winner = ["B", "A"][forward]
        assert winner == ["A", "B"][backward] == random.Random(key).choice(["A", "B"])  # order-free
        draws[seed] = winner
    assert set(draws.values()) == {"A", "B"}  # neither the first-seen nor a fixed letter always wins
    assert seeded_vote(["A", "B", "B", None], "k") == 1 and seeded_vote([None, None], "k") is None


def test_vote_ks_double_up_to_n() -> None:
    assert vote_ks(8) == [1, 2, 4, 8] and vote_ks(6) == [1, 2, 4, 6] and vote_ks(1) == [1]


def test_spearman_matches_scipy_with_ties() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3)
    xs = [rng.choice([0.0, 0.25, 0.5, 1.0]) for _ in range(40)]
    ys = [rng.randint(10, 20) + 10 * x for x in xs]
    assert spearman(xs, ys) == pytest.approx(scipy_stats.spearmanr(xs, ys).statistic)
    assert spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_differential_parser_and_matching() -> None:
    text = (
        "The patient has fever.\n\nDifferential diagnosis:\n1. **Bacterial meningitis** - fits the neck "
        "stiffness\n2. Viral encephalitis (less likely)\n3. Subarachnoid hemorrhage: no\n\n"
        "Final answer: \\boxed{Bacterial meningitis}"
    )
    candidates = candidate_list(text)
    assert candidates == ["Bacterial meningitis", "Viral encephalitis", "Subarachnoid hemorrhage"]
    assert gold_rank(candidates, "Subarachnoid haemorrhage") is None  # spelling differs: a lower bound
    assert gold_rank(candidates, "viral encephalitis") == 2
    assert same_condition("Acute bacterial meningitis", "Bacterial meningitis")
    assert not same_condition("Gastroenteritis", "Meningitis")
    assert candidate_list("No list here, just \\boxed{x}.") == []
    bulleted = "Possible causes are\n- Sarcoidosis\n- Tuberculosis\nSo: \\boxed{Sarcoidosis}"
    assert candidate_list(bulleted) == ["Sarcoidosis", "Tuberculosis"]
