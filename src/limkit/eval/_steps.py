r"""Splitting a model's solution into steps, for process-level evaluation (OlympicArena, B.5).

Three rules, tried in order; the first that finds at least two steps wins:

1. **"Step k:" markers** (`Step 1:`, `**Step 2.**`, `## Step 3 -`, case-insensitive, at a line start):
   each step runs from its marker to the next one.
2. **Numbered lines** (`1.` or `1)` at a line start): only markers that count up from 1 (1, 2, 3, ...)
   start a step, so a `3.` inside a sentence or a second numbered sub-list does not split.
3. **Paragraphs**: blocks separated by blank lines.

Text before the first marker (a restated problem, "Let's solve this") is kept as part of the first step,
so nothing the judge should see is dropped. A solution with one block is one step; an empty or blank
solution has no steps. At most `max_steps` steps are kept: the rest joins the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_STEPS = 40

_STEP_MARKER = re.compile(r"(?im)^[ \t>#*_]*step[ \t]*(\d{1,3})[ \t]*\**[ \t]*[:.)\-–—]")
_NUMBERED = re.compile(r"(?m)^[ \t]*(\d{1,3})[.)][ \t]+(?=\S)")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Steps:
    """A solution's steps and the rule that produced them (`marker`, `numbered`, `paragraph`, `none`)."""

    steps: tuple[str, ...]
    method: str


def split_steps(text: str, max_steps: int = MAX_STEPS) -> Steps:
    """Splits `text` into steps with the first rule that finds two or more (see the module docstring)."""
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    if not text or not text.strip():
        return Steps((), "none")
    for method, starts in (("marker", _marker_starts(text)), ("numbered", _numbered_starts(text))):
        if len(starts) >= 2:
            return Steps(_cap(_cut(text, starts), max_steps), method)
    blocks = [block.strip() for block in _BLANK_LINES.split(text) if block.strip()]
    return Steps(_cap(blocks, max_steps), "paragraph")


def _marker_starts(text: str) -> list[int]:
    return [match.start() for match in _STEP_MARKER.finditer(text)]


def _numbered_starts(text: str) -> list[int]:
    """Offsets of numbered lines that count up 1, 2, 3, ... (others are left inside their step)."""
    starts, expected = [], 1
    for match in _NUMBERED.finditer(text):
        if int(match.group(1)) == expected:
            starts.append(match.start())
            expected += 1
    return starts


def _cut(text: str, starts: list[int]) -> list[str]:
    bounds = [*starts[1:], len(text)]
    pieces = [text[start:end].strip() for start, end in zip(starts, bounds, strict=True)]
    preamble = text[: starts[0]].strip()
    if preamble:
        pieces[0] = f"{preamble}\n{pieces[0]}"
    return [piece for piece in pieces if piece]


def _cap(pieces: list[str], max_steps: int) -> tuple[str, ...]:
    if len(pieces) <= max_steps:
        return tuple(pieces)
    return (*pieces[: max_steps - 1], "\n\n".join(pieces[max_steps - 1 :]))
