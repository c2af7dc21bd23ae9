"""Asking a generator many JSON questions at once, with the same schema-check-and-re-ask bound for all.

One stage is one batch (a server sees the requests concurrently; the request cache makes a killed run
resume with nothing asked twice). A reply that never validates comes back with its reason, never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limkit.llm import Generator, JsonSchema, Request, SamplingParams


def string_fields(*names: str) -> dict[str, Any]:
    """A JSON Schema for an object of non-empty string fields, all required, nothing else."""
    return {
        "type": "object",
        "properties": {name: {"type": "string", "minLength": 1} for name in names},
        "required": list(names),
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Ask:
    id: str
    prompt: str
    seed: int = 0


@dataclass(frozen=True)
class Answer:
    value: dict[str, Any] | None
    reason: str | None
    attempts: int


def ask_json(
    generator: Generator,
    asks: Sequence[Ask],
    fields: Sequence[str],
    stage: str,
    *,
    attempts: int = 3,
    temperature: float = 0.0,
    max_tokens: int = 400,
) -> dict[str, Answer]:
    """Answers by ask id: the validated JSON object, or None with why the last attempt failed."""
    from limkit.progress import progress_bar

    if not asks:
        return {}
    schema = JsonSchema(string_fields(*fields), name=stage.split()[0], attempts=attempts)
    requests = [
        Request(
            ask.id,
            messages=({"role": "user", "content": ask.prompt},),
            params=SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=ask.seed),
            structured=schema,
        )
        for ask in asks
    ]
    with progress_bar(len(requests), stage) as advance:
        done = generator.generate_all(requests, on_completion=lambda _: advance(1))
    return {
        c.request_id: Answer(c.value if c.ok else None, c.failure.reason if c.failure else None, c.attempts)
        for c in done
    }
