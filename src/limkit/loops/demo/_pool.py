"""A procedural world of arithmetic word problems: the foundation's knowledge, the pool, the evaluation split.

LIMO's hypothesis has two parts: the foundation model already holds the knowledge, and a few
demonstrations of *how to reason* draw it out. The world is built to make both parts true at toy scale:

- The knowledge is every single computation any problem needs (`7 * 8 = 56`, `15 - 6 = 9`): a few
  hundred facts, small enough for a tiny model to know them all. The foundation model practises them as
  drilled facts (one per row: `Compute: 7 * 8` answered `7 * 8 = 56.`) and as one-step word problems,
  answered in one line or in the worded style of the pool's rich chains, and never sees a worked
  multi-step solution. The worded one-step answers stand in for what a real foundation model has read:
  the words of reasoning. Without them the rich chains were a new language (SFT started at a loss of
  10.5 and the tiny model learnt the words, not the steps); with them, what the pool adds is chaining.
- Four of the eight families need two or three computations chained. Knowing each one is not enough:
  the model has to learn to write the intermediate results down, which is what the pool's chains show.

The pool imitates what curation faces in the wild: chains of uneven quality (rich ones that explore,
reason step by step and verify; plain ones; bare answers), near-duplicate problems, and problems
copied from the evaluation split. Every answer is known exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

NAMES = ("Ava", "Ben", "Cara", "Dan", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kim", "Leo", "Mia", "Noor")
THINGS = ("apples", "pens", "books", "coins", "shells", "cards", "marbles", "stickers", "cookies", "stamps")
SINGLE_STEP = ("addition", "subtraction", "multiplication", "division")


@dataclass(frozen=True)
class Problem:
    """A word problem, its answer, and the computations a worked solution walks through."""

    family: str
    text: str
    answer: int
    steps: tuple[tuple[str, int], ...]  # ("23 + 14", 37): each computation and its result
    check: tuple[str, int]  # a computation that runs the answer backwards, for self-verification


def _add(rng: random.Random) -> Problem:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    text = f"{name} has {a} {thing} and gets {b} more. How many {thing} does {name} have now?"
    return Problem("addition", text, a + b, ((f"{a} + {b}", a + b),), (f"{a + b} - {b}", a))


def _subtract(rng: random.Random) -> Problem:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    b = rng.randint(1, 9)
    a = b + rng.randint(1, 9)
    text = f"{name} had {a} {thing} and gave {b} of them away. How many {thing} are left?"
    return Problem("subtraction", text, a - b, ((f"{a} - {b}", a - b),), (f"{a - b} + {b}", a))


def _multiply(rng: random.Random) -> Problem:
    thing = rng.choice(THINGS)
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    text = f"There are {a} boxes with {b} {thing} in each box. How many {thing} are there in total?"
    return Problem("multiplication", text, a * b, ((f"{a} * {b}", a * b),), (f"{a * b} / {a}", b))


def _divide(rng: random.Random) -> Problem:
    thing = rng.choice(THINGS)
    b, q = rng.randint(2, 9), rng.randint(2, 9)
    text = f"{b * q} {thing} are shared equally among {b} children. How many {thing} does each child get?"
    return Problem("division", text, q, ((f"{b * q} / {b}", q),), (f"{q} * {b}", b * q))


def _two_step(rng: random.Random) -> Problem:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    c = rng.randint(1, min(9, a + b - 1))
    text = (
        f"{name} has {a} {thing}, buys {b} more, and then gives {c} to a friend. How many {thing} are left?"
    )
    steps = ((f"{a} + {b}", a + b), (f"{a + b} - {c}", a + b - c))
    return Problem("two-step", text, a + b - c, steps, (f"{a + b - c} + {c}", a + b))


def _linear(rng: random.Random) -> Problem:
    x, a, b = rng.randint(2, 5), rng.randint(2, 3), rng.randint(1, 3)
    c = a * x + b
    text = f"Solve for x: {a}x + {b} = {c}."
    steps = ((f"{c} - {b}", c - b), (f"{c - b} / {a}", x))
    return Problem("linear-equation", text, x, steps, (f"{a} * {x}", a * x))


def _divide_add(rng: random.Random) -> Problem:
    thing = rng.choice(THINGS)
    b, q, c = rng.randint(2, 9), rng.randint(2, 9), rng.randint(1, 9)
    text = (
        f"{b * q} {thing} are shared equally among {b} children, and then each child gets {c} more. "
        f"How many {thing} does each child have?"
    )
    steps = ((f"{b * q} / {b}", q), (f"{q} + {c}", q + c))
    return Problem("divide-add", text, q + c, steps, (f"{q + c} - {c}", q))


def _three_step(rng: random.Random) -> Problem:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    c = rng.randint(1, min(9, a + b - 1))
    d = rng.randint(1, 9)
    text = (
        f"{name} has {a} {thing}, buys {b} more, gives {c} away, and then finds {d} more. "
        f"How many {thing} does {name} have?"
    )
    steps = ((f"{a} + {b}", a + b), (f"{a + b} - {c}", a + b - c), (f"{a + b - c} + {d}", a + b - c + d))
    return Problem("three-step", text, a + b - c + d, steps, (f"{a + b - c + d} - {d}", a + b - c))


FAMILIES: tuple[Callable[[random.Random], Problem], ...] = (
    _add,
    _subtract,
    _multiply,
    _divide,
    _two_step,
    _linear,
    _divide_add,
    _three_step,
)
FAMILY_NAMES = (
    "addition",
    "subtraction",
    "multiplication",
    "division",
    "two-step",
    "linear-equation",
    "divide-add",
    "three-step",
)


def make_problem(rng: random.Random) -> Problem:
    return rng.choice(FAMILIES)(rng)


def _line(expression: str, value: int) -> str:
    return f"{expression} = {value}."


def rich_chain(problem: Problem, rng: random.Random) -> str:
    """A worked chain: explores, reasons in small steps that carry the running result, and verifies.

    It carries LIMO's cues (exploration, "since"/"therefore" granularity, self-verification) but writes
    each computation once and never restates the question: a tiny model copies a long span badly, and a
    miscopied number spoils every step after it (the earlier restating chains taught exactly that).
    """
    lines = ["Let me think about this step by step."]
    if rng.random() < 0.6:
        lines.append("Perhaps the simplest way is to compute each part in order.")
    for index, (expression, value) in enumerate(problem.steps):
        if index == 0:
            lines.append(f"First, {_line(expression, value)}")
        else:
            running = problem.steps[index - 1][1]
            lines.append(f"Next, since the running result is {running}, {_line(expression, value)}")
    lines.append(f"Therefore the result is {problem.answer}.")
    check, expected = problem.check
    lines.append(f"Let me verify this: {_line(check, expected)} That matches.")
    if rng.random() < 0.5:
        lines.append("Wait, let me check once more. Yes, it is correct.")
    lines.append(f"So the final answer is \\boxed{{{problem.answer}}}.")
    return "\n".join(lines)


def plain_chain(problem: Problem, rng: random.Random) -> str:
    """Every computation on one line, then the answer: the one-line format the foundation knows."""
    work = " ".join(_line(expression, value) for expression, value in problem.steps)
    return f"{work} The answer is \\boxed{{{problem.answer}}}."


def terse_chain(problem: Problem, rng: random.Random) -> str:
    return f"\\boxed{{{problem.answer}}}"


CHAIN_STYLES: dict[str, Callable[[Problem, random.Random], str]] = {
    "rich": rich_chain,
    "plain": plain_chain,
    "terse": terse_chain,
}
STYLE_WEIGHTS = (0.3, 0.45, 0.25)


def paraphrase(text: str, rng: random.Random) -> str:
    """A near-duplicate: the same problem with a word or two changed."""
    swaps = (
        ("How many", "How many of the"),
        ("has", "owns"),
        ("gives", "hands"),
        ("are left", "remain"),
        ("Solve for x:", "Find x if"),
    )
    options = [(old, new) for old, new in swaps if old in text]
    if not options:
        return text + " Give the number."
    old, new = rng.choice(options)
    return text.replace(old, new, 1)


def _drill_messages(rng: random.Random, facts: int) -> list[dict[str, str]]:
    """Facts drilled without a story: computations drawn from the steps of problems of every family."""
    picked: list[tuple[str, int]] = []
    while len(picked) < facts:
        problem = make_problem(rng)
        picked.append(rng.choice((*problem.steps, problem.check)))
    question = "Compute: " + "; ".join(expression for expression, _ in picked)
    answer = "\n".join(_line(expression, value) for expression, value in picked)
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def foundation_rows(
    seed: int,
    count: int,
    held_out: list[Problem],
    drill_share: float,
    facts_per_drill: int,
    worded_share: float = 0.0,
) -> list[dict[str, object]]:
    """Chat rows that teach the knowledge and none of the reasoning format, for the foundation training.

    A `drill_share` of the rows drill facts: computations drawn from the worked steps of problems of
    all eight families, so every computation a chain needs is known. The rest are one-step word
    problems, a `worded_share` of them answered in the rich chains' words, the others in one line.
    No row ever chains two computations.
    """
    rng = random.Random(f"foundation-{seed}")
    held_out_texts = {problem.text for problem in held_out}
    rows: list[dict[str, object]] = []
    while len(rows) < count:
        if rng.random() < drill_share:
            messages = _drill_messages(rng, facts_per_drill)
        else:
            problem = make_problem(rng)
            if problem.family not in SINGLE_STEP or problem.text in held_out_texts:
                continue
            style = rich_chain if rng.random() < worded_share else plain_chain
            messages = [
                {"role": "user", "content": problem.text},
                {"role": "assistant", "content": style(problem, rng)},
            ]
        rows.append({"id": f"foundation-{len(rows):05d}", "messages": messages})
    return rows


def eval_problems(seed: int, size: int) -> list[Problem]:
    """Held-out problems with distinct texts, drawn from a generator stream the pool never uses."""
    rng = random.Random(f"eval-{seed}")
    problems: dict[str, Problem] = {}
    while len(problems) < size:
        problem = make_problem(rng)
        problems.setdefault(problem.text, problem)
    return list(problems.values())


def eval_rows(problems: list[Problem]) -> list[dict[str, object]]:
    return [
        {"id": f"eval-{index:04d}", "problem": p.text, "answer": str(p.answer), "domain": p.family}
        for index, p in enumerate(problems)
    ]


def _record(index: int, problem: Problem, rng: random.Random) -> dict[str, object]:
    style = rng.choices(list(CHAIN_STYLES), weights=STYLE_WEIGHTS)[0]
    return {
        "id": f"pool-{index:05d}",
        "problem": problem.text,
        "answer": str(problem.answer),
        "solution": CHAIN_STYLES[style](problem, rng),
        "domain": problem.family,
        "style": style,
    }


def training_pool(
    seed: int, size: int, held_out: list[Problem], *, near_dup_share: float = 0.05, leak_share: float = 0.02
) -> list[dict[str, object]]:
    """`size` records {id, problem, answer, solution, domain, style}, with near-duplicates and leaks."""
    rng = random.Random(f"pool-{seed}")
    held_out_texts = {problem.text for problem in held_out}
    rows: list[dict[str, object]] = []
    while len(rows) < size:
        roll = rng.random()
        if rows and roll > 1 - near_dup_share:
            base = rng.choice(rows)
            rows.append(
                {**base, "id": f"pool-{len(rows):05d}", "problem": paraphrase(str(base["problem"]), rng)}
            )
            continue
        problem = rng.choice(held_out) if roll < leak_share else make_problem(rng)
        if roll >= leak_share and problem.text in held_out_texts:
            continue
        rows.append(_record(len(rows), problem, rng))
    return rows
