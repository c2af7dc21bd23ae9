"""LaTeX commands, functions and environments for the parser (split out to keep modules small)."""

from __future__ import annotations

from typing import Protocol

from limkit.grade._lexer import Tok
from limkit.grade._nodes import INF, Node, ParseError, free_symbols, render
from limkit.grade._vocabulary import ACCENTS, FUNCTIONS, GREEK, WORD_FUNCTIONS


class Parser(Protocol):
    """What the command handlers need of the recursive-descent parser (which imports this module)."""

    i: int

    def peek(self, ahead: int = 0) -> Tok | None: ...

    def at_op(self, *texts: str) -> bool: ...

    def at_cmd(self, *names: str) -> bool: ...

    def expect_op(self, text: str) -> None: ...

    def split_number(self) -> None: ...

    def starts_atom(self, tok: Tok) -> bool: ...

    def element(self) -> Node: ...

    def atom(self) -> Node: ...

    def power(self) -> Node: ...

    def exponent(self) -> Node: ...

    def brace_group(self) -> Node: ...

    def absolute(self, kind: str, closer: str) -> Node: ...

    def elements_until(
        self, closers: tuple[str, ...], cmd_closer: str | None = None
    ) -> tuple[list[Node], str]: ...


_INVERSE = {
    "sin": "arcsin",
    "cos": "arccos",
    "tan": "arctan",
    "cot": "arccot",
    "sec": "arcsec",
    "csc": "arccsc",
}
_ALIASES = {"lg": "log10", "arctg": "arctan", "tg": "tan", "ctg": "cot", "sgn": "sign"}
_CONSTANTS = {"pi": "pi", "infty": "inf", "infinity": "inf", "imath": "i", "varpi": "pi"}
_BOLD_FONTS = frozenset({"mathbf", "boldsymbol", "bm", "mathbb"})
#: `\mathbb{R}`: the whole real line, as the interval it equals.
REAL_LINE = Node("interval", (Node("neg", (INF,)), INF), (False, False))
_MATRIX_ENVS = frozenset(
    {"pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array"}
)


def macro_arg(parser: Parser) -> Node:
    r"""One macro argument: a braced group, or a single digit, letter or command (`\frac94`, `\sqrt3`)."""
    parser.split_number()
    tok = parser.peek()
    if tok is None:
        raise ParseError("missing argument")
    if tok.kind == "op" and tok.text == "{":
        parser.i += 1
        return parser.brace_group()
    if tok.kind in ("num", "letter", "cmd", "text", "mathrm"):
        return parser.atom()
    raise ParseError(f"unexpected {tok.text!r} as an argument")


def parse_command(parser: Parser, name: str) -> Node:
    """A backslash command that starts an atom."""
    if name == "frac":
        top = macro_arg(parser)
        return Node("div", (top, macro_arg(parser)), None, "frac")
    if name == "sqrt":
        return _sqrt(parser)
    if name in ("binom", "choose"):
        top = macro_arg(parser)
        return Node("func", (top, macro_arg(parser)), "binom")
    if name in FUNCTIONS or name in _ALIASES:
        return parse_function(parser, name)
    if name in _CONSTANTS:
        return Node("const", (), _CONSTANTS[name])
    if name in ("emptyset", "varnothing"):
        return Node("empty")
    if name in ("boxed", "fbox", "mathring"):
        return macro_arg(parser)
    if name == "{":
        elements, _ = parser.elements_until((), "}")
        return Node("set", tuple(elements)) if elements else Node("empty")
    return _command_tail(parser, name)


def _command_tail(parser: Parser, name: str) -> Node:
    if name in ("lfloor", "lceil"):
        closer = "rfloor" if name == "lfloor" else "rceil"
        inner = parser.element()
        if not parser.at_cmd(closer):
            raise ParseError(f"missing \\{closer}")
        parser.i += 1
        return Node("func", (inner,), "floor" if name == "lfloor" else "ceil")
    if name in ("lvert", "vert", "|", "lVert", "Vert"):
        return parser.absolute("cmd", {"lvert": "rvert", "lVert": "rVert"}.get(name, name))
    if name == "Gamma" and parser.at_op("("):
        return parse_function(parser, "gamma")
    if name in ACCENTS:
        inner = macro_arg(parser)
        if name == "mathbb" and inner == Node("sym", (), "R"):
            return REAL_LINE
        if name in _BOLD_FONTS and not free_symbols(inner):
            return inner
        return Node("sym", (), f"{name}({render(inner)})")
    if name in ("dots", "ldots", "cdots", "dotsb", "dotsc", "vdots"):
        return Node("sym", (), "...")
    if name in ("angle", "measuredangle", "triangle", "prime", "circ", "odot", "degree") or name in GREEK:
        return Node("sym", (), name)
    if len(name) == 1 and not name.isalpha():
        raise ParseError(f"unexpected \\{name}")
    if name in ("to", "rightarrow", "mid", "cap", "setminus", "\\"):
        raise ParseError(f"unexpected \\{name}")
    return Node("sym", (), f"\\{name}")


def _sqrt(parser: Parser) -> Node:
    if parser.at_op("["):
        parser.i += 1
        index = parser.element()
        parser.expect_op("]")
        return Node("func", (macro_arg(parser), index), "root")
    return Node("func", (macro_arg(parser),), "sqrt")


def parse_function(parser: Parser, name: str) -> Node:
    r"""`\sin^2 x`, `\log_{2} n`, `\sin^{-1}(x)`, `\ln(x)`, `\exp{x}`: a function with its argument."""
    name = _ALIASES.get(name, name)
    power: Node | None = None
    base: Node | None = None
    for _ in range(2):
        if parser.at_op("^"):
            parser.i += 1
            power = parser.exponent()
        elif parser.at_op("_") and name == "log":
            parser.i += 1
            base = macro_arg(parser)
    if power is not None and render(power) == "-1" and name in _INVERSE:
        name, power = _INVERSE[name], None
    args = _function_args(parser, name)
    node = Node("func", (*args, base), "log_base") if base is not None else Node("func", tuple(args), name)
    return Node("pow", (node, power)) if power is not None else node


def _function_args(parser: Parser, name: str) -> list[Node]:
    if parser.at_op("("):
        parser.i += 1
        elements, _ = parser.elements_until((")",))
        return elements
    if parser.at_op("{"):
        parser.i += 1
        elements, _ = parser.elements_until(("}",))
        return elements
    factors = [parser.power()]
    while (tok := parser.peek()) is not None and parser.starts_atom(tok) and not _starts_function(tok):
        factors.append(parser.power())
    return [factors[0] if len(factors) == 1 else Node("mul", tuple(factors))]


def _starts_function(tok: object) -> bool:
    kind, text = getattr(tok, "kind", ""), getattr(tok, "text", "")
    if kind == "cmd":
        return text in FUNCTIONS or text in ("sqrt", "frac", "log", "ln", "exp")
    return kind == "word" and text.lower() in WORD_FUNCTIONS


def parse_matrix(parser: Parser, env: str) -> Node:
    r"""`\begin{pmatrix} a & b \\ c & d \end{pmatrix}` (and bmatrix, array, ...) as a matrix node."""
    if env not in _MATRIX_ENVS:
        raise ParseError(f"environment {env!r} is not supported")
    rows: list[Node] = []
    cells: list[Node] = []
    while True:
        tok = parser.peek()
        if tok is None:
            raise ParseError(f"unclosed {env}")
        if tok.kind == "end":
            parser.i += 1
            break
        if tok.kind == "cmd" and tok.text == "\\":
            parser.i += 1
            rows.append(Node("row", tuple(cells)))
            cells = []
            continue
        if tok.kind == "op" and tok.text == "&":
            parser.i += 1
            continue
        cells.append(parser.element())
    if cells:
        rows.append(Node("row", tuple(cells)))
    rows = [row for row in rows if row.args]
    if not rows or len({len(row.args) for row in rows}) != 1:
        raise ParseError("a matrix needs rows of equal length")
    return Node("matrix", tuple(rows))
