r"""One safe, bounded answer grader for evaluation, curation and RL rewards.

`grade(prediction, gold)` extracts the answer from a model output, reads both answers with a small
parser of its own (model text is data: no `eval`, `sympify` or `parse_expr` ever runs on it), checks
safety limits on the parse tree, and compares by the type the gold implies. Pairs that exact rational
arithmetic cannot settle go to worker processes with a hard wall-clock budget (a pair over budget
kills its worker, which is replaced). Every call returns a `Verdict` with its provenance.

Extraction
    The last `\boxed{}`/`\fbox{}` wins; an empty box is no answer. Boxes are joined into one
    multi-part answer only when the gold has several parts (a list, an assignment group, a set, a tuple,
    a `\pm`, or an explicit multi-part `answer_type`) and only connectors (`, `, `and`, `\quad \text{and}
    \quad`, `y_2 =`, one short word) separate them; otherwise the last box wins however many boxes come
    before it and whatever narration (`and then`) sits between them, except that boxes offered as
    alternatives (`\boxed{3} or \boxed{4}`) stay together as the hedge they are. An answer cue (`final
    answer is`, `Answer:`, `réponse est`, `答案是`, ...) that states a math answer *after* the last box
    overrides it (the boxes were intermediate results); then the last cue (markdown bold around its
    answer is dropped: `Final Answer: **12**`); then the last `**bold**` number; then a bare answer as
    a whole; then, as a fallback, the last math span, matrix environment or number of the text's last
    sentence (closing remarks such as `I hope it is correct.` and short sign-offs are skipped), never a
    step or item label (`Step 28:`, `2. ` at a line start) and never a number from the middle of the
    text. `require_box=True` (what rewards use) accepts boxes only. Multiple-choice golds extract a
    letter (box, cue, leading letter, bold, last lone letter). Every verdict records where its answer
    came from (`source`: box, cue, bold, whole, fallback, none).

POLICIES (decided here, tested in tests/grade, one test group per policy)
    * Integers and rationals compare exactly; there is no float tolerance for exact values and no
      small difference is ever chopped to zero (`1/2^99 != 1/2^98`).
    * Decimals: a gold decimal is a measurement and accepts predictions within half a unit of its last
      place (`27.39` accepts `27.394`, not `27.4`), or, when it is a float printed in full (15 or more
      digits, `0.7071067811865476`), within that float's own error (`\frac{\sqrt2}{2}`); a gold in
      scientific notation (`1.2e-5`, `4.5 \times 10^{-4}`) is a decimal by the digits of its mantissa
      (`4.5 \times 10^{-4}` accepts `0.00045`, `\frac{9}{20000}` and `0.000452`, not `0.00046`), as is a
      decimal percentage (`33.3\%` is the decimal 0.333); a gold written as an integer with `.0`
      (`27.0`, AMC style) or an integer mantissa (`3 \times 10^5`) is exact. A decimal may answer an
      exact gold it cannot write out (an irrational, or a rational whose expansion does not end within
      the digits given) only with at least 6 significant digits, rounded or truncated (off by less than
      one unit of its last place), or as a float's full printed form: `3.14159` and `62.8318` (for
      `20\pi`) and `1.7320508075688772` (for `\sqrt3`) yes; `3.14`, `0.33`, `7.14`, `6366.2` (for
      `\frac{20000}{\pi}`) no. A decimal never matches an exact integer gold unless equal; `0.5` and
      `\frac12` are equal.
    * Percentages: when exactly one side carries `%` (or `percent`), that side may be read as the
      bare number or as number/100: gold `25\%` accepts `25`, `25\%`, `0.25`; gold `0.25`
      accepts `25\%`. Without a `%` on either side nothing is rescaled (gold `1` never accepts `100`).
      Degrees work the same way (`90^\circ` accepts `90` and `\frac{\pi}{2}`); a degree sign binds to
      the number before it (`\sin 60^\circ` is the sine of 60 degrees).
    * Units: a unit on one side only is ignored (`125 \text{ miles}` equals `125`). When both sides
      name units the grader knows (metric and imperial lengths, areas and volumes, time, mass,
      money: see `_units`) and they are different units, the answers differ (`5.4 \text{ cents}` is not
      `5.4 \text{ dollars}`, `\text{inches}^2` is not `\text{feet}^2`); there is no conversion, and a
      unit word the table does not know is ignored as before.
    * Assignments: an assignment to a name is its value, in either orientation (`x = 2` and `7 = n`
      answer `2` and `7`). Names are `x`, `a_3`, `f(x)`, `|AB|`, `A:B`, `(p, q)`, segment and angle
      names with or without degrees (`AB`, `\angle BAD = 35^\circ`, `m\angle Q = 35`). An `=` chain
      (`x = 5 + 5 = 10`, `35 + 70 = 105`) is its last value; an equation whose sides are not a name and a
      value (`a + 3z = 0`) is not a value. Equations compare up to scale and side (`2x+4y-3=0` equals
      `y = -x/2 + 3/4`); inequalities up to a positive factor and orientation (`x \ge 5` equals
      `5 \le x`), or as the real sets they describe (`-2 \le x \le 7` equals `x \in [-2, 7]`, both
      ways). Names must match (`f(x)` is not `f(y)`), except the argument name of a function label
      (`W(n) = 1` equals `W(x) = 1`) and a function label against a dependent-variable name that occurs
      on neither right-hand side: `g(t) = t^2 - 1` equals `y = t^2 - 1` (the same function, named two
      ways), while `x = 2x` is never `f(x) = 2x`.
    * Multiple answers (`1331 and 1728`, `1, -2`, `\pm`, OlympiadBench lists): every gold element must
      be matched and no extra element may be given; order does not matter. Duplicates are ignored, so
      several forms of one value (`15\frac{39}{40}, \frac{639}{40}`) answer a single gold, while a list
      of guesses (`1, 2, 3`, `\pm 5`, `A, B, C, D`, `A or B`) earns nothing. A gold of several choice
      letters (`BD`, `B, D`) is answered by the same letters in any list form (`\boxed{[B, D]}`,
      `B and D`), never by a hedge with `or`.
    * Lists are not decimals: a gold `-2,1` or `3,5` (a comma before a single digit) is a list, and a
      prediction written with a decimal point (`-2.1`, `3.5`) never answers it. A comma before two or
      more digits in a gold (`1,22`) or in any prediction stays ambiguous: the list or the decimal
      (`1.22`). The thousands pattern `1,234,567` is one number. Two numbers side by side (`2 3`) are no
      answer: neither 6 nor 23 (`1 000` is a thousands separator).
    * Sets (`\{...\}`) are unordered; tuples `(a, b, c)` are ordered; `(a, b)` may be a point or an
      open interval; intervals compare bracket types exactly (`[0,1)` is not `(0,1)`); unions compare
      as sets of components; `\mathbb{R}` is `(-\infty, \infty)`; a column or row vector equals the
      tuple of its entries and the bracket list of its entries (`[3, 4]`). Matrices compare entrywise
      with the scalar policies, and a bare `\begin{pmatrix}...\end{pmatrix}` in an output is
      extracted whole.
    * Systems of equations (`\begin{cases} x = 1 \\ y = 2 \end{cases}`) are the list of their rows
      (an assignment group when every row assigns a name); piecewise definitions stay unread.
    * Clock times: `7:15 AM`, `7:15 p.m.` and `19:15:00` are times of day; `7:15 PM` equals `19:15`,
      `19:15:00` equals `19:15`, and an hour from 1 to 12 written without AM/PM may be either (`7:15`
      accepts `7:15 AM` and `7:15 PM`, not `7:16`). A bare `H:MM` against another bare `H:MM` stays a
      ratio comparison (`2:4` equals `1:2`), except that a gold hour from 13 to 23 (`14:30`) can only
      be a 24-hour time, so `2:30` answers it too.
    * Expressions: rational functions are compared exactly at random rational points of both signs
      (comparator `sampling_exact`); anything with radicals, pi, e, trig or logs is evaluated at 50
      digits at random positive points and must also agree wherever both sides are real at negative
      points (`|x|` is not `x`, `2\ln x` equals `\ln x^2`), then sympy `simplify` is asked to prove
      it (comparator `symbolic`); a difference sympy shows to be nonzero rejects the pair however small
      it is (`\pi + 10^{-40}` is not `\pi`); without either proof the numeric agreement stands
      (comparator `numeric`), except for values below 1e-30, which need the proof.
    * `\text{(C)}`-style golds (MATH-500) are choice letters: the prediction must give the letter.
    * Base-n numerals (`204_5`) compare digits and base; the base subscript may be omitted.
    * Mixed numbers: `1\frac{4}{5}` (an integer then a fraction of integers) and the plain-text
      `2 3/4` (an integer, a space, a proper fraction) are 9/5 and 11/4.
    * Free text compares case-insensitively without punctuation; `answer_type="free_form"` (OT) is
      meant for `LLMJudge`.
    * An unreadable gold gives status `unparseable_gold`, never `incorrect`.

Answer types
    See `ANSWER_TYPES`: canonical names plus OlympicArena codes (SC, MC, TF, NV, SET, IN, EX, EQ, TUP,
    MPV, MA, OT) and OlympiadBench names. Without one, the type is inferred from the gold.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from limkit.grade._extract import extract_answer
    from limkit.grade._grader import Grader, default_grader, grade
    from limkit.grade._judge import LLMJudge, parse_judge_verdict
    from limkit.grade._nodes import LIMITS, Limits
    from limkit.grade._olympic_compat import olympicarena_compat
    from limkit.grade._reward import accuracy_reward, completion_text, make_accuracy_reward
    from limkit.grade._types import ANSWER_TYPES, canonical_type
    from limkit.grade._verdict import STATUSES, GradeItem, Verdict

#: Public name -> private module that defines it. Modules load on first use, so `import limkit.grade`
#: stays cheap for `limkit --help`.
_EXPORTS = {
    "ANSWER_TYPES": "_types",
    "LIMITS": "_nodes",
    "STATUSES": "_verdict",
    "GradeItem": "_verdict",
    "Grader": "_grader",
    "LLMJudge": "_judge",
    "Limits": "_nodes",
    "Verdict": "_verdict",
    "accuracy_reward": "_reward",
    "canonical_type": "_types",
    "completion_text": "_reward",
    "default_grader": "_grader",
    "extract_answer": "_extract",
    "grade": "_grader",
    "make_accuracy_reward": "_reward",
    "olympicarena_compat": "_olympic_compat",
    "parse_judge_verdict": "_judge",
}

__all__ = [
    "ANSWER_TYPES",
    "LIMITS",
    "STATUSES",
    "GradeItem",
    "Grader",
    "LLMJudge",
    "Limits",
    "Verdict",
    "accuracy_reward",
    "canonical_type",
    "completion_text",
    "default_grader",
    "extract_answer",
    "grade",
    "make_accuracy_reward",
    "olympicarena_compat",
    "parse_judge_verdict",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'limkit.grade' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"limkit.grade.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
