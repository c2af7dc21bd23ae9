r"""Finding the answer in a model output: boxes, answer cues, bold, then a last-number fallback; choice
letters and true/false words.

Every scan here is linear in the text (boxes are matched with one brace pass, math spans with one
delimiter pass), so a 1 MB output with hundreds of boxes costs milliseconds.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from limkit.grade._text import collapse_doubled_backslashes

_BOX = re.compile(r"\\(?:boxed|fbox)\s*(\{)?")
_BRACE_TOKEN = re.compile(r"\\[\s\S]|[{}]")
_CUE = re.compile(
    r"(?i)(?:\b(?:final\s+answer|the\s+answer|correct\s+answer|answer|réponse|reponse|respuesta|antwort|"
    r"resposta|risposta)\b(?:\s+(?:is|est|es|ist|é|è|should\s+be|would\s+be|will\s+be)\b\s*[:：=]?|\s*[:：=]|"
    r"\s*(?=\$|\\\(|\\\[))|答案\s*(?:是|为|為)?\s*[:：]?|الإجابة\s*(?:هي)?\s*[:：]?|उत्तर\s*[:：]?)"
)
_BARE_BOX_ARG = re.compile(r"\s*(\\?[A-Za-z]+|\d+(?:\.\d+)?|\S)")
_BOLD = re.compile(r"\*\*([^*\n]{1,120})\*\*")
_NUMBER_ATOM = (
    r"-?(?:\\frac\{[^{}]{1,40}\}\{[^{}]{1,40}\}|\d+/\d+|"
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)(?:\s*%|\s*\\%)?"
)
_NUMBER = re.compile(rf"(?<![A-Za-z0-9_.]){_NUMBER_ATOM}")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|。|\n|\bI hope\b|<\|")
_IS_SPLIT = re.compile(r"(?i)\s(?:is|est|es|ist|was|equals)\s")
_DELIMS = re.compile(r"(?<!\\)\$\$|(?<!\\)\$|\\\(|\\\)|\\\[|\\\]")
_CLOSING = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
_CONNECTOR_DROP = re.compile(
    r"\\text\s*\{[^{}]{0,40}\}|\\(?:quad|qquad|,|;|:|!| )|\\\\|\$|\\\(|\\\)|\\\[|\\\]|"
    r"\b(?:and|or|und|et|y|ou)\b|和|或|"
    r"[A-Za-z](?:_\{?\w{1,6}\}?)?\s*=|[,;&+]"
)
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])(?=[A-Za-z]*[a-z])[A-Za-z]{3,}|[^\x00-\x7f]")
_TEXT_CONTENT = re.compile(r"\\(?:text\w*|mbox|mathrm|operatorname)\s*\{[^{}]*\}")
_MATH_WORDS = frozenset(
    {
        "and",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "log",
        "exp",
        "sqrt",
        "frac",
        "pmatrix",
        "text",
        "percent",
        "pct",
        "percentage",
        "degrees",
        "degree",
        "infty",
        "inf",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "mathrm",
        "boxed",
        "cdot",
        "times",
        "left",
        "right",
        "begin",
        "end",
        "dfrac",
        "tfrac",
        "bmatrix",
        "vmatrix",
        "matrix",
        "array",
        "cases",
    }
)
_UNICODE_MATH = re.compile(r"[−–×÷·≤≥≠∞π±√∪∈°²³⩽⩾€£¥]")
_CUE_LEAD = re.compile('^(?:[\\s*:："\']|\\\\")+')
_GLUED = re.compile(r"(?<=[\d)\]}])\s*(or|and)\s*(?=[A-Z(\[\\]|\d)")
_CODE = re.compile(
    r"__\w+__|\bimport\s+\w|\b(?:eval|exec|compile|open|getattr|system|popen)\s*\(|\bos\.\w|\bsubprocess\b|"
    r"\blambda\b[^:]{0,20}:|`[^`]*`|\bsys\.\w"
)
_OPENS_MATH = re.compile(r"(?<!\\)\$|\\\(|\\\[")
_HEDGE_WORDS = frozenset({"or", "ou", "oder", "或"})
_TEXT_CONTENT_KEEP = re.compile(r"\\(?:text\w*|mbox|mathrm)\s*\{([^{}]*)\}")
_HEDGE_NOISE = re.compile(r"\\(?:quad|qquad|,|;| )|\$|\\[()\[\]]|[\s,;]")
_MATRIX_ENV = re.compile(r"\\(begin|end)\s*\{\s*([A-Za-z]*matrix|array|cases)\s*\}")
_STEP_WORD = re.compile(
    r"(?i)\b(?:step|case|part|problem|question|example|lemma|claim|stage|phase|item|line|no)\.?\s*#?\s*$|#\s*$"
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=\S)|\n\s*|。")
_CLOSING_REMARK = re.compile(
    r"(?i)\b(?:i\s+hope|hope\s+(?:this|it|that)|helps?\b|let\s+me\s+know|good\s+luck|thanks?\b|feel\s+free)"
)
_TEMPLATE_TAIL = re.compile(r"(?:\s*<\|[^<>\n]{0,40}(?:\|>[^<\n]{0,40})?)+$")
_EMPHASIS = re.compile(r"^(?:\*\*|__)\s*|\s*(?:\*\*|__)(?=[\s.!,;:]*$)")
FALLBACK_WINDOW = 4000
MAX_CUE_CHARS = 300
MAX_GROUP = 50

# Multiple-choice letters and true/false words.
_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|textnormal)\s*\{([^{}]*)\}")
_LETTER_CUE = re.compile(
    r"(?i)\b(?:answer|réponse|reponse|respuesta|antwort|option|choice)\b\s*(?:is|est|es|ist|would\s+be|should\s+be)?"
    r"\s*[:：]?|答案\s*(?:是|为|應該是|应该是)?\s*[:：]?|选\s*"
)
_LETTER_LIST = re.compile(r"[\[({\s]*\(?[A-Z]\)?(?:\s*(?:[,;&]|\band\b|\\quad)?\s*\(?[A-Z]\)?)+[\])}\s.]*")
_LEADING = re.compile(r"^\s*(?:\*\*)?\(?([A-Z])(?:\)|\.|:|：|。|，|,|\*\*|\s*$|(?=[^\x00-\x7f]))")
_STANDALONE = re.compile(r"(?<![A-Za-z'’\\])\(?([A-Z])\)?(?![A-Za-z'’])")
_ARTICLE = re.compile(r"(?:(?<=^)|(?<=[.!?]\s)|(?<=\n))A\s+[a-z]")
_NEGATION = re.compile(r"(?i)(?:\bnot|\bnon|\bno|\bpas|\bnicht|\bnever|n't(?:\s+be)?|不是|非)\s*\(?$")
_BOLD_LETTER = re.compile(r"\*\*\s*\(?([A-Z])\)?\s*[.:)]?\s*\*\*")
_TRUE = frozenset(
    {"true", "yes", "correct", "right", "t", "y", "是", "对", "正确", "vrai", "oui", "wahr", "ja", "sí", "si"}
)
_FALSE = frozenset(
    {"false", "no", "incorrect", "wrong", "f", "n", "否", "错", "错误", "faux", "non", "falsch", "nein"}
)
_BOOL_WORD = re.compile(r"(?i)\b(true|false|yes|no)\b|是|否|对|错|正确|错误")


class Span(NamedTuple):
    start: int
    end: int
    content: str


def _brace_matches(text: str, opens: set[int]) -> dict[int, int]:
    """Closing positions for the given `{` positions, in one linear pass over the braces only."""
    stack: list[int] = []
    found: dict[int, int] = {}
    for token in _BRACE_TOKEN.finditer(text):
        char = token.group(0)
        if char == "{":
            stack.append(token.start())
        elif char == "}" and stack:
            opener = stack.pop()
            if opener in opens:
                found[opener] = token.start()
    return found


def find_boxes(text: str) -> list[Span]:
    r"""All outermost `\boxed{...}`/`\fbox{...}` spans, in order; an unclosed last box runs to the end."""
    hits = list(_BOX.finditer(text))
    if not hits:
        return []
    opens = {hit.end(1) - 1 for hit in hits if hit.group(1)}
    closes = _brace_matches(text, opens)
    boxes: list[Span] = []
    outer_end = -1
    for number, hit in enumerate(hits):
        if hit.start() < outer_end:
            continue
        if hit.group(1):
            open_at = hit.end(1) - 1
            close_at = closes.get(open_at)
            if close_at is None and number < len(hits) - 1:
                continue  # a broken box: later boxes are still read
            end = close_at + 1 if close_at is not None else len(text)
            content = text[open_at + 1 : close_at if close_at is not None else len(text)]
        else:
            token = _BARE_BOX_ARG.match(text, hit.end())
            if token is None:
                continue
            end = token.end()
            content = token.group(1)
        boxes.append(Span(hit.start(), end, content.strip()))
        outer_end = end
    return boxes


def is_connector(between: str) -> bool:
    """Text between two boxes that only joins answers: `, `, ` and `, `\\quad \text{and} \\quad`, `y_2 =`.

    One extra short word is allowed (`\boxed{1} papers and \boxed{2}`); more text means the boxes are
    separate statements and only the last one counts.
    """
    if len(between) > 80:
        return False
    rest = _CONNECTOR_DROP.sub(" ", between).split()
    return not rest or (len(rest) == 1 and rest[0].isalpha() and len(rest[0]) <= 12)


def _is_hedge(between: str) -> bool:
    """Text between two boxes that offers them as alternatives: only `or` (`\\boxed{3} or \\boxed{4}`)."""
    if len(between) > 60:
        return False
    return _HEDGE_NOISE.sub("", _TEXT_CONTENT_KEEP.sub(r"\1", between)).lower() in _HEDGE_WORDS


def last_box_group(text: str, *, join: bool = True) -> Span | None:
    """The last box; with `join`, joined with earlier boxes that only connectors separate (`\\boxed{1},
    \\boxed{2}`). Without it, only boxes offered as alternatives (`\\boxed{3} or \\boxed{4}`) are kept
    with the last one, so the hedge stays visible. An empty last box (`\\boxed{}`) is returned as such."""
    boxes = find_boxes(text)
    if not boxes:
        return None
    if not boxes[-1].content:
        return boxes[-1]
    boxes = [box for box in boxes if box.content]
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        between = text[box.end : group[0].start]
        if len(group) >= MAX_GROUP or not (is_connector(between) if join else _is_hedge(between)):
            break
        group.insert(0, box)
    if len(group) == 1:
        return group[0]
    separator = ", " if join else " or "
    return Span(group[0].start, group[-1].end, separator.join(box.content for box in group))


def math_spans(text: str) -> list[Span]:
    """`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]` spans in one pass; inline spans may not cross a newline."""
    spans: list[Span] = []
    opener: re.Match[str] | None = None
    for delim in _DELIMS.finditer(text):
        token = delim.group(0)
        if opener is None:
            if token in _CLOSING:
                opener = delim
            continue
        if token == _CLOSING[opener.group(0)]:
            content = text[opener.end() : delim.start()]
            inline = opener.group(0) in ("$", "\\(")
            if not (inline and "\n" in content) and content.strip():
                spans.append(Span(opener.start(), delim.end(), content.strip()))
            opener = None
    return spans


def last_number(text: str) -> Span | None:
    """The last standalone number (or `\\frac{a}{b}`, `a/b`, with a trailing %) in the text."""
    found = None
    for found in _NUMBER.finditer(text):  # noqa: B007
        pass
    return Span(found.start(), found.end(), found.group(0)) if found else None


def is_sentence(text: str) -> bool:
    """Whether a text reads as prose (two or more ordinary words, or non-Latin letters) rather than math."""
    if re.search(r"[^\x00-\x7f]", _UNICODE_MATH.sub("", text)):
        return True
    words = [word for word in _PROSE_WORD.findall(text) if word.lower() not in _MATH_WORDS]
    return len(words) >= 2


def has_prose(text: str) -> bool:
    """Whether a text has an ordinary word in it (not a math word such as `sin` or `frac`)."""
    return any(word.lower() not in _MATH_WORDS for word in _PROSE_WORD.findall(text))


def _cue_answer(remainder: str) -> str | None:
    """What follows an answer cue: a math span or math text, else the first number in the sentence."""
    remainder = _CUE_LEAD.sub("", remainder)
    spans = math_spans(remainder)
    if spans and spans[0].start == 0:
        first = spans[0]
        tail = remainder[first.end :]
        more = [first.content]
        for span in spans[1:]:
            if not is_connector(tail[: span.start - first.end]):
                break
            more.append(span.content)
        return " and ".join(more) if len(more) > 1 else first.content
    if _OPENS_MATH.match(remainder):
        return ""  # a cue followed by a malformed span (`Answer $ \n 9 \n $`) states no readable answer
    end = _SENTENCE_END.search(remainder)
    sentence = remainder[: end.start() if end else MAX_CUE_CHARS][:MAX_CUE_CHARS].strip()
    parts = _IS_SPLIT.split(sentence)
    sentence = parts[-1].strip() if len(parts) > 1 else sentence
    sentence = _EMPHASIS.sub("", sentence).strip()  # `Final Answer: **12**` states `12`
    if not sentence:
        return None
    if not has_prose(sentence.replace("$", "")):
        return sentence.replace("$", " ").strip() or None
    spans = math_spans(sentence)
    if spans:
        return spans[0].content
    numbers = list(_NUMBER.finditer(sentence))
    if numbers:
        return numbers[0].group(0)
    return sentence if len(sentence) <= 60 else None


def last_cue(text: str) -> tuple[int, str] | None:
    """The answer stated after the last answer cue (`final answer is`, `Answer:`, `答案是`) and where."""
    cues = list(_CUE.finditer(text))
    for found in reversed(cues[-20:]):
        answer = _cue_answer(text[found.end() : found.end() + 2 * MAX_CUE_CHARS])
        if answer is not None:
            return found.start(), answer
    return None


def last_bold(text: str) -> str | None:
    found = None
    for match in _BOLD.finditer(text):
        if any(char.isdigit() for char in match.group(1)) or "\\" in match.group(1):
            found = match.group(1)
    return found.strip() if found else None


def _has_math(answer: str) -> bool:
    return any(char.isdigit() for char in answer) or "\\" in answer


def _matrix_envs(text: str) -> list[Span]:
    r"""Outermost `\begin{pmatrix}...\end{pmatrix}` spans (any matrix, array, cases), in one pass."""
    spans: list[Span] = []
    stack: list[re.Match[str]] = []
    for found in _MATRIX_ENV.finditer(text):
        if found.group(1) == "begin":
            stack.append(found)
        elif stack and stack[-1].group(2) == found.group(2):
            opener = stack.pop()
            if not stack:
                spans.append(Span(opener.start(), found.end(), text[opener.start() : found.end()]))
    return spans


def _is_label(text: str, number: re.Match[str]) -> bool:
    """A number that labels a step or an item (`Step 28:`, `Case 2.`, `3) ` at a line start): no answer."""
    after = text[number.end() : number.end() + 2]
    if not after[:1] or after[0] not in ":.)":
        return False
    before = text[max(0, number.start() - 12) : number.start()]
    if _STEP_WORD.search(before):
        return True
    return after[0] in ".)" and after[1:] == " " and before.split("\n")[-1].strip() == ""


def _last_statement(text: str) -> int:
    """Where the text's last sentence starts, skipping up to two closing remarks after it (`I hope it is
    correct.`), so a fallback answer comes from the end of the text, never from its middle."""
    window_start = max(0, len(text) - FALLBACK_WINDOW)
    starts = [window_start] + [found.end() for found in _SENTENCE_BREAK.finditer(text, window_start)]
    ends = [*starts[1:], len(text)]
    sentences = [(start, end) for start, end in zip(starts, ends, strict=True) if text[start:end].strip()]
    if not sentences:
        return len(text)
    index = len(sentences) - 1
    while index > 0 and len(sentences) - index <= 2 and _is_remark(text[slice(*sentences[index])]):
        index -= 1
    return sentences[index][0]


def _is_remark(sentence: str) -> bool:
    """A closing remark (`I hope it is correct.`) or a short sign-off (`-sepehr2010`) without a number."""
    if "$" in sentence or "\\" in sentence or _NUMBER.search(sentence):
        return False
    return bool(_CLOSING_REMARK.search(sentence)) or (len(sentence) <= 40 and len(sentence.split()) <= 3)


def fallback_answer(text: str) -> str | None:
    """The last math span, matrix or number of the text's last sentence (see `_last_statement`), never a
    step label (`Step 28:`); else None. Chat-template tokens at the end (`<|im_start|>`) are cut first."""
    text = _TEMPLATE_TAIL.sub("", text.rstrip())
    start = _last_statement(text)
    candidates = [found[-1] for found in (math_spans(text), _matrix_envs(text)) if found]
    numbers = [found for found in _NUMBER.finditer(text, start) if not _is_label(text, found)]
    if numbers:
        candidates.append(Span(numbers[-1].start(), numbers[-1].end(), numbers[-1].group(0)))
    candidates = [span for span in candidates if span.end > start]
    if not candidates:
        return None
    return max(candidates, key=lambda span: (span.end, -span.start)).content


def looks_like_code(text: str) -> bool:
    """Program text (`__import__('os')`, `eval(`, `os.system`): graded as written, never mined for numbers."""
    return bool(_CODE.search(text))


def _bare_answer(text: str) -> bool:
    """A short text that is the answer itself: no prose, except words in `\text{}` or trailing unit words."""
    if len(text) > 200 or "\n" in text.strip():
        return False
    plain = _TEXT_CONTENT.sub(" ", _GLUED.sub(r" \1 ", text))
    words = [match for match in _PROSE_WORD.finditer(plain) if match.group(0).lower() not in _MATH_WORDS]
    if not words:
        return True
    last_digit = max((index for index, char in enumerate(plain) if char.isdigit()), default=-1)
    if re.search(r"[^\x00-\x7f]", plain):
        return False
    if last_digit < 0:
        return len(words) == 1
    return len(words) <= 2 and words[0].start() > last_digit


class Found(NamedTuple):
    """An extracted answer (None: nothing found, or an empty box) and where it came from.

    `source` is `box`, `cue` (an answer phrase such as `Final answer:`), `bold` (a `**bold**` answer),
    `whole` (the output is the answer itself), `fallback` (the last number or math span) or `none`.
    """

    answer: str | None
    source: str


NOTHING = Found(None, "none")


def locate_answer(text: str, *, require_box: bool = False, multipart: bool = False) -> Found:
    """`extract_answer` with the answer's source; see there."""
    text = collapse_doubled_backslashes(text)
    box = last_box_group(text, join=multipart)
    if require_box:
        return Found(box.content or None, "box") if box else NOTHING
    cue = last_cue(text)
    if box is not None and (cue is None or cue[0] < box.end or not _has_math(cue[1])):
        return Found(box.content or None, "box")
    if cue is not None:
        return Found(cue[1] or None, "cue")
    bold = last_bold(text)
    if bold is not None:
        return Found(bold, "bold")
    stripped = text.strip()
    if stripped and (_bare_answer(stripped) or looks_like_code(stripped[-2000:])):
        return Found(stripped[-2000:], "whole")
    found = fallback_answer(text)
    if found is not None:
        return Found(found, "fallback")
    if 0 < len(stripped) <= 60 and not is_sentence(stripped):
        return Found(stripped, "whole")
    return NOTHING


def extract_answer(
    text: str, *, require_box: bool = False, choices: str | None = None, multipart: bool = False
) -> str | None:
    r"""The answer a model output gives, or None.

    Order: the last `\boxed{}`/`\fbox{}` (an empty one means no answer), unless an answer cue (`final
    answer is`, `Answer:`, ...) stating a math answer comes after it; then the last answer cue; then
    the last `**bold**` number; then the output itself when it is a bare answer; then the last math
    span, matrix or number of the last line when only a short tail follows it (never a step label).
    `multipart=True` (the gold has several parts) joins the last box with the boxes before it that only
    connectors separate (`\boxed{1}, \boxed{2}`); otherwise the last box wins, except that boxes offered
    as alternatives (`\boxed{3} or \boxed{4}`) stay together as the hedge they are. `require_box=True`
    accepts only boxes (what a reward should do). With `choices` (for example `"ABCD"`) the result is one
    letter of `choices`, or None.
    """
    if choices:
        return locate_choice(text, choices, require_box=require_box).answer
    return locate_answer(text, require_box=require_box, multipart=multipart).answer


# -- multiple-choice letters and true/false answers ----------------------------------------------------
def letter_in(content: str, letters: str) -> str | None:
    r"""The choice letter an answer names: `C`, `(C)`, `\text{(C)}`, `C) 5`, `\textbf{C.}`."""
    for _ in range(2):
        content = _WRAPPERS.sub(r"\1", content)
    content = content.replace("$", "").strip().lstrip("(").strip()
    if not content or content[0] not in letters or (len(content) > 1 and content[1].isalpha()):
        return None
    others = set(_named_letters(content[1:], letters)) - {content[0]}
    return None if others else content[0]  # `A, B, C` hedges: no single choice


def letter_list(text: str) -> str | None:
    r"""The sorted letters of a list of choices (`[B, D]`, `B and D`, `\text{(B), (D)}`, `BD`), or None.

    A run of capitals (`BD`) counts only when it has no repeated letter; `or` is never a separator here (a
    hedge names no answer).
    """
    for _ in range(2):
        text = _WRAPPERS.sub(r"\1", text)
    text = text.replace("$", "").strip()
    if len(text) > 80 or _LETTER_LIST.fullmatch(text) is None:
        return None
    letters = re.findall(r"[A-Z]", text)
    return "".join(sorted(letters)) if len(set(letters)) == len(letters) else None


def _named_letters(text: str, letters: str) -> list[str]:
    """Choice letters a short text names, skipping negated ones (`not A`, `non A`, `不是 A`)."""
    named = []
    for match in _STANDALONE.finditer(text):
        if match.group(1) in letters and not _NEGATION.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            named.append(match.group(1))
    return named


def _cue_letter(text: str, letters: str) -> tuple[bool, str | None]:
    """(a cue named letters, the single letter it named); `answer is A or B` names two: no answer."""
    cues = list(_LETTER_CUE.finditer(text))
    for cue in reversed(cues[-20:]):
        window = " ".join(text[cue.end() : cue.end() + 40].split()[:5])
        named = _named_letters(window, letters)
        if named:
            return True, named[0] if len(set(named)) == 1 else None
    return False, None


def extract_choice(text: str, letters: str, *, require_box: bool = False) -> str | None:
    """The chosen letter: boxed; else after an answer cue; else a leading, bold or last lone letter."""
    return locate_choice(text, letters, require_box=require_box).answer


def locate_choice(text: str, letters: str, *, require_box: bool = False) -> Found:
    """`extract_choice` with the answer's source (a lone letter at the end is a `fallback`)."""
    text = collapse_doubled_backslashes(text)
    box = last_box_group(text, join=False)
    if box is not None:
        found = letter_in(box.content, letters)
        if found or require_box or len(set(_named_letters(box.content, letters))) > 1:
            return Found(found, "box")  # a boxed hedge (`A, B, C, D`) names no single choice
    elif require_box:
        return NOTHING
    cued, found = _cue_letter(text, letters)
    if cued:
        return Found(found, "cue")
    leading = _LEADING.match(text)
    if leading and leading.group(1) in letters:
        return Found(leading.group(1), "whole")
    bold = [match.group(1) for match in _BOLD_LETTER.finditer(text) if match.group(1) in letters]
    if bold:
        return Found(bold[-1], "bold")
    tail = text[-4000:]
    lone = [
        match.group(1)
        for match in _STANDALONE.finditer(tail)
        if match.group(1) in letters and not _ARTICLE.match(tail, match.start())
    ]
    return Found(lone[-1], "fallback") if lone else NOTHING


def read_bool(answer: str) -> bool | None:
    """`True`/`yes`/`对` -> True, `False`/`no`/`错` -> False, anything else -> None."""
    for _ in range(2):
        answer = _WRAPPERS.sub(r"\1", answer)
    key = answer.replace("$", "").strip().strip(".()").strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def extract_bool(text: str, *, require_box: bool = False) -> str | None:
    """The true/false answer of an output, as the word it used (box, cue, then the last such word)."""
    return locate_bool(text, require_box=require_box).answer


def locate_bool(text: str, *, require_box: bool = False) -> Found:
    """`extract_bool` with the answer's source."""
    box = last_box_group(collapse_doubled_backslashes(text), join=False)
    if box is not None or require_box:
        return Found(box.content or None, "box") if box is not None else NOTHING
    cues = list(_CUE.finditer(text))
    for cue in reversed(cues[-5:]):
        word = _BOOL_WORD.search(text, cue.end(), cue.end() + 40)
        if word:
            return Found(word.group(0), "cue")
    words = list(_BOOL_WORD.finditer(text[-4000:]))
    return Found(words[-1].group(0), "fallback") if words else NOTHING
