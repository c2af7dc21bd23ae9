"""Rankers over `limkit.llm`: whole-list, knockout divide-and-conquer, and k order-shuffled agents.

Every ranker works on many rankings at once (all cases, set sizes and agents of a run) so that each
stage is one batch of requests: a server sees them concurrently, and the request cache makes a killed
run resume with nothing asked twice. Request ids are `<case id>|n<n>|a<agent>|r<round>|c<chunk>`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from limkit.errors import LimkitError
from limkit.llm import Generator, Request, SamplingParams
from limkit.studies.genes._candidates import rng_for
from limkit.studies.genes._cases import Case
from limkit.studies.genes._hpo import Hpo
from limkit.studies.genes._prompt import (
    RANKING_SCHEMA,
    PromptOptions,
    RepairCounts,
    Repaired,
    ranking_messages,
    repair,
)

METHODS = ("whole", "dc")


@dataclass(frozen=True)
class Job:
    """One ranking to produce: `genes` in the order the model is shown them."""

    key: str
    case: Case
    genes: tuple[str, ...]


@dataclass
class Ranking:
    """A job's final order, how it was reached and what had to be repaired."""

    order: list[str]
    counts: RepairCounts = field(default_factory=RepairCounts)
    rounds: list[list[list[str]]] = field(default_factory=list)


class Asker:
    """Turns jobs into ranking requests, sends them as one batch, and repairs every answer."""

    def __init__(self, generator: Generator, options: PromptOptions, hpo: Hpo | None = None) -> None:
        self.generator = generator
        self.options = options
        self.hpo = hpo

    def rank(self, jobs: Sequence[Job], stage: str = "rank") -> dict[str, Repaired]:
        from limkit.progress import progress_bar

        if not jobs:
            return {}
        requests = [
            Request(
                job.key,
                messages=ranking_messages(job.case, job.genes, self.options, self.hpo),
                params=SamplingParams(max_tokens=24 + 8 * len(job.genes)),
                structured=RANKING_SCHEMA,
            )
            for job in jobs
        ]
        shown = {job.key: job.genes for job in jobs}
        with progress_bar(len(requests), stage) as advance:
            done = self.generator.generate_all(requests, on_completion=lambda _: advance(1))
        return {
            c.request_id: repair(c.value, c.failure.raw if c.failure else c.text, shown[c.request_id])
            for c in done
        }


def rank_whole(asker: Asker, jobs: Sequence[Job]) -> dict[str, Ranking]:
    answers = asker.rank([Job(f"{job.key}|r0|c0", job.case, job.genes) for job in jobs], "rank whole lists")
    out = {}
    for job in jobs:
        answer = answers[f"{job.key}|r0|c0"]
        out[job.key] = Ranking(answer.ranking, answer.counts, [[list(job.genes)]])
    return out


def chunked(genes: Sequence[str], size: int) -> list[list[str]]:
    return [list(genes[start : start + size]) for start in range(0, len(genes), size)]


def check_knockout(chunk_size: int, advance: int) -> None:
    if chunk_size < 2 or not 1 <= advance < chunk_size:
        raise LimkitError(
            f"divide-and-conquer needs chunk size >= 2 and 1 <= advance < chunk size "
            f"(got s = {chunk_size}, m = {advance})",
            field="chunk_size",
        )


def rank_knockout(
    asker: Asker, jobs: Sequence[Job], chunk_size: int = 10, advance: int = 3, seed: int = 0
) -> dict[str, Ranking]:
    """Knockout divide-and-conquer: shuffle, rank chunks of `chunk_size`, the top `advance` of each go on,
    until at most `chunk_size` remain; those get a final ranking. Eliminated genes follow, ordered by
    the round they reached (later first), then their rank within their chunk.
    """
    check_knockout(chunk_size, advance)
    alive: dict[str, list[str]] = {}
    for job in jobs:
        order = list(job.genes)
        rng_for(seed, "knockout", job.key).shuffle(order)
        alive[job.key] = order
    results = {job.key: Ranking([]) for job in jobs}
    eliminated: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    cases = {job.key: job.case for job in jobs}
    round_ = 0
    while any(len(genes) > chunk_size for genes in alive.values()):
        _knockout_round(asker, alive, cases, results, eliminated, round_, chunk_size, advance)
        round_ += 1
    final_jobs = [Job(f"{key}|r{round_}|c0", cases[key], tuple(g)) for key, g in alive.items()]
    final = asker.rank(final_jobs, f"final ranking (round {round_ + 1})")
    for key, genes in alive.items():
        answer = final[f"{key}|r{round_}|c0"]
        results[key].rounds.append([list(genes)])
        results[key].counts.add(answer.counts)
        rest = sorted(eliminated[key], key=lambda item: (-item[0], item[1]))
        results[key].order = answer.ranking + [gene for _, _, gene in rest]
    return results


def _knockout_round(
    asker: Asker,
    alive: dict[str, list[str]],
    cases: dict[str, Case],
    results: dict[str, Ranking],
    eliminated: dict[str, list[tuple[int, int, str]]],
    round_: int,
    chunk_size: int,
    advance: int,
) -> None:
    playing = {key: chunked(genes, chunk_size) for key, genes in alive.items() if len(genes) > chunk_size}
    jobs = [
        Job(f"{key}|r{round_}|c{index}", cases[key], tuple(chunk))
        for key, chunks in playing.items()
        for index, chunk in enumerate(chunks)
        if len(chunk) > advance
    ]
    answers = asker.rank(jobs, f"knockout round {round_ + 1}")
    for key, chunks in playing.items():
        results[key].rounds.append(chunks)
        survivors: list[str] = []
        for index, chunk in enumerate(chunks):
            answer = answers.get(f"{key}|r{round_}|c{index}")
            order = chunk if answer is None else answer.ranking
            if answer is not None:
                results[key].counts.add(answer.counts)
            survivors += order[:advance]
            eliminated[key] += [(round_, rank, gene) for rank, gene in enumerate(order[advance:])]
        alive[key] = survivors


def borda(orders: Sequence[Sequence[str]]) -> list[str]:
    """Borda count: a gene ranked r-th (0-based) of n earns n - 1 - r points from each agent. Ties go to
    the better best rank, then the better mean rank, then the symbol, so the merge is deterministic."""
    points: dict[str, int] = defaultdict(int)
    ranks: dict[str, list[int]] = defaultdict(list)
    for order in orders:
        for rank, gene in enumerate(order):
            points[gene] += len(order) - 1 - rank
            ranks[gene].append(rank)
    return sorted(points, key=lambda g: (-points[g], min(ranks[g]), sum(ranks[g]) / len(ranks[g]), g))


def agent_order(genes: Sequence[str], key: str, agent: int, seed: int) -> tuple[str, ...]:
    """Agent 0 sees the candidate set as built; agent a > 0 sees its own seeded shuffle of it."""
    order = list(genes)
    if agent:
        rng_for(seed, "agent", key, agent).shuffle(order)
    return tuple(order)
