"""The documented comparison policies, one case list per policy (see the limkit.grade docstring)."""

from __future__ import annotations

import pytest

from limkit.grade import Grader

Case = tuple[str, str, bool]


def _check(grader: Grader, cases: list[Case], answer_type: str | None = None) -> None:
    failures = []
    for prediction, gold, expected in cases:
        verdict = grader.grade(prediction, gold, answer_type)
        if verdict.correct is not expected:
            failures.append((prediction, gold, expected, verdict.status, verdict.comparator))
    assert not failures, failures


def test_exact_numbers_never_use_float_tolerance(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"\frac{1}{2^{98}}", r"\frac{1}{2^{99}}", False),
            (r"\frac{1}{2^{99}}", r"2^{-99}", True),
            ("100", "1", False),
            ("27", "27.0", True),
            ("27.04", "27.0", False),
            ("26.9999999", "27", False),
            (r"10^{-100}", "0", False),
            ("7,425,000", "7425000", True),
            ("1 000", "1000", True),
            ("12,000,023", "12000023", True),
            ("32, 349", "32349", False),
            (r"\frac{8}{46}", r"\frac{4}{23}", True),
            ("1" + "0" * 60 + "7", "1" + "0" * 60 + "8", False),
            (r"2^{100}", "1267650600228229401496703205377", False),
            (r"2^{100}", "1267650600228229401496703205376", True),
            ("0.1+0.2", "0.3", True),
        ],
    )


def test_numbers_side_by_side_are_no_answer(grader: Grader) -> None:
    _check(
        grader,
        [
            ("2 3", "6", False),
            ("2 3", "23", False),
            ("2 3", "3", False),
            ("12 34", "1234", False),
            ("1 000", "1000", True),
            ("how many $? just about 1$", "1", True),
        ],
    )


def test_tiny_differences_of_irrational_values_are_never_chopped(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"\pi + 10^{-40}", r"\pi", False),
            (r"\sqrt{10^{80}+1}", r"10^{40}", False),
            (r"\sqrt{2} \cdot 10^{40} + 1", r"\sqrt{2} \cdot 10^{40}", False),
            (r"\sqrt{x} + 10^{-40}", r"\sqrt{x}", False),
            (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", True),
        ],
    )


def test_decimal_tolerance_comes_from_the_gold(grader: Grader) -> None:
    _check(
        grader,
        [
            ("27.394", "27.39", True),
            ("27.386", "27.39", True),
            ("27.4", "27.39", False),
            ("0.0002", "0.0001", False),
            ("4.38e7", "4.4e7", True),
            ("4.38 \\times 10^7", "4.4e7", True),
            ("4e7", "4.4e7", False),
            ("0.5", r"\frac12", True),
            (r"\frac{1}{2}", "0.5", True),
            ("57/160", ".35625", True),
            (r"\sqrt{17}", "4.123105625617661", True),
        ],
    )


def test_decimal_predictions_of_exact_golds(grader: Grader) -> None:
    _check(
        grader,
        [
            ("0.33", r"\frac13", False),
            ("0.3333", r"\frac13", False),
            ("0.333333", r"\frac13", True),
            ("0.3", r"\frac13", False),
            ("0.34", r"\frac13", False),
            ("0.0833333333333333", r"\frac{1}{12}", True),
            ("1.414", r"\sqrt{2}", False),
            ("1.41421", r"\sqrt{2}", True),
            ("1.42", r"\sqrt{2}", False),
            ("3.0", "3", True),
            ("2.9", "3", False),
        ],
    )


def test_percentages(grader: Grader) -> None:
    _check(
        grader,
        [
            ("25", r"25\%", True),
            (r"25\%", r"25\%", True),
            ("0.25", r"25\%", True),
            ("25 percent", r"25\%", True),
            ("2.5", r"25\%", False),
            (r"25\%", "0.25", True),
            (r"0.2\%", r"20\%", False),
            ("100", "1", False),
            (r"100\%", "1", True),
        ],
    )


def test_degrees_and_units(grader: Grader) -> None:
    _check(
        grader,
        [
            ("90", r"90^\circ", True),
            (r"\frac{\pi}{2}", r"90^\circ", True),
            (r"\sin 60^\circ", r"\frac{\sqrt{3}}{2}", True),
            (r"\frac{\sqrt{3}}{2}", r"\sin(60^\circ)", True),
            (r"\frac{\sqrt{3}}{2}", r"\cos 30^{\circ}", True),
            ("0.5", r"\sin 30^\circ", True),
            (r"\frac{1}{2}", r"\sin 30", False),
            (r"2 \sin 30^\circ", "1", True),
            (r"125 \text{ miles}", "125", True),
            ("125", r"125\textnormal{ miles}", True),
            (r"15 \mbox{ cm}^2", r"15\mbox{ cm}^2", True),
            (r"\$32,\!348", "32348", True),
            ("16", r"15\mbox{ cm}^2", False),
        ],
    )


def test_assignments_and_chains(grader: Grader) -> None:
    _check(
        grader,
        [
            ("x = 2", "2", True),
            ("2", "x=2", True),
            ("y = 2", "x = 2", False),
            ("x = 5+5+1 = 7 = 11", "x = 11", True),
            ("35 + 70 = 105", "105", True),
            ("11a+c", "7 = 11a+c", False),
            ("0", "a + 3z = 0", False),
            (r"\frac{1}{\sqrt{6}}", r"\frac{NO}{BO}=\frac{1}{\sqrt{6}}", True),
            ("W(x)=1 or W(x)=-1", r"W(n) = 1 \text{ and } W(n) = -1", True),
            ("f(y)", "f(x)", False),
        ],
    )


def test_equations_up_to_scale_and_side(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"y=-\frac{1}{2}x+\frac{3}{4}", "2x+4y-3=0", True),
            ("x^2/16 + y^2/12 = 1/4", "x^2/4 + y^2/3 = 1", True),
            ("-34x-45y+20z-100=0", "34x+45y-20z+100=0", True),
            ("3x+4y+14=0", "3x-y+13=0", False),
            ("2x - y + 3 = 0", "y = 2x + 3", True),
        ],
    )


def test_inequalities_and_real_sets(grader: Grader) -> None:
    _check(
        grader,
        [
            ("5 \\geq x", "x \\leq 5", True),
            ("-x > -1", "x < 1", True),
            ("x > -1", "x < 1", False),
            ("x \\le 5", "x \\ge 5", False),
            ("x \\in [-2,7]", "-2 \\le x \\le 7", True),
            ("-2 \\le x \\le 7", "x \\in [-2,7]", True),
            ("[2, \\infty)", "k \\geq 2", True),
            ("(2, \\infty)", "k \\geq 2", False),
            ("(-6, 10)", "(-6,10)", True),
            ("(0, 1)", "[0,1)", False),
            ("(0, 1]", "[0,1]", False),
            ("[0, 1]", "(0,1]", False),
            (r"\mathbb{R}", r"(-\infty, \infty)", True),
            (r"(-\infty, \infty)", r"x \in \mathbb{R}", True),
            (r"\mathbb{Z}", r"\mathbb{R}", False),
            ("[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)", "[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0)", True),
            ("(-\\infty, 0) \\cup \\{1\\}", "\\{1\\} \\cup (-\\infty, 0)", True),
            ("(-793, 10)", "-793 < a < 10", True),
        ],
    )


def test_multiple_answers_need_every_element(grader: Grader) -> None:
    _check(
        grader,
        [
            ("1728", "1331 and 1728", False),
            ("1728, 1331", "1331 and 1728", True),
            ("1331, 1728, 2000", "1331 and 1728", False),
            ("-2, 1", "1,-2", True),
            (r"\boxed{-2} \quad \text{and} \quad \boxed{1}", "1,-2", True),
            ("2021", r"\pm 2021", False),
            ("2021, -2021", r"\pm 2021", True),
            (r"1+\sqrt{19}, 1-\sqrt{19}", r"1 \pm \sqrt{19}", True),
            ("19, 46, \\text{ and } 82", "19, 46, and 82", True),
            ("21, 36, and 82", "19, 46, and 82", False),
        ],
    )


def test_sets_tuples_and_intervals(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"\{2, 1\}", r"\{1, 2\}", True),
            ("(1, 2)", r"\{1, 2\}", False),
            ("(2, 1)", "(1, 2)", False),
            ("(3, 2)", "(p,q)=(3,2)", True),
            ("(8, 5), (5, 8)", "(5, 8), (8, 5)", True),
            ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
            ("-5, \\frac{14}{3}", "x = -5,\\ p = \\frac{14}{3}", True),
            (r"\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}", r"\left(-\frac13, \frac23\right)", True),
        ],
    )


def test_matrices(grader: Grader) -> None:
    _check(
        grader,
        [
            (
                r"\begin{bmatrix}0 & 0 \\ 0 & 0\end{bmatrix}",
                r"\begin{pmatrix}0 & 0 \\ 0 & 0\end{pmatrix}",
                True,
            ),
            (
                r"\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}",
                r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}",
                False,
            ),
            (
                r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}",
                r"\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}",
                True,
            ),
        ],
    )


def test_expressions(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"\frac{x}{7}+\frac{2}{7}", r"\frac{x+2}{7}", True),
            ("x^2+2x+1", "(x+1)^2", True),
            ("x^2+2x+2", "(x+1)^2", False),
            (r"\sec^2(y)", r"\tan^2(y)+1", True),
            (r"3\sqrt{13}", r"\sqrt{117}", True),
            (r"\frac{10\sqrt{10.5}}{27}", r"\frac{5\sqrt{42}}{27}", True),
            (r"2\sqrt{2}", r"\sqrt{8}", True),
            (r"2\sqrt{3}", r"\sqrt{8}", False),
            ("6 - 5i", "6-5i", True),
            (r"e^{i\pi}", "-1", True),
            ("x+1", "x+2n+1", False),
            ("x", "|x|", False),
            (r"\pi x", r"\pi |x|", False),
            (r"\sqrt{x^2}", "x", False),
            (r"\ln(x^2)", r"2\ln x", True),
            (r"x^{1/2}", r"\sqrt{x}", True),
            (r"x^{1000} y", r"y x^{1000}", True),
            (r"x^{1000} y", r"y x^{1001}", False),
        ],
    )


def test_choices_text_and_bases(grader: Grader) -> None:
    _check(
        grader,
        [
            ("C", r"\text{(C)}", True),
            (r"\boxed{\text{(C)}}", r"\text{C}", True),
            ("The answer is (B).", r"\text{(C)}", False),
            ("Evelyn", r"\text{Evelyn}", True),
            (r"\text{even}", r"\text{Even}", True),
            ("odd", r"\text{even}", False),
            ("204_5", "204_5", True),
            ("204", "204_5", True),
            ("54", "204_5", False),
            ("1112122_3", "1112112_3", False),
            (r"1\frac{4}{5}", r"\frac{9}{5}", True),
            ("9/5", r"1\frac{4}{5}", True),
        ],
    )


def test_explicit_answer_types(grader: Grader) -> None:
    assert grader.grade("(1, 2)", "(1, 2)", "IN").correct
    assert not grader.grade("[1, 2]", "(1, 2)", "IN").correct
    assert grader.grade("\\boxed{True}", "True", "TF").correct
    assert not grader.grade("\\boxed{no}", "yes", "TF").correct
    assert grader.grade("\\boxed{A, C}", "AC", "MC").correct
    assert not grader.grade("\\boxed{A}", "AC", "MC").correct
    assert grader.grade("\\boxed{3, 5}", "3, 5", "MPV").correct
    assert not grader.grade("\\boxed{5, 3}", "3, 5", "MPV").correct
    assert grader.grade("\\boxed{5, 3}", "3, 5", "MA").correct
    assert grader.grade("The answer is B", "B", "SC").correct
    assert not grader.grade("\\boxed{2x+3}", "y = 2x + 3", "EQ").correct
    assert grader.grade("\\boxed{y = 2x+3}", "y = 2x + 3", "EQ").correct
    with pytest.raises(ValueError, match="unknown answer_type"):
        grader.grade("1", "1", "NOPE")


def test_gold_forms(grader: Grader) -> None:
    _check(
        grader,
        [
            ("2", "['2']", True),
            ("1, 3", "['1,3']", True),
            ("3", "$3$", True),
            ("3", r"\boxed{3}", True),
            ("27", "27.0", True),
            (r"\frac{1}{5},\frac{1}{6}", r"$\\left(\\frac{1}{5},\\frac{1}{6}\\right)$", True),
        ],
    )
    assert grader.grade("5", ["$5$", "$7$"]).correct is False
    assert grader.grade("7, 5", ["$5$", "$7$"]).correct


def test_unparseable_gold_is_reported(grader: Grader) -> None:
    verdict = grader.grade("0.69", "np.arcsin(10/13)")
    assert verdict.status == "unparseable_gold" and not verdict.correct
    assert grader.grade("np.arcsin(10/13)", "np.arcsin(10/13)").correct


def test_hedged_answers_earn_nothing(grader: Grader) -> None:
    _check(
        grader,
        [
            (r"\boxed{1, 2, 3, 4, 5}", "3", False),
            (r"\boxed{3 \text{ or } 4}", "3", False),
            (r"\boxed{\pm 5}", "5", False),
            (r"\boxed{3} or maybe \boxed{4}", "3", False),
            (r"\boxed{x}", "3", False),
            (r"\boxed{(-\infty, \infty)}", "3", False),
            (r"\boxed{0 = 0}", "2x + 1 = 0", False),
            (r"\boxed{A, B, C, D}", "C", False),
            ("The answer is A or B.", "A", False),
            (r"\boxed{15\frac{39}{40}}, or equivalently \boxed{\frac{639}{40}}", r"\frac{639}{40}", True),
        ],
    )
