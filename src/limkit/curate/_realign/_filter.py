"""The `realign_filter` step: rule checks on every candidate rewrite, the selection, and the final tag.

Rules (fact sheet A.6, generalised and all configurable); a candidate passes when every enabled rule
does, and a record none of whose candidates pass keeps its original response (tag `original`, with the
first failed rule of its closest candidate as the reason). Nothing is ever dropped.
- `length`: the rewrite has at least `min_length_ratio` times the original's tokens (word and
  punctuation tokens; the paper counted Llama tokens and rejected at a ratio of 0.5 or below).
- `code`: the original and the rewrite agree on having code (a ``` fence, or both "def " and "return ").
- `options`: a one-character original (an option letter) must stand alone in the rewrite; an original
  that is exactly True or False must keep that word.
- `planning`: a planning rewrite needs "plan" in the query (the paper's No Robots rule).
- `exam`: an exam-tutor original of at most `exam_min_chars` characters is never rewritten.
- `markers`: no prompt markers left over (`[End of response]`, `Revised response:`, JSON keys).
- `answer`: when the record has a gold answer (a problem/solution record: its `answer`, else the final
  answer of the original solution), the rewrite's answer must grade equal to it through `limkit.grade`.

Selection among passing candidates (`selection`): `closest` (default) takes the one closest in meaning
to the original, measured as the F1 overlap of their content-word sets, ties to the lower sample index;
`first` takes the first; `longest` reproduces the paper (most tokens), which favours length (A.9.5).
Every record also records the chosen rewrite's length ratio, so a length drift shows in the data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from limkit.curate._options import OptionError, doc
from limkit.curate._realign._shapes import response_of
from limkit.curate._record import Record, words
from limkit.curate._step import Step, register_step

SELECTIONS = ("closest", "first", "longest")
RULE_NAMES = ("markers", "length", "code", "options", "planning", "exam", "answer")
DEFAULT_MARKERS = (
    "[End of",
    "[Response]",
    "[Format]",
    "[Evidence]",
    "[Question]",
    "Revised response:",
    '"revised_response"',
)
_TOKENS = re.compile(r"\w+|[^\w\s]")
_FENCE = "```"
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
        "so",
        "if",
        "then",
        "than",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "you",
        "your",
        "i",
        "our",
        "not",
        "no",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
    ]
)


def token_count(text: str) -> int:
    return len(_TOKENS.findall(text))


def has_code(text: str) -> bool:
    return _FENCE in text or ("def " in text and "return " in text)


def closeness(original: str, rewrite: str) -> float:
    """F1 overlap of the two texts' content-word sets: 1 when they use the same words, 0 when none."""
    a = {w for w in words(original) if w not in _STOPWORDS}
    b = {w for w in words(rewrite) if w not in _STOPWORDS}
    if not a or not b:
        return 0.0
    common = len(a & b)
    return 2 * common / (len(a) + len(b))


@register_step("realign_filter")
@dataclass
class RealignFilter(Step):
    """Checks each candidate rewrite, picks one, and tags every record `rewrite` or `original`."""

    min_length_ratio: float = dataclasses.field(
        default=0.5, metadata=doc("Rewrite tokens / original tokens must be at least this.")
    )
    rules: list[str] = dataclasses.field(
        default_factory=lambda: list(RULE_NAMES), metadata=doc(f"Rules to apply: {', '.join(RULE_NAMES)}.")
    )
    markers: list[str] = dataclasses.field(
        default_factory=lambda: list(DEFAULT_MARKERS), metadata=doc("Text that must not remain in a rewrite.")
    )
    exam_min_chars: int = dataclasses.field(
        default=5, metadata=doc("Exam-tutor originals this short or shorter are kept.")
    )
    selection: str = dataclasses.field(
        default="closest",
        metadata=doc("closest (meaning), first, or longest (the paper's rule).", SELECTIONS),
    )
    grade_timeout: float = dataclasses.field(default=5.0, metadata=doc("Seconds to grade one answer."))

    def validate(self) -> None:
        unknown = [rule for rule in self.rules if rule not in RULE_NAMES]
        if unknown:
            raise OptionError("rules", f"unknown rules {unknown}; choose from {', '.join(RULE_NAMES)}")
        if not 0 <= self.min_length_ratio <= 10:
            raise OptionError("min_length_ratio", f"must lie in 0..10, got {self.min_length_ratio}")

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        for record in records:
            decided = self._decide(record)
            task = record.get("task", "default")
            self.count(f"tag.{decided['tag']}")
            self.count(f"reason.{decided['reason']}")
            self.count(f"task.{task}.{decided['tag']}")
            yield {**record, "realign": {**(record.get("realign") or {}), **decided, "task": task}}

    def _decide(self, record: Record) -> dict[str, Any]:
        original = response_of(record) or ""
        state = record.get("realign") or {}
        if state.get("status") != "sampled":
            return _original(str(state.get("status") or "not_rewritten"), original)
        candidates = state.get("candidates") or []
        parsed = [c for c in candidates if c.get("parsed")]
        if not parsed:
            return _original("unparseable", original)
        fitting = [c for c in parsed if c.get("format_fits", True)]
        if not fitting:
            return _original("format_does_not_fit", original)
        verdicts = [(c, self.failed_rule(record, original, c["response"])) for c in fitting]
        passing = [c for c, failed in verdicts if failed is None]
        if not passing:
            closest = max(verdicts, key=lambda v: (closeness(original, v[0]["response"]), -v[0]["sample"]))
            return {**_original(f"filter:{closest[1]}", original), "failed": [f for _, f in verdicts]}
        chosen = self._select(original, passing)
        text = chosen["response"]
        if text.strip() == original.strip():
            return _original("unchanged_by_model", original)
        return {
            "tag": "rewrite",
            "reason": f"passed_filter:{self.selection}",
            "response": text,
            "sample": chosen["sample"],
            "closeness": round(closeness(original, text), 4),
            "length_ratio": round(token_count(text) / max(1, token_count(original)), 4),
        }

    def _select(self, original: str, passing: list[dict[str, Any]]) -> dict[str, Any]:
        if self.selection == "first":
            return min(passing, key=lambda c: c["sample"])
        if self.selection == "longest":
            return max(passing, key=lambda c: (token_count(c["response"]), -c["sample"]))
        return max(passing, key=lambda c: (closeness(original, c["response"]), -c["sample"]))

    def failed_rule(self, record: Record, original: str, rewrite: str) -> str | None:
        """The first enabled rule the rewrite breaks, or None."""
        checks = {
            "markers": lambda: not any(marker in rewrite for marker in self.markers),
            "length": lambda: token_count(rewrite) >= self.min_length_ratio * token_count(original),
            "code": lambda: has_code(rewrite) == has_code(original),
            "options": lambda: _options_kept(original, rewrite),
            "planning": lambda: record.get("task") != "planning" or "plan" in record["problem"].lower(),
            "exam": lambda: (
                record.get("task") != "exam_problem_solving_tutor"
                or len(original.strip()) > self.exam_min_chars
            ),
            "answer": lambda: self._same_answer(record, original, rewrite),
        }
        for name in RULE_NAMES:
            if name in self.rules and not checks[name]():
                return name
        return None

    def _same_answer(self, record: Record, original: str, rewrite: str) -> bool:
        gold = gold_answer(record, original)
        if gold is None:
            return True
        from limkit.grade import grade

        return bool(grade(rewrite, gold, record.get("answer_type"), timeout=self.grade_timeout).correct)


def gold_answer(record: Record, original: str) -> str | None:
    """The answer a rewrite must keep: the record's gold, else a problem/solution record's final answer."""
    answer = record.get("answer")
    if isinstance(answer, str) and answer.strip():
        return answer
    if record.get("shape") != "problem_solution":
        return None
    from limkit.grade import extract_answer

    return extract_answer(original)


def _options_kept(original: str, rewrite: str) -> bool:
    stripped = original.strip()
    if len(stripped) == 1:
        return re.search(rf"(?<![\w]){re.escape(stripped)}(?![\w])", rewrite) is not None
    if stripped in ("True", "False"):
        return re.search(rf"\b{stripped}\b", rewrite) is not None
    return True


def _original(reason: str, original: str) -> dict[str, Any]:
    return {"tag": "original", "reason": reason, "response": original}
