"""Unit names an answer may carry (`5.4 \\text{ dollars}`, `12 \\text{ inches}^2`), read to one key per unit.

Only units in the table are recognised; a unit word the table does not know gives no key, so the
comparison ignores it as it ignores a unit on one side only. There is no conversion: `100 \\text{ cm}`
and `1 \\text{ m}` are different answers, like `5.4 \\text{ cents}` and `5.4 \\text{ dollars}`.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "km": ("km", "kilometer", "kilometers", "kilometre", "kilometres"),
    "inch": ("in", "inch", "inches"),
    "foot": ("ft", "foot", "feet"),
    "yard": ("yd", "yds", "yard", "yards"),
    "mile": ("mi", "mile", "miles"),
    "second": ("s", "sec", "secs", "second", "seconds"),
    "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("yr", "yrs", "year", "years"),
    "mg": ("mg", "milligram", "milligrams"),
    "g": ("g", "gram", "grams"),
    "kg": ("kg", "kilogram", "kilograms"),
    "pound": ("lb", "lbs", "pound", "pounds"),
    "ounce": ("oz", "ounce", "ounces"),
    "ton": ("ton", "tons", "tonne", "tonnes"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "liter": ("l", "liter", "liters", "litre", "litres"),
    "gallon": ("gal", "gallon", "gallons"),
    "dollar": ("dollar", "dollars", "usd"),
    "cent": ("cent", "cents"),
    "euro": ("euro", "euros", "eur"),
    "acre": ("acre", "acres"),
    "mph": ("mph",),
}
_UNITS = {spelling: key for key, spellings in _SPELLINGS.items() for spelling in spellings}
_POWERS = {"square": 2, "sq": 2, "cubic": 3, "cu": 3}
_TOKEN = re.compile(r"[a-z]+|\d+|[/^]")


@lru_cache(maxsize=4096)
def unit_key(text: str) -> str | None:
    """A key naming the unit (`inch^2` for `\\text{ inches}^2` and `square inches`), or None when any
    word is not a known unit (`5 \\text{ apples}`, `square units`)."""
    words = _TOKEN.findall(text.lower().replace("\\", " "))
    parts: list[str] = []
    power = 1
    for index, word in enumerate(words):
        if word in _POWERS:
            power = _POWERS[word]
        elif word in ("/", "per"):
            parts.append("/")
        elif word == "^" or word.isdigit():
            if word.isdigit() and index > 0 and words[index - 1] == "^" and parts:
                parts[-1] = f"{parts[-1]}^{word}"
        elif word in _UNITS:
            parts.append(_UNITS[word] + (f"^{power}" if power != 1 else ""))
            power = 1
        else:
            return None
    return " ".join(parts) if parts and parts[-1] != "/" else None
