"""Resolution (Cheng et al. section 5): for validated conflicting pairs, the model's closed-book belief and
its answer given both evidences (with an explanation, and without one), sorted into categories.

Categories by normalized containment of the answers: follows E1, follows E2, declines or reports both
(both or neither matched), and, across those, agrees with its belief. The paper's exact rubric is not in
its repository; this one is ours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from limkit.llm import Generator
from limkit.studies.conflicts._ask import Ask, ask_json
from limkit.studies.conflicts._sources import normalize_answer

VARIANTS = ("explained", "answer_only")


def belief_prompt(question: str) -> str:
    return (
        f"Question: {question}\nAnswer from what you know. "
        'Reply with a JSON object {"Explanation": why, "Answer": a short answer}.'
    )


def prediction_prompt(question: str, first: str, second: str, explained: bool) -> str:
    shape = '{"Explanation": why, "Answer": a short answer}' if explained else '{"Answer": a short answer}'
    return (
        f"Given two related evidences, answer the question.\nEvidence 1: {first}\nEvidence 2: {second}\n"
        f"Question: {question}\nReply with a JSON object {shape}."
    )


def matches(answer: str | None, target: str | None) -> bool:
    if not answer or not target:
        return False
    a, t = normalize_answer(answer), normalize_answer(target)
    return bool(a and t) and (t in a or a in t)


def category(prediction: str | None, first: str, second: str) -> str:
    one, two = matches(prediction, first), matches(prediction, second)
    if one and not two:
        return "follows E1"
    if two and not one:
        return "follows E2"
    return "declines or both"


def resolve(pairs: Sequence[dict[str, Any]], generator: Generator, attempts: int = 3) -> list[dict[str, Any]]:
    """One row per pair: belief, each variant's answer and category, and agreement with the belief."""
    beliefs = ask_json(
        generator,
        [Ask(f"belief|{q}", belief_prompt(q)) for q in sorted({p["question"] for p in pairs})],
        ["Explanation", "Answer"],
        "closed-book belief",
        attempts=attempts,
    )
    answers = {}
    for variant in VARIANTS:
        fields = ["Explanation", "Answer"] if variant == "explained" else ["Answer"]
        asks = [
            Ask(
                f"predict|{variant}|{p['id']}",
                prediction_prompt(p["question"], p["x"], p["y"], variant == "explained"),
            )
            for p in pairs
        ]
        answers[variant] = ask_json(
            generator, asks, fields, f"answer given both ({variant})", attempts=attempts
        )
    rows = []
    for pair in pairs:
        belief = beliefs[f"belief|{pair['question']}"].value
        row: dict[str, Any] = {
            "pair_id": pair["id"],
            "question": pair["question"],
            "e1_answer": pair["x_answer"],
            "e2_answer": pair["y_answer"],
            "belief": belief["Answer"] if belief else None,
        }
        for variant in VARIANTS:
            reply = answers[variant][f"predict|{variant}|{pair['id']}"].value
            said = reply["Answer"] if reply else None
            row[variant] = {
                "answer": said,
                "explanation": reply.get("Explanation") if reply else None,
                "category": "unparsable"
                if reply is None
                else category(said, pair["x_answer"], pair["y_answer"]),
                "agrees_with_belief": reply is not None and matches(said, row["belief"]),
            }
        rows.append(row)
    return rows


def resolution_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"pairs": len(rows)}
    for variant in VARIANTS:
        counts = Counter(row[variant]["category"] for row in rows)
        out[variant] = {
            "categories": dict(sorted(counts.items())),
            "agrees_with_belief": sum(row[variant]["agrees_with_belief"] for row in rows),
        }
    return out
