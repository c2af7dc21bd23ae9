"""Scripted solver and step judge for the process-evaluation tests (the `scripted` backend)."""

from __future__ import annotations

import json
import os
import time

from limkit.llm import Request
from limkit.llm._images import message_text
from limkit.llm._scripted import prompt_text

SOLUTIONS = {
    "p1": "Step 1: 2 + 2 = 4.\nStep 2: 4 * 3 = 12.\nStep 3: So the answer is \\boxed{12}.",
    "p2": "Step 1: 5 - 1 = 4.\nStep 2: WRONG 4 * 2 = 9.\nStep 3: \\boxed{9}",
    "p3": "1. Half of 10 is 5.\n2. WRONG 5 + 5 = 11.\n3. Hence \\boxed{10}.",
    "p4": "WRONG a guess first.\n\nThe answer is \\boxed{7}.",
    "p5": "Step 1: GARBLE this.\nStep 2: fine, \\boxed{1}",
    "p6": "Step 1: fine.\nStep 2: STALL here.\nStep 3: \\boxed{7}",
}
"""p1-p4 labels: c,c,c (answer right); c,i,c (wrong); c,i,c (right); i,c (wrong). p5: an unparseable
verdict on step 1. p6: step 2 stalls the judge when LIMKIT_TEST_STALL=1 (the kill test)."""

CALLS: list[str] = []
PROMPTS: list[str] = []


def solver(request: Request, sample: int) -> str:
    text = prompt_text(request)
    return next(solution for key, solution in SOLUTIONS.items() if f"[{key}]" in text)


def step_judge(request: Request, sample: int) -> str:
    """Marks the CURRENT STEP incorrect when it says WRONG; answers garbage when it says GARBLE."""
    CALLS.append(request.id)
    PROMPTS.append(prompt_text(request))
    whole = "\n".join(message_text(message) for message in request.messages or ())
    current = whole.rsplit("CURRENT STEP", 1)[1]  # a re-ask appends turns after the step: they stay in
    if "GARBLE" in current:
        return "I think it is fine"
    if "STALL" in current and os.environ.get("LIMKIT_TEST_STALL") == "1":
        time.sleep(120)
    verdict = "incorrect" if "WRONG" in current else "correct"
    return json.dumps({"verdict": verdict, "reason": f"the step is {verdict}"})
