"""Conflict detectors, each scoring every pair in both orders and with and without the question prefix.

- `nli:MODEL`: premise x, hypothesis y; decisions by both rules (`c>e`, `max`).
- `fc:MODEL`: factual consistency with an NLI model in that role: context x, claim y, supported when
  P(entailment) >= 0.5; conflict when unsupported (MiniCheck/AlignScore are not installable here).
- `llm`: a yes/no judge through a structured choice, re-asked a bounded number of times; a reply that
  never validates is tried once more loosely (exactly one of the words yes/no), else counted unparsable.
Scores are appended to SCORES.jsonl as they come, so a killed run resumes without scoring anything twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.llm import Choice, Generator, Request, SamplingParams
from limkit.studies.conflicts._nli import RULES, Nli, conflict, make_nli

ORDERS = ("xy", "yx")
MODES = ("plain", "question")


@dataclass(frozen=True)
class Unit:
    """One scoring: a pair in one order and mode."""

    key: str
    pair: dict[str, Any]
    order: str
    mode: str

    def texts(self) -> tuple[str, str]:
        first, second = (
            (self.pair["x"], self.pair["y"]) if self.order == "xy" else (self.pair["y"], self.pair["x"])
        )
        if self.mode == "question":
            return f"{self.pair['question']}? {first}", f"{self.pair['question']}? {second}"
        return first, second


@dataclass(frozen=True)
class Detector:
    name: str
    kind: str
    model: str | None = None

    @property
    def rules(self) -> tuple[str, ...]:
        return RULES if self.kind == "nli" else (self.kind,)


def parse_detector(spec: str) -> Detector:
    """`nli:MODEL`, `fc:MODEL` or `llm`."""
    kind, _, model = spec.partition(":")
    if kind == "llm" and not model:
        return Detector("llm", "llm")
    if kind in ("nli", "fc") and model:
        return Detector(spec, kind, model)
    raise LimkitError(f"unknown detector {spec!r}; use nli:MODEL, fc:MODEL or llm", field="detector")


def units_for(pairs: Sequence[dict[str, Any]], detector: Detector) -> list[Unit]:
    return [
        Unit(f"{pair['id']}|{detector.name}|{order}|{mode}", pair, order, mode)
        for pair in pairs
        for order in ORDERS
        for mode in MODES
    ]


def judge_prompt(unit: Unit) -> str:
    first, second = (
        (unit.pair["x"], unit.pair["y"]) if unit.order == "xy" else (unit.pair["y"], unit.pair["x"])
    )
    name = "Paragraph" if unit.pair["kind"] == "factoid" else "Evidence"
    asked = "" if unit.mode == "plain" else f"Question: {unit.pair['question']}\n"
    about = " on answering the question" if unit.mode == "question" and unit.pair["kind"] == "answer" else ""
    return (
        f"{asked}{name} 1: {first}\n{name} 2: {second}\n"
        f"Do the two {name.lower()}s contain conflicting information{about}? Answer yes or no."
    )


_WORD = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def loose_verdict(text: str) -> int | None:
    """1/0 when exactly one of the words yes and no occurs (any case), else None."""
    found = {word.lower() for word in _WORD.findall(text)}
    return None if len(found) != 1 else int(found == {"yes"})


def score_nli(units: Sequence[Unit], detector: Detector, nli: Nli) -> list[dict[str, Any]]:
    rows = []
    for unit, probs in zip(units, nli.score([u.texts() for u in units]), strict=True):
        if detector.kind == "nli":
            decisions = {rule: conflict(probs, rule) for rule in RULES}
        else:
            decisions = {"fc": None if probs is None else int(probs["entailment"] < 0.5)}
        rows.append(_row(unit, detector, decisions, probs=probs))
    return rows


def score_llm(
    units: Sequence[Unit], detector: Detector, generator: Generator, attempts: int
) -> list[dict[str, Any]]:
    requests = [
        Request(
            f"judge|{unit.key}",
            messages=({"role": "user", "content": judge_prompt(unit)},),
            params=SamplingParams(max_tokens=8),
            structured=Choice(("yes", "no"), attempts=attempts),
        )
        for unit in units
    ]
    done = {c.request_id: c for c in generator.generate_all(requests)}
    rows = []
    for unit in units:
        reply = done[f"judge|{unit.key}"]
        raw = reply.failure.raw if reply.failure else reply.text
        verdict = int(reply.value == "yes") if reply.ok else loose_verdict(raw)
        how = "structured" if reply.ok else ("loose" if verdict is not None else "unparsable")
        rows.append(
            _row(unit, detector, {"llm": verdict}, reply=raw[:200], parse=how, attempts=reply.attempts)
        )
    return rows


def _row(unit: Unit, detector: Detector, decisions: dict[str, int | None], **extra: Any) -> dict[str, Any]:
    return {
        "key": unit.key,
        "pair_id": unit.pair["id"],
        "detector": detector.name,
        "order": unit.order,
        "mode": unit.mode,
        "decisions": decisions,
        **extra,
    }


def run_detection(
    pairs: Sequence[dict[str, Any]],
    detectors: Sequence[Detector],
    scores_path: Path,
    *,
    generator: Generator | None = None,
    batch_size: int = 16,
    attempts: int = 3,
    chunk: int = 64,
) -> tuple[list[dict[str, Any]], int]:
    """All score rows (old and new) and how many were scored now."""
    from limkit.data import AppendWriter, read_appended
    from limkit.progress import progress_bar

    done = (
        {row["key"]: row for _, row in read_appended(scores_path, "scores")} if scores_path.exists() else {}
    )
    fresh = 0
    with AppendWriter(scores_path) as writer:
        for detector in detectors:
            todo = [u for u in units_for(pairs, detector) if u.key not in done]
            if detector.kind == "llm" and generator is None:
                raise LimkitError("the llm detector needs --backend and --model", field="detector")
            nli = make_nli(f"hf:{detector.model}", batch_size=batch_size) if detector.model else None
            with progress_bar(len(todo), f"detect: {detector.name}") as advance:
                for start in range(0, len(todo), chunk):
                    part = todo[start : start + chunk]
                    if nli is not None:
                        rows = score_nli(part, detector, nli)
                    else:
                        assert generator is not None
                        rows = score_llm(part, detector, generator, attempts)
                    for row in rows:
                        writer.write(row)
                        done[row["key"]] = row
                    fresh += len(rows)
                    advance(len(rows))
    wanted = {u.key for d in detectors for u in units_for(pairs, d)}
    return [row for key, row in done.items() if key in wanted], fresh
