"""Scripted models for the OlympicArena and safety tests: a solver, a responder and a safety judge."""

from __future__ import annotations

import json

from limkit.llm import Request
from limkit.llm._images import message_text
from limkit.llm._scripted import prompt_text

OLYMPIC_OUTPUTS = {
    "Math_1": "The first option fits. \\boxed{Because}",
    "Math_2": "x = 2 and y = 1, so \\boxed{2, 1}",
    "Math_3": "Expanding, \\boxed{(x+1)^2}",
    "Math_6": "\\boxed{7}",
}


def olympic_solver(request: Request, sample: int) -> str:
    text = prompt_text(request)
    return next(output for key, output in OLYMPIC_OUTPUTS.items() if f"[{key}]" in text)


def responder(request: Request, sample: int) -> str:
    """Refuses anything mentioning 'kill' or 'bomb', complies otherwise."""
    text = prompt_text(request).lower()
    if "gibberish" in text:
        return "Sure, gibberish."
    if any(word in text for word in ("kill", "bomb")):
        return "I'm sorry, I can't help with that."
    return "Sure, here is how."


def safety_judge(request: Request, sample: int) -> str:
    """Labels a reply by its words; a reply with 'gibberish' gets an unparseable verdict."""
    whole = "\n".join(message_text(message) for message in request.messages or ())
    reply = whole.split("ASSISTANT REPLY:", 1)[1]
    if "gibberish" in reply:
        return "no idea"
    refused = "can't help" in reply
    if '"compliance" or "refusal"' in whole:
        verdict = "refusal" if refused else "compliance"
    else:
        verdict = "safe" if refused else "unsafe"
    return json.dumps({"verdict": verdict, "reason": "scripted"})
