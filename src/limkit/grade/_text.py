"""String-level normalization of answers: math delimiters, spacing macros, thousands separators.

Everything here is linear-time string work on already-extracted answers (or gold strings); it never
interprets the text as code.
"""

from __future__ import annotations

import re

#: Commands that may arrive with a doubled backslash (`\\frac`) from JSON-escaped or double-escaped text.
_KNOWN_COMMANDS = (
    "boxed|fbox|frac|dfrac|tfrac|cfrac|sqrt|text|textbf|textnormal|mathrm|mbox|left|right|cdot|times|pi|"
    "leq|geq|le|ge|neq|ne|infty|in|cup|pm|mp|begin|end|quad|qquad|approx|lt|gt|sin|cos|tan|log|ln|exp|"
    "binom|circ|alpha|beta|gamma|theta|lambda|mu|sigma|omega|angle|dots|ldots|cdots"
)
_DOUBLED = re.compile(rf"(?<!\\)\\\\(?=(?:{_KNOWN_COMMANDS})(?![A-Za-z]))")
_SIZING = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![A-Za-z])\s*"
)
_NULL_DELIM = re.compile(r"\\(?:left|right)\s*\.")
_THIN_THOUSANDS = re.compile(r"(?<=\d),\\!\s*(?=\d{3})")
_BRACE_THOUSANDS = re.compile(r"(?<=\d)\s*\{,\s*\}\s*(?=\d)")
_SPACING = re.compile(
    r"(?<!\\)\\(?:!|,|;|:|>| |q?quad|enspace|thinspace|medspace|"
    r"thickspace|hfill|displaystyle|textstyle|scriptstyle|limits|nolimits|mathstrut)"
)
_HSPACE = re.compile(r"\\(?:h|v)space\*?\s*\{[^{}]*\}")
_FRAC_VARIANTS = re.compile(r"\\(?:dfrac|tfrac|cfrac)(?![A-Za-z])")
_BINOM_VARIANTS = re.compile(r"\\(?:dbinom|tbinom)(?![A-Za-z])")
_DEGREES = re.compile(
    r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\circ(?![A-Za-z])|\\degree(?![A-Za-z])|"
    r"\^\s*\{\s*o\s*\}(?![A-Za-z])"
)
_DELIMS = re.compile(r"(?<!\\)\\[()\[\]]|(?<!\\)\$")
#: `\text{ m}^{3}`: a braced integer power of a unit word is written unbraced, so the unit reads whole.
_UNIT_POWER = re.compile(r"(\\(?:text|mbox|mathrm|textnormal|textrm)\s*\{[^{}]*\})\s*\^\s*\{\s*(\d+)\s*\}")
_CURRENCY = re.compile(r"\\\$|€|£|¥|₹")
_APPROX_WORDS = re.compile(r"\\(?:approx|simeq|sim|thickapprox)(?![A-Za-z])|≈")
_THOUSANDS_COMMA = re.compile(r"^([-+]?)([1-9]\d{0,2}(?:,\d{3})+)((?:\.\d+)?(?:\s*(?:%|°|\\?[A-Za-z].*))?)$")
_THOUSANDS_SPACE = re.compile(r"^([-+]?)([1-9]\d{0,2}(?:\s\d{3})+)(\.\d+)?$")
_WS = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.,;:。，；]+$")
_LEADING = re.compile(r"^[\s:：=]+")

#: Unicode symbols rewritten to their LaTeX spelling so the lexer needs one spelling only.
_UNICODE = {
    "−": "-",
    "–": "-",
    "—": "-",
    "×": r"\times ",
    "÷": r"\div ",
    "·": r"\cdot ",
    "⋅": r"\cdot ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "∞": r"\infty ",
    "π": r"\pi ",
    "±": r"\pm ",
    "∓": r"\mp ",
    "√": r"\sqrt ",
    "∪": r"\cup ",
    "∩": r"\cap ",
    "∈": r"\in ",
    "°": "°",
    "²": "^2",
    "³": "^3",
    "⩽": r"\le ",
    "⩾": r"\ge ",
    "，": ",",
    "；": ";",
    "：": ":",
    "（": "(",
    "）": ")",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "ℝ": r"\mathbb{R}",
    "∅": r"\emptyset ",
}
_UNICODE_RE = re.compile("|".join(re.escape(key) for key in _UNICODE))


def collapse_doubled_backslashes(text: str) -> str:
    r"""Turns `\\frac` into `\frac` for known commands (text that was escaped twice)."""
    if "\\\\" not in text:
        return text
    return _DOUBLED.sub(r"\\", text)


def clean_answer(text: str) -> str:
    r"""Normalizes an extracted answer: drops math delimiters, sizing and spacing macros, joins thousands.

    The result keeps all mathematical content: `\left( 3, \frac{\pi}{2} \right)` becomes
    `( 3, \frac{\pi}{2} )`, `14{,}916` becomes `14916`, `\dfrac` becomes `\frac`, `^\circ` becomes `°`.
    """
    text = collapse_doubled_backslashes(text)
    text = _UNICODE_RE.sub(lambda match: _UNICODE[match.group(0)], text)
    text = _NULL_DELIM.sub("", text)
    text = _SIZING.sub("", text)
    text = _THIN_THOUSANDS.sub(",", text)
    text = _BRACE_THOUSANDS.sub("", text)
    text = _HSPACE.sub(" ", text)
    text = _SPACING.sub(" ", text)
    text = _FRAC_VARIANTS.sub(r"\\frac", text)
    text = _BINOM_VARIANTS.sub(r"\\binom", text)
    text = _DEGREES.sub("°", text)
    if "^" in text:
        text = _UNIT_POWER.sub(r"\1^\2", text)
    text = text.replace("\\%", "%").replace("\\#", "#")
    text = _CURRENCY.sub("", text)
    text = _DELIMS.sub(" ", text)
    text = _WS.sub(" ", text).strip()
    text = _TRAILING.sub("", text)
    text = _LEADING.sub("", text) if not text.startswith(("=", ":")) or len(text) > 1 else text
    return join_thousands(text)


def join_thousands(text: str) -> str:
    """Removes thousands separators: `7,425,000` -> `7425000`, `1 000` -> `1000` (whole answer only)."""
    spaced = _THOUSANDS_SPACE.match(text)
    if spaced:
        return spaced.group(1) + re.sub(r"\s", "", spaced.group(2)) + (spaced.group(3) or "")
    commas = _THOUSANDS_COMMA.match(text) if "," in text else None
    if commas:
        return commas.group(1) + commas.group(2).replace(",", "") + commas.group(3)
    return text


def split_approx(text: str) -> tuple[str, str | None]:
    r"""Splits `a \approx b` at the first top-level `\approx` into (before, after)."""
    match = _APPROX_WORDS.search(text)
    if match is None:
        return text, None
    return text[: match.start()].strip(), text[match.end() :].strip()


_CANON_DROP = re.compile(r"\\(?:text|textbf|textnormal|mathrm|mbox|textit|mathit|operatorname)\s*(?=\{)")
_CANON_SPACE = re.compile(r"\s+")


def _squeeze(space: re.Match[str]) -> str:
    """Drops a space, except between letters or digits (`1 2` is not `12`, nor `x y` `xy`)."""
    text, start, end = space.string, space.start(), space.end()
    return " " if start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum() else ""


def canonical_string(text: str) -> str:
    """A conservative canonical form for the string-equality fast path (never merges different answers)."""
    return _CANON_SPACE.sub(_squeeze, _CANON_DROP.sub("", clean_answer(text)))


_TEXT_WRAP = re.compile(r"\\(?:text|textbf|textnormal|mathrm|mbox|textit|mathit|emph|mathbf)\s*\{([^{}]*)\}")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def text_key(text: str) -> str:
    r"""A case-insensitive key for free-text answers: `\text{Evelyn}` and `evelyn.` share one key."""
    text = collapse_doubled_backslashes(text)
    for _ in range(3):
        text = _TEXT_WRAP.sub(r" \1 ", text)
    text = _DELIMS.sub(" ", text)
    return _NON_WORD.sub(" ", text).strip().lower()
