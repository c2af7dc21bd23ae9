"""Scripted model replies for the agent tests: decision logic no fitted model can make (a planner that
misbehaves on purpose, a pointing model whose samples differ by seed). Used as `scripted` backend specs."""

from __future__ import annotations

from pathlib import Path

from limkit.llm import Request
from limkit.llm._images import message_text

# The pointing model's answer per round (seed): a wrong point first, then the right one; percent units,
# Molmo's format. The judge rejects any point whose marked coordinates are not inside RIGHT_BOX.
POINTS = {1: '<point x="10.0" y="10.0" alt="x">x</point>', 2: '<point x="50.0" y="50.0" alt="x">x</point>'}
RIGHT_BOX = (300, 160, 340, 200)  # on a 640x360 screenshot, 50 % / 50 % is (320, 180)


def _text(request: Request) -> str:
    assert request.messages is not None
    return message_text(request.messages[-1])


def pointer(request: Request, sample: int) -> str:
    """Point per seed (round); a judge that accepts only points inside RIGHT_BOX."""
    text = _text(request)
    if text.startswith("Point to "):
        return POINTS.get(request.params.seed or 0, "I cannot see it.")
    import re

    found = re.search(r"marks the point \((\d+), (\d+)\)", text)
    assert found, text
    x, y = int(found.group(1)), int(found.group(2))
    left, top, right, bottom = RIGHT_BOX
    inside = left <= x <= right and top <= y <= bottom
    return "The mark is on the element.\nResult: Accept" if inside else "That is empty space.\nResult: Reject"


def mumbler(request: Request, sample: int) -> str:
    """A pointing model that never gives a point, and a judge that never reaches a verdict."""
    return "somewhere near the top, probably"


def garbled_then_wait(request: Request, sample: int) -> str:
    """A planner whose first reply for a step never parses; re-asked with the reason, it waits."""
    if "was refused" in _text(request):
        return "The screen is still loading.\n\nAction: wait"
    return "I will click at the button.\n\nAction: click (10, 20)"


def always_garbled(request: Request, sample: int) -> str:
    return "Let me think about this for a while."


SEEN: list[Request] = []


def recording_finish(request: Request, sample: int) -> str:
    """Keeps each request in SEEN (import this module by name to read it) and says finish."""
    SEEN.append(request)
    return "Ready.\nAction: finish"


def blank_screen(path: Path, size: tuple[int, int]) -> Path:
    """A plain white screenshot of `size` at `path`."""
    from PIL import Image

    Image.new("RGB", size, "white").save(path)
    return path


def app_pointer(request: Request, sample: int) -> str:
    """A pointing model for the GTK app: round k answers the Molmo point in $PC_TEST_POINTS[k] (percent);
    the judge accepts only points inside $PC_TEST_ACCEPT (a pixel box), as a VLM judging by eye would."""
    import json
    import os
    import re

    text = _text(request)
    if text.startswith("Point to "):
        x, y = json.loads(os.environ["PC_TEST_POINTS"])[str(request.params.seed)]
        return f'<point x="{x:.2f}" y="{y:.2f}" alt="button">button</point>'
    found = re.search(r"marks the point \((\d+), (\d+)\)", text)
    assert found, text
    left, top, right, bottom = json.loads(os.environ["PC_TEST_ACCEPT"])
    inside = left <= int(found.group(1)) <= right and top <= int(found.group(2)) <= bottom
    return "Evaluation: checked the mark.\nResult: " + ("Accept" if inside else "Reject")
