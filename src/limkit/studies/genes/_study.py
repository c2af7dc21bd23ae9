"""A ranking run: every case at every candidate-set size, by k agents, merged, one result row each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from limkit.errors import LimkitError
from limkit.studies.genes._candidates import DEFAULT_SWEEP, STRATEGIES, GenePool, candidate_set
from limkit.studies.genes._cases import Case
from limkit.studies.genes._hpo import Hpo
from limkit.studies.genes._prompt import PromptOptions, RepairCounts
from limkit.studies.genes._rankers import (
    METHODS,
    Asker,
    Job,
    Ranking,
    agent_order,
    borda,
    check_knockout,
    rank_knockout,
    rank_whole,
)


@dataclass(frozen=True)
class StudyConfig:
    """What a run is; stored in the run directory, and a resumed run must match it."""

    sizes: tuple[int, ...] = DEFAULT_SWEEP
    strategy: str = "random"
    method: str = "whole"
    agents: int = 1
    chunk_size: int = 10
    advance: int = 3
    seed: int = 0
    prompt: PromptOptions = field(default_factory=PromptOptions)

    def check(self) -> None:
        if self.method not in METHODS:
            raise LimkitError(f"unknown ranker {self.method!r}; choose one of {METHODS}", field="method")
        if self.strategy not in STRATEGIES:
            raise LimkitError(
                f"unknown strategy {self.strategy!r}; choose one of {STRATEGIES}", field="strategy"
            )
        if self.agents < 1:
            raise LimkitError(f"agents must be >= 1, got {self.agents}", field="agents")
        if not self.sizes or min(self.sizes) < 2:
            raise LimkitError("candidate-set sizes must be >= 2", field="n")
        if self.method == "dc":
            check_knockout(self.chunk_size, self.advance)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sizes"] = list(self.sizes)
        return data


def run_study(
    cases: Sequence[Case],
    pool: GenePool,
    config: StudyConfig,
    asker: Asker,
    hpo: Hpo | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per (case, n): the merged ranking, the causal gene's rank, each agent's view, repairs."""
    config.check()
    candidates: dict[str, tuple[Case, int, list[str]]] = {}
    for n in config.sizes:
        for case in cases:
            genes = candidate_set(case, n, pool, config.strategy, config.seed, hpo)
            candidates[f"{case.id}|n{n}"] = (case, n, genes)
    jobs = [
        Job(f"{key}|a{agent}", case, agent_order(genes, key, agent, config.seed))
        for key, (case, _, genes) in candidates.items()
        for agent in range(config.agents)
    ]
    if on_stage:
        on_stage(f"ranking {len(candidates)} candidate sets x {config.agents} agent(s) ({config.method})")
    if config.method == "whole":
        rankings = rank_whole(asker, jobs)
    else:
        rankings = rank_knockout(asker, jobs, config.chunk_size, config.advance, config.seed)
    return [
        _result_row(case, n, genes, [rankings[f"{key}|a{a}"] for a in range(config.agents)])
        for key, (case, n, genes) in candidates.items()
    ]


def _result_row(case: Case, n: int, genes: list[str], agents: list[Ranking]) -> dict[str, Any]:
    causal = case.gene_symbol
    merged = agents[0].order if len(agents) == 1 else borda([agent.order for agent in agents])
    counts = RepairCounts()
    views = []
    for agent in agents:
        counts.add(agent.counts)
        first_shown = [gene for chunk in agent.rounds[0] for gene in chunk]
        views.append(
            {"slot": first_shown.index(causal), "rank": agent.order.index(causal) + 1, "top1": agent.order[0]}
        )
    top_picks = {view["top1"] for view in views}
    return {
        "case_id": case.id,
        "n": n,
        "causal": causal,
        "candidates": genes,
        "ranking": merged,
        "rank": merged.index(causal) + 1,
        "agents": views,
        "confidence": None if len(agents) == 1 else ("confident" if len(top_picks) == 1 else "challenging"),
        "rounds": len(agents[0].rounds),
        "repairs": counts.as_dict(),
    }
