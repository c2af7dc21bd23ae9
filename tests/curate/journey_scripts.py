"""Scripted policy and judge for tree tests: a hand-made problem whose every step is known right or wrong.

Problem "2 + 3 * 4" (gold 14). Sample 0 of every step request is right, sample 1 wrong:
depth 1: "3 * 4 = 12" (right) | "2 + 3 = 5" (wrong, order of operations)
depth 2 below a right step: "2 + 12 = 14, so \\boxed{14}" | "2 + 12 = 15, so \\boxed{15}"
depth 2 below a wrong step: "5 * 4 = 20, so \\boxed{20}" (both samples: a repeat, dropped)
Rollouts (prefix ends with a newline, no step number) finish the path the way its last step points.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from limkit.llm import Request

RIGHT = ("3 * 4 = 12", "2 + 12 = 14, so the answer is \\boxed{14}")
WRONG = ("2 + 3 = 5", "2 + 12 = 15, so the answer is \\boxed{15}")
AFTER_WRONG = "5 * 4 = 20, so the answer is \\boxed{20}"
REASON = "multiplication comes before addition"


def _log(request: Request, sample: int) -> None:
    path = os.environ.get("LIMKIT_TEST_CALL_LOG")
    if path:
        delay = float(os.environ.get("LIMKIT_TEST_CALL_DELAY", "0"))
        time.sleep(delay)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps([request.id, sample, request.assistant_prefix]) + "\n")


def policy(request: Request, sample: int) -> str:
    """Steps by depth (the number the prefix ends with), or a rollout when the prefix ends a line."""
    _log(request, sample)
    prefix = request.assistant_prefix or ""
    wrong_path = WRONG[0] in prefix
    if prefix.endswith("\n"):  # a rollout: finish the solution
        if wrong_path:
            return AFTER_WRONG
        return RIGHT[1] if RIGHT[0] in prefix else "2 + 12 = 15, so \\boxed{15}"
    depth = int(re.search(r"(\d+)\.$", prefix).group(1))  # type: ignore[union-attr]
    if depth == 1:
        return " " + (RIGHT[0] if sample == 0 else WRONG[0])
    if wrong_path:
        return " " + AFTER_WRONG
    return " " + (RIGHT[1] if sample == 0 else WRONG[1])


def judge(request: Request, sample: int) -> str:
    """Judges the 'New step' by the script's own key, with a reason for wrong steps."""
    _log(request, sample)
    text = request.messages[-1]["content"] if request.messages else ""
    step = text.split("New step:\n", 1)[1].split("\n", 1)[0]
    if any(good in step for good in RIGHT):
        return json.dumps({"verdict": "correct", "reason": "the arithmetic holds"})
    reason = REASON if WRONG[0] in step else "the sum is off by one"
    return json.dumps({"verdict": "incorrect", "reason": reason})


def demo_problems() -> list[dict[str, str]]:
    """Five problems of the demo pool's families (addition, multiplication, two-, linear, three-step)."""
    return [{"id": f"d{i}", "problem": p.text, "answer": str(p.answer)} for i, p in enumerate(_demo())]


def _demo() -> list[Any]:
    import random

    from limkit.loops.demo._pool import FAMILIES

    rng = random.Random(7)
    return [FAMILIES[i](rng) for i in (0, 2, 4, 5, 7)]


def demo_policy(request: Request, sample: int) -> str:
    """Step k of a demo problem's worked solution when asked in the user turn; sample 1 is off by one."""
    _log(request, sample)
    text = str(request.messages[-1]["content"]) if request.messages else ""
    plans = {p.text: p for p in _demo()}
    problem = plans[text.split("\nSolve this step", 1)[0]]
    k = int(re.search(r"Write step (\d+) only", text).group(1))  # type: ignore[union-attr]
    if k > len(problem.steps):
        return "Nothing is left to compute."
    expression, value = problem.steps[k - 1]
    value += sample
    if k == len(problem.steps):
        return f"{k}. {expression} = {value}, so the answer is \\boxed{{{value}}}"
    return f"{k}. {expression} = {value}"


def rewriter(request: Request, sample: int) -> str:
    """Rephrases the draft faithfully, except for a problem that asks to be dropped: it loses step 1."""
    text = str(request.messages[-1]["content"]) if request.messages else ""
    draft = text.split("Draft:\n", 1)[1]
    if "drop" in text.split("Draft:\n", 1)[0]:
        draft = "\n".join(line for line in draft.splitlines() if "3 * 4 = 12" not in line)
    return "Let me think this through.\n" + draft.replace("Wait,", "Hmm, wait,")


def reformatter(request: Request, sample: int) -> str:
    """A step-by-step rewrite with the right box, except for problems marked 'garble' (wrong box)."""
    text = str(request.messages[-1]["content"]) if request.messages else ""
    boxed = "15" if "garble" in text else "14"
    return f"1. First, 3 * 4 = 12.\n2. Then 2 + 12 = {boxed}.\n\\boxed{{{boxed}}}"


def teacher(request: Request, sample: int) -> str:
    """Sample 0 is wrong, sample 1 right: grader rejection must keep only sample 1."""
    return "Long thought... 2 + 12 = 15. \\boxed{15}" if sample == 0 else "Wait, 3 * 4 first: 14. \\boxed{14}"
