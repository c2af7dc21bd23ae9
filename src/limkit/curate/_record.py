"""Records as they flow through a pipeline: plain JSON-ready dicts, and the mark a dropped one carries.

A record is `{"id", "problem", "answer", ...}` plus whatever steps attach (`pass_counts`, `chains`,
`score`, ...). A step drops a record by yielding it with a `reason` dict; the executor routes it to
`dropped.jsonl` and stamps the step that dropped it. Plain dicts keep records picklable, diffable and
readable with any JSON tool.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

Record = dict[str, Any]

REASON = "reason"
"""The key a dropped record carries: `{"step", "step_index", "code", ...evidence}`."""

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")


def drop(record: Record, code: str, **evidence: Any) -> Record:
    """A copy of `record` marked as dropped, with a short reason code and the evidence for it.

    Evidence is whatever lets a reader check the decision: the matched n-gram, the pass count, the score.
    """
    return {**record, REASON: {"code": code, **evidence}}


def is_dropped(record: Record) -> bool:
    return REASON in record


def has_gold(record: Record) -> bool:
    """Whether the record has a non-blank gold answer to grade against."""
    return bool(str(record.get("answer") or "").strip())


def normalize_text(text: str) -> str:
    """Text with case, Unicode forms, `$` delimiters and spacing differences removed.

    Symbols stay (so `x^2` and `x^3` differ) but spacing around them does not matter: "x+1" and "x + 1"
    normalize alike, while "1 2" and "12" stay distinct.
    """
    text = unicodedata.normalize("NFKC", text).casefold().replace("$", " ")
    return " ".join(_TOKEN.findall(text))


def words(text: str) -> list[str]:
    """Casefolded word tokens (letters, digits, underscore); LaTeX commands become their names."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def get_path(record: Record, dotted: str) -> Any:
    """The value at a dotted path (`"pass_counts.qwen.passes"`, `"chain.text"`), or None if absent."""
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def text_at(record: Record, dotted: str) -> str | None:
    """A text field by dotted path; a chain dict counts as its `text`."""
    value = get_path(record, dotted)
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) else None


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Consecutive lists of `size` records (the last may be shorter): numpy work per batch, not per record."""
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
