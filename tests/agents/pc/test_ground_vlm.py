"""The VLM grounder's strict point and verdict parsing, and its point / mark / judge rounds, through a
scripted pointing model (Molmo-format points whose samples differ by seed; a judge that rejects a miss)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pc_agent_scripts import blank_screen
from PIL import Image

from limkit.agents.pc._ground import GroundingReplyError, VlmGrounder, parse_point, parse_verdict
from limkit.llm import make_generator

SCRIPTS = Path(__file__).with_name("pc_agent_scripts.py")


@pytest.fixture
def screenshot(tmp_path: Path) -> Path:
    return blank_screen(tmp_path / "screen.png", (640, 360))


def test_molmo_percent_points_and_plain_pixels() -> None:
    size = (1280, 720)
    assert parse_point(' <point x="61.5" y="40.0" alt="Save">Save</point>', size) == (787, 288)
    assert parse_point('<points x1="10" y1="50" x2="90" y2="50" alt="a">a</points>', size) == (128, 360)
    assert parse_point("(100, 200)", size) == (100, 200)
    assert parse_point(" (100.4, 200.6). ", size) == (100, 201)
    assert parse_point('<point x="100" y="100" alt="corner">c</point>', size) == (1279, 719)


@pytest.mark.parametrize(
    "reply",
    [
        "The Save button, near the top.",
        "Click at (100, 200) or maybe (300, 400)",  # prose around pixels: not the plain form
        '<point x="101" y="5">a</point>',  # percent above 100
        '<point x="5" y="5">a</point> <point x="6" y="6">b</point>',  # two points
        "(1280, 10)",  # off a 1280-wide screen
    ],
)
def test_anything_else_is_not_a_point(reply: str) -> None:
    with pytest.raises(GroundingReplyError):
        parse_point(reply, (1280, 720))


def test_verdict_is_the_last_line() -> None:
    assert parse_verdict("Evaluation: the dot sits on Save.\nResult: Accept") is True
    assert parse_verdict("It is next to it.\n**Result: Reject**\n") is False
    for reply in ("Looks fine to me.", "Result: Accept\nbut maybe not", "Result: Maybe"):
        with pytest.raises(GroundingReplyError):
            parse_verdict(reply)


def test_rejected_point_is_retried_and_the_accepted_one_kept(screenshot: Path, tmp_path: Path) -> None:
    grounder = VlmGrounder(make_generator("scripted", f"{SCRIPTS}:pointer"), tmp_path / "marks")
    found = grounder.ground("the Save button", screenshot)
    assert found.point == (320, 180)
    assert [entry.get("verdict") for entry in found.tries] == ["reject", "accept"]
    assert found.tries[0]["point"] == [64, 36]
    assert found.requests == 4 and found.parse_failures == 0
    marked = Image.open(tmp_path / "marks" / "verify-001-2.png")
    red = [marked.getpixel(at) for at in ((320, 180), (320 + 18, 180))]  # the dot, the ring
    assert all(r > 200 and g < 60 and b < 60 for r, g, b in red), red


def test_no_point_in_three_rounds_is_a_grounding_failure(screenshot: Path, tmp_path: Path) -> None:
    grounder = VlmGrounder(make_generator("scripted", f"{SCRIPTS}:mumbler"), tmp_path / "marks", tries=3)
    found = grounder.ground("the Save button", screenshot)
    assert found.point is None and found.requests == 3 and found.parse_failures == 3
    assert all("no point" in entry["error"] for entry in found.tries)
