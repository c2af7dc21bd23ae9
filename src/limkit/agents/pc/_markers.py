"""Marker images: where a recorded click or drag happened, drawn on its (resized) screenshot.

The describing model of cognition completion sees the whole screen, so the marks must say exactly where
the pointer was without hiding what is under it (fact sheet section 2, pass 9). For a click: the
element's box as recorded (it may be loose or wrong, so it is drawn thin), a small dot at the exact point,
a ring around it, and a short arrow pointing at the ring from the upper left. For a drag: a dot at each
end, rings where the ends are far enough apart to tell the rings apart, and a line with an arrowhead at
its middle giving the direction. Sizes are in pixels of the image drawn on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageDraw import ImageDraw

RED = (230, 0, 0)
DOT_RADIUS = 3
RING_RADIUS = 18
RING_WIDTH = 2
RECT_WIDTH = 3
ARROW_LENGTH = 40
ARROW_ANGLE = math.radians(30)  # below the horizontal, coming from the upper left
HEAD = 9
DRAG_RINGS_APART = 15


def mark_click(image: Image, point: tuple[int, int], rect: tuple[int, int, int, int] | None = None) -> Image:
    """A copy of `image` with the box (if any), dot, ring and arrow of a click at `point`."""
    from PIL import ImageDraw

    marked = image.convert("RGB")
    draw = ImageDraw.Draw(marked)
    if rect is not None:
        left, top, right, bottom = rect
        box = (min(left, right), min(top, bottom), max(left, right), max(top, bottom))
        draw.rectangle(box, outline=RED, width=RECT_WIDTH)
    _dot(draw, point)
    _ring(draw, point)
    x, y = point
    tip = (x - RING_RADIUS * math.cos(ARROW_ANGLE), y - RING_RADIUS * math.sin(ARROW_ANGLE))
    tail = (tip[0] - ARROW_LENGTH * math.cos(ARROW_ANGLE), tip[1] - ARROW_LENGTH * math.sin(ARROW_ANGLE))
    _arrow(draw, tail, tip)
    return marked


def mark_drag(image: Image, start: tuple[int, int], end: tuple[int, int]) -> Image:
    """A copy of `image` with both ends of a drag, their rings when apart, and the line between them."""
    from PIL import ImageDraw

    marked = image.convert("RGB")
    draw = ImageDraw.Draw(marked)
    for point in (start, end):
        _dot(draw, point)
    if math.dist(start, end) > DRAG_RINGS_APART:
        for point in (start, end):
            _ring(draw, point)
    draw.line((start, end), fill=RED, width=RING_WIDTH)
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    _head(draw, start, middle)
    return marked


def _dot(draw: ImageDraw, point: tuple[int, int]) -> None:
    x, y = point
    draw.ellipse((x - DOT_RADIUS, y - DOT_RADIUS, x + DOT_RADIUS, y + DOT_RADIUS), fill=RED)


def _ring(draw: ImageDraw, point: tuple[int, int]) -> None:
    x, y = point
    box = (x - RING_RADIUS, y - RING_RADIUS, x + RING_RADIUS, y + RING_RADIUS)
    draw.ellipse(box, outline=RED, width=RING_WIDTH)


def _arrow(draw: ImageDraw, tail: tuple[float, float], tip: tuple[float, float]) -> None:
    draw.line((tail, tip), fill=RED, width=RING_WIDTH)
    _head(draw, tail, tip)


def _head(draw: ImageDraw, tail: tuple[float, float], tip: tuple[float, float]) -> None:
    """A filled arrowhead at `tip`, pointing along tail -> tip."""
    angle = math.atan2(tip[1] - tail[1], tip[0] - tail[0])
    wings = [
        (tip[0] - HEAD * math.cos(angle + side), tip[1] - HEAD * math.sin(angle + side))
        for side in (math.radians(25), -math.radians(25))
    ]
    draw.polygon([tip, *wings], fill=RED)
