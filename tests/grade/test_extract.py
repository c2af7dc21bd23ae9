"""Answer extraction: boxes, cues, bold, fallbacks, choice letters; linear time on big outputs."""

from __future__ import annotations

import time

import pytest

from limkit.grade import extract_answer
from limkit.grade._extract import extract_bool, find_boxes, math_spans


def test_last_box_wins_after_many_boxes() -> None:
    text = " ".join(rf"step \boxed{{{i}}}." for i in range(400)) + r" Therefore the answer is \boxed{7}."
    assert extract_answer(text) == "7"


def test_nested_and_spaced_boxes() -> None:
    assert extract_answer(r"\boxed{\frac{1}{\boxed{2}}}") == r"\frac{1}{\boxed{2}}"
    assert extract_answer(r"so \boxed 5.") == "5"
    assert extract_answer(r"\fbox{12}") == "12"


def test_unclosed_box_runs_to_the_end() -> None:
    assert extract_answer(r"answer \boxed{x + 1") == "x + 1"


def test_box_groups_join_only_across_connectors_for_multipart_golds() -> None:
    def joined(text: str) -> str | None:
        return extract_answer(text, multipart=True)

    assert joined(r"\boxed{1} and \boxed{2}") == "1, 2"
    assert joined(r"\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}") == "(2, 2), (6, 2)"
    assert joined(r"\(y_1 = \boxed{x} \) and \( y_2 = \boxed{2x} \)") == "x, 2x"
    assert joined(r"\boxed{1} no no no no no \boxed{2}") == "2"
    assert joined(r"\boxed{1} and and and or thus but \boxed{2} and \boxed{3}") == "2, 3"
    assert extract_answer(r"\boxed{1} and \boxed{2}") == "2"  # one-part gold: the last box wins


def test_require_box_ignores_everything_else() -> None:
    assert extract_answer("The final answer is 5", require_box=True) is None
    assert extract_answer(r"so \boxed{5}", require_box=True) == "5"


def test_cues_and_their_sentences() -> None:
    assert extract_answer("Final Answer: The final answer is $28 \\%$. I hope it is correct.") == "28 \\%"
    assert extract_answer("Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.") == "120"
    assert extract_answer("Final Answer: Jane started growing Sphere 3 hours ago.") == "3"
    assert extract_answer("Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois.") == "220"
    assert extract_answer("答案：每份应该是 (\\frac{2}{5}) 吨。") == "\\frac{2}{5}"
    assert extract_answer("Answer \\[ 9 \\]") == "9"


def test_cue_after_the_last_box_overrides_it() -> None:
    text = r"first \boxed{200} then \boxed{255}. Final Answer: The final answer is $10,455$. I hope so."
    assert extract_answer(text) == "10,455"
    assert extract_answer(r"\boxed{42}. This answer is correct.") == "42"


def test_bold_and_fallbacks() -> None:
    assert extract_answer("Step **1**: add. The total is **858颗**") == "858颗"
    assert extract_answer("so the number is 10 which is 1,000.99m²") == "1,000.99"
    assert extract_answer("the probability is 2/3. <|im_start|>user") == "2/3"
    assert extract_answer("We get $(7, 6)$.") == "(7, 6)"
    assert extract_answer("no numbers here at all, sorry") is None


def test_bare_answers_are_taken_whole() -> None:
    assert extract_answer("1 000") == "1 000"
    assert extract_answer(r"864 \mbox{ inches}^2") == r"864 \mbox{ inches}^2"
    assert extract_answer("Evelyn") == "Evelyn"
    assert extract_answer("W(x)=1orW(x)=-1") == "W(x)=1orW(x)=-1"


def test_inline_math_cannot_cross_lines() -> None:
    assert [span.content for span in math_spans("a $x$ b $$\n y \n$$ c $\n z \n$")] == ["x", "y"]


def test_code_is_never_mined_for_numbers() -> None:
    payload = "__import__('os').system('touch marker') or 0"
    assert extract_answer(payload) == payload


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("The answer is A.", "A"),
        ("A. Because B is not valid", "A"),
        ("Because B is valid", "B"),
        ("thinking about it I think the correct answer is C", "C"),
        ("Let's think step by step. It's not A because it doesn't make sense, therefore I think it's B", "B"),
        ("The answer is for sure D, it can't be A or B", "D"),
        ("The answer: D, it doesn't make sense for it to be A or B", "D"),
        ("réponse est C non A", "C"),
        ("The answer is C, not A.", "C"),
        (r"so (C) is it: \boxed{5}", "C"),
        ("B。 不是 A", "B"),
        ("B不是 A", "B"),
        (r"so \boxed{\text{(C)}}", "C"),
        ("**D**", "D"),
    ],
)
def test_choice_letters(text: str, letter: str) -> None:
    assert extract_answer(text, choices="ABCD") == letter


@pytest.mark.parametrize(
    "text", [r"\boxed{A, B, C, D}", "The answer is A or B.", r"\boxed{\text{A or C}}", "Answer: (A) (B) (C)"]
)
def test_hedged_choices_name_no_letter(text: str) -> None:
    assert extract_answer(text, choices="ABCD") is None


def test_choice_article_is_not_a_letter() -> None:
    assert extract_answer("A good approach is to think.", choices="ABCD") is None


def test_true_false_extraction() -> None:
    assert extract_bool("Hence the statement is true.") == "true"
    assert extract_bool(r"\boxed{No}") == "No"


def _adversarial_inputs(scale: float) -> float:
    """Seconds to extract from inputs that take quadratic time in a naive scanner, `scale` x 1 MB."""
    text = ("lorem ipsum 12 $x$ \\boxed{" * int(20_000 * scale))[: int(1_000_000 * scale)]
    text += " done \\boxed{5}"
    started = time.perf_counter()
    assert extract_answer(text) == "5"
    find_boxes("\\boxed{" * int(100_000 * scale))
    assert extract_answer("\\fbox 1. So we try again. " * int(50_000 * scale) + "\\fbox 5") == "5"
    extract_answer("$" * int(500_000 * scale) + "\\(" * int(200_000 * scale))
    return time.perf_counter() - started


def test_linear_time_on_a_megabyte() -> None:
    """Eight times the input takes about eight times as long; a quadratic scan would take sixty-four.

    The two sizes alternate and each keeps its fastest of three runs, so a burst of load on a shared
    machine slows both or neither; 24x leaves room for noise on either side of linear and quadratic."""
    eighth, whole = [], []
    for _ in range(3):
        eighth.append(_adversarial_inputs(0.125))
        whole.append(_adversarial_inputs(1.0))
    assert min(whole) < 24 * min(eighth) + 0.2, f"1 MB took {min(whole):.2f} s, 128 kB {min(eighth):.2f} s"
    assert min(whole) < 10.0
