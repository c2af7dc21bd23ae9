"""Scripted models for the ReAlign tests: a task classifier and a rewriter with known, chosen behaviour.

The rewriter restructures the response it is given (an analysis line, the response, a conclusion),
keeps or deliberately changes the final answer, and answers badly for chosen ids, so the decision rules
of `realign_filter` can be checked record by record. Set `REALIGN_SCRIPT_LOG` to log every call (one
line per ask: request id, sample, attempt) and `REALIGN_SCRIPT_SLEEP` to slow it down.
"""

from __future__ import annotations

import json
import os
import re
import time

from limkit.llm import Request


def _log(request: Request, sample: int) -> None:
    delay = float(os.environ.get("REALIGN_SCRIPT_SLEEP", "0"))
    if delay:
        time.sleep(delay)
    path = os.environ.get("REALIGN_SCRIPT_LOG")
    if path:
        asks = 1 + sum(m["role"] == "assistant" for m in request.messages or ())
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{request.id}\t{sample}\t{asks}\n")


def _number(record_id: str) -> int:
    digits = re.findall(r"\d+", record_id)
    return int(digits[-1]) if digits else 0


def classify(request: Request, sample: int) -> str:
    """GSM8K ids: math_puzzles. NQ ids: every 10th is a poem request (no format), every 10th + 1 gets
    an unknown label (so it falls back to default), the rest open_qa."""
    if request.id.startswith("gsm8k"):
        return "math_puzzles"
    number = _number(request.id)
    if number % 10 == 0:
        return "poem_generation"
    if number % 10 == 1:
        return "trivia_answering"
    return "open_qa"


def _section(text: str, name: str) -> str:
    found = re.search(rf"\[{name}\]\n(.*?)\n\[End of {name.lower()}\]", text, re.DOTALL)
    assert found, f"no [{name}] block in the prompt"
    return found.group(1)


def rewrite(request: Request, sample: int) -> str:
    """GSM8K: odd ids get their final answer changed (the filter must reject that). NQ: id % 10 == 2
    answers with broken JSON until re-asked, == 3 never answers in JSON; == 4 shortens the response
    (the length rule must reject it); the rest restructure. Evidence, when given, is cited as [1]."""
    _log(request, sample)
    messages = request.messages or ()
    text = str(messages[1]["content"])  # the first ask's user turn (a re-ask appends turns after it)
    reasked = len(messages) > 2
    number = _number(request.id)
    nq = not request.id.startswith("gsm8k")
    if nq and number % 10 == 3:
        return "Reasoning: the format fits. Revised response: (no JSON at all)"
    if nq and number % 10 == 2 and not reasked:
        return '{"reasoning": "fits", "revised_response": '
    response = _section(text, "Response")
    question = _section(text, "Question")
    if request.id.startswith("gsm8k") and number % 2 == 1:
        response = re.sub(r"#### *(-?\d+)", lambda m: f"#### {int(m.group(1)) + 1}", response)
    if nq and number % 10 == 4:
        return json.dumps(
            {"reasoning": "short", "format_fits": True, "revised_response": response.split()[0]}
        )
    cite = " [1]" if "[Evidence]" in text else ""
    final = re.search(r"#### *(-?\d+)", response)
    closing = f"The final answer is {final.group(1)}." if final else "In conclusion, that is the answer."
    revised = f"Question in short: {question}\n\n{response}{cite}\n\n{closing}"
    return json.dumps({"reasoning": "the format fits", "format_fits": True, "revised_response": revised})
