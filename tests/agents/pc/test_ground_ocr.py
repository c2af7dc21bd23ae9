"""The OCR grounder: real offline OCR (rapidocr-onnxruntime's shipped models) on a screenshot drawn with
Pillow at known places, and the description-to-text matching rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from limkit.agents.pc._ground import (
    A11yGrounder,
    NamedElement,
    OcrGrounder,
    normalize_text,
    target_phrases,
    text_score,
)

pytest.importorskip("rapidocr_onnxruntime")

# (text, left, top) drawn on a 640x360 screen in DejaVu Sans 18 px.
LABELS = (("Save", 60, 40), ("Save As", 60, 120), ("Cancel", 300, 40), ("Open recent file", 300, 200))


@pytest.fixture(scope="module")
def screen(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, int, int, int]]]:
    image = Image.new("RGB", (640, 360), "#f6f5f4")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("DejaVuSans.ttf", 18)
    boxes = {}
    for text, left, top in LABELS:
        box = draw.textbbox((left, top), text, font=font)
        draw.rectangle((box[0] - 12, box[1] - 8, box[2] + 12, box[3] + 8), outline="#888888")
        draw.text((left, top), text, fill="black", font=font)
        boxes[text] = box
    path = tmp_path_factory.mktemp("ocr") / "screen.png"
    image.save(path)
    return path, boxes


@pytest.fixture(scope="module")
def grounder() -> OcrGrounder:
    return OcrGrounder()


def _inside(point: tuple[int, int] | None, box: tuple[int, int, int, int]) -> bool:
    return point is not None and box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_description_words_find_the_text_box(screen, grounder) -> None:  # type: ignore[no-untyped-def]
    path, boxes = screen
    assert _inside(grounder.ground("the Cancel button", path).point, boxes["Cancel"])
    found = grounder.ground("the 'Open recent file' menu item", path)
    assert _inside(found.point, boxes["Open recent file"])
    assert found.tries[0]["score"] == 1.0  # OCR reads "Openrecentfile": spaces removed, equal


def test_exact_text_beats_a_longer_label_containing_it(screen, grounder) -> None:  # type: ignore[no-untyped-def]
    path, boxes = screen
    assert _inside(grounder.ground('the "Save" button', path).point, boxes["Save"])
    assert _inside(grounder.ground('the "Save As" button', path).point, boxes["Save As"])


def test_absent_or_wordless_description_is_not_grounded(screen, grounder) -> None:  # type: ignore[no-untyped-def]
    path, _ = screen
    missing = grounder.ground('the "Preferences" button', path)
    assert missing.point is None and "best score" in missing.tries[0]["reason"]
    assert grounder.ground("the button at the top left", path).point is None


def test_matching_rules() -> None:
    assert normalize_text("  Save  As… ") == "save as"
    assert target_phrases('click the “Save” button, not "Cancel"') == [("save", 1.0), ("cancel", 1.0)]
    assert target_phrases("the blue Open recent button") == [
        ("open recent", 1.0),
        ("open", 0.9),
        ("recent", 0.9),
    ]
    assert target_phrases("the user's name field") == [("user s name", 1.0)] + [
        (word, 0.9) for word in ("user", "s", "name")
    ]
    assert text_score("save", "save") == 1.0 and text_score("save", "save as") == 0.9
    assert text_score("sav", "save") > 0.8 > text_score("save", "cancel")


def test_a11y_matching_by_name_and_by_single_role() -> None:
    elements = [
        NamedElement("Save", "push button", (10, 10, 50, 30)),
        NamedElement("Quit", "push button", (60, 10, 100, 30)),
        NamedElement("", "text", (10, 40, 200, 60)),
    ]
    grounder = A11yGrounder(lambda: elements)
    assert grounder.ground("the Save button", Path("unused.png")).point == (30, 20)
    assert grounder.ground("the text entry", Path("unused.png")).point == (105, 50)
    assert grounder.ground("the Print button", Path("unused.png")).point is None
    assert grounder.ground("the button", Path("unused.png")).point is None  # two buttons, no name
