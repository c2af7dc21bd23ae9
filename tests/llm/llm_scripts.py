"""Scripts for the `scripted` backend in tests: plain functions of (request, sample)."""

from __future__ import annotations

from limkit.llm import Request
from limkit.llm._scripted import prompt_text

CALLS: list[str] = []


def echo(request: Request, sample: int) -> str:
    """Says back the prompt text with the sample index, and records that it was called."""
    CALLS.append(request.id)
    return f"{prompt_text(request)} #{sample}"


def wrong_then_right(request: Request, sample: int) -> str:
    """Answers 'maybe' until it is told the reply was invalid, then 'yes': a model that learns on re-ask."""
    CALLS.append(request.id)
    return "yes" if "invalid" in prompt_text(request) else "maybe"


def never_valid(request: Request, sample: int) -> str:
    CALLS.append(request.id)
    return '{"score": "high"'


def not_text(request: Request, sample: int) -> int:
    return 7
