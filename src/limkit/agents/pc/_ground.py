"""Grounders: from an element description and a screenshot to one screen point, or None.

One interface, `ground(description, screenshot) -> Grounding` (its `point` is None when the element was
not found), three implementations:

- `OcrGrounder`: offline OCR (rapidocr-onnxruntime, which ships PP-OCR ONNX models; CPU). The description's
  quoted phrases, or else its salient words (what is left after dropping articles, UI kinds such as
  "button" and position words such as "top"), are matched to the OCR'd text boxes after normalising both
  (NFKC, case-folded, punctuation to spaces, runs of spaces collapsed): equal text scores 1.0, the phrase
  inside a box's text 0.9, otherwise difflib's ratio (spaces removed for equality and containment, since
  PP-OCR often drops them between English words); a single word of an unquoted description
  scores 0.9 of that. The best box at or above `threshold` (0.8) wins, ties going to the higher OCR
  confidence; its centre is the point. The released agent lists paddleocr but never uses it (fact sheet,
  section 4): OCR grounding is limkit's offline stand-in for the 72B pointing model.
- `A11yGrounder`: the same matching against the names of the desktop's accessible (AT-SPI) elements,
  with a role hint from the description ("button", "entry", ...) that also finds unnamed elements when
  exactly one of that role is showing.
- `VlmGrounder`: the paper's scheme (section 4): a pointing VLM answers "Point to DESC" (Molmo's
  `<point x=".." y="..">` in percent of the image, or plain `(x, y)` pixels; parsed strictly), the point is
  marked on the screenshot and a judging call answers `Result: Accept` or `Result: Reject` (strict; an
  answer without a result line is a rejection, where the released code accepted it). Up to `tries` rounds,
  each a new sample (seed = round number) of the same prompt, as the released agent samples n=3.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from limkit.errors import LimkitError
from limkit.llm import Generator, Request, SamplingParams, Usage, image_part

Point = tuple[int, int]
Box = tuple[int, int, int, int]
GROUNDERS = ("ocr", "a11y", "vlm")


@dataclass
class Grounding:
    """A grounder's answer: `point` (None = not found), what it matched, and its tries for the log."""

    point: Point | None
    matched: str | None = None
    box: Box | None = None
    tries: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    parse_failures: int = 0
    usage: Usage = field(default_factory=Usage)


class Grounder(Protocol):
    name: str

    def ground(self, description: str, screenshot: Path) -> Grounding: ...


# --------------------------------------------------------------------------------------------- matching

_STOP_TEXT = (
    "a an the this that of on in at to into with for from by and or its it labelled labeled named called "
    "saying reads read says shown showing which is element item control widget button btn icon field box "
    "entry input text textbox label link tab menu option checkbox check radio toggle switch area region "
    "window dialog panel pane bar toolbar screen page top bottom left right upper lower middle center "
    "centre corner side near next beside below above under over first second last small big large blue "
    "red green grey gray white black"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<!\w)'([^']+)'(?!\w)")
ROLE_HINTS: dict[str, tuple[str, ...]] = {
    "button": ("push button", "toggle button", "button"),
    "entry": ("text", "entry", "password text", "editbar"),
    "field": ("text", "entry", "password text"),
    "textbox": ("text", "entry"),
    "input": ("text", "entry"),
    "checkbox": ("check box",),
    "menu": ("menu", "menu item", "menu bar"),
    "link": ("link",),
    "tab": ("page tab",),
    "label": ("label",),
}


def normalize_text(text: str) -> str:
    """Case-folded NFKC text with punctuation turned into spaces and runs of spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def target_phrases(description: str) -> list[tuple[str, float]]:
    """What to look for, with a weight: quoted phrases (1.0) if any; else the salient words together (1.0)
    and, when there are several, each alone (0.9)."""
    quoted = [next(group for group in match.groups() if group) for match in _QUOTED.finditer(description)]
    phrases = [normalize_text(text) for text in quoted if normalize_text(text)]
    if phrases:
        return [(phrase, 1.0) for phrase in phrases]
    words = [word for word in normalize_text(description).split() if word not in _STOP_WORDS]
    if not words:
        return []
    joined = [(" ".join(words), 1.0)]
    return joined + ([(word, 0.9) for word in words] if len(words) > 1 else [])


def text_score(phrase: str, text: str) -> float:
    """How well normalised `text` shows normalised `phrase`: 1.0 equal, 0.9 inside, else difflib's ratio.
    PP-OCR often drops the spaces between English words ("Openrecentfile"), so equality and containment
    are judged with spaces removed, and the ratio is the better of with and without them."""
    if not phrase or not text:
        return 0.0
    compact_phrase, compact_text = phrase.replace(" ", ""), text.replace(" ", "")
    if phrase == text or compact_phrase == compact_text:
        return 1.0
    if compact_phrase in compact_text:
        return 0.9
    return max(
        difflib.SequenceMatcher(None, phrase, text).ratio(),
        difflib.SequenceMatcher(None, compact_phrase, compact_text).ratio(),
    )


def best_match(phrases: Sequence[tuple[str, float]], texts: Sequence[str]) -> tuple[int, float] | None:
    """(index, score) of the text that best shows any phrase; None for no texts or no phrases."""
    best: tuple[int, float] | None = None
    for index, text in enumerate(texts):
        normal = normalize_text(text)
        score = max((weight * text_score(phrase, normal) for phrase, weight in phrases), default=0.0)
        if best is None or score > best[1]:
            best = (index, score)
    return best


def centre(box: Box) -> Point:
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


# -------------------------------------------------------------------------------------------------- OCR


@dataclass(frozen=True)
class OcrBox:
    text: str
    box: Box
    confidence: float


class OcrGrounder:
    """Grounds a description on the OCR'd text of the screenshot (see the module docstring)."""

    name = "ocr"

    def __init__(self, threshold: float = 0.8, threads: int | None = None) -> None:
        self.threshold = threshold
        self.threads = threads if threads is not None else int(os.environ.get("OMP_NUM_THREADS") or 1)
        self._engine: Any = None
        self._last: tuple[str, list[OcrBox]] | None = None

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise LimkitError(
                    "the ocr grounder needs rapidocr-onnxruntime: pip install 'limkit[pc]'", field="grounder"
                ) from None
            threads = {f"{part}_intra_op_num_threads": self.threads for part in ("det", "cls", "rec")}
            self._engine = RapidOCR(**threads)
        return self._engine

    def read(self, screenshot: Path) -> list[OcrBox]:
        """Every text box OCR finds on the screenshot, as (text, pixel box, confidence). The last
        screenshot's boxes are kept (by content hash): a re-plan, or a step whose screen did not change,
        grounds again without a second OCR."""
        key = hashlib.sha256(screenshot.read_bytes()).hexdigest()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        result, _ = self._load()(str(screenshot))
        boxes = []
        for corners, text, confidence in result or []:
            xs = [point[0] for point in corners]
            ys = [point[1] for point in corners]
            box = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
            boxes.append(OcrBox(str(text), box, float(confidence)))
        self._last = (key, boxes)
        return boxes

    def ground(self, description: str, screenshot: Path) -> Grounding:
        phrases = target_phrases(description)
        boxes = self.read(screenshot)
        seen = [{"text": box.text, "box": list(box.box)} for box in boxes]
        if not phrases:
            return Grounding(None, tries=[{"reason": "no words to match", "ocr": seen}])
        ranked = sorted(boxes, key=lambda box: -box.confidence)
        found = best_match(phrases, [box.text for box in ranked])
        if found is None or found[1] < self.threshold:
            score = 0.0 if found is None else round(found[1], 3)
            return Grounding(None, tries=[{"reason": f"best score {score} < {self.threshold}", "ocr": seen}])
        chosen = ranked[found[0]]
        return Grounding(
            centre(chosen.box), chosen.text, chosen.box, tries=[{"score": round(found[1], 3), "ocr": seen}]
        )


# ------------------------------------------------------------------------------------------------ AT-SPI


@dataclass(frozen=True)
class NamedElement:
    """An accessible element on the screen: name, role and box (left, top, right, bottom)."""

    name: str
    role: str
    box: Box


ElementSource = Callable[[], Sequence[NamedElement]]


def desktop_elements() -> list[NamedElement]:
    """The named elements on screen across the desktop's accessible apps (AT-SPI, through `_a11y`), each
    with the part of its box its ancestors leave visible (a half-scrolled list row is clicked where seen)."""
    from limkit.agents.pc._a11y import visible_nodes

    boxes = [(node, node.visible or node.rect) for node in visible_nodes()]
    return [NamedElement(node.name, node.role, box) for node, box in boxes if box is not None]


def role_hints(description: str) -> tuple[str, ...]:
    roles: list[str] = []
    for word in normalize_text(description).split():
        roles += ROLE_HINTS.get(word, ())
    return tuple(roles)


class A11yGrounder:
    """Grounds a description on the names (and roles) of the showing accessible elements."""

    name = "a11y"

    def __init__(self, elements: ElementSource, threshold: float = 0.8) -> None:
        self.elements = elements
        self.threshold = threshold

    def ground(self, description: str, screenshot: Path) -> Grounding:
        showing = [element for element in self.elements() if element.box[2] > element.box[0]]
        roles = role_hints(description)
        phrases = target_phrases(description)
        seen = [{"name": e.name, "role": e.role, "box": list(e.box)} for e in showing]
        of_role = [e for e in showing if e.role in roles]
        candidates = of_role or showing
        found = best_match(phrases, [e.name for e in candidates]) if phrases else None
        if found is not None and found[1] >= self.threshold:
            chosen = candidates[found[0]]
            return self._found(chosen, [{"score": round(found[1], 3), "elements": seen}])
        if len(of_role) == 1 and (not phrases or not of_role[0].name):
            return self._found(of_role[0], [{"by": "the only element of its role", "elements": seen}])
        reason = "no element's name matches" if phrases else "no name and no single element of that role"
        return Grounding(None, tries=[{"reason": reason, "elements": seen}])

    @staticmethod
    def _found(element: NamedElement, tries: list[dict[str, Any]]) -> Grounding:
        return Grounding(centre(element.box), f"{element.role} {element.name!r}", element.box, tries=tries)


# --------------------------------------------------------------------------------------------------- VLM

_MOLMO_POINT = re.compile(r"<point\s+x=\"([\d.]+)\"\s+y=\"([\d.]+)\"")
_MOLMO_POINTS = re.compile(r"<points\s+x1=\"([\d.]+)\"\s+y1=\"([\d.]+)\"")
_PIXELS = re.compile(r"\(\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*\)\.?")
_RESULT = re.compile(r"\**\s*Result:\s*\**\s*(Accept|Reject)\b\.?\s*\**", re.IGNORECASE)


class GroundingReplyError(LimkitError):
    """A pointing or judging reply that is not in the expected form."""


def parse_point(reply: str, size: tuple[int, int]) -> Point:
    """The pixel point a pointing reply names: one Molmo `<point x="" y="">` (or the first of `<points>`),
    in percent of `size`; or the whole reply being `(x, y)` in pixels. Anything else, or a point off the
    image, raises `GroundingReplyError`."""
    width, height = size
    tags = _MOLMO_POINT.findall(reply) or _MOLMO_POINTS.findall(reply)[:1]
    if len(tags) > 1:
        raise GroundingReplyError(f"{len(tags)} points; expected one")
    if tags:
        px, py = (float(value) for value in tags[0])
        if not (0 <= px <= 100 and 0 <= py <= 100):
            raise GroundingReplyError(f"percent point ({px}, {py}) outside 0..100")
        return min(round(px * width / 100), width - 1), min(round(py * height / 100), height - 1)
    plain = _PIXELS.fullmatch(reply.strip())
    if plain is None:
        raise GroundingReplyError(f"no point in {reply.strip()[:80]!r}")
    x, y = round(float(plain.group(1))), round(float(plain.group(2)))
    if not (0 <= x < width and 0 <= y < height):
        raise GroundingReplyError(f"pixel point ({x}, {y}) off the {width}x{height} screen")
    return x, y


def parse_verdict(reply: str) -> bool:
    """True for Accept, False for Reject: the reply's last non-empty line must be "Result: Accept|Reject"."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    found = _RESULT.fullmatch(lines[-1]) if lines else None
    if found is None:
        raise GroundingReplyError("the last line is not 'Result: Accept' or 'Result: Reject'")
    return found.group(1).lower() == "accept"


def point_prompt(description: str) -> str:
    return f"Point to {description}"


def judge_prompt(description: str, point: Point) -> str:
    """limkit's own judging prompt: lenient on near misses, strict on a different element. (The released
    agent adds the UIA name at the point; limkit leaves it out so a VLM run needs no AT-SPI bus.)"""
    return (
        f"The red dot inside a red ring on this screenshot marks the point ({point[0]}, {point[1]}). "
        f"Is that point on this element: {description}?\n"
        "Accept when the point lies on the element, even near its edge, or on a part of it. Reject when it "
        "lies on a different element or on empty space.\n"
        "Explain briefly, then end with one line: Result: Accept, or Result: Reject."
    )


class VlmGrounder:
    """Point, mark, judge; up to `tries` rounds (see the module docstring)."""

    name = "vlm"

    def __init__(
        self,
        generator: Generator,
        marks_dir: Path,
        tries: int = 3,
        params: SamplingParams | None = None,
    ) -> None:
        self.generator = generator
        self.marks_dir = marks_dir
        self.tries = tries
        self.params = params or SamplingParams(temperature=0.8, max_tokens=128)
        self.calls = 0

    def _ask(self, request_id: str, image: Path, text: str, seed: int, result: Grounding) -> str:
        content = [image_part(image), {"type": "text", "text": text}]
        params = SamplingParams(
            temperature=self.params.temperature, max_tokens=self.params.max_tokens, seed=seed
        )
        request = Request(request_id, messages=({"role": "user", "content": content},), params=params)
        (done,) = self.generator.generate_all([request])
        result.requests += 1
        result.usage += done.usage
        return done.text

    def ground(self, description: str, screenshot: Path) -> Grounding:
        from PIL import Image

        with Image.open(screenshot) as opened:
            size = opened.size
        self.calls += 1
        result = Grounding(None)
        for round_ in range(1, self.tries + 1):
            ident = f"ground-{self.calls}/round-{round_}"
            reply = self._ask(f"{ident}/point", screenshot, point_prompt(description), round_, result)
            entry: dict[str, Any] = {"round": round_, "point_reply": reply}
            result.tries.append(entry)
            try:
                point = parse_point(reply, size)
            except GroundingReplyError as error:
                result.parse_failures += 1
                entry["error"] = error.message
                continue
            entry["point"] = list(point)
            marked = self.marks_dir / f"verify-{self.calls:03d}-{round_}.png"
            draw_marks(screenshot, marked, point)
            verdict = self._ask(f"{ident}/judge", marked, judge_prompt(description, point), 0, result)
            entry["judge_reply"] = verdict
            try:
                accepted = parse_verdict(verdict)
            except GroundingReplyError as error:
                result.parse_failures += 1
                entry["error"] = error.message
                continue
            entry["verdict"] = "accept" if accepted else "reject"
            if accepted:
                result.point = point
                return result
        return result


# ------------------------------------------------------------------------------------------------ marks


def draw_marks(source: Path, target: Path, point: Point, end: Point | None = None) -> None:
    """A copy of `source` with a click at `point` (or a drag from `point` to `end`) marked the way
    refinement marks recorded steps (`_markers`: dot, ring, arrow; both drag ends and the line), the marks
    the paper's verification shows its judge (fact sheet, sections 2 and 4). Written atomically."""
    from PIL import Image

    from limkit.agents.pc._markers import mark_click, mark_drag
    from limkit.data import atomic_writer

    with Image.open(source) as opened:
        marked = mark_click(opened, point) if end is None else mark_drag(opened, point, end)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(target, "wb") as handle:
        marked.save(handle, format="PNG")
