"""Scripted models for the conflicts tests: a generator, an NLI judge and a conflict judge whose every
decision follows from the text of the request, so a test can compute the expected build by hand.

Evidence templates: "Records show that the answer is X." and "Sources agree that it is X.".
Designed faults: question nq-open-dev-4 gets garbage candidates; the second evidence of "Gamma" is
irrelevant in round 0; the reader misreads "Records show that the answer is Beta." for nq-open-dev-1; every
pollution towards "Beta" is unparsable; the judge answers "maybe" to nq-open-dev-0 with the question.
"""

from __future__ import annotations

import json
import os
import re

from limkit.llm import Request
from limkit.studies.conflicts import normalize_answer

CANDIDATES = ("Alpha", "Beta", "Gamma")
NEGATION = "It is not true that "
_TEMPLATE = re.compile(r"(?:the answer is|that it is) (.+)\.$")


def evidence_answer(text: str) -> str | None:
    found = _TEMPLATE.search(text.strip())
    return found.group(1) if found else None


def first_message(request: Request) -> str:
    assert request.messages is not None
    return str(request.messages[0]["content"])


def field(text: str, name: str) -> str:
    found = re.search(rf"^{name}: (.*)$", text, re.MULTILINE)
    assert found, f"no {name} line in {text[:200]!r}"
    return found.group(1)


def nli_label(premise: str, hypothesis: str) -> str:
    if NEGATION + hypothesis in premise:
        return "contradiction"
    if hypothesis in premise:
        return "entailment"
    if hypothesis.startswith(NEGATION) and hypothesis[len(NEGATION) :] in premise:
        return "contradiction"
    if "? " not in hypothesis:
        return "neutral"
    target = normalize_answer(hypothesis.rsplit("? ", 1)[1])
    said = evidence_answer(premise)
    if said is None and "? " in premise:
        said = premise.rsplit("? ", 1)[1]
    if said is None:
        return "neutral"
    return "entailment" if normalize_answer(said) == target else "contradiction"


def judge_verdict(first: str, second: str) -> str:
    """Misses lexically close conflicts: same opening words means 'no'; else yes iff the answers differ."""
    if first.split()[:2] == second.split()[:2]:
        return "no"
    return (
        "yes"
        if normalize_answer(evidence_answer(first) or "") != normalize_answer(evidence_answer(second) or "")
        else "no"
    )


def belief_answer(question: str) -> str:
    return "Alpha"


def generator(request: Request, sample: int) -> str:
    text, rid = first_message(request), request.id
    kind = rid.split("|")[0]
    if kind == "cand":
        return (
            "I do not know."
            if rid == "cand|nq-open-dev-4"
            else json.dumps(dict(zip("123", CANDIDATES, strict=True)))
        )
    if kind == "evid":
        answer = re.search(r'supports the answer "(.*)" to the question', text, re.DOTALL)
        assert answer
        a = answer.group(1)
        second = (
            "Nothing relevant is known here."
            if a == "Gamma" and rid.endswith("|t0")
            else f"Sources agree that it is {a}."
        )
        return json.dumps({"1": f"Records show that the answer is {a}.", "2": second})
    if kind == "read":
        said = evidence_answer(field(text, "Evidence"))
        if rid.startswith("read|nq-open-dev-1|") and text.startswith("Answer") and "answer is Beta." in text:
            said = "Delta"
        return json.dumps({"answer": said or "unknown"})
    if kind == "pollute":
        new, old = re.search(
            r'supports the answer "(.*)" instead of "(.*)" to the question', text, re.DOTALL
        ).groups()  # type: ignore[union-attr]
        if new == "Beta":
            return "no"
        return json.dumps({"modified_passage": field(text, "Passage").replace(old, new)})
    if kind == "nli":
        return nli_label(field(text, "Premise"), field(text, "Hypothesis"))
    if kind == "judge":
        if "Question: " in text and "last time anyone was on the moon" in text:
            return "maybe"
        return judge_verdict(
            field(text, r"(?:Evidence|Paragraph) 1"), field(text, r"(?:Evidence|Paragraph) 2")
        )
    if kind == "belief":
        return json.dumps({"Explanation": "I recall it.", "Answer": belief_answer(field(text, "Question"))})
    if kind == "predict":
        one, two = evidence_answer(field(text, "Evidence 1")), evidence_answer(field(text, "Evidence 2"))
        pick = two if two == "Alpha" else one
        reply = {"Answer": pick or "unknown"}
        if "Explanation" in text:
            reply["Explanation"] = "Evidence 1 says so."
        return json.dumps(reply)
    if kind == "negate":
        return json.dumps({"modified statement": NEGATION + field(text, "Statement")})
    if kind == "write":
        points = re.findall(r"^- (.*)$", text, re.MULTILINE)
        if rid.startswith("write|s1|k2|s0"):
            points = points[:-1]  # drops a key point: the NLI filter must reject it
        return json.dumps({"Paragraph": "Key facts: " + " ".join(points)})
    raise AssertionError(f"unexpected request {rid}")


def logged(request: Request, sample: int) -> str:
    """The generator, slowed down, logging every ask to $CONFLICTS_CALL_LOG (kill-and-resume tests)."""
    import time

    with open(os.environ["CONFLICTS_CALL_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{request.id}|{len(request.messages or ())}\n")
    time.sleep(0.01)
    return generator(request, sample)
