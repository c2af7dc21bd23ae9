"""Scripted replies for cognition completion (the decision logic no tiny model can produce on purpose).

`reply(request, sample)` answers by the prompt it sees: a description from the accessibility name (a
refusal for an element named "Refuse"), a verdict (Wrong with a correction when the draft says "wrong",
never-valid text for an element named "Garbled"), and a thought that names the current action and then,
against the rules, repeats an "Action:" line that must be cut off. With $PC_SCRIPT_LOG set, every
answered request is appended to that file (its id and a hash of its messages); $PC_SCRIPT_DELAY sleeps
before answering, so a run can be killed mid-way.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

from limkit.llm import ImagePart, Request


def _texts(request: Request) -> list[str]:
    out = []
    for message in request.messages or ():
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(
                part["text"] for part in content if isinstance(part, dict) and part.get("type") == "text"
            )
    return out


def _image(request: Request) -> str:
    first = (request.messages or ({"content": ""},))[0]["content"]
    images = (
        [part.path.name for part in first if isinstance(part, ImagePart)] if isinstance(first, list) else []
    )
    return images[0] if images else "no image"


def _answer(request: Request) -> str:
    prompt = _texts(request)[0]
    name = re.search(r"accessibility name (?:of that element )?(?:there)?\s*is: (.*)", prompt)
    if "Reply with the phrase only" in prompt:
        assert name is not None
        if name[1] == "Refuse":
            return "I'm sorry, but I can't help with that."
        return f'"the {name[1]} element ({_image(request)})."\nextra line'
    if "Reply with JSON only" in prompt:
        assert name is not None
        if name[1] == "Garbled":
            return "Looks good to me!"
        draft = re.search(r'described the target of the click as: "(.*)"', prompt)
        if draft is not None and "wrong" in draft[1]:
            return json.dumps({"verdict": "Wrong", "correction": f"the real {name[1]} button"})
        return json.dumps({"verdict": "Good"})
    current = re.search(r"The action they are about to take now: (.*)", prompt)
    assert current is not None, prompt[:200]
    if current[1] == "type text: refuse me":
        return "As an AI, I cannot imagine thoughts."
    return f"Thought: I see the screen and go for {current[1]}.\n\nAction: {current[1]}"


def reply(request: Request, sample: int) -> str:
    delay = float(os.environ.get("PC_SCRIPT_DELAY", "0"))
    if delay:
        time.sleep(delay)
    answer = _answer(request)
    log = os.environ.get("PC_SCRIPT_LOG")
    if log:
        digest = hashlib.sha256("\x00".join(_texts(request)).encode()).hexdigest()[:16]
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{request.id} {digest}\n")
    return answer
