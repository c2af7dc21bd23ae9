"""The OlympicArena compat judge against a golden table of the upstream judger's behaviours (fact sheet
B.3, confirmed there by running the pinned upstream code), next to limkit's own grader where it differs
on purpose."""

from __future__ import annotations

import pytest

from limkit.grade import grade, olympicarena_compat
from limkit.grade._olympic_compat import compat_extract, split_top_commas

# (model output, gold answer list, type_sequence, upstream verdict, limkit type, limkit verdict or None)
GOLDEN = [
    # The MC path takes the first capital letter: upstream accepts, limkit's typed SC judge does not.
    (r"\boxed{Because}", ["B"], None, True, "SC", False),
    # MPV in swapped order: MPV fails, the MA fallback ignores order; limkit's ordered answers are strict.
    (r"\boxed{2, 1}", ["1", "2"], ["NV", "NV"], True, "MPV", False),
    (r"\boxed{1, 2}", ["1", "2"], ["NV", "NV"], True, "MPV", True),
    # EX with symbols passes only when written the same way (upstream's simplify check never passes).
    (r"\boxed{x^2+2x+1}", ["(x+1)^2"], None, False, "EX", True),
    (r"\boxed{2x+x}", ["3x"], None, False, "EX", True),
    (r"\boxed{x\cdot2}", ["2x"], None, False, "EX", True),
    (r"\boxed{x^{2}+1}", ["x^2+1"], None, True, "EX", True),
    # parse_latex reads \pi as a symbol.
    (r"\boxed{3.141592}", [r"\pi"], None, False, "NV", True),
    (r"\boxed{6.283185}", [r"2\pi"], None, False, None, None),
    # Absolute tolerance 1.01e-5.
    (r"\boxed{101}", ["100"], None, False, "NV", False),
    (r"\boxed{0.000012}", ["0.00001"], None, True, None, None),
    # Normalisation leaves "50\" behind; units are not stripped; TF is case-sensitive.
    (r"\boxed{50\%}", ["50"], None, False, "NV", True),
    (r"\boxed{5 m/s}", ["5"], None, False, None, None),
    (r"\boxed{true}", ["True"], None, False, "TF", True),
    (r"\boxed{True}", ["True"], None, True, None, None),
    # Scientific notation: equal exponents, mantissas within 0.101.
    (r"\boxed{3.05\times10^{8}}", [r"3.0\times10^{8}"], None, True, None, None),
    (r"\boxed{305000000}", [r"3.0\times10^{8}"], None, True, None, None),
    (r"\boxed{\frac{1}{2}}", ["0.5"], None, True, None, None),
    (r"\boxed{1,000}", ["1000"], None, True, None, None),
    # EQ up to an integer multiple, sign included.
    (r"\boxed{2x+2y=2}", ["x+y=1"], None, True, None, None),
    (r"\boxed{-x-y=-1}", ["x+y=1"], None, True, None, None),
    # IN: bracket types must match; SET order-free; TUP ordered.
    (r"\boxed{[0,1)}", ["[0,1]"], None, False, None, None),
    (r"\boxed{[0,1]}", ["[0,1]"], None, True, None, None),
    (r"\boxed{2, 1}", ["1", "2"], None, True, None, None),
    (r"\boxed{(2,1)}", ["(1,2)"], None, False, None, None),
    (r"\boxed{(1,2)}", ["(1,2)"], None, True, None, None),
    # Only the first box counts (limkit: the last box wins).
    (r"\boxed{3} and then \boxed{4}", ["4"], None, False, "NV", True),
    # No box: the whole output is judged as the answer (EX keeps what follows the first "=").
    ("5", ["5"], None, True, None, None),
    ("x = 5", ["5"], None, True, None, None),
    ("The answer is 5", ["5"], None, False, "NV", True),
    (r"\boxed{A, C}", ["A", "C"], None, True, None, None),
    (r"\boxed{C: 12 apples}", ["C"], None, True, None, None),
]


@pytest.mark.parametrize(("output", "gold", "types", "upstream", "kind", "ours"), GOLDEN)
def test_compat_judge_reproduces_the_upstream_table(
    output: str, gold: list[str], types: list[str] | None, upstream: bool, kind: str | None, ours: bool | None
) -> None:
    assert olympicarena_compat(output, gold, types) is upstream
    if kind is not None:
        assert grade(output, ", ".join(gold), kind).correct is ours


def test_box_extraction_is_first_box_brace_matched_with_whole_text_fallback() -> None:
    assert compat_extract(r"so \boxed{\frac{1}{2}} or \boxed{3}") == r"\frac{1}{2}"
    assert compat_extract(r"empty \boxed{} here") == r"empty \boxed{} here"
    assert compat_extract(r"open \boxed{1") == r"open \boxed{1"
    assert split_top_commas("f(x, y), [1, 2], 3") == ["f(x, y)", "[1, 2]", "3"]
