"""Scripted stand-ins for the generator, examiner, target and judge (decision logic only; the same commands
also run against a real `transformers serve` in test_testagent_serve.py)."""

from __future__ import annotations

import json
import os
import re
import time

from limkit.llm import Request
from limkit.retrieve import tokenize

PASSAGE = re.compile(
    r"^\[([^\]\n]+)\] (.*?)(?=\n\n\[|\n\n(?:[A-Z][a-z]+ ?[a-z]*:|Write )|\Z)", re.MULTILINE | re.DOTALL
)
STOP = frozenset(
    (
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "is",
        "are",
        "was",
        "be",
        "by",
        "for",
        "with",
        "as",
        "at",
        "that",
        "this",
        "it",
        "what",
    )
)


def _text(message: object) -> str:
    assert isinstance(message, dict)
    content = message["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


def _system(request: Request) -> str:
    assert request.messages is not None
    return _text(request.messages[0]) if request.messages[0]["role"] == "system" else ""


def _last(request: Request) -> str:
    assert request.messages is not None
    return _text(request.messages[-1])


def _overlap(claim: str, source: str) -> float:
    words = [w for w in tokenize(claim) if w not in STOP]
    present = set(tokenize(source))
    return sum(w in present for w in words) / max(1, len(words))


def builder(request: Request, sample: int) -> str:
    """The build-time generator. Seeds from doc `medbullets-5` get an off-source question (unanswerable),
    seeds from `medbullets-7` cite a chunk they were not shown; key points add one unsupported claim."""
    system, user = _system(request), _last(request)
    shown = PASSAGE.findall(user)
    if "[testagent:dimensions]" in system:
        dims = [{"name": "correctness", "description": "facts"}, {"name": "reasoning", "description": "why"}]
        return json.dumps({"dimensions": dims})
    if "[testagent:question]" in system:
        first_id, first_text = shown[0]
        words = " ".join(first_text.split()[:10])
        question = f"Explain: {words}?"
        citations = [first_id]
        if first_id.startswith("medbullets-5#"):
            question = "Which hospital will open on Mars in 2100, and who will run it?"
        if first_id.startswith("medbullets-7#"):
            citations = ["nowhere#0"]
        answer = first_text.split(". ")[0]
        return json.dumps(
            {
                "question": question,
                "citations": citations,
                "question_type": "recall",
                "difficulty": 1 + len(first_text) % 5,
                "reference_answer": answer,
            }
        )
    if "[testagent:answerable]" in system:
        question = user.split("Question: ", 1)[1].split("\n\n")[0].split(": ", 1)[-1]
        return "answerable" if _overlap(question, user.split("Question: ", 1)[0]) > 0.5 else "unanswerable"
    if "[testagent:key_points]" in system:
        first_id, first_text = shown[0]
        points = [
            {
                "point": first_text.split(". ")[0],
                "weight": 0.7,
                "dimension": "correctness",
                "chunk_ids": [first_id],
            },
            {
                "point": "Green cheese from the moon cures every disease",
                "weight": 0.3,
                "dimension": "reasoning",
                "chunk_ids": [first_id],
            },
        ]
        return json.dumps({"key_points": points})
    if "[testagent:supported]" in system:
        claim = user.split("Claim: ", 1)[1].split("\n\n")[0]
        return "supported" if _overlap(claim, user.split("Claim: ", 1)[0]) >= 0.8 else "unsupported"
    raise AssertionError(f"unexpected request: {system[:80]!r}")


def sim_examiner(request: Request, sample: int) -> str:
    """Tags each question with its type and difficulty, as a real examiner's wording would carry them."""
    text = _last(request)
    if "[testagent:summary]" in _system(request):
        return "The candidate fails misleading premises at high difficulty."
    kind = re.search(r"Question type: (\w+)", text)
    level = re.search(r"Difficulty: (\d)", text)
    assert kind and level, text[:200]
    return f"[{kind.group(1)} d={level.group(1)}] Tell me about this topic."


def sim_target(request: Request, sample: int) -> str:
    """Right on everything except misleading premises above difficulty 3. Logs the turn of every call to
    $TESTAGENT_CALLS and sleeps $TESTAGENT_SLOW seconds, for the kill-and-resume test."""
    assert request.messages is not None
    turn = (len(request.messages) - 2) // 2 + 1
    if os.environ.get("TESTAGENT_CALLS"):
        with open(os.environ["TESTAGENT_CALLS"], "a", encoding="utf-8") as log:
            log.write(f"{turn}\n")
    time.sleep(float(os.environ.get("TESTAGENT_SLOW", "0")))
    found = re.match(r"\[misleading_premise d=(\d)\]", _last(request))
    return "I accept the premise." if found and int(found.group(1)) > 3 else "CORRECT"


def _points(user: str) -> list[tuple[str, str]]:
    section = user.split("Key points:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\[(kp\d+)\] (.*)$", section, re.MULTILINE)


def sim_judge(request: Request, sample: int) -> str:
    user = _last(request)
    answer = user.split("Answer: ", 1)[1].split("\n\nKey points:", 1)[0]
    verdict = "met" if "CORRECT" in answer else "missed"
    return json.dumps(
        {"verdicts": [{"id": kp, "verdict": verdict} for kp, _ in _points(user)], "note": "sim"}
    )


def keyword_judge(request: Request, sample: int) -> str:
    """Met when the answer holds most of a key point's content words, partial for some, else missed."""
    user = _last(request)
    answer = user.split("Answer: ", 1)[1].split("\n\nKey points:", 1)[0]
    verdicts = []
    for kp, point in _points(user):
        share = _overlap(point, answer)
        verdicts.append(
            {"id": kp, "verdict": "met" if share > 0.6 else "partial" if share > 0.3 else "missed"}
        )
    return json.dumps({"verdicts": verdicts})
