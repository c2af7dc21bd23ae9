"""From an answer string to one AST: separators, units, labels (`x = 2`), alternatives and text answers."""

from __future__ import annotations

import re
from fractions import Fraction

from limkit.grade._forms import read_clock, system_rows
from limkit.grade._lexer import Tok, tokenize
from limkit.grade._nodes import (
    LIMITS,
    Limits,
    Node,
    OverLimit,
    ParseError,
    check_limits,
    free_symbols,
    num,
    render,
)
from limkit.grade._parser import Parser, text_node
from limkit.grade._text import clean_answer, split_approx
from limkit.grade._vocabulary import DEGREE_WORDS, FUNCTIONS, PERCENT_WORDS, SEPARATOR_WORDS, WORD_FUNCTIONS

_ARROWS = re.compile(r"\\(?:Rightarrow|implies|Longrightarrow|therefore|iff|Leftrightarrow)(?![A-Za-z])")
_GLUED_SEPARATOR = re.compile(r"(?<=[\d)\]}])\s*(or|and)\s*(?=[A-Z(\[\\]|\d)")
_DECIMAL_COMMA = re.compile(r"([-+]?)(\d+),(\d+)")
_OPEN = frozenset({"(", "[", "{"})
_CLOSE = frozenset({")", "]", "}"})
_SEPARATOR_TEXTS = frozenset({"and", "or", "und", "et", "y", "ou", "oder", "与", "和", "或"})
_KEYWORDS = WORD_FUNCTIONS | SEPARATOR_WORDS | PERCENT_WORDS | DEGREE_WORDS | {"pi", "inf", "infinity", "oo"}


def parse_answer(text: str, limits: Limits = LIMITS) -> Node:
    """Parses an extracted answer (or a gold answer) into a checked AST.

    Raises:
        ParseError: the text is not in the supported answer language.
        OverLimit: the text or its tree exceeds a safety limit.
    """
    cleaned = clean_answer(text)
    if not cleaned:
        raise ParseError("empty answer")
    if len(cleaned) > limits.max_answer_chars:
        raise OverLimit(f"answer longer than {limits.max_answer_chars} characters")
    cleaned = _resolve_approx(_ARROWS.split(cleaned)[-1].strip(), limits)
    cleaned = _strip_outer_braces(_GLUED_SEPARATOR.sub(r" \1 ", cleaned))
    clock = read_clock(cleaned)
    if clock is not None:
        return clock
    cleaned = system_rows(cleaned) or cleaned
    comma = _DECIMAL_COMMA.fullmatch(cleaned)
    if comma:
        sign, whole, frac = comma.groups()
        decimal = parse_answer(f"{sign}{whole}.{frac}", limits)
        node = Node("alt", (_assemble(tokenize(cleaned, limits), limits), decimal), None, "decimal_comma")
    else:
        node = _assemble(tokenize(cleaned, limits), limits)
    check_limits(node, limits)
    return node


def _strip_outer_braces(text: str) -> str:
    """`{35 cm, 4}` is LaTeX grouping around the whole answer: drop it, every such layer, in one pass."""
    if not text.startswith("{"):
        return text
    partner, opened = {}, []
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            partner[opened.pop()] = index
    low, high = 0, len(text) - 1
    while low < high and text[low] == "{" and partner.get(low) == high:
        low, high = low + 1, high - 1
        while low <= high and text[low].isspace():
            low += 1
        while high >= low and text[high].isspace():
            high -= 1
    return text[low : high + 1]


def _resolve_approx(text: str, limits: Limits) -> str:
    r"""`x \approx 11` keeps the value after `\approx`; `\frac{1}{3} \approx 0.33` keeps the exact part."""
    before, after = split_approx(text)
    if after is None:
        return text
    if not before:
        return after
    try:
        head = _parse_piece(tokenize(before, limits), limits)
    except ParseError:
        return before
    if is_label(head):
        return f"{before} = {after}"
    return before


def _split(tokens: list[Tok], is_separator: object) -> list[list[Tok]]:
    parts: list[list[Tok]] = [[]]
    depth = 0
    for tok in tokens:
        if (
            (tok.kind == "op" and tok.text in _OPEN)
            or (tok.kind == "cmd" and tok.text == "{")
            or tok.kind == "begin"
        ):
            depth += 1
        elif (
            (tok.kind == "op" and tok.text in _CLOSE)
            or (tok.kind == "cmd" and tok.text == "}")
            or tok.kind == "end"
        ):
            depth -= 1
        if depth == 0 and callable(is_separator) and is_separator(tok):
            parts.append([])
        else:
            parts[-1].append(tok)
    return [part for part in parts if part]


def _is_semicolon(tok: Tok) -> bool:
    return tok.kind == "op" and tok.text == ";"


def _is_comma(tok: Tok) -> bool:
    if tok.kind == "op" and tok.text == ",":
        return True
    if tok.kind == "word" and tok.text.lower() in SEPARATOR_WORDS:
        return True
    return tok.kind == "text" and tok.text.strip().strip(",").strip().lower() in _SEPARATOR_TEXTS


def _is_word_separator(tok: Tok) -> bool:
    return _is_comma(tok) and not (tok.kind == "op" and tok.text == ",")


def _assemble(tokens: list[Tok], limits: Limits) -> Node:
    """`;` separates solutions; `and`/`or` separate solutions made of assignments (`p=5, q=2 and p=7, q=2`)
    and otherwise just list answers, like commas."""
    if not tokens:
        raise ParseError("empty answer")
    parts = _split(tokens, _is_semicolon)
    if len(parts) > 1:
        groups = [_assemble_commas(part, limits) for part in parts]
        items = [
            Node("tuple", group.args) if group.kind == "list" and group.meta is None else group
            for group in groups
        ]
        return Node("list", tuple(items))
    parts = _split(tokens, _is_word_separator)
    if len(parts) > 1:
        groups = [_assemble_commas(part, limits) for part in parts]
        if all(group.kind == "assign" for group in groups):
            return Node("list", tuple(groups))
        flat: list[Node] = []
        for group in groups:
            flat.extend(group.args if group.kind == "list" and group.meta is None else [group])
        return group_answers(flat)
    return _assemble_commas(tokens, limits)


def _assemble_commas(tokens: list[Tok], limits: Limits) -> Node:
    pieces = _split(tokens, _is_comma)
    if not pieces:
        raise ParseError("empty answer")
    if len(pieces) > limits.max_elements:
        raise ParseError(f"more than {limits.max_elements} answers")
    nodes = [_parse_piece(piece, limits) for piece in pieces]
    return nodes[0] if len(nodes) == 1 else group_answers(nodes)


def group_answers(nodes: list[Node]) -> Node:
    """Several answers: distinct labels make an assignment group, a repeated label a list of values."""
    labels = [label_of(node) for node in nodes]
    if all(label is not None for label in labels):
        values = tuple(assigned_value(node) for node in nodes)
        names = [str(label) for label in labels]
        if len(set(names)) == len(names) and all(names):
            return Node("assign", values, tuple(names))
        if len(set(names)) == 1:
            return Node("list", values, None, names[0])
        return Node("list", values)
    if labels[0] is not None and all(label is None for label in labels[1:]):
        return Node("list", (assigned_value(nodes[0]), *nodes[1:]), None, labels[0])
    return Node("list", tuple(nodes))


def _parse_piece(tokens: list[Tok], limits: Limits) -> Node:
    text = _as_text(tokens)
    if text is not None:
        return text
    core, unit, mark = _split_unit(tokens)
    parser = Parser(core, limits)
    node = parser.element()
    if not parser.done():
        raise ParseError(f"unexpected {parser.peek()!r}")
    if mark == "pct":
        node = Node("pct", (node,))
    elif mark == "deg":
        node = Node("deg", (node,))
    if unit:
        node = Node("unit", (node,), unit)
    return node


def _as_text(tokens: list[Tok]) -> Node | None:
    """A piece made only of words (with at least one real word) is a text answer."""
    if len(tokens) == 1 and tokens[0].kind == "text":
        return text_node(tokens[0].text)
    words = 0
    for tok in tokens:
        if tok.kind == "word" and tok.text.lower() not in _KEYWORDS and tok.text not in FUNCTIONS:
            words += len(tok.text) >= 3
        elif tok.kind == "text" and any(char.isalpha() for char in tok.text):
            words += 1
        elif not (tok.kind in ("letter", "word") or (tok.kind == "op" and tok.text in ("'", "-", "."))):
            return None
    if not words:
        return None
    return Node("text", (), " ".join(tok.text.strip() for tok in tokens))


def _unit_token(tok: Tok) -> bool:
    if tok.kind == "text":
        return not any(char.isdigit() for char in tok.text)
    if tok.kind == "mathrm":
        return tok.text.strip().isalpha() and len(tok.text.strip()) > 1
    if tok.kind == "word":
        return tok.text.lower() not in WORD_FUNCTIONS | SEPARATOR_WORDS | {"pi", "inf", "infinity", "oo"}
    return tok.kind == "other" and tok.text.isalpha()


def _split_unit(tokens: list[Tok]) -> tuple[list[Tok], str | None, str | None]:
    """Splits trailing unit words off a letter-free number: `125 miles`, `15 \\mbox{ cm}^2`, `28 percent`.

    A `°` sign is left to the parser, which binds it to the number before it (`\\sin 60°` is sin of 60°).
    """
    end = len(tokens)
    index = end
    while index > 0:
        tok = tokens[index - 1]
        if (
            _unit_token(tok)
            or (tok.kind == "op" and tok.text in ("/", "^"))
            or (
                tok.kind == "num"
                and index >= 2
                and tokens[index - 2].kind == "op"
                and tokens[index - 2].text == "^"
            )
        ):
            index -= 1
            continue
        break
    while index < end and not _unit_token(tokens[index]):
        index += 1
    core, tail = tokens[:index], tokens[index:]
    if not tail or not core or any(tok.kind in ("letter", "word", "text", "mathrm", "other") for tok in core):
        return tokens, None, None
    words = " ".join(tok.text.strip() for tok in tail).strip()
    lowered = {word.lower() for word in re.findall(r"[A-Za-z]+", words)}
    mark = "pct" if lowered & PERCENT_WORDS else "deg" if lowered & DEGREE_WORDS else None
    return core, (None if mark else words), mark


# -- labels ------------------------------------------------------------------------------------------
_LABEL_ATOMS = frozenset({"sym", "apply"})


def is_label(node: Node) -> bool:
    """A name an answer can be assigned to: `x`, `a_3`, `f(x)`, `|AB|`, `A:B`, `(p, q)`, `\\angle ABC`."""
    kind = node.kind
    if kind in _LABEL_ATOMS:
        return True
    if kind == "mul":  # `AB`, `\\angle BAD`, `m\\angle Q`
        return all(arg.kind == "sym" or (arg.kind == "mul" and is_label(arg)) for arg in node.args)
    if kind == "func" and node.value == "abs":
        return is_label(node.args[0])
    if kind in ("div", "ratio"):
        return all(is_label(arg) for arg in node.args)
    if kind == "tuple":
        return all(arg.kind == "sym" for arg in node.args)
    return False


def label_of(node: Node) -> str | None:
    """The label of an assignment (`x = 2` -> `x`; `x = 5 + 5 = 10` -> `x`); `` for an unnamed chain."""
    if node.kind != "rel":
        return None
    ops = node.value
    if ops[0] == "in" and len(ops) == 1 and is_label(node.args[0]):
        return render(node.args[0])
    if not all(op == "=" for op in ops):
        return None
    if is_label(node.args[0]):
        return render(node.args[0])
    if _labelled_on_the_right(node):
        return render(node.args[1])
    if len(ops) >= 2 or not any(free_symbols(arg) for arg in node.args):
        return ""
    return None


def label_key(label: str) -> str:
    """Labels compare by name: `f(x)` and `f(n)` name the same function, `a_{3}` is `a_3`."""
    return re.sub(r"\(.*\)$", "()", label.replace("{", "").replace("}", "").replace(" ", ""))


def _labelled_on_the_right(node: Node) -> bool:
    """`7 = n`: a value on the left, a name on the right."""
    left, right = node.args[0], node.args[-1]
    return len(node.args) == 2 and is_label(right) and not free_symbols(left) and not is_label(left)


def assigned_value(node: Node) -> Node:
    """The value of an assignment (`x = 2`, `7 = n`) or of an `=` chain: its last operand, or the left one
    when only the right side is a name."""
    if node.kind != "rel":
        return node
    if node.value == ("=",) and _labelled_on_the_right(node):
        return node.args[0]
    return node.args[-1]


def number_literal(text: str) -> Node | None:
    """A bare number string (`27.0`, `-3`, `.35`) as a number node, or None."""
    match = re.fullmatch(r"\s*([-+]?)(\d*\.?\d+)\s*", text)
    if not match:
        return None
    sign, digits = match.groups()
    whole, _, frac = digits.partition(".")
    value = Fraction(int((whole + frac) or "0"), 10 ** len(frac))
    return num(-value if sign == "-" else value, Fraction(1, 10 ** len(frac)) if "." in digits else None)
