"""Factoid conflicts (Cheng et al., EMNLP 2024): StrategyQA facts negated by an LLM, evidence written from
mixes of original and negated facts, kept only where NLI confirms what each evidence should say.

- intensity of conflict k: k of the N facts (seeded positions) replaced by their negation, in the given
  order (variant 0) or shuffled (variant 1); pair (all-original evidence, k-modified evidence).
- intensity of corroboration j: the shuffled facts as [M1, O2..O(j+1)], one contradicting fact and j
  corroborating ones; pair (original evidence, overlap-j evidence).
All pairs are conflicts (label 1); detectors score them in both orders.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from limkit.llm import Generator
from limkit.studies.conflicts._ask import Ask, ask_json
from limkit.studies.conflicts._nli import Nli, ScoreCache, top_label
from limkit.studies.conflicts._sources import Decomposed


@dataclass(frozen=True)
class Mix:
    """One evidence to write: its facts, and what NLI must find for each checked statement."""

    id: str
    item: Decomposed
    facts: tuple[str, ...]
    expect: tuple[tuple[str, str], ...]
    group: str


def negation_prompt(fact: str) -> str:
    return (
        "Rewrite the statement so that it contradicts the original, for example by changing the category of "
        "a thing or negating one of its properties.\n"
        "Example: 'Penguins are birds.' -> 'Penguins are mammals.'\n"
        "Example: 'The Nile flows north.' -> 'The Nile flows south.'\n"
        f"Statement: {fact}\n"
        'Reply with a JSON object {"modified statement": the contradicting statement}.'
    )


def paragraph_prompt(facts: Sequence[str]) -> str:
    points = "\n".join(f"- {fact}" for fact in facts)
    return (
        "Write a paragraph of about 100 words, as a web search result would read, that states all of these "
        f"key points:\n{points}\n" + 'Reply with a JSON object {"Paragraph": the paragraph}.'
    )


def conflict_mixes(item: Decomposed, negated: Sequence[str], seed: int) -> list[Mix]:
    """k = 0..N in two orders: exactly k seeded positions use the negation; each fact used must be
    entailed and its counterpart contradicted."""
    n = len(item.facts)
    mixes = []
    for variant in (0, 1):
        order = list(range(n))
        if variant:
            random.Random(f"{seed}|{item.id}|order").shuffle(order)
        for k in range(n + 1):
            modified = set(random.Random(f"{seed}|{item.id}|k{k}").sample(range(n), k))
            chosen = [
                (negated[i], item.facts[i]) if i in modified else (item.facts[i], negated[i]) for i in order
            ]
            expect = tuple((used, "entailment") for used, _ in chosen) + tuple(
                (other, "contradiction") for _, other in chosen
            )
            mixes.append(
                Mix(f"{item.id}|k{k}|s{variant}", item, tuple(u for u, _ in chosen), expect, f"k={k}")
            )
    return mixes


def corroboration_mixes(item: Decomposed, negated: Sequence[str], seed: int) -> list[Mix]:
    """The original [O1..ON] and overlap-j [M1, O2..O(j+1)] for j = 1..N-1, in one shuffled order."""
    order = list(range(len(item.facts)))
    random.Random(f"{seed}|{item.id}|corroboration").shuffle(order)
    facts = [item.facts[i] for i in order]
    negs = [negated[i] for i in order]
    mixes = [
        Mix(
            f"{item.id}|orig",
            item,
            tuple(facts),
            (*tuple((f, "entailment") for f in facts), (negs[0], "contradiction")),
            "original",
        )
    ]
    for j in range(1, len(facts)):
        used = [negs[0], *facts[1 : j + 1]]
        expect = [(f, "entailment") for f in used] + [(facts[0], "contradiction")]
        expect += [(f, "neutral") for f in facts[j + 1 :]]
        mixes.append(Mix(f"{item.id}|j{j}", item, tuple(used), tuple(expect), f"j={j}"))
    return mixes


def build_factoid_conflicts(
    items: Sequence[Decomposed],
    generator: Generator,
    nli: Nli,
    scores: ScoreCache,
    *,
    seed: int = 2023,
    attempts: int = 3,
    temperature: float = 0.7,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(evidence, pairs, rejections)."""
    rejections: list[dict[str, Any]] = []
    asks = [
        Ask(f"negate|{it.id}|f{i}", negation_prompt(f), seed) for it in items for i, f in enumerate(it.facts)
    ]
    replies = ask_json(
        generator, asks, ["modified statement"], "negate facts", attempts=attempts, temperature=temperature
    )
    mixes: list[Mix] = []
    for it in items:
        negated = [replies[f"negate|{it.id}|f{i}"].value for i in range(len(it.facts))]
        if any(value is None for value in negated):
            rejections.append({"stage": "negation", "id": it.id, "reason": "a negation reply was unparsable"})
            continue
        texts = [value["modified statement"] for value in negated if value is not None]
        mixes += conflict_mixes(it, texts, seed) + corroboration_mixes(it, texts, seed)
    written = ask_json(
        generator,
        [Ask(f"write|{m.id}", paragraph_prompt(m.facts), seed) for m in mixes],
        ["Paragraph"],
        "write evidence",
        attempts=attempts,
        temperature=temperature,
        max_tokens=600,
    )
    evidence = _checked(mixes, written, nli, scores, rejections)
    if on_stage:
        on_stage(
            f"{sum(e['valid'] for e in evidence.values())} of {len(evidence)} factoid evidences pass NLI"
        )
    return list(evidence.values()), _factoid_pairs(items, evidence), rejections


def _checked(
    mixes: Sequence[Mix],
    written: dict[str, Any],
    nli: Nli,
    scores: ScoreCache,
    rejections: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    evidence = {}
    checks: list[tuple[str, str]] = []
    for mix in mixes:
        reply = written[f"write|{mix.id}"]
        text = reply.value["Paragraph"] if reply.value else None
        evidence[mix.id] = {
            "id": mix.id,
            "item_id": mix.item.id,
            "group": mix.group,
            "facts": list(mix.facts),
            "text": text,
            "valid": text is not None,
            "reason": None if text else f"unparsable: {reply.reason}",
        }
        if text is not None:
            checks += [(text, statement) for statement, _ in mix.expect]
    labels = iter(top_label(p) for p in scores.scored(nli, checks))
    for mix in mixes:
        row = evidence[mix.id]
        if row["text"] is None:
            rejections.append({"stage": "write", "id": mix.id, "reason": row["reason"]})
            continue
        for statement, wanted in mix.expect:
            found = next(labels)
            if found != wanted and row["valid"]:
                row.update(valid=False, reason=f"NLI found {found} for {statement!r}, wanted {wanted}")
        if not row["valid"]:
            rejections.append(
                {"stage": "nli filter", "id": mix.id, "reason": row["reason"], "text": row["text"]}
            )
    return evidence


def _factoid_pairs(items: Sequence[Decomposed], evidence: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    pairs = []
    for it in items:
        for key, row in evidence.items():
            if row["item_id"] != it.id or not row["valid"] or row["group"] in ("original", "k=0"):
                continue
            base = (
                f"{it.id}|orig"
                if row["group"].startswith("j=")
                else f"{key.rsplit('|', 2)[0]}|k0|{key.rsplit('|', 1)[1]}"
            )
            if base in evidence and evidence[base]["valid"]:
                pairs.append(
                    {
                        "id": key,
                        "triple_id": it.id,
                        "kind": "factoid",
                        "group": row["group"],
                        "label": 1,
                        "setting": "factoid",
                        "length": "long",
                        "dataset": "strategyqa",
                        "question": it.question,
                        "x": evidence[base]["text"],
                        "y": row["text"],
                    }
                )
    return pairs
