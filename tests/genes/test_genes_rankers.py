"""Rankers through the scripted backend: oracle, position-biased, sloppy; chunking and Borda by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from limkit.llm import CompletionCache, make_generator
from limkit.studies.genes import (
    Asker,
    Case,
    GenePool,
    Job,
    PromptOptions,
    StudyConfig,
    borda,
    candidate_set,
    chunked,
    rank_knockout,
    repair,
    run_study,
)


def asker(script: str, tmp_path: Path | None = None) -> Asker:
    cache = CompletionCache(tmp_path / "cache.sqlite") if tmp_path else None
    return Asker(make_generator("scripted", f"gene_scripts:{script}", cache=cache), PromptOptions())


def test_repair_drops_invented_and_repeated_genes_and_appends_missing_ones() -> None:
    shown = ["A", "B", "C", "D"]
    fixed = repair({"ranking": ["c", "X", "C", "A"]}, "", shown)
    assert fixed.ranking == ["C", "A", "B", "D"]
    assert (fixed.counts.invented, fixed.counts.duplicates, fixed.counts.missing) == (1, 1, 2)
    assert fixed.counts.repaired == 1 and fixed.counts.invalid == 0
    garbage = repair(None, "I think D, then maybe b or Q.", shown)
    assert garbage.ranking == ["D", "B", "A", "C"] and garbage.counts.invalid == 1
    clean = repair({"ranking": ["B", "A", "D", "C"]}, "", shown)
    assert clean.ranking == ["B", "A", "D", "C"] and clean.counts.repaired == 0


def test_borda_merges_by_points_with_deterministic_ties() -> None:
    # A: 2+0+2 = 4, B: 1+2+1 = 4 (tie: A's best rank 0 = B's best rank 0; mean 0.67 vs 0.33: B), C: 0+1+0
    assert borda([["A", "B", "C"], ["B", "C", "A"], ["A", "B", "C"]]) == ["A", "B", "C"]
    assert borda([["A", "B", "C"], ["B", "A", "C"]]) == ["A", "B", "C"]  # tie broken by the symbol
    assert borda([["C", "B", "A"], ["B", "A", "C"], ["B", "C", "A"]]) == ["B", "C", "A"]


def expected_rounds(n: int, size: int, advance: int) -> int:
    """Knockout rounds until at most `size` remain, plus the final ranking, counted by hand."""
    rounds, alive = 0, n
    while alive > size:
        full, rest = divmod(alive, size)
        alive = full * advance + min(rest, advance)
        rounds += 1
    return rounds + 1


@pytest.mark.parametrize(
    ("n", "size", "advance"), [(100, 10, 3), (50, 10, 3), (25, 5, 2), (11, 10, 3), (10, 10, 3)]
)
def test_knockout_sees_every_gene_once_per_round(
    n: int, size: int, advance: int, shipped_cases: list[Case]
) -> None:
    pool = GenePool.from_cases(shipped_cases)
    cases = shipped_cases[:6]
    jobs = [Job(f"{case.id}|n{n}|a0", case, tuple(candidate_set(case, n, pool))) for case in cases]
    results = rank_knockout(asker("oracle"), jobs, size, advance)
    assert expected_rounds(100, 10, 3) == 3 and expected_rounds(10, 10, 3) == 1
    for job, case in zip(jobs, cases, strict=True):
        ranking = results[job.key]
        assert len(ranking.rounds) == expected_rounds(n, size, advance)
        alive = sorted(job.genes)
        for chunks in ranking.rounds:
            flat = [gene for chunk in chunks for gene in chunk]
            assert sorted(flat) == alive and len(flat) == len(set(flat))  # every survivor, once
            assert all(len(chunk) <= size for chunk in chunks)
            survivors = sum(min(advance, len(chunk)) for chunk in chunks)
            alive = sorted(ranking.order[:survivors]) if chunks is not ranking.rounds[-1] else alive
        assert len(ranking.rounds[-1]) == 1 and len(ranking.rounds[-1][0]) <= size
        assert sorted(ranking.order) == sorted(job.genes) and ranking.order[0] == case.gene_symbol
    assert math.log(100 / 10, 10 / 3) < expected_rounds(100, 10, 3)


def test_eliminated_genes_follow_by_the_round_they_reached(shipped_cases: list[Case]) -> None:
    case = shipped_cases[0]
    genes = tuple(candidate_set(case, 50, GenePool.from_cases(shipped_cases)))
    ranking = rank_knockout(asker("oracle"), [Job(f"{case.id}|n50|a0", case, genes)], 10, 3)[
        f"{case.id}|n50|a0"
    ]
    first, second, final = ranking.rounds
    assert [len(c) for c in first] == [10] * 5 and [len(c) for c in second] == [10, 5] and len(final[0]) == 6
    # The final six lead; then the nine dropped in round two; then the 35 dropped in round one.
    assert set(ranking.order[:6]) == set(final[0])
    assert set(ranking.order[6:15]) == {g for c in second for g in c} - set(final[0])
    # Round one's eliminated genes: better chunk ranks first (every chunk's 4th, then every 5th, ...).
    oracle_orders = [sorted(chunk, key=lambda gene: gene != case.gene_symbol) for chunk in first]
    dropped_first = ranking.order[15:]
    assert set(dropped_first[:5]) == {order[3] for order in oracle_orders}
    assert set(dropped_first[5:10]) == {order[4] for order in oracle_orders}


def sets(cases: list[Case], sizes: tuple[int, ...] = (5, 10, 25)) -> int:
    return len(cases) * len(sizes)


def test_the_oracle_ranks_the_causal_gene_first_everywhere(shipped_cases: list[Case], tmp_path: Path) -> None:
    pool = GenePool.from_cases(shipped_cases)
    cases = shipped_cases[::12]
    for method in ("whole", "dc"):
        config = StudyConfig(sizes=(5, 10, 25, 50, 100), method=method, chunk_size=10, advance=3)
        rows = run_study(cases, pool, config, asker("oracle"))
        assert len(rows) == len(cases) * 5 and all(row["rank"] == 1 for row in rows)
        assert all(row["repairs"]["repaired"] == 0 for row in rows)


def test_a_position_biased_ranker_fails_plain_ranking_and_shuffled_agents_rescue_it(
    shipped_cases: list[Case],
) -> None:
    pool = GenePool.from_cases(shipped_cases)
    cases = shipped_cases[::4]
    plain = run_study(cases, pool, StudyConfig(sizes=(5, 10, 25)), asker("first_slot"))
    shown_first = [row for row in plain if row["candidates"][0] == row["causal"]]
    assert [row for row in plain if row["rank"] == 1] == shown_first  # right only when shown first
    assert len(shown_first) / len(plain) < 0.25
    assert all(row["rank"] == 2 for row in plain if row not in shown_first)
    agents = run_study(cases, pool, StudyConfig(sizes=(5, 10, 25), agents=5), asker("first_slot"))
    top1 = sum(row["rank"] == 1 for row in agents) / len(agents)
    assert top1 > 0.9, top1
    classes = {row["confidence"] for row in agents}
    assert classes <= {"confident", "challenging"} and "challenging" in classes
    for row in agents:
        picks = {view["top1"] for view in row["agents"]}
        assert (row["confidence"] == "confident") == (len(picks) == 1)
    assert all(row["confidence"] is None for row in plain)


def test_sloppy_answers_are_repaired_and_counted(shipped_cases: list[Case]) -> None:
    pool = GenePool.from_cases(shipped_cases)
    rows = run_study(shipped_cases[:10], pool, StudyConfig(sizes=(5, 10)), asker("sloppy"))
    for row in rows:
        assert row["rank"] == 1 and sorted(row["ranking"]) == sorted(row["candidates"])
        assert row["repairs"] == {
            "asks": 1,
            "invalid": 0,
            "invented": 1,
            "missing": 1,
            "duplicates": 1,
            "repaired": 1,
        }


def test_a_second_run_is_answered_from_the_cache(shipped_cases: list[Case], tmp_path: Path) -> None:
    pool = GenePool.from_cases(shipped_cases)
    config = StudyConfig(sizes=(10, 25), method="dc", chunk_size=5, advance=2, agents=2)
    first = asker("oracle", tmp_path)
    rows = run_study(shipped_cases[:8], pool, config, first)
    again = asker("oracle", tmp_path)
    assert json.dumps(run_study(shipped_cases[:8], pool, config, again)) == json.dumps(rows)
    assert (
        again.generator.stats.generated == 0
        and again.generator.stats.cached == first.generator.stats.generated
    )
    assert chunked(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
