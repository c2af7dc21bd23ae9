r"""Answer forms read at the string level before parsing: clock times and systems of equations.

Clock times: `7:15 AM`, `7:15 p.m.`, `19:15:00` (a meridiem or a seconds part makes a time); a bare
`7:15` stays a ratio, which `clock_readings` also reads as a time when it is compared with one.
Systems: `\begin{cases} x = 1 \\ y = 2 \end{cases}` (or `\{\begin{array}{l} ... \end{array}`) is the
list of its rows; a row with a condition after `&` is a piecewise definition, which stays unread.
"""

from __future__ import annotations

import re

from limkit.grade._nodes import Node

_CLOCK = re.compile(
    r"(?i)^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?\s*(?:\\text\s*\{\s*)?(?:([ap])\.?\s*m\.?)?\s*\}?\s*(?:\\text\s*\{\s*\})?$"
)
_SYSTEM = re.compile(
    r"^(?:\\\{\s*)?\\begin\s*\{(cases|array)\}(?:\s*\{[^{}]*\})?(.*)\\end\s*\{\1\}\s*(?:\\\}|\.)?$", re.DOTALL
)
_ALIGNED = re.compile(r"[=<>]|\\(?:le|ge|leq|geq|ne|neq|lt|gt)(?![A-Za-z])")
DAY = 24 * 3600


def read_clock(text: str) -> Node | None:
    """`7:15 AM` -> a clock node holding seconds after midnight; None for anything else (`7:15` included)."""
    found = _CLOCK.match(text.strip())
    if found is None:
        return None
    hours, minutes, seconds, meridiem = found.groups()
    hour = int(hours)
    if meridiem is None and seconds is None:
        return None
    if (meridiem is not None and not 1 <= hour <= 12) or hour > 24:
        return None
    if meridiem is not None:
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
    return Node("clock", (), (hour * 3600 + int(minutes) * 60 + int(seconds or 0)) % DAY)


def clock_readings(node: Node) -> frozenset[int] | None:
    """The times of day (seconds after midnight) a clock node, or a ratio `H:MM` of integers, may mean; an
    hour from 1 to 12 without AM/PM may be either."""
    if node.kind == "clock":
        return frozenset({int(node.value)})
    if node.kind != "ratio" or not all(_whole(arg) for arg in node.args):
        return None
    hour, minute = (int(arg.value) for arg in node.args)
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    readings = {(hour * 3600 + minute * 60) % DAY}
    if 1 <= hour <= 12:
        readings |= {(hour % 12) * 3600 + minute * 60, (hour % 12 + 12) * 3600 + minute * 60}
    return frozenset(readings)


def _whole(node: Node) -> bool:
    return node.kind == "num" and node.meta is None and node.value.denominator == 1


def _condition(after: str) -> bool:
    """What follows `&` in a row: an aligned relation (`x &= 1`) or a piecewise condition (`x & x > 0`)."""
    return bool(after.strip()) and _ALIGNED.match(after.strip()) is None


def system_rows(text: str) -> str | None:
    """The rows of a system of equations joined by commas, or None (not a system, or a piecewise one)."""
    found = _SYSTEM.match(text.strip())
    if found is None or (found.group(1) == "array" and not text.lstrip().startswith("\\{")):
        return None
    rows = [row.strip() for row in re.split(r"\\\\", found.group(2)) if row.strip()]
    if not rows or any(_condition(row.split("&", 1)[1]) for row in rows if "&" in row):
        return None
    return ", ".join(row.replace("&", " ") for row in rows)
