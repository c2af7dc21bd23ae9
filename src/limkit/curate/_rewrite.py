"""The optional fluency rewrite of journey drafts (O1 Replication Journey Part 1: GPT-4o polished them).

The paper found training on raw drafts worked poorly and had GPT-4o rewrite each into first-person
prose that keeps every step, wrong ones, reflections and corrections included; its prompt is
unpublished (limkit's wording below). A rewrite is used only when `check_rewrite` accepts it; a refused
rewrite, or a request that failed, falls back to the draft, and every outcome is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limkit.curate._journey import Trajectory, check_rewrite

REWRITE_PROMPT = (
    "Rewrite the following draft reasoning into fluent, first-person thinking, as someone working the "
    "problem out for the first time. Keep every step, including the wrong ones, every reflection on why a "
    "step is wrong, and every return to an earlier point; keep all numbers as they are. End with the "
    "final answer in \\boxed{{}}.\n\nProblem:\n{problem}\n\nDraft:\n{draft}"
)


@dataclass(frozen=True)
class Rewritten:
    text: str
    outcome: str  # accepted | refused | failed
    problems: tuple[str, ...] = ()


def rewrite_journeys(
    items: Sequence[tuple[str, Trajectory, str]],
    generator: Any,
    *,
    prompt: str = REWRITE_PROMPT,
    max_tokens: int = 4096,
) -> list[Rewritten]:
    """Asks `generator` to rewrite each (problem, draft, gold); keeps a rewrite only if the check passes."""
    from limkit.llm import Request, SamplingParams

    params = SamplingParams(temperature=0.0, max_tokens=max_tokens)
    requests = [
        Request(
            f"rewrite:{trajectory.tree}",
            messages=({"role": "user", "content": prompt.format(problem=problem, draft=trajectory.text)},),
            params=params,
        )
        for problem, trajectory, _ in items
    ]
    replies = {c.request_id: c for c in generator.generate_all(requests)}
    out = []
    for _, trajectory, gold in items:
        reply = replies.get(f"rewrite:{trajectory.tree}")
        if reply is None or not reply.text.strip() or reply.finish_reason == "length":
            out.append(Rewritten(trajectory.text, "failed", ("no complete rewrite came back",)))
            continue
        checked = check_rewrite(trajectory, reply.text, gold)
        out.append(Rewritten(checked.text, "accepted" if checked.accepted else "refused", checked.problems))
    return out
