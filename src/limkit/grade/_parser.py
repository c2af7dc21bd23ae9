"""Recursive-descent parser from tokens to the answer AST. Builds data only; never evaluates anything."""

from __future__ import annotations

from fractions import Fraction

from limkit.grade._lexer import Tok, tokenize
from limkit.grade._nodes import LIMITS, ZERO, Limits, Node, OverLimit, ParseError, num
from limkit.grade._parser_commands import parse_command, parse_function, parse_matrix
from limkit.grade._vocabulary import (
    DEGREE_WORDS,
    FUNC_LETTERS,
    PERCENT_WORDS,
    REL_COMMANDS,
    RELATIONS,
    SEPARATOR_WORDS,
    WORD_FUNCTIONS,
)

_MUL_COMMANDS = frozenset({"cdot", "times", "ast", "bullet"})
_NOT_ATOM_COMMANDS = frozenset(
    {
        *REL_COMMANDS,
        *_MUL_COMMANDS,
        "div",
        "pm",
        "mp",
        "cup",
        "cap",
        "setminus",
        "\\",
        "}",
        "rfloor",
        "rceil",
        "rvert",
        "mid",
        "to",
        "rightarrow",
        "approx",
        "quad",
        "qquad",
    }
)


class Parser:
    """Parses one answer element (no top-level commas) from a token list."""

    def __init__(self, tokens: list[Tok], limits: Limits = LIMITS) -> None:
        self.toks = tokens
        self.i = 0
        self.limits = limits
        self.depth = 0
        self.abs_open = 0

    # -- token helpers -------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Tok | None:
        index = self.i + ahead
        return self.toks[index] if index < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of answer")
        self.i += 1
        return tok

    def at_op(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in texts

    def at_cmd(self, *names: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "cmd" and tok.text in names

    def expect_op(self, text: str) -> None:
        if not self.at_op(text):
            raise ParseError(f"expected {text!r}")
        self.i += 1

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise OverLimit(f"nesting deeper than {self.limits.max_depth}")

    # -- grammar -------------------------------------------------------------------------------------
    def element(self) -> Node:
        """relation := ratio (relop ratio)*"""
        self._enter()
        try:
            first = self.ratio()
            operands, ops = [first], []
            while (op := self._relop()) is not None:
                ops.append(op)
                operands.append(self.ratio())
            return first if not ops else Node("rel", tuple(operands), tuple(ops))
        finally:
            self.depth -= 1

    def _relop(self) -> str | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "op" and tok.text in RELATIONS:
            self.i += 1
            return RELATIONS[tok.text]
        if tok.kind == "cmd" and tok.text in REL_COMMANDS:
            self.i += 1
            return REL_COMMANDS[tok.text]
        return None

    def ratio(self) -> Node:
        left = self.union()
        if self.at_op(":"):
            self.i += 1
            return Node("ratio", (left, self.union()))
        return left

    def union(self) -> Node:
        parts = [self.additive()]
        while self.at_cmd("cup"):
            self.i += 1
            parts.append(self.additive())
        if self.at_cmd("cap", "setminus"):
            raise ParseError("set intersection and difference are not supported")
        return parts[0] if len(parts) == 1 else Node("union", tuple(parts))

    def additive(self) -> Node:
        items = [self.term()]
        while True:
            if self.at_op("+"):
                self.i += 1
                items.append(self.term())
            elif self.at_op("-"):
                self.i += 1
                items.append(Node("neg", (self.term(),)))
            elif self.at_cmd("pm", "mp"):
                minus_first = self.take().text == "mp"
                right = self.term()
                left = items[0] if len(items) == 1 else Node("add", tuple(items))
                items = [Node("pm", (left, Node("neg", (right,)) if minus_first else right))]
            else:
                break
        return items[0] if len(items) == 1 else Node("add", tuple(items))

    def term(self) -> Node:
        factors = [self.unary()]
        while True:
            tok = self.peek()
            if tok is None:
                break
            if (tok.kind == "op" and tok.text == "*") or (tok.kind == "cmd" and tok.text in _MUL_COMMANDS):
                self.i += 1
                factors.append(self.unary())
            elif (tok.kind == "op" and tok.text == "/") or (tok.kind == "cmd" and tok.text == "div"):
                self.i += 1
                left = factors[0] if len(factors) == 1 else Node("mul", tuple(factors))
                factors = [Node("div", (left, self.unary()))]
            elif tok.kind == "num" and len(factors) == 1 and (mixed := self._plain_mixed(factors[0])):
                factors = [mixed]
            elif tok.kind == "num" and factors[-1].kind == "num":
                raise ParseError("two numbers side by side")  # `2 3` is neither 6 nor 23
            elif self.starts_atom(tok):
                factors.append(self._implicit_factor(factors))
            else:
                break
        return factors[0] if len(factors) == 1 else Node("mul", tuple(factors))

    def _plain_mixed(self, whole: Node) -> Node | None:
        """`2 3/4` (an integer, a space, a proper fraction of integers) is the mixed number 11/4."""
        inner = whole.args[0] if whole.kind == "neg" else whole
        if not (inner.kind == "num" and inner.meta is None and inner.value.denominator == 1):
            return None
        top, slash, bottom, after = (self.peek(ahead) for ahead in range(4))
        if not (top and top.sp and top.text.isdigit() and slash and slash.text == "/" and bottom):
            return None
        if bottom.kind != "num" or not bottom.text.isdigit() or not 0 < int(top.text) < int(bottom.text):
            return None
        if after is not None and after.kind == "op" and after.text in ("^", "_", "!", "/", "."):
            return None
        self.i += 3
        mixed = Node("add", (inner, Node("div", (num(int(top.text)), num(int(bottom.text))))), None, "mixed")
        return Node("neg", (mixed,)) if whole.kind == "neg" else mixed

    def _implicit_factor(self, factors: list[Node]) -> Node:
        """Juxtaposition; `1\\frac{4}{5}` (integer then a fraction of integers) is a mixed number."""
        factor = self.power()
        previous = factors[-1]
        if (
            factor.kind == "div"
            and factor.meta == "frac"
            and all(
                arg.kind == "num" and arg.meta is None and arg.value.denominator == 1 for arg in factor.args
            )
            and previous.kind == "num"
            and previous.meta is None
            and previous.value.denominator == 1
            and len(factors) == 1
        ):
            factors.pop()
            return Node("add", (previous, factor), None, "mixed")
        return factor

    def unary(self) -> Node:
        if self.at_op("-"):
            self.i += 1
            return Node("neg", (self.unary(),))
        if self.at_op("+"):
            self.i += 1
            return self.unary()
        if self.at_cmd("pm", "mp"):
            self.i += 1
            return Node("pm", (ZERO, self.unary()))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^"):
            self.i += 1
            exponent = self.exponent()
            if exponent.kind == "sym" and exponent.value == "prime":
                return self._postfix_ops(_primed(base))
            return self._postfix_ops(Node("pow", (base, exponent)))
        return base

    def exponent(self) -> Node:
        if self.at_op("-"):
            self.i += 1
            return Node("neg", (self.exponent(),))
        if self.at_op("+"):
            self.i += 1
        if self.at_op("{"):
            return self.atom()
        return self.postfix()

    def postfix(self) -> Node:
        return self._postfix_ops(self.atom())

    def _postfix_ops(self, node: Node) -> Node:
        while (tok := self.peek()) is not None:
            if tok.kind == "op" and tok.text == "!":
                node = Node("func", (node,), "factorial")
            elif tok.kind == "op" and tok.text == "%":
                node = Node("pct", (node,))
            elif tok.kind == "op" and tok.text == "°":
                node = Node("deg", (node,))
            elif tok.kind == "word" and tok.text.lower() in PERCENT_WORDS:
                node = Node("pct", (node,))
            elif tok.kind == "op" and tok.text == "'":
                node = _primed(node)
            elif tok.kind == "op" and tok.text == "_":
                self.i += 1
                node = self._subscripted(node)
                continue
            else:
                break
            self.i += 1
        return node

    def _subscripted(self, node: Node) -> Node:
        label = self.subscript_text()
        if node.kind == "num" and node.meta is None and node.value.denominator == 1 and label.isdigit():
            return _base_number(node, int(label))
        if node.kind in ("sym", "const", "letter"):
            return Node("sym", (), f"{node.value}_{label}")
        raise ParseError("a subscript on something that is not a name or a number")

    def subscript_text(self) -> str:
        """The text of a subscript: `_{n-k-1}` gives `n-k-1`, `_1` gives `1`, `_{\\text{red}}` gives `red`."""
        tok = self.take()
        if tok.kind == "op" and tok.text == "{":
            parts, depth = [], 1
            while True:
                inner = self.take()
                if inner.kind == "op" and inner.text == "{":
                    depth += 1
                elif inner.kind == "op" and inner.text == "}":
                    depth -= 1
                    if depth == 0:
                        break
                parts.append(inner.text)
            return "".join(parts)
        if tok.kind == "num" and len(tok.text) > 1 and tok.text.isdigit():
            self.toks.insert(self.i, Tok("num", tok.text[1:]))
            return tok.text[0]
        return tok.text

    def split_number(self) -> None:
        """Splits a multi-digit number token so a macro argument takes one digit (`\\frac94`)."""
        tok = self.peek()
        if tok is not None and tok.kind == "num" and len(tok.text) > 1 and tok.text.isdigit():
            self.toks[self.i : self.i + 1] = [Tok("num", tok.text[0], tok.sp), Tok("num", tok.text[1:])]

    # -- atoms ---------------------------------------------------------------------------------------
    def starts_atom(self, tok: Tok) -> bool:
        """Whether `tok` can begin an implicitly multiplied factor."""
        if tok.kind in ("num", "letter", "opname", "begin", "mathrm"):
            return True
        if tok.kind == "word":
            lowered = tok.text.lower()
            return lowered not in SEPARATOR_WORDS | PERCENT_WORDS | DEGREE_WORDS
        if tok.kind == "cmd":
            return tok.text not in _NOT_ATOM_COMMANDS
        if tok.kind == "op":
            return tok.text in ("(", "{", "[") or (tok.text == "|" and self.abs_open == 0)
        return False

    def atom(self) -> Node:
        self._enter()
        try:
            tok = self.take()
            handler = _ATOM_HANDLERS.get(tok.kind)
            if handler is None:
                raise ParseError(f"unexpected {tok.text!r}")
            return handler(self, tok)
        finally:
            self.depth -= 1

    def number(self, tok: Tok) -> Node:
        return parse_number(tok.text, self.limits)

    def letter(self, tok: Tok) -> Node:
        name, nxt = tok.text, self.peek()
        if name in FUNC_LETTERS and nxt is not None and nxt.kind == "op" and not nxt.sp:
            if nxt.text == "(":
                return self.application(name)
            if nxt.text == "'" and self._peek_op(1, "("):
                self.i += 1
                return self.application(name + "'")
        if name in ("e", "i") and not self.at_op("_"):
            return Node("const", (), name)
        return Node("sym", (), name)

    def _peek_op(self, ahead: int, text: str) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind == "op" and tok.text == text

    def application(self, name: str) -> Node:
        self.expect_op("(")
        args = [self.element()]
        while self.at_op(","):
            self.i += 1
            args.append(self.element())
        self.expect_op(")")
        return Node("apply", tuple(args), name)

    def word(self, tok: Tok) -> Node:
        lowered = tok.text.lower()
        if lowered in WORD_FUNCTIONS:
            return self.function(lowered)
        if lowered == "pi":
            return Node("const", (), "pi")
        if lowered in ("inf", "infty", "infinity", "oo"):
            return Node("const", (), "inf")
        if lowered in SEPARATOR_WORDS | PERCENT_WORDS | DEGREE_WORDS:
            raise ParseError(f"unexpected word {tok.text!r}")
        letters = [Node("sym", (), char) for char in tok.text]
        return Node("mul", tuple(letters))

    def text(self, tok: Tok) -> Node:
        return text_node(tok.text, self.limits)

    def mathrm(self, tok: Tok) -> Node:
        inner = tokenize(tok.text, self.limits)
        if len(inner) == 1 and inner[0].kind in ("letter", "word"):
            name = inner[0].text
            if name in ("e", "i"):
                return Node("const", (), name)
            return Node("sym", (), name)
        sub = Parser(inner, self.limits)
        node = sub.element()
        if not sub.done():
            raise ParseError("unreadable \\mathrm content")
        return node

    def opname(self, tok: Tok) -> Node:
        name = tok.text.strip()
        if name in WORD_FUNCTIONS:
            return self.function(name)
        if self.at_op("("):
            return self.application(name)
        return Node("sym", (), name)

    def op(self, tok: Tok) -> Node:
        if tok.text == "(":
            return self.bracketed("(")
        if tok.text == "[":
            return self.bracketed("[")
        if tok.text == "{":
            return self.brace_group()
        if tok.text == "|":
            return self.absolute("op", "|")
        raise ParseError(f"unexpected {tok.text!r}")

    def begin(self, tok: Tok) -> Node:
        return parse_matrix(self, tok.text)

    def command(self, tok: Tok) -> Node:
        return parse_command(self, tok.text)

    def function(self, name: str) -> Node:
        return parse_function(self, name)

    # -- groups --------------------------------------------------------------------------------------
    def elements_until(
        self, closers: tuple[str, ...], cmd_closer: str | None = None
    ) -> tuple[list[Node], str]:
        """Comma/semicolon separated elements up to one of `closers` (ops) or the command `cmd_closer`."""
        elements: list[Node] = []
        while True:
            if cmd_closer is not None and self.at_cmd(cmd_closer) and not elements:
                self.i += 1
                return elements, cmd_closer
            elements.append(self.element())
            if len(elements) > self.limits.max_elements * 4:
                raise OverLimit("too many elements in a bracket")
            if self.at_op(",", ";"):
                self.i += 1
                continue
            tok = self.take()
            if tok.kind == "op" and tok.text in closers:
                return elements, tok.text
            if cmd_closer is not None and tok.kind == "cmd" and tok.text == cmd_closer:
                return elements, cmd_closer
            raise ParseError(f"unexpected {tok.text!r} inside brackets")

    def bracketed(self, opener: str) -> Node:
        elements, closer = self.elements_until((")", "]"))
        if len(elements) == 1:
            if (opener, closer) in (("(", ")"), ("[", "]")):
                return elements[0]
            raise ParseError("mismatched brackets around one element")
        if len(elements) == 2 and (opener, closer) != ("(", ")"):
            return Node("interval", tuple(elements), (opener == "[", closer == "]"))
        if (opener, closer) == ("(", ")"):
            return Node("tuple", tuple(elements), None, "paren2" if len(elements) == 2 else None)
        if opener == "[" and closer == "]":
            return Node("tuple", tuple(elements))
        raise ParseError("mismatched brackets")

    def brace_group(self) -> Node:
        elements, _ = self.elements_until(("}",))
        return elements[0] if len(elements) == 1 else Node("list", tuple(elements))

    def absolute(self, kind: str, closer: str) -> Node:
        self.abs_open += 1
        try:
            inner = self.element()
        finally:
            self.abs_open -= 1
        tok = self.take()
        if tok.kind not in ("op", "cmd") or tok.text != closer:
            raise ParseError("unclosed absolute value")
        return Node("func", (inner,), "abs")


_ATOM_HANDLERS = {
    "num": Parser.number,
    "letter": Parser.letter,
    "word": Parser.word,
    "text": Parser.text,
    "mathrm": Parser.mathrm,
    "opname": Parser.opname,
    "op": Parser.op,
    "begin": Parser.begin,
    "cmd": Parser.command,
}


def _primed(node: Node) -> Node:
    if node.kind == "sym":
        return Node("sym", (), f"{node.value}'")
    if node.kind == "apply":
        return Node("apply", node.args, f"{node.value}'")
    raise ParseError("a prime on something that is not a name")


def _base_number(node: Node, base: int) -> Node:
    digits = str(node.value.numerator)
    if not 2 <= base <= 36:
        raise ParseError(f"base {base} out of range")
    if base <= 10 and any(int(char) >= base for char in digits):
        if base == 10:
            return node
        raise ParseError(f"{digits} is not a base-{base} numeral")
    return Node("basenum", (), (digits.lstrip("0") or "0", base))


def parse_number(text: str, limits: Limits = LIMITS) -> Node:
    """A number literal: `27`, `.4`, `1000.0`, `4.4e7`; decimal literals remember their last place."""
    mantissa, _, exponent_text = text.lower().partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    if abs(exponent) > limits.max_literal_digits:
        raise OverLimit(f"exponent {exponent} in a number literal")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac) or "0"
    value = Fraction(int(digits), 10 ** len(frac)) * Fraction(10) ** exponent
    if not frac and not exponent_text:
        return num(value)
    return num(value, Fraction(10) ** (exponent - len(frac)))


def text_node(content: str, limits: Limits = LIMITS) -> Node:
    r"""`\text{...}`: a number or letter inside is read as such (`\text{13}`, `\text{(C)}`), else text."""
    stripped = content.strip()
    bare = stripped.strip("() ")
    if len(bare) == 1 and bare.isalpha() and bare.isupper():
        return Node("letter", (), bare)
    try:
        inner = tokenize(stripped, limits)
    except ParseError:
        inner = []
    if inner and all(tok.kind in ("num", "op") for tok in inner) and any(tok.kind == "num" for tok in inner):
        sub = Parser(inner, limits)
        try:
            node = sub.element()
            if sub.done():
                return node
        except ParseError:
            pass
    return Node("text", (), stripped)
