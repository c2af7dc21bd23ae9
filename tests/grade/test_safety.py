"""Model text is data: nothing runs it, limits hold before algebra, and every pair stays within budget."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from limkit.grade import STATUSES, Grader, Verdict
from limkit.grade._engine import compare, extract_for
from limkit.grade._gold import prepare_gold
from limkit.grade._nodes import OverLimit, ParseError, render
from limkit.grade._parse import parse_answer

BUDGET = 1.5
SLACK = 0.5

PAYLOADS = [
    "__import__('os').system('touch marker') or 0",
    r"\boxed{__import__('os').system('touch marker') or 0}",
    "eval(\"__import__('os').system('touch marker')\")",
    'exec(\'open("marker", "w")\')',
    "lambda: __import__('os').system('touch marker')",
    "`touch marker`",
    "$(touch marker)",
    "__import__('subprocess').call(['touch', 'marker'])",
    r"\boxed{\text{__import__('os').system('touch marker')}}",
    "os.system('touch marker')",
]

ADVERSARIAL = [
    r"\boxed{2^{2^{2^{49}}}}",
    r"\boxed{2^{2^{2^{2^{2^{2}}}}}}",
    r"\boxed{\binom{10^6}{5 \cdot 10^5}}",
    r"\boxed{\Gamma(10^6)}",
    r"\boxed{(10^6)!}",
    r"\boxed{10^{10^{10}}}",
    r"\boxed{9^{9^{9}}}",
    r"\boxed{x^{x^{x^{x^{x^{x}}}}}}",
    r"\boxed{e^{e^{e^{e^{10}}}}}",
    r"\boxed{\sin(10^{2000})}",
    r"\boxed{(x+1)^{1000}}",
    "\\boxed{" + "9" * 5000 + "}",
    "\\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}",
    "\\boxed{" + "{" * 3000 + "1" + "}" * 3000 + "}",
    "\\boxed{" + "+".join(["x"] * 3000) + "}",
    "\\boxed{" + r"\sqrt{" * 300 + "2" + "}" * 300 + "}",
    "x" * 500_000 + r" \boxed{5}",
    " ".join(rf"\boxed{{{i}}}" for i in range(400)),
    r"\boxed{" * 2000,
    "$" * 100_000,
    r"\frac{" * 2000,
]


class _Strict:
    """The shared grader with the tighter budget these tests check against."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader

    def grade(self, prediction: str, gold: str) -> Verdict:
        return self.grader.grade(prediction, gold, timeout=BUDGET)


@pytest.fixture(scope="module")
def strict(grader: Grader) -> _Strict:
    return _Strict(grader)


@pytest.fixture(scope="module")
def payload_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Grader]]:
    """A fresh Grader started inside an empty directory: its workers (and so any payload that ran in
    them) have that directory as their working directory, as does the calling process."""
    directory = tmp_path_factory.mktemp("payloads")
    previous = os.getcwd()
    os.chdir(directory)
    grader = Grader(workers=1, timeout=BUDGET)
    try:
        assert grader.grade(r"\boxed{3\sqrt{13}}", r"\sqrt{117}").correct  # algebra: starts the worker
        yield directory, grader
    finally:
        grader.close()
        os.chdir(previous)


def test_the_payload_workers_run_in_the_watched_directory(payload_dir: tuple[Path, Grader]) -> None:
    directory, grader = payload_dir
    pids = [worker.process.pid for worker in grader._pool._all]
    assert pids and all(Path(f"/proc/{pid}/cwd").resolve() == directory.resolve() for pid in pids)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_run_nothing_and_are_incorrect(payload: str, payload_dir: tuple[Path, Grader]) -> None:
    directory, grader = payload_dir
    for gold in ("0", "1", "marker", r"\text{marker}", r"\sqrt{2} + x"):  # the last one needs a worker
        verdict = grader.grade(payload, gold, timeout=BUDGET)
        assert not verdict.correct, (payload, gold, verdict)
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("prediction", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_inputs_return_within_budget(prediction: str, strict: _Strict) -> None:
    started = time.monotonic()
    for gold in ("5", r"(x+1)^{1000}", r"2^{2^{2^{49}}}"):
        verdict = strict.grade(prediction, gold)
        assert verdict.status in STATUSES
        assert verdict.seconds <= BUDGET + SLACK, verdict
    assert time.monotonic() - started < 3 * (BUDGET + SLACK) + 2.0


def test_towers_and_huge_functions_are_over_limit(strict: _Strict) -> None:
    for prediction in ADVERSARIAL[:6]:
        assert strict.grade(prediction, "5").status == "over_limit", prediction


def test_limits_are_checked_on_the_tree() -> None:
    for text in (
        r"2^{2^{2^{49}}}",
        r"\binom{10^6}{5 \cdot 10^5}",
        r"\Gamma(10^6)",
        "9" * 5000,
        "(" * 500 + "1" + ")" * 500,
    ):
        with pytest.raises(OverLimit):
            parse_answer(text)
    with pytest.raises(ParseError):
        parse_answer("__import__('os')")


def test_limits_are_checked_before_any_costly_work() -> None:
    started = time.perf_counter()
    assert render(parse_answer("{" * 1_400 + "1" + "}" * 1_400)) == "1"  # grouping braces only
    for text in ("x+" + "{" * 1_400 + "1" + "}" * 1_400, "{" * 3_000 + "1" + "}" * 3_000, "{" * 10**6):
        with pytest.raises(OverLimit):
            parse_answer(text)
    assert time.perf_counter() - started < 0.5


class _Forbidden(AssertionError):
    pass


_NO_EVAL_PAIRS = [
    (r"\boxed{3\sqrt{13}}", r"\sqrt{117}"),
    (r"\boxed{\sec^2 y}", r"\tan^2 y + 1"),
    (r"\boxed{z \in [-\frac32, -1] \cup [1, \frac32]}", r"1\leq|z|\leq \frac{3}{2}"),
    (r"\boxed{e^{i\pi}}", "-1"),
    (r"\boxed{\frac{\pi}{2}}", r"90^\circ"),
    (PAYLOADS[0], "0"),
    (r"\boxed{y=-\frac{\sqrt2}{2}x+1}", r"\sqrt{2}x+2y-2=0"),
    (r"\boxed{\log_2 8}", "3"),
    (r"\boxed{\frac{q_{17}}{w_{23}} + \cos(q_{17})}", r"\cos(q_{17}) + q_{17} / w_{23}"),
]
#: Words from the model and gold texts above: source code handed to eval/exec must contain none of them.
_MODEL_WORDS = {
    word
    for pair in _NO_EVAL_PAIRS
    for text in pair
    for word in __import__("re").findall(r"[A-Za-z_]{3,}|\d{2,}", text)
} - {"boxed", "frac", "cup", "leq", "circ", "log", "pi", "in"}


def _guard(name: str, original: Any) -> Any:
    """Refuses source text that carries model text; sympy's own generated helpers may still run."""

    def guard(*args: Any, **kwargs: Any) -> Any:
        source = args[0] if args else ""
        if isinstance(source, bytes):
            source = source.decode(errors="replace")
        if isinstance(source, str) and any(word in source for word in _MODEL_WORDS):
            raise _Forbidden(f"{name} was called on {source[:80]!r}")
        return original(*args, **kwargs)

    return guard


def test_no_eval_sympify_or_parse_expr_on_model_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy.parsing.sympy_parser

    from limkit.grade._heavy import Backend

    monkeypatch.setattr(builtins, "eval", _guard("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", _guard("exec", builtins.exec))
    parse_expr = sympy.parsing.sympy_parser.parse_expr
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", _guard("parse_expr", parse_expr))
    for prediction, gold in _NO_EVAL_PAIRS:
        prepared = prepare_gold(gold, None)
        extracted = extract_for(prediction, prepared, False)
        assert extracted is not None
        outcome = compare(extracted, prepared, Backend(time.monotonic() + 5))
        assert outcome.correct == (prediction != PAYLOADS[0]), (prediction, outcome)


def test_grading_never_imports_text_parsers() -> None:
    """The calling process grades without sympy or mpmath; the worker's code path uses no LaTeX parser."""
    code = (
        "import sys\nfrom limkit.grade import grade\n"
        "assert grade(r'\\boxed{\\frac{8}{2}}', '4').correct\n"
        "heavy = ('sympy', 'mpmath', 'latex2sympy', 'math_verify')\n"
        "loaded = [m for m in sys.modules if m.startswith(heavy)]\n"
        "assert not loaded, loaded\n"
        "from limkit.grade._worker import run_task\n"
        "task = {'extracted': r'3\\sqrt{13}', 'gold': r'\\sqrt{117}', 'answer_type': None, 'budget': 30}\n"
        "assert run_task(task)['status'] == 'correct'\n"
        "loaded = [m for m in sys.modules if m.startswith(('latex2sympy', 'math_verify'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


_ATOMS = st.sampled_from(
    [
        "\\frac{",
        "}{",
        "}",
        "{",
        "\\sqrt",
        "^",
        "_",
        "x",
        "y",
        "2",
        "10",
        "0.5",
        "-",
        "+",
        "(",
        ")",
        "[",
        "]",
        "\\pi",
        "\\infty",
        ",",
        "=",
        "\\le",
        "\\boxed{",
        "\\text{",
        "\\%",
        "^\\circ",
        "\\pm",
        "!",
        "\\binom",
        "\\Gamma",
        "e",
        "i",
        "\\begin{pmatrix}",
        "\\end{pmatrix}",
        "&",
        "\\\\",
        "$",
        "\\cup",
        "9" * 40,
        " and ",
        "\\sin",
        "\\log",
        "|",
        "\\{",
        "\\}",
        ";",
        ":",
        "'",
        "Answer:",
        "**",
        "\n",
    ]
)
_TEXTS = st.one_of(st.text(max_size=60), st.lists(_ATOMS, max_size=25).map("".join))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prediction=_TEXTS, gold=_TEXTS)
def test_random_pairs_never_raise_and_stay_within_budget(prediction: str, gold: str, strict: _Strict) -> None:
    verdict = strict.grade(prediction, gold)
    assert verdict.status in STATUSES
    assert not verdict.comparator.startswith("error:"), verdict  # the Grader turns its own bugs into this
    assert verdict.seconds <= BUDGET + SLACK
    assert verdict.correct == (verdict.status == "correct")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=st.lists(_ATOMS, min_size=1, max_size=20).map("".join))
def test_an_answer_matches_itself(answer: str, strict: _Strict) -> None:
    """The same text as prediction and gold is correct (timeouts, no_answer, over_limit are bugs here),
    except where the gold has nothing to compare: no canonical form and no parse, which is refused
    (or, when the text is itself an empty box such as an unclosed `\\boxed{`, the prediction has no
    answer either: the grader's empty-box rule)."""
    gold = prepare_gold(answer, None)
    verdict = strict.grade(answer, answer)
    refused = not gold.canon and gold.error is not None
    expected = {"unparseable_gold", "no_answer"} if refused else {"correct"}
    assert verdict.status in expected, (answer, gold, verdict)
