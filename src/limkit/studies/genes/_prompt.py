"""The ranking prompt, its structured answer, and the repair of answers that are not a permutation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from limkit.llm import JsonSchema, Message
from limkit.studies.genes._cases import Case, Term
from limkit.studies.genes._hpo import Hpo

RANKING_SCHEMA = JsonSchema(
    {
        "type": "object",
        "properties": {"ranking": {"type": "array", "items": {"type": "string"}}},
        "required": ["ranking"],
    },
    name="gene_ranking",
    attempts=2,
)
"""Deliberately loose (any strings): a reply naming an invented gene is still read, then repaired and
counted, rather than re-asked until the attempts run out."""


@dataclass(frozen=True)
class PromptOptions:
    """`state_absent` lists excluded terms as absent; `max_terms` keeps the most specific observed
    terms (highest information content, then file order) so long cases fit a context window."""

    state_absent: bool = False
    max_terms: int = 40


def select_terms(terms: Sequence[Term], limit: int, hpo: Hpo | None) -> tuple[list[Term], int]:
    """At most `limit` terms, the most informative first kept, in their original order; and how many went."""
    if len(terms) <= limit:
        return list(terms), 0
    score = (lambda t: hpo.information_content(t.id) or 0.0) if hpo else (lambda t: 0.0)
    keep = sorted(range(len(terms)), key=lambda i: (-score(terms[i]), i))[:limit]
    return [terms[i] for i in sorted(keep)], len(terms) - limit


def ranking_messages(
    case: Case, genes: Sequence[str], options: PromptOptions, hpo: Hpo | None = None
) -> tuple[Message, ...]:
    """The chat asking for all of `genes` ordered by how likely each is to cause the case."""
    shown, dropped = select_terms(case.observed, options.max_terms, hpo)
    lines = ["A patient with a suspected monogenic rare disease shows these phenotypes (HPO):"]
    lines += [f"- {term.label or term.id} ({term.id})" for term in shown]
    if dropped:
        lines.append(f"({dropped} less specific phenotypes omitted.)")
    if options.state_absent and case.excluded:
        lines.append("These phenotypes were looked for and are ABSENT:")
        lines += [f"- {term.label or term.id} ({term.id})" for term in case.excluded]
    lines.append("Candidate genes: " + ", ".join(genes))
    lines.append(
        "Rank ALL candidate genes from most to least likely to be causal, each exactly once. "
        'Reply with JSON only: {"ranking": ["GENE1", "GENE2", ...]}'
    )
    return ({"role": "user", "content": "\n".join(lines)},)


@dataclass
class RepairCounts:
    """What was wrong with the answers behind one ranking (summed over every ask it took)."""

    asks: int = 0
    invalid: int = 0
    invented: int = 0
    missing: int = 0
    duplicates: int = 0
    repaired: int = 0

    def add(self, other: RepairCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Repaired:
    ranking: list[str]
    counts: RepairCounts = field(default_factory=RepairCounts)


_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-\.@]*")


def repair(value: object, raw: str, shown: Sequence[str]) -> Repaired:
    """A permutation of `shown` from a reply: the named genes in the reply's order, invented names and
    repeats dropped, missing genes appended in the order they were shown.

    `value` is the validated JSON (None when the reply never validated: then gene names are picked
    out of the raw text, and the ask counts as invalid).
    """
    counts = RepairCounts(asks=1)
    by_upper = {gene.upper(): gene for gene in shown}
    if isinstance(value, dict) and isinstance(value.get("ranking"), list):
        named = [str(item).strip() for item in value["ranking"]]
    else:
        counts.invalid = 1
        named = [token for token in _SYMBOL.findall(raw) if token.upper() in by_upper]
    ranking: list[str] = []
    for name in named:
        gene = by_upper.get(name.upper())
        if gene is None:
            counts.invented += 1
        elif gene in ranking:
            counts.duplicates += 1
        else:
            ranking.append(gene)
    missing = [gene for gene in shown if gene not in ranking]
    counts.missing = len(missing)
    if counts.invalid or counts.invented or counts.duplicates or counts.missing:
        counts.repaired = 1
    return Repaired(ranking + missing, counts)
