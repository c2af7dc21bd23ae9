"""The words and commands of the answer language: function names, Greek letters, accents, relations.

Plain tables shared by the parser and its command handlers (the lowest parser module: it imports nothing).
"""

from __future__ import annotations

TRIG = ("sin", "cos", "tan", "cot", "sec", "csc")
FUNCTIONS = frozenset(
    {
        *TRIG,
        *(f"arc{name}" for name in TRIG),
        *(f"{name}h" for name in TRIG),
        "arsinh",
        "arcosh",
        "artanh",
        "ln",
        "log",
        "lg",
        "exp",
        "sgn",
        "max",
        "min",
        "gcd",
        "lcm",
        "det",
        "arg",
        "Re",
        "Im",
    }
)
WORD_FUNCTIONS = FUNCTIONS | {"sqrt", "abs"}
#: Letters read as function names when a parenthesis follows directly: f(x), g(n), P(x), W(n), I(0), u(t).
FUNC_LETTERS = frozenset("fghpqFGHPQWNIu")
GREEK = frozenset(
    {
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "rho",
        "varrho",
        "sigma",
        "varsigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Pi",
        "Sigma",
        "Upsilon",
        "Phi",
        "Psi",
        "Omega",
        "hbar",
        "ell",
        "odot",
        "nabla",
        "partial",
        "mho",
        "aleph",
        "Re",
        "Im",
    }
)
ACCENTS = frozenset(
    {
        "mathbf",
        "vec",
        "hat",
        "bar",
        "overline",
        "overrightarrow",
        "overleftrightarrow",
        "dot",
        "ddot",
        "tilde",
        "widehat",
        "widetilde",
        "boldsymbol",
        "mathcal",
        "mathbb",
        "bm",
        "underline",
        "check",
        "breve",
        "acute",
        "grave",
        "mathfrak",
        "mathscr",
    }
)
RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!="}
REL_COMMANDS = {
    "le": "<=",
    "leq": "<=",
    "leqslant": "<=",
    "leqq": "<=",
    "ge": ">=",
    "geq": ">=",
    "geqslant": ">=",
    "geqq": ">=",
    "ne": "!=",
    "neq": "!=",
    "lt": "<",
    "gt": ">",
    "in": "in",
    "equiv": "=",
    "eq": "=",
}
PERCENT_WORDS = frozenset({"percent", "pct", "percentage", "percents"})
DEGREE_WORDS = frozenset({"degree", "degrees", "deg"})
SEPARATOR_WORDS = frozenset({"and", "or"})
